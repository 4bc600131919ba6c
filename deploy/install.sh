#!/usr/bin/env bash
# Install or upgrade broadcastd and its Mosquitto on a commune server (Debian/Ubuntu).
# Idempotent: run it again after an upgrade of the source tree or a change of clusters.
# It never overwrites an edited config or timetable.
#
#   sudo deploy/install.sh                       # the real thing
#   DESTDIR=/tmp/root deploy/install.sh          # staging root: touches nothing else
#
# Options:
#   --no-apt          do not apt-get install mosquitto, python3-venv, ffmpeg, espeak-ng
#   --no-systemctl    do not enable/start/restart the services
#   --no-venv         do not create /opt/broadcastd/venv nor pip install the package
#   --no-user         do not create the broadcastd user nor chown
#   --schedules DIR   timetables for a first install (default: the source tree's schedules/)
#   --audio DIR       audio library to add from (default: the source tree's audio_library/)
#   --tls-cert FILE --tls-key FILE [--tls-ca FILE]
#                     the broker's certificate and key for the clusters' TLS port 8883
#                     (and the CA that signed it, to hand to the vendor). Without them,
#                     a commune CA and a server certificate are made with openssl, once.
# With DESTDIR set, all four --no-* apply: a staging root never reaches the real system.
# LAN_ADDRESS=10.0.0.2 overrides the address speakers fetch audio from and that the
# broker's certificate names (default: the first address `hostname -I` shows).
# PYTHON=/path/to/python: the Python that writes the ACL when there is no
# /opt/broadcastd/venv yet (a staging root); it needs PyYAML. Default: python3.
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DESTDIR=${DESTDIR:-}
DO_APT=1 DO_SYSTEMCTL=1 DO_VENV=1 DO_USER=1
SCHEDULES_SRC=$SRC/schedules
AUDIO_SRC=$SRC/audio_library
SERVICE_USER=broadcastd
TLS_CERT= TLS_KEY= TLS_CA=

while [[ $# -gt 0 ]]; do
    case $1 in
        --no-apt) DO_APT=0 ;;
        --no-systemctl) DO_SYSTEMCTL=0 ;;
        --no-venv) DO_VENV=0 ;;
        --no-user) DO_USER=0 ;;
        --schedules) SCHEDULES_SRC=$2; shift ;;
        --audio) AUDIO_SRC=$2; shift ;;
        --tls-cert) TLS_CERT=$2; shift ;;
        --tls-key) TLS_KEY=$2; shift ;;
        --tls-ca) TLS_CA=$2; shift ;;
        -h|--help) sed -n '2,27p' "$0"; exit 0 ;;
        *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

if [[ -n $TLS_CERT$TLS_KEY && ( -z $TLS_CERT || -z $TLS_KEY ) ]]; then
    echo "install.sh: give --tls-cert and --tls-key together" >&2
    exit 2
fi
for file in "$TLS_CERT" "$TLS_KEY" "$TLS_CA"; do
    if [[ -n $file && ! -r $file ]]; then
        echo "install.sh: cannot read $file" >&2
        exit 2
    fi
done

if [[ -n $DESTDIR ]]; then
    DESTDIR=$(realpath -m "$DESTDIR")
    DO_APT=0 DO_SYSTEMCTL=0 DO_VENV=0 DO_USER=0
elif [[ $(id -u) -ne 0 ]]; then
    echo "install.sh: run as root (or set DESTDIR for a staging root)" >&2
    exit 1
fi

ETC=$DESTDIR/etc/broadcastd
STATE=$DESTDIR/var/lib/broadcastd
OPT=$DESTDIR/opt/broadcastd
UNITS=$DESTDIR/etc/systemd/system
MOSQ=$DESTDIR/etc/mosquitto

say() { printf 'install: %s\n' "$*"; }

# Scratch space (rendered config, password files before they are placed), private to
# root and removed however the script ends.
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# Owner and mode, with the owner only when we manage users (a staging root has none).
place() {  # place MODE OWNER:GROUP SOURCE TARGET
    install -m "$1" "$3" "$4"
    if [[ $DO_USER -eq 1 ]]; then chown "$2" "$4"; fi
}

install_packages() {
    if [[ $DO_APT -eq 0 ]]; then say "skipping apt-get (mosquitto, python3-venv, ffmpeg, espeak-ng)"; return; fi
    say "installing mosquitto, python3-venv, ffmpeg, espeak-ng (text to speech)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        python3 python3-venv mosquitto mosquitto-clients ffmpeg espeak-ng >/dev/null
}

create_user() {
    if [[ $DO_USER -eq 0 ]]; then say "skipping user creation"; return; fi
    if getent passwd "$SERVICE_USER" >/dev/null; then
        say "user $SERVICE_USER exists"
    else
        useradd --system --user-group --home-dir /var/lib/broadcastd --no-create-home \
            --shell /usr/sbin/nologin --comment "broadcastd daemon" "$SERVICE_USER"
        say "created system user $SERVICE_USER"
    fi
}

create_directories() {
    install -d -m 0755 "$ETC" "$ETC/schedules" "$OPT" "$OPT/docs" "$UNITS" "$MOSQ/conf.d"
    install -d -m 0750 "$STATE" "$STATE/audio_library"
    if [[ $DO_USER -eq 1 ]]; then
        chown "$SERVICE_USER:$SERVICE_USER" "$STATE" "$STATE/audio_library"
    fi
}

install_package() {
    if [[ $DO_VENV -eq 0 ]]; then say "skipping the virtual environment"; return; fi
    if [[ ! -x $OPT/venv/bin/python ]]; then
        python3 -m venv "$OPT/venv"
        say "created $OPT/venv"
    fi
    "$OPT/venv/bin/pip" install --quiet --upgrade "$SRC"
    say "installed broadcastd from $SRC into $OPT/venv"
}

lan_address() {
    if [[ -n ${LAN_ADDRESS:-} ]]; then echo "$LAN_ADDRESS"; return; fi
    local address
    address=$(hostname -I 2>/dev/null | awk '{print $1}')
    echo "${address:-127.0.0.1}"
}

install_config() {
    local rendered=$WORK/broadcastd.yaml
    sed "s/@LAN_ADDRESS@/$(lan_address)/" "$SRC/deploy/broadcastd.yaml" >"$rendered"
    if [[ ! -e $ETC/broadcastd.yaml ]]; then
        place 0644 root:root "$rendered" "$ETC/broadcastd.yaml"
        say "installed $ETC/broadcastd.yaml"
    elif cmp -s "$rendered" "$ETC/broadcastd.yaml"; then
        say "config unchanged"
    else
        place 0644 root:root "$rendered" "$ETC/broadcastd.yaml.dist"
        say "kept your $ETC/broadcastd.yaml; the shipped one is beside it as broadcastd.yaml.dist"
    fi
    place 0644 root:root "$SRC/docs/operations.md" "$OPT/docs/operations.md"
}

install_timetables() {
    shopt -s nullglob
    local installed=("$ETC"/schedules/*.yaml) shipped=("$SCHEDULES_SRC"/*.yaml)
    shopt -u nullglob
    if [[ ${#installed[@]} -gt 0 ]]; then
        say "kept the ${#installed[@]} timetables in $ETC/schedules"
        return
    fi
    if [[ ${#shipped[@]} -eq 0 ]]; then
        say "WARNING: no timetables in $SCHEDULES_SRC; add them to $ETC/schedules"
        return
    fi
    local file
    for file in "${shipped[@]}"; do
        place 0644 root:root "$file" "$ETC/schedules/$(basename "$file")"
    done
    say "installed ${#shipped[@]} timetables into $ETC/schedules"
}

install_audio() {
    [[ -d $AUDIO_SRC ]] || return 0
    local added=0 file target
    while IFS= read -r -d '' file; do
        target=$STATE/audio_library/${file#"$AUDIO_SRC"/}
        if [[ ! -e $target ]]; then
            install -d -m 0750 "$(dirname "$target")"
            place 0640 "$SERVICE_USER:$SERVICE_USER" "$file" "$target"
            added=$((added + 1))
        fi
    done < <(find "$AUDIO_SRC" -type f ! -name '.*' -print0)
    say "audio library: $added files added, existing ones kept"
}

install_unit() {
    place 0644 root:root "$SRC/deploy/broadcastd.service" "$UNITS/broadcastd.service"
    say "installed $UNITS/broadcastd.service"
}

# The ACL tool needs only PyYAML: the installed venv's Python, else $PYTHON or python3
# (a staging root has no venv).
python_for_tools() {
    local py
    if [[ -x $OPT/venv/bin/python ]]; then
        py=$OPT/venv/bin/python
    else
        py=${PYTHON:-python3}
    fi
    if ! "$py" -c 'import yaml' 2>/dev/null; then
        echo "install.sh: $py cannot import yaml (PyYAML), needed to write the Mosquitto ACL." \
            "Fix: apt-get install python3-yaml, or PYTHON=/path/to/venv/bin/python" >&2
        exit 1
    fi
    echo "$py"
}

# The broker's TLS certificate for the clusters (port 8883). The CA certificate the
# clusters verify it with is /etc/broadcastd/tls/ca.crt: give it to the vendor.
configure_tls() {
    local tls=$ETC/tls certs=$MOSQ/certs group=root
    if [[ $DO_USER -eq 1 ]] && getent group mosquitto >/dev/null; then group=mosquitto; fi
    install -d -m 0755 "$tls" "$certs"
    if [[ -n $TLS_CERT ]]; then
        install -m 0644 "$TLS_CERT" "$tls/server.crt"
        install -m 0600 "$TLS_KEY" "$tls/server.key"
        if [[ -n $TLS_CA ]]; then install -m 0644 "$TLS_CA" "$tls/ca.crt"; fi
        say "using your certificate $TLS_CERT for the broker's TLS port"
    elif [[ -s $tls/server.crt && -s $tls/server.key ]]; then
        say "kept the broker certificate in $tls"
    elif ! command -v openssl >/dev/null; then
        say "WARNING: openssl not found: no broker certificate; Mosquitto's TLS port will not start"
        return
    else
        "$SRC/deploy/make-certs.sh" "$tls" "$(lan_address)" "$(hostname -f 2>/dev/null || hostname)" \
            | sed 's/^/install: /'
    fi
    if [[ ! -s $tls/ca.crt ]]; then
        say "WARNING: no CA certificate in $tls/ca.crt: give the clusters the CA that signed $tls/server.crt"
    else
        place 0644 root:root "$tls/ca.crt" "$certs/broadcastd-ca.crt"
    fi
    place 0644 root:root "$tls/server.crt" "$certs/broadcastd-server.crt"
    place 0640 "root:$group" "$tls/server.key" "$certs/broadcastd-server.key"
    say "broker TLS: $certs/broadcastd-server.crt; the clusters' CA: ${ETC#"$DESTDIR"}/tls/ca.crt"
}

configure_mosquitto() {
    local py group=root
    py=$(python_for_tools)
    export PYTHONPATH=$SRC${PYTHONPATH:+:$PYTHONPATH}
    if [[ $DO_USER -eq 1 ]] && getent group mosquitto >/dev/null; then group=mosquitto; fi
    place 0644 root:root "$SRC/deploy/mosquitto/broadcastd.conf" "$MOSQ/conf.d/broadcastd.conf"
    shopt -s nullglob
    local timetables=("$ETC"/schedules/*.yaml)
    shopt -u nullglob
    if [[ ${#timetables[@]} -eq 0 ]]; then
        say "WARNING: no timetables, so no cluster may log in to Mosquitto yet"
        return
    fi
    "$py" -m broadcastd.service.mosquitto_acl credentials --schedules "$ETC/schedules" \
        --config "$ETC/broadcastd.yaml" --file "$ETC/mqtt-credentials" | sed 's/^/install: /'
    local acl=$WORK/broadcastd.acl
    "$py" -m broadcastd.service.mosquitto_acl acl --schedules "$ETC/schedules" \
        --config "$ETC/broadcastd.yaml" >"$acl"
    place 0640 "root:$group" "$acl" "$MOSQ/broadcastd.acl"
    say "wrote $MOSQ/broadcastd.acl"

    local daemon_user password env=$WORK/broadcastd.env
    daemon_user=$("$py" -c 'import sys; from pathlib import Path
from broadcastd.service.mosquitto_acl import broker_identity
print(broker_identity(Path(sys.argv[1]))[1])' "$ETC/broadcastd.yaml")
    password=$(grep "^$daemon_user:" "$ETC/mqtt-credentials" | cut -d: -f2-)
    printf '# Written by deploy/install.sh from %s\nBROADCASTD_MQTT_PASSWORD=%s\n' \
        "${ETC#"$DESTDIR"}/mqtt-credentials" "$password" >"$env"
    place 0640 "root:$SERVICE_USER" "$env" "$ETC/broadcastd.env"

    if ! command -v mosquitto_passwd >/dev/null; then
        say "WARNING: mosquitto_passwd not found: $MOSQ/broadcastd.passwd not written"
        return
    fi
    local passwd=$WORK/broadcastd.passwd
    cp "$ETC/mqtt-credentials" "$passwd"
    mosquitto_passwd -U "$passwd"
    place 0640 "root:$group" "$passwd" "$MOSQ/broadcastd.passwd"
    say "wrote $MOSQ/broadcastd.passwd (cluster passwords for the vendor: $ETC/mqtt-credentials)"
}

start_services() {
    if [[ $DO_SYSTEMCTL -eq 0 ]]; then say "skipping systemctl"; return; fi
    if ! grep -qs '^include_dir /etc/mosquitto/conf.d' /etc/mosquitto/mosquitto.conf; then
        say "WARNING: /etc/mosquitto/mosquitto.conf does not include conf.d; add" \
            "'include_dir /etc/mosquitto/conf.d' to it"
    fi
    systemctl daemon-reload
    systemctl enable --quiet mosquitto broadcastd
    systemctl restart mosquitto
    systemctl restart broadcastd
    say "mosquitto and broadcastd enabled and (re)started; see: systemctl status broadcastd"
}

install_packages
create_user
create_directories
install_package
install_config
install_timetables
install_audio
install_unit
configure_tls
configure_mosquitto
start_services
say "done${DESTDIR:+ (staging root $DESTDIR)}"

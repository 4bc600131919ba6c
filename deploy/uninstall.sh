#!/usr/bin/env bash
# Remove broadcastd from a commune server, all but its data.
#
#   sudo deploy/uninstall.sh
#   DESTDIR=/tmp/root deploy/uninstall.sh      # staging root: touches nothing else
#
# Removed: the unit, /opt/broadcastd, /etc/broadcastd (first copied into the data
# directory), broadcastd's Mosquitto config, ACL, password file and certificates (the
# commune CA and its key stay in that copy, under tls/).
# Kept: /var/lib/broadcastd (database, audio library, that copy of the config), the
# broadcastd user (it still owns those files), and the Mosquitto package.
# Options: --no-systemctl (implied by DESTDIR).
set -euo pipefail

DESTDIR=${DESTDIR:-}
DO_SYSTEMCTL=1
while [[ $# -gt 0 ]]; do
    case $1 in
        --no-systemctl) DO_SYSTEMCTL=0 ;;
        -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
        *) echo "uninstall.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done
if [[ -n $DESTDIR ]]; then
    DESTDIR=$(realpath -m "$DESTDIR")
    DO_SYSTEMCTL=0
elif [[ $(id -u) -ne 0 ]]; then
    echo "uninstall.sh: run as root (or set DESTDIR for a staging root)" >&2
    exit 1
fi

ETC=$DESTDIR/etc/broadcastd
STATE=$DESTDIR/var/lib/broadcastd
UNIT=$DESTDIR/etc/systemd/system/broadcastd.service
MOSQ=$DESTDIR/etc/mosquitto

say() { printf 'uninstall: %s\n' "$*"; }

if [[ $DO_SYSTEMCTL -eq 1 ]]; then
    systemctl disable --now --quiet broadcastd 2>/dev/null || true
fi
rm -f "$UNIT"
rm -rf "$DESTDIR/etc/systemd/system/broadcastd.service.d"

if [[ -d $ETC ]]; then
    backup=$STATE/config-backup-$(date +%Y%m%dT%H%M%S)
    install -d -m 0750 "$STATE"
    cp -a "$ETC" "$backup"
    rm -rf "$ETC"
    say "removed $ETC (a copy is in $backup)"
fi
rm -rf "$DESTDIR/opt/broadcastd"
rm -f "$MOSQ/conf.d/broadcastd.conf" "$MOSQ/broadcastd.acl" "$MOSQ/broadcastd.passwd" \
    "$MOSQ"/certs/broadcastd-{ca,server}.crt "$MOSQ/certs/broadcastd-server.key"

if [[ $DO_SYSTEMCTL -eq 1 ]]; then
    systemctl daemon-reload
    if systemctl is-active --quiet mosquitto; then systemctl restart mosquitto; fi
fi
say "removed the unit, /opt/broadcastd and broadcastd's Mosquitto config"
say "kept the data in $STATE, the broadcastd user and the mosquitto package;"
say "to remove them too: rm -rf /var/lib/broadcastd; userdel broadcastd; apt-get purge mosquitto"

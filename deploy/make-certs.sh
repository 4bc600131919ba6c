#!/usr/bin/env bash
# Make a commune's own certificate authority and the broker's server certificate.
# Used by deploy/install.sh when the operator brings no certificate; usable by hand.
#
#   deploy/make-certs.sh DIR ADDRESS [NAME...]
#
# DIR gets: ca.crt (give it to the speaker vendor: clusters verify the broker with
# it), ca.key (keep it: it signs every certificate; 0600), server.crt and server.key
# for Mosquitto, valid for ADDRESS (the LAN address clusters connect to), for each
# extra NAME (host names or addresses), and for localhost / 127.0.0.1.
# An existing CA in DIR is reused, so a new server certificate stays trusted by the
# clusters that already have ca.crt. Needs openssl.
set -euo pipefail

if [[ $# -lt 2 ]]; then
    sed -n '2,13p' "$0" >&2
    exit 2
fi
DIR=$1 ADDRESS=$2
shift 2

san_entry() {  # IP:... for an address, DNS:... for a name
    if [[ $1 =~ ^[0-9.]+$ || $1 == *:* ]]; then echo "IP:$1"; else echo "DNS:$1"; fi
}

install -d -m 0755 "$DIR"
umask 077
if [[ ! -s $DIR/ca.key || ! -s $DIR/ca.crt ]]; then
    openssl req -x509 -newkey rsa:3072 -sha256 -days 3650 -nodes \
        -keyout "$DIR/ca.key" -out "$DIR/ca.crt" \
        -subj "/O=broadcastd/CN=broadcastd commune CA $(hostname -s 2>/dev/null || echo server)" \
        -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
    chmod 0644 "$DIR/ca.crt"
fi

names=("$(san_entry "$ADDRESS")" "DNS:localhost" "IP:127.0.0.1")
for name in "$@"; do names+=("$(san_entry "$name")"); done
san=$(IFS=,; echo "${names[*]}")

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat >"$work/ext" <<EOF
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=$san
EOF
openssl req -newkey rsa:2048 -nodes -keyout "$work/server.key" -out "$work/server.csr" \
    -subj "/O=broadcastd/CN=$ADDRESS" 2>/dev/null
openssl x509 -req -in "$work/server.csr" -CA "$DIR/ca.crt" -CAkey "$DIR/ca.key" \
    -CAcreateserial -CAserial "$work/ca.srl" -days 825 -sha256 -extfile "$work/ext" \
    -out "$work/server.crt" 2>/dev/null
install -m 0600 "$work/server.key" "$DIR/server.key"
install -m 0644 "$work/server.crt" "$DIR/server.crt"
echo "certificates in $DIR: ca.crt (for the clusters), server.crt and server.key (for Mosquitto, $san)"

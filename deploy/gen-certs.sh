#!/usr/bin/env bash
# Makes the certificates a TLS cluster runs on: a private CA (ca.pem, ca-key.pem) and one node
# certificate (node.pem, node-key.pem) that every node presents, both to clients (HTTPS, gRPC over
# TLS) and to its peers (mutual TLS for Raft: the certificate allows server and client use). It
# names every host given, plus localhost and 127.0.0.1 (health checks, published ports).
#   deploy/gen-certs.sh OUT_DIR HOST [HOST ...]
#   deploy/gen-certs.sh deploy/.certs node1 node2 node3                          # docker-compose.yml
#   deploy/gen-certs.sh deploy/.certs-k8s '*.configcluster' '*.configcluster.default.svc.cluster.local'
# Idempotent: an OUT_DIR that already holds a CA keeps it (and the node certificate it signed),
# so clients that trust ca.pem keep working; delete OUT_DIR for new ones. Renew the node
# certificate alone with --renew (same CA; the nodes reload it from disk without a restart).
# The CA's key stays in OUT_DIR: keep OUT_DIR private to this host.
# OWNER (environment, default 10001, the image's user) owns node-key.pem when run as root, so the
# container can read it with mode 0600; otherwise the key is left readable by its group and others.
set -euo pipefail
renew=0
if [ "${1:-}" = "--renew" ]; then renew=1; shift; fi
[ $# -ge 2 ] || { echo "usage: $0 [--renew] OUT_DIR HOST [HOST ...]" >&2; exit 2; }
out=$1; shift
command -v openssl >/dev/null || { echo "gen-certs: openssl is required (apt-get install openssl)" >&2; exit 1; }
mkdir -p "$out"
chmod 755 "$out"

if [ ! -s "$out/ca.pem" ] || [ ! -s "$out/ca-key.pem" ]; then
  (umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$out/ca-key.pem" 2>/dev/null)
  openssl req -x509 -new -key "$out/ca-key.pem" -sha256 -days 3650 -subj "/CN=ConfigCluster CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$out/ca.pem" 2>/dev/null
  rm -f "$out/node.pem" "$out/node-key.pem"
  echo "gen-certs: new CA in $out/ca.pem"
fi

if [ "$renew" = 1 ] || [ ! -s "$out/node.pem" ] || [ ! -s "$out/node-key.pem" ]; then
  san="DNS:localhost,IP:127.0.0.1,IP:::1"
  for host in "$@"; do san="$san,DNS:$host"; done
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  (umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/node-key.pem" 2>/dev/null)
  openssl req -new -key "$work/node-key.pem" -subj "/CN=configcluster-node" -out "$work/node.csr" 2>/dev/null
  printf 'subjectAltName=%s\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=critical,CA:FALSE\n' "$san" > "$work/ext"
  openssl x509 -req -in "$work/node.csr" -CA "$out/ca.pem" -CAkey "$out/ca-key.pem" -CAcreateserial \
    -days 825 -sha256 -extfile "$work/ext" -out "$work/node.pem" 2>/dev/null
  rm -f "$out/ca.srl"
  if [ "$(id -u)" = 0 ]; then
    chown "${OWNER:-10001}" "$work/node-key.pem"
  else
    chmod 644 "$work/node-key.pem"
  fi
  chmod 644 "$work/node.pem"
  # Rename into place (the nodes watch these files and reload them).
  mv "$work/node.pem" "$out/node.pem.new" && mv "$work/node-key.pem" "$out/node-key.pem.new"
  mv "$out/node-key.pem.new" "$out/node-key.pem" && mv "$out/node.pem.new" "$out/node.pem"
  echo "gen-certs: node certificate for $* in $out/node.pem"
fi

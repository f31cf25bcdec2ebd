#!/usr/bin/env bash
# Gives the demo microservice its own machine login: a policy that reads demo.* only, an AppRole
# role `demo` with that policy (tokens live 1 h, renewed by the client, at most 24 h), and its
# role id and one secret id written to OUT_DIR/role-id and OUT_DIR/secret-id, which the service
# reads at each login (ConfigCluster__AppRoleLogin__RoleIdFile / __SecretIdFile).
#   deploy/demo-service/approle-setup.sh NODE_HTTP_URL ADMIN_TOKEN OUT_DIR
# Run again to issue a fresh secret id (the role and policy are updated in place).
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: $0 NODE_HTTP_URL ADMIN_TOKEN OUT_DIR" >&2; exit 2; }
url=$1 token=$2 out=$3
call() {   # METHOD PATH [BODY] -> body on stdout; fails loudly on an HTTP error
  curl -sS --fail-with-body -X "$1" -H "X-Vault-Token: $token" -H 'Content-Type: application/json' \
    ${3:+-d "$3"} "$url$2"
}
field() { sed -n "s/.*\"$1\": *\"\([^\"]*\)\".*/\1/p"; }

policy='{"rules": [{"path": "demo.*", "namespace": "*", "environment": "*", "capabilities": ["read", "list", "watch"]}]}'
# A cluster that has just started may still be electing its leader or applying the bootstrap token.
for attempt in $(seq 1 30); do
  call PUT /acl/policies/demo-read "$policy" >/dev/null 2>&1 && break
  [ "$attempt" = 30 ] && { call PUT /acl/policies/demo-read "$policy" >/dev/null; exit 1; }
  sleep 1
done
call POST /v1/auth/approle/role/demo '{"token_policies": ["demo-read"], "token_ttl": "1h", "token_max_ttl": "24h"}' >/dev/null
role_id=$(call GET /v1/auth/approle/role/demo/role-id | field role_id)
secret_id=$(call POST /v1/auth/approle/role/demo/secret-id '{}' | field secret_id)
[ -n "$role_id" ] && [ -n "$secret_id" ] || { echo "approle-setup: no role id or secret id in the answers" >&2; exit 1; }
mkdir -p "$out"
# Readable by the demo container's own user (uid 1654), which is not the host user: keep OUT_DIR private to this host.
umask 022
printf '%s\n' "$role_id" > "$out/role-id"
printf '%s\n' "$secret_id" > "$out/secret-id"
echo "approle-setup: role 'demo' (policy demo-read); role id and secret id in $out"

#!/usr/bin/env bash
# Credential issuance latency of the database secrets engine: a throwaway PostgreSQL (Debian's
# postgresql package: initdb/pg_ctl in a temp dir, as the postgres user when run as root), a
# three-node ConfigCluster on loopback (deploy/local-cluster.sh, Release build, a master key), a
# connection and a role; then N sequential `GET /v1/database/creds/<role>` through a follower,
# each timed by curl (request to answer: lease through the Raft log, user created in PostgreSQL),
# and the same N through the leader. Prints p50/p90/p99/max in ms, one line per path.
#   benchmarks/db-creds.sh [--count N] [--warmup W] [--no-build]
# Run it on an idle machine (COMMON.md: under /tmp/bench.running).
set -euo pipefail
count=300; warmup=20; build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --count) count="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    *) echo "db-creds: unknown option $1" >&2; exit 2 ;;
  esac
done
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d /tmp/cc-dbbench.XXXXXX)"
chmod 755 "$work"
pgbin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
[ -x "$pgbin/initdb" ] || { echo "db-creds: PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 1; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pg_port=7490; base_port=7430
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  as_pg "$pgbin/pg_ctl" -D "$work/pg" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

admin_password="$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
echo "$admin_password" > "$work/pwfile"
[ "$(id -u)" = 0 ] && chown postgres:postgres "$work" "$work/pwfile"
as_pg "$pgbin/initdb" -D "$work/pg" -U ccadmin --pwfile "$work/pwfile" --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --no-sync --no-instructions >/dev/null
rm -f "$work/pwfile"
as_pg "$pgbin/pg_ctl" -D "$work/pg" -l "$work/pg.log" -w -o "-p $pg_port -k $work -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null

export CONFIGCLUSTER_MASTER_KEY="$(head -c 32 /dev/urandom | base64)"
export CONFIGCLUSTER_BOOTSTRAP_TOKEN="cc_bench_$(head -c 16 /dev/urandom | base64 | tr -dc a-zA-Z0-9)"
if [ "$build" = 1 ]; then dotnet build "$repo/src/ConfigCluster.Server" -c Release -v quiet -nologo >/dev/null; fi
"$repo/deploy/local-cluster.sh" --no-build --base-port "$base_port" --data-root "$work/cc" >"$work/cc.log" 2>&1 &
pids+=($!)
auth=(-H "Authorization: Bearer $CONFIGCLUSTER_BOOTSTRAP_TOKEN")
node_url() { echo "http://127.0.0.1:$((base_port + 10 * $1 + 1))"; }
for _ in $(seq 1 120); do
  curl -sf "${auth[@]}" "$(node_url 1)/config?limit=1" >/dev/null 2>&1 && break
  sleep 1
done
# The leader, as node 1 sees it; a follower is any other node.
leader_id="$(curl -sf "${auth[@]}" "$(node_url 1)/cluster/status" | sed -n 's/.*"leaderId":"\([^"]*\)".*/\1/p')"
leader="${leader_id#node}"; follower=$(( leader % 3 + 1 ))
curl -sf "${auth[@]}" -X POST "$(node_url 1)/v1/database/config/pg" -d "{\"plugin_name\": \"postgresql-database-plugin\",
  \"connection_url\": \"postgresql://{{username}}:{{password}}@127.0.0.1:$pg_port/postgres?sslmode=disable\",
  \"username\": \"ccadmin\", \"password\": \"$admin_password\", \"allowed_roles\": \"readonly\"}" >/dev/null
curl -sf "${auth[@]}" -X POST "$(node_url 1)/v1/database/roles/readonly" -d '{"db_name": "pg", "default_ttl": "1h",
  "creation_statements": ["CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '"'"'{{password}}'"'"' VALID UNTIL '"'"'{{expiration}}'"'"';"]}' >/dev/null

measure() { # node label
  local url; url="$(node_url "$1")/v1/database/creds/readonly"
  for _ in $(seq 1 "$warmup"); do curl -sf "${auth[@]}" -o /dev/null "$url"; done
  for _ in $(seq 1 "$count"); do curl -sf "${auth[@]}" -o /dev/null -w '%{time_total}\n' "$url"; done > "$work/$2.txt"
  sort -n "$work/$2.txt" | awk -v label="$2" -v n="$count" '{ v[NR] = $1 * 1000 }
    END { printf "%s: %d sequential issuances: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms\n", label, n, v[int(n*0.50+0.5)], v[int(n*0.90+0.5)], v[int(n*0.99+0.5)], v[n] }'
}
echo "leader node$leader, follower node$follower; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
measure "$follower" "through a follower (node$follower)"
measure "$leader" "on the leader (node$leader)"

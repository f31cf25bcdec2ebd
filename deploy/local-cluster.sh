#!/usr/bin/env bash
# Starts a three-node ConfigCluster on loopback: builds once, starts three node processes,
# prints their URLs, and stops them cleanly on Ctrl-C.
#
#   deploy/local-cluster.sh [--nodes N] [--data-root DIR] [--base-port P] [--seed-file FILE] [--no-build] [--demo]
#                           [--server-dll PATH]   run this ConfigCluster.Server.dll (e.g. a ReadyToRun publish)
#
# --demo also starts the demo microservice (deploy/demo-service) on http://127.0.0.1:(P+80),
# reading its settings (keys demo.*) from the nodes; --demo-only starts just the demo (nodes
# started elsewhere, or down: it then starts from its cache). deploy/README.md walks through it.
# Node i (1-based) listens on http 127.0.0.1:(P+10i+1), gRPC (P+10i+2), Raft (P+10i+3);
# with the default P=7000: node 1 = 7011/7012/7013, node 2 = 7021/7022/7023, ...
# deploy/docker-compose.yml is the container twin: same option names (CONTRACT.md) and host ports.
# The build also packs ccctl as a .NET tool and installs it into DATA_ROOT/bin (see the PATH line it prints).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
nodes=3
base_port=7000
data_root="$repo/.local-cluster"
seed_file=""
build=1
demo=0
start_nodes=1
server_dll=""
while [ $# -gt 0 ]; do
  case "$1" in
    --nodes) nodes="$2"; shift 2 ;;
    --base-port) base_port="$2"; shift 2 ;;
    --data-root) data_root="$2"; shift 2 ;;
    --seed-file) seed_file="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    --server-dll) server_dll="$2"; shift 2 ;;
    --demo) demo=1; shift ;;
    --demo-only) demo=1; start_nodes=0; shift ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "local-cluster: unknown option $1" >&2; exit 2 ;;
  esac
done

if [ "$build" = 1 ]; then
  dotnet build "$repo/src/ConfigCluster.Server" -c Release -v quiet -nologo >/dev/null
  # ccctl as a .NET tool, installed into the data root (a fresh version each build, so NuGet's
  # cache never hands back an older package of the same version).
  version="0.1.0-local.$(date +%Y%m%d%H%M%S)"
  rm -f "$data_root/packages"/ConfigCluster.Cli.*.nupkg
  if dotnet pack "$repo/src/ConfigCluster.Cli" -c Release -v quiet -nologo -p:Version="$version" -o "$data_root/packages" >/dev/null \
     && rm -rf "$data_root/bin" \
     && dotnet tool install ConfigCluster.Cli --version "$version" --tool-path "$data_root/bin" --add-source "$data_root/packages" >/dev/null; then
    echo "ccctl installed: export PATH=\"$data_root/bin:\$PATH\""
  else
    echo "local-cluster: could not install ccctl; run: dotnet tool install ConfigCluster.Cli --prerelease --tool-path $data_root/bin --add-source $data_root/packages" >&2
  fi
fi
dll="${server_dll:-$repo/src/ConfigCluster.Server/bin/Release/net10.0/ConfigCluster.Server.dll}"
[ -f "$dll" ] || { echo "local-cluster: $dll not found (build failed?)" >&2; exit 1; }

members=""
for i in $(seq 1 "$nodes"); do
  members="${members:+$members,}127.0.0.1:$((base_port + 10 * i + 3))"
done

pids=()
stop() {
  echo "stopping ${#pids[@]} nodes..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  exit 0
}
trap stop INT TERM

mkdir -p "$data_root"
# Access control: the first admin token. Kept in the data root so a restart reuses it.
if [ -z "${CONFIGCLUSTER_BOOTSTRAP_TOKEN:-}" ]; then
  [ -f "$data_root/admin.token" ] || echo "cc_$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')" > "$data_root/admin.token"
  CONFIGCLUSTER_BOOTSTRAP_TOKEN="$(cat "$data_root/admin.token")"
fi
# Secrets: a demo master key kept beside the data (fine on a laptop, never in production).
if [ -z "${CONFIGCLUSTER_MASTER_KEY:-}" ]; then
  [ -f "$data_root/master.key" ] || head -c 32 /dev/urandom | base64 > "$data_root/master.key"
  CONFIGCLUSTER_MASTER_KEY="$(cat "$data_root/master.key")"
fi
chmod 600 "$data_root"/*.key "$data_root"/*.token 2>/dev/null || true
export CONFIGCLUSTER_BOOTSTRAP_TOKEN CONFIGCLUSTER_MASTER_KEY

started=$(( start_nodes ? nodes : 0 ))   # --demo-only starts none
for i in $(seq 1 "$started"); do
  args=(--node-id "node$i"
        --http "http://127.0.0.1:$((base_port + 10 * i + 1))"
        --grpc "http://127.0.0.1:$((base_port + 10 * i + 2))"
        --raft "127.0.0.1:$((base_port + 10 * i + 3))"
        --members "$members"
        --data-dir "$data_root/node$i")
  [ -n "$seed_file" ] && args+=(--seed-file "$seed_file")
  dotnet "$dll" "${args[@]}" > >(sed -u "s/^/[node$i] /") 2>&1 &
  pids+=($!)
done

for i in $(seq 1 "$started"); do
  url="http://127.0.0.1:$((base_port + 10 * i + 1))"
  for _ in $(seq 1 100); do
    curl -sf "$url/health/live" >/dev/null 2>&1 && break
    sleep 0.2
  done
  echo "node$i: http $url  grpc http://127.0.0.1:$((base_port + 10 * i + 2))  raft 127.0.0.1:$((base_port + 10 * i + 3))"
done
# ---- the demo microservice (--demo) ----------------------------------------------------------
if [ "$demo" = 1 ]; then
  if [ "$build" = 1 ]; then
    dotnet build "$repo/deploy/demo-service" -c Release -v quiet -nologo >/dev/null
  fi
  demo_dll="$repo/deploy/demo-service/bin/Release/net10.0/ConfigCluster.DemoService.dll"
  [ -f "$demo_dll" ] || { echo "local-cluster: $demo_dll not found (build failed?)" >&2; stop; }
  demo_url="http://127.0.0.1:$((base_port + 80))"
  mkdir -p "$data_root/demo"
  demo_env=(ASPNETCORE_URLS="$demo_url"
            ConfigCluster__CacheFile="$data_root/demo/configcluster.json")
  # Machine login (AppRole, policy demo-read) rather than the admin token; the role id and secret
  # id are made once, while the nodes are up, and kept beside the data.
  approle="$data_root/demo/approle"
  if [ ! -f "$approle/secret-id" ] && [ "$started" -gt 0 ]; then
    "$repo/deploy/demo-service/approle-setup.sh" "http://127.0.0.1:$((base_port + 11))" "$CONFIGCLUSTER_BOOTSTRAP_TOKEN" "$approle" \
      || echo "local-cluster: AppRole setup failed; the demo uses the admin token" >&2
  fi
  if [ -f "$approle/secret-id" ]; then
    demo_env+=(ConfigCluster__AppRoleLogin__RoleIdFile="$approle/role-id" ConfigCluster__AppRoleLogin__SecretIdFile="$approle/secret-id")
  else
    demo_env+=(ConfigCluster__Token="$CONFIGCLUSTER_BOOTSTRAP_TOKEN")
  fi
  for i in $(seq 1 "$nodes"); do
    demo_env+=("ConfigCluster__Endpoints__$((i - 1))=http://127.0.0.1:$((base_port + 10 * i + 2))")
  done
  (cd "$(dirname "$demo_dll")" && exec env "${demo_env[@]}" dotnet "$demo_dll") > >(sed -u "s/^/[demo] /") 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do
    curl -sf "$demo_url/health" >/dev/null 2>&1 && break
    sleep 0.2
  done
  echo "demo service: $demo_url/settings  $demo_url/health  (settings from keys demo.*)"
fi
url="${url:-http://127.0.0.1:$((base_port + 11))}"   # with --demo-only no node was started here
echo "data in $data_root; admin token in $data_root/admin.token"
echo "try: curl -H \"Authorization: Bearer \$(cat $data_root/admin.token)\" -X PUT $url/config/app.name -d '{\"value\":\"demo\"}'"
echo "Ctrl-C stops the cluster."
wait

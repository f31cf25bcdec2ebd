#!/usr/bin/env bash
# Where a node's memory goes: a three-node ConfigCluster on loopback, K keys written (loadgen fill),
# then per node resident memory split by kind of mapping (/proc/PID/smaps), the GC heap by generation
# and JIT figures (dotnet-counters, System.Runtime), and the cost of W idle watchers on one node.
#   benchmarks/footprint.sh [--keys K] [--watchers W] [--store-memory SIZE] [--value-bytes B] [--server-dll PATH]
# --server-dll runs that build as it is (to compare builds); by default build-server.sh builds the server.
# Defaults: 100,000 keys of 256 bytes, 1,000 watchers, --store-memory 64MiB (as compare-etcd.sh).
# Needs dotnet-counters (dotnet tool install -g dotnet-counters). Measure on an idle machine.
set -euo pipefail
keys=100000; watchers=1000; store_memory=64MiB; value_bytes=256; server_dll=""
while [ $# -gt 0 ]; do
  case "$1" in
    --keys) keys="$2"; shift 2 ;;
    --watchers) watchers="$2"; shift 2 ;;
    --store-memory) store_memory="$2"; shift 2 ;;
    --value-bytes) value_bytes="$2"; shift 2 ;;
    --server-dll) server_dll="$2"; shift 2 ;;
    *) echo "footprint: unknown option $1" >&2; exit 2 ;;
  esac
done
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d /tmp/cc-footprint.XXXXXX)"
export PATH="$PATH:$HOME/.dotnet/tools"
[ -n "$server_dll" ] || server_dll="$("$repo/benchmarks/build-server.sh")"
dotnet build "$repo/benchmarks/ConfigCluster.LoadGen" -c Release -v quiet -nologo >/dev/null
loadgen="dotnet $repo/benchmarks/ConfigCluster.LoadGen/bin/Release/net10.0/ConfigCluster.LoadGen.dll"

cluster_pid=""
cleanup() { [ -n "$cluster_pid" ] && kill -TERM "$cluster_pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
export CONFIGCLUSTER_STORE_MEMORY="$store_memory"
export CONFIGCLUSTER_BOOTSTRAP_TOKEN="cc_fp_$(head -c 16 /dev/urandom | base64 | tr -dc a-zA-Z0-9)"
"$repo/deploy/local-cluster.sh" --no-build --server-dll "$server_dll" --base-port 7500 --data-root "$work/cc" >"$work/cc.log" 2>&1 &
cluster_pid=$!
for _ in $(seq 1 120); do
  curl -sf -H "Authorization: Bearer $CONFIGCLUSTER_BOOTSTRAP_TOKEN" "http://127.0.0.1:7511/config?limit=1" >/dev/null 2>&1 && break
  sleep 0.5
done
pids=(); for i in 1 2 3; do pids+=("$(pgrep -f -- "--data-dir $work/cc/node$i" | head -1)"); done
eps=http://127.0.0.1:7512,http://127.0.0.1:7522,http://127.0.0.1:7532
echo "server: $server_dll; store memory $store_memory"
for i in 0 1 2; do echo "node$((i + 1)) idle after start: $(awk '/VmRSS/ {printf "%.1f MiB", $2 / 1024}' "/proc/${pids[$i]}/status")"; done
$loadgen --target configcluster --endpoints "$eps" --workload fill --clients 64 --keys "$keys" --value-bytes "$value_bytes" \
  --token "$CONFIGCLUSTER_BOOTSTRAP_TOKEN" --pids "$(IFS=,; echo "${pids[*]}")" | tee "$work/fill.json"

# GC and JIT counters and the heap's biggest types for node1 only (each tool costs seconds); smaps for all.
dotnet-counters collect -p "${pids[0]}" --counters System.Runtime --format json -o "$work/counters0.json" --duration 00:00:03 --refresh-interval 1 >/dev/null 2>&1 || true
for i in 0 1 2; do
  pid="${pids[$i]}"
  python3 - "$pid" "node$((i + 1))" "$work/counters$i.json" <<'PY'
import json, re, sys
pid, name, counters = sys.argv[1], sys.argv[2], sys.argv[3]
kinds = {}
def kind(path):
    if "doublemapper" in path: return "executable memory (JIT code, stubs; W^X double mapping)"
    if path.endswith(".dll"): return "mapped .dll images"
    if ".so" in path: return "native libraries (.so)"
    if "/cc/node" in path: return "data files mapped (WAL)"
    if path == "[heap]": return "native heap ([heap])"
    if path.startswith("[stack"): return "main stack"
    if path == "" : return "anonymous (GC heap, native allocations, thread stacks)"
    return "other (" + path.split("/")[-1][:30] + ")"
current = None
for line in open(f"/proc/{pid}/smaps"):
    if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
        parts = line.split(None, 5)
        current = kind(parts[5].strip() if len(parts) > 5 else "")
    elif line.startswith("Rss:"):
        kinds[current] = kinds.get(current, 0) + int(line.split()[1])
total = sum(kinds.values())
print(f"{name}: RSS {total / 1024:.1f} MiB")
for k, v in sorted(kinds.items(), key=lambda kv: -kv[1]):
    if v >= 1024: print(f"  {v / 1024:7.1f} MiB  {k}")
try:
    last = {}
    for line in open(counters):
        pass
    data = json.load(open(counters))
    for e in data.get("Events", []):
        last[(e["name"], e.get("tags", ""))] = e["value"]
    def mib(v): return f"{v / 1048576:.1f} MiB"
    gens = {t: v for (n, t), v in last.items() if "last_collection.heap.size" in n}
    frag = {t: v for (n, t), v in last.items() if "fragmentation" in n}
    for (n, t), v in sorted(last.items()):
        if any(s in n for s in ("committed", "jit", "assembly.count", "thread_pool.thread.count", "working_set")):
            print(f"  {n} {t}: {mib(v) if 'size' in n or 'set' in n else v}")
    print("  GC heap after last GC by generation: " + ", ".join(f"{t.split('=')[-1]} {mib(v)}" for t, v in sorted(gens.items())))
    print("  fragmentation: " + ", ".join(f"{t.split('=')[-1]} {mib(v)}" for t, v in sorted(frag.items())))
except Exception as error:
    print(f"  (no counters: {error})")
PY
done

if command -v dotnet-gcdump >/dev/null 2>&1 && dotnet-gcdump collect -p "${pids[0]}" -o "$work/node1.gcdump" >/dev/null 2>&1; then
  echo "node1 heap by type (dotnet-gcdump report, largest first):"
  dotnet-gcdump report "$work/node1.gcdump" 2>/dev/null | head -16
fi
echo "idle watchers on node2:"
$loadgen --target configcluster --endpoints http://127.0.0.1:7522 --workload idle-watch --watchers "$watchers" \
  --token "$CONFIGCLUSTER_BOOTSTRAP_TOKEN" --pids "${pids[1]}" --connections 16

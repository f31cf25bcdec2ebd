#!/usr/bin/env bash
# What idle gRPC watchers hold on a node, by type: one node on loopback, loadgen's idle-watch (W streams,
# 16 connections) held open while dotnet-gcdump takes the heap (it runs a full GC first), then the same
# after they closed; prints RSS by kind of mapping at each step and the live heap's growth per watcher,
# by type (largest first). Per type, bytes are the report's object size times the count (exact for
# fixed-size types; for arrays the report groups sizes, so the figure is approximate).
#   benchmarks/idle-watch-heap.sh [--watchers W] [--server-dll PATH] [--top N] [--mux]
# --mux: the watchers are watches on WatchMany streams (one per connection, 16) instead of one stream each.
# Needs dotnet-gcdump (dotnet tool install -g dotnet-gcdump). Measure on an idle machine.
set -euo pipefail
watchers=1000; server_dll=""; top=40; mux=()
while [ $# -gt 0 ]; do
  case "$1" in
    --watchers) watchers="$2"; shift 2 ;;
    --server-dll) server_dll="$2"; shift 2 ;;
    --top) top="$2"; shift 2 ;;
    --mux) mux=(--mux); shift ;;
    *) echo "idle-watch-heap: unknown option $1" >&2; exit 2 ;;
  esac
done
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d /tmp/cc-watch-heap.XXXXXX)"
export PATH="$PATH:$HOME/.dotnet/tools"
command -v dotnet-gcdump >/dev/null || { echo "idle-watch-heap: needs dotnet-gcdump (dotnet tool install -g dotnet-gcdump)" >&2; exit 1; }
[ -n "$server_dll" ] || server_dll="$("$repo/benchmarks/build-server.sh")"
dotnet build "$repo/benchmarks/ConfigCluster.LoadGen" -c Release -v quiet -nologo >/dev/null
loadgen="dotnet $repo/benchmarks/ConfigCluster.LoadGen/bin/Release/net10.0/ConfigCluster.LoadGen.dll"

export CONFIGCLUSTER_STORE_MEMORY=64MiB
export CONFIGCLUSTER_BOOTSTRAP_TOKEN="cc_wh_$(head -c 16 /dev/urandom | base64 | tr -dc a-zA-Z0-9)"
dotnet "$server_dll" --node-id n1 --http http://127.0.0.1:7611 --grpc http://127.0.0.1:7612 --raft 127.0.0.1:7613 \
  --members 127.0.0.1:7613 --data-dir "$work/data" >"$work/node.log" 2>&1 &
pid=$!
cleanup() { kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
for _ in $(seq 1 150); do curl -sf http://127.0.0.1:7611/health/live >/dev/null 2>&1 && break; sleep 0.2; done

rss() { # RSS by kind of mapping, as footprint.sh splits it
  python3 - "$pid" "$1" <<'PY'
import re, sys
pid, label = sys.argv[1], sys.argv[2]
kinds, cur = {}, None
def kind(p):
    if "doublemapper" in p: return "jit-code"
    if p.endswith(".dll"): return "dll"
    if ".so" in p: return "so"
    return "anon" if p == "" else "other"
for line in open(f"/proc/{pid}/smaps"):
    if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
        parts = line.split(None, 5); cur = kind(parts[5].strip() if len(parts) > 5 else "")
    elif line.startswith("Rss:"):
        kinds[cur] = kinds.get(cur, 0) + int(line.split()[1])
print(f"{label:28} RSS {sum(kinds.values()) / 1024:6.1f} MiB  " + "  ".join(f"{k} {v / 1024:.1f}" for k, v in sorted(kinds.items(), key=lambda kv: -kv[1])))
PY
}

args=(--target configcluster --endpoints http://127.0.0.1:7612 --workload idle-watch --connections 16 --token "$CONFIGCLUSTER_BOOTSTRAP_TOKEN" --pids "$pid" "${mux[@]}")
$loadgen "${args[@]}" --watchers 20 >/dev/null   # the watch path run once, 16 connections open
rss "warm (no watchers)"
$loadgen "${args[@]}" --watchers "$watchers" --hold 40 >"$work/idle.json" 2>"$work/idle.err" &
held=$!
for _ in $(seq 1 240); do grep -q held "$work/idle.err" 2>/dev/null && break; sleep 0.5; done
sleep 2
rss "$watchers watchers open"
dotnet-gcdump collect -p "$pid" -o "$work/open.gcdump" >/dev/null
rss "open, after the full GC"
wait "$held"
sleep 3
dotnet-gcdump collect -p "$pid" -o "$work/closed.gcdump" >/dev/null
rss "closed, after the full GC"
echo "loadgen: $(cat "$work/idle.json")"
dotnet-gcdump report "$work/open.gcdump" >"$work/open.txt"
dotnet-gcdump report "$work/closed.gcdump" >"$work/closed.txt"
python3 - "$work/closed.txt" "$work/open.txt" "$watchers" "$top" <<'PY'
import re, sys
def load(path):
    total, types = None, {}
    for line in open(path):
        if "GC Heap bytes" in line: total = int(line.split()[0].replace(",", ""))
        m = re.match(r"\s*([\d,]+)\s+([\d,]+)\s+(.*)$", line)
        if m:
            name = m.group(3).strip().split("  [")[0]
            count = int(m.group(2).replace(",", "")); size = int(m.group(1).replace(",", "")) * count
            b, c = types.get(name, (0, 0)); types[name] = (b + size, c + count)
    return total, types
(t0, a), (t1, b) = load(sys.argv[1]), load(sys.argv[2])
n, top = int(sys.argv[3]), int(sys.argv[4])
print(f"GC heap after a full GC: {t0 / 1048576:.1f} MiB closed, {t1 / 1048576:.1f} MiB open: {(t1 - t0) / n:.0f} B per watcher")
rows = sorted(((b.get(k, (0, 0))[0] - a.get(k, (0, 0))[0], b.get(k, (0, 0))[1] - a.get(k, (0, 0))[1], k) for k in set(a) | set(b)), reverse=True)
for size, count, name in rows[:top]:
    print(f"{size / n:8.1f} B {count / n:6.2f}  {name}")
PY

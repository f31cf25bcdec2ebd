#!/usr/bin/env bash
# Runs the same workloads against a three-node etcd and a three-node ConfigCluster on loopback,
# side by side, and prints a markdown table and one line of ratios:
#   ratios: put=X get=Y watch_p99=Z   (ConfigCluster over etcd for throughput, etcd over
#                                      ConfigCluster for latency: above 1.0 = we are ahead)
#   benchmarks/compare-etcd.sh [--seconds S] [--clients N] [--workloads "put get ..."] [--watchers W] [--fill-keys K]
#                              [--warmup S] [--value-bytes B] [--store-memory SIZE] [--steady-seconds S]
#                              [--server-dll PATH]   run that server build as it is (A/B of builds); default:
#                                                    benchmarks/build-server.sh (Release, ReadyToRun)
# Workloads: put1 put16 put64 put256 get get-serializable mix watch steady256 fill cold-get
#            cold-get-serializable restart leader-kill first-put1
#   first-put1: put from 1 client with no unmeasured warm-up of its own; first in the list with
#   --warmup 0 it is the first timed workload on fresh nodes (compare it with a later put1 row).
#   steady256: puts from 256 clients for --steady-seconds (default 60): throughput, errors and
#   leader changes (Raft term moves) under saturation; fill: K keys (default 1,000,000) once each,
#   then resident memory per node; cold-get(-serializable): random reads over the filled keys (most
#   are out of any cache: ConfigCluster runs with --store-memory, default 64MiB); restart: kill -9 of
#   node 3 and time until it is ready again (with the filled data); leader-kill: puts under load,
#   the leader is killed a third of the way in, the longest stretch without an acknowledged write
#   is reported. Every row also reports server CPU seconds per 1,000 operations and leader changes.
# Durability: both durable by default. etcd fsyncs its WAL before acknowledging; ConfigCluster
# (--durability fsync, the default) acknowledges once the entry is synced on a majority.
set -euo pipefail
seconds=10; clients=64; watchers=1000; fill_keys=1000000; warmup=20; value_bytes=256; store_memory=64MiB; steady_seconds=60; server_dll=""
workloads="put1 put16 put64 put256 get get-serializable mix watch steady256 fill cold-get cold-get-serializable restart leader-kill"
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --clients) clients="$2"; shift 2 ;;
    --workloads) workloads="$2"; shift 2 ;;
    --watchers) watchers="$2"; shift 2 ;;
    --fill-keys) fill_keys="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --value-bytes) value_bytes="$2"; shift 2 ;;
    --store-memory) store_memory="$2"; shift 2 ;;
    --steady-seconds) steady_seconds="$2"; shift 2 ;;
    --server-dll) server_dll="$2"; shift 2 ;;
    *) echo "compare-etcd: unknown option $1" >&2; exit 2 ;;
  esac
done
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d /tmp/cc-bench.XXXXXX)"
command -v etcd >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq etcd-server >/dev/null; }
[ -n "$server_dll" ] || server_dll="$("$repo/benchmarks/build-server.sh")"
dotnet build "$repo/benchmarks/ConfigCluster.LoadGen" -c Release -v quiet -nologo >/dev/null
loadgen="dotnet $repo/benchmarks/ConfigCluster.LoadGen/bin/Release/net10.0/ConfigCluster.LoadGen.dll"

pids=()
cleanup() { for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; if [ -n "${KEEP_WORK:-}" ]; then echo "kept $work" >&2; else rm -rf "$work"; fi; }
trap cleanup EXIT

cluster=e1=http://127.0.0.1:23801,e2=http://127.0.0.1:23802,e3=http://127.0.0.1:23803
for i in 1 2 3; do
  etcd --name e$i --data-dir "$work/e$i" --listen-client-urls http://127.0.0.1:2379$i --advertise-client-urls http://127.0.0.1:2379$i \
       --listen-peer-urls http://127.0.0.1:2380$i --initial-advertise-peer-urls http://127.0.0.1:2380$i \
       --initial-cluster "$cluster" --initial-cluster-state new --log-level error >"$work/e$i.log" 2>&1 &
  pids+=($!)
done
export CONFIGCLUSTER_STORE_MEMORY="$store_memory"
export CONFIGCLUSTER_BOOTSTRAP_TOKEN="cc_bench_$(head -c 16 /dev/urandom | base64 | tr -dc a-zA-Z0-9)"
"$repo/deploy/local-cluster.sh" --no-build --server-dll "$server_dll" --base-port 7400 --data-root "$work/cc" >"$work/cc.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 120); do
  curl -sf -H "Authorization: Bearer $CONFIGCLUSTER_BOOTSTRAP_TOKEN" "http://127.0.0.1:7411/config?limit=1" >/dev/null 2>&1 \
    && curl -sf http://127.0.0.1:23791/health >/dev/null 2>&1 && break
  sleep 0.5
done

etcd_eps=http://127.0.0.1:23791,http://127.0.0.1:23792,http://127.0.0.1:23793
cc_eps=http://127.0.0.1:7412,http://127.0.0.1:7422,http://127.0.0.1:7432
results="$work/results.jsonl"
etcd_pids() { local out=(); for i in 1 2 3; do out+=("$(pgrep -f -- "etcd --name e$i " | head -1)"); done; (IFS=,; echo "${out[*]}"); }
cc_pids() { local out=(); for i in 1 2 3; do out+=("$(pgrep -f -- "--data-dir $work/cc/node$i" | head -1)"); done; (IFS=,; echo "${out[*]}"); }
run() { # target endpoints workload clients [extra args]
  local target="$1" eps="$2" workload="$3" n="$4"; shift 4
  local extra=(--pids "$([ "$target" = etcd ] && etcd_pids || cc_pids)")
  [ "$target" = configcluster ] && extra+=(--token "$CONFIGCLUSTER_BOOTSTRAP_TOKEN")
  $loadgen --target "$target" --endpoints "$eps" --workload "$workload" --clients "$n" --seconds "$seconds" --watchers "$watchers" --value-bytes "$value_bytes" "${extra[@]}" "$@" >>"$results"
}
relabel() { # the last two rows (etcd, ConfigCluster) get workload name $1
  python3 - "$results" "$1" <<'RELABEL'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
for r in rows[-2:]:
    r["workload"] = sys.argv[2]
open(sys.argv[1], "w").write("".join(json.dumps(r) + "\n" for r in rows))
RELABEL
}
# kill -9 of a server, then the same command line again; sets $took to the seconds until URL
# answers 200. Not run in $(...): the relaunched server must join $pids so cleanup stops it.
restart() { # pid url
  local pid="$1" url="$2" cmd=() env=()
  mapfile -d '' cmd < "/proc/$pid/cmdline"; mapfile -d '' env < "/proc/$pid/environ"
  kill -9 "$pid"; while kill -0 "$pid" 2>/dev/null; do sleep 0.01; done
  local start; start=$(date +%s.%N)
  env -i "${env[@]}" "${cmd[@]}" >>"$work/restarted.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 3000); do curl -sf -o /dev/null "$url" && break; sleep 0.02; done
  took=$(python3 -c "print(round($(date +%s.%N) - $start, 2))")
}
# Steady state, not start-up: before anything is measured, both clusters serve a mixed load
# for $warmup seconds (ConfigCluster's JIT tiers up; etcd, compiled ahead of time, is unaffected).
# Each timed workload also runs 3 s unmeasured first. The restart row shows the cold cost.
$loadgen --target etcd --endpoints "$etcd_eps" --workload mix --clients 16 --seconds "$warmup" --warmup 0 >/dev/null
$loadgen --target configcluster --endpoints "$cc_eps" --workload mix --clients 16 --seconds "$warmup" --warmup 0 --token "$CONFIGCLUSTER_BOOTSTRAP_TOKEN" >/dev/null
for w in $workloads; do
  case "$w" in
    put*) n="${w#put}"; run etcd "$etcd_eps" put "$n"; run configcluster "$cc_eps" put "$n" ;;
    watch) run etcd "http://127.0.0.1:23791" watch 1; run configcluster "http://127.0.0.1:7412" watch 1 ;;
    steady256) run etcd "$etcd_eps" put 256 --seconds "$steady_seconds" --warmup 0; run configcluster "$cc_eps" put 256 --seconds "$steady_seconds" --warmup 0
      relabel steady ;;
    first-put1) run etcd "$etcd_eps" put 1 --warmup 0; run configcluster "$cc_eps" put 1 --warmup 0; relabel first-put ;;
    cold-get*) run etcd "$etcd_eps" "$w" "$clients" --keys "$fill_keys"; run configcluster "$cc_eps" "$w" "$clients" --keys "$fill_keys" ;;
    fill) run etcd "$etcd_eps" fill "$clients" --keys "$fill_keys"; run configcluster "$cc_eps" fill "$clients" --keys "$fill_keys" ;;
    restart)
      restart "$(pgrep -f -- "etcd --name e3 " | head -1)" http://127.0.0.1:23793/health; e=$took
      restart "$(pgrep -f -- "--data-dir $work/cc/node3" | head -1)" http://127.0.0.1:7431/health/ready; c=$took
      echo "{\"target\":\"etcd\",\"workload\":\"restart\",\"clients\":0,\"seconds\":$e}" >>"$results"
      echo "{\"target\":\"configcluster\",\"workload\":\"restart\",\"clients\":0,\"seconds\":$c}" >>"$results" ;;
    leader-kill) run etcd "$etcd_eps" leader-kill "$clients"; run configcluster "$cc_eps" leader-kill "$clients" ;;
    *) run etcd "$etcd_eps" "$w" "$clients"; run configcluster "$cc_eps" "$w" "$clients" ;;
  esac
done

python3 - "$results" "$seconds" "$fill_keys" "$value_bytes" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
seconds, fill_keys, value_bytes = sys.argv[2], sys.argv[3], sys.argv[4]
by = {}
for r in rows:
    by.setdefault((r["workload"], r["clients"]), {})[r["target"]] = r
print(f"| workload | clients | etcd ops/s | ConfigCluster ops/s | ratio | etcd p50/p99/p99.9/max ms | ConfigCluster p50/p99/p99.9/max ms | errors (etcd/cc) | leader changes (etcd/cc) | CPU s per 1k ops (etcd/cc) |")
print("|---|---|---|---|---|---|---|---|---|---|")
def lat(r): return f'{r["p50"]}/{r["p99"]}/{r["p999"]}/{r["max"]}'
special = []
for (w, c), t in by.items():
    e, cc = t.get("etcd"), t.get("configcluster")
    if not e or not cc: continue
    if w in ("restart",) or w.startswith("leader-kill"):
        special.append((w, e, cc)); continue
    ratio = cc["opsPerSec"] / e["opsPerSec"] if e["opsPerSec"] else 0
    extra = f' lost {e["lost"]}/{cc["lost"]}' if w.startswith("watch") else ""
    print(f'| {w} | {c} | {e["opsPerSec"]} | {cc["opsPerSec"]} | {ratio:.2f} | {lat(e)} | {lat(cc)} | {e["errors"]}/{cc["errors"]}{extra} | {e.get("leaderChanges", "?")}/{cc.get("leaderChanges", "?")} | {e.get("cpuPer1k", 0)}/{cc.get("cpuPer1k", 0)} |')
fill = by.get(("fill", next((c for (w, c) in by if w == "fill"), 0)), {})
print()
if "etcd" in fill and "configcluster" in fill:
    print(f'Resident memory after writing {fill_keys} keys (3 nodes together): etcd {fill["etcd"]["rssMiB"]} MiB, ConfigCluster {fill["configcluster"]["rssMiB"]} MiB; '
          f'per node etcd {fill["etcd"].get("rssPerNodeMiB")} ConfigCluster {fill["configcluster"].get("rssPerNodeMiB")} MiB '
          f'(ratio etcd/ConfigCluster {fill["etcd"]["rssMiB"] / max(fill["configcluster"]["rssMiB"], 0.1):.2f}).')
for w, e, cc in special:
    if w == "restart":
        print(f'Restart of one node holding those keys, kill -9 to ready: etcd {e["seconds"]} s, ConfigCluster {cc["seconds"]} s.')
    else:
        print(f'Leader killed under {cc["clients"]} writers, longest stretch without an acknowledged write: etcd {e["unavailableMs"]} ms, ConfigCluster {cc["unavailableMs"]} ms '
              f'(errors during the run: {e["errors"]}/{cc["errors"]}).')
print(f"{seconds} s per timed workload, after a shared warm-up (see the script); values of {value_bytes} bytes.")
print("Durability: both sync to disk on a majority before acknowledging (etcd WAL fsync; ConfigCluster --durability fsync).")
def get(w, c=None):
    for (ww, cc), t in by.items():
        if ww == w and (c is None or cc == c) and "etcd" in t and "configcluster" in t: return t
put = get("put", 64) or get("put"); rd = get("get"); wt = next((t for (w, _), t in by.items() if w.startswith("watch")), None)
f = lambda t: (t["configcluster"]["opsPerSec"] / t["etcd"]["opsPerSec"]) if t and t["etcd"]["opsPerSec"] else float("nan")
wp = (wt["etcd"]["p99"] / wt["configcluster"]["p99"]) if wt and wt["configcluster"]["p99"] else float("nan")
print(f"ratios: put={f(put):.2f} get={f(rd):.2f} watch_p99={wp:.2f}")
first, warm = get("first-put", 1), get("put", 1)
if first and warm:
    g = lambda t, s: t[s]["opsPerSec"]
    print(f"First timed workload on fresh nodes (put, 1 client, no warm-up) against the later put1 row: "
          f"etcd {g(first, 'etcd')} vs {g(warm, 'etcd')} ops/s ({g(first, 'etcd') / max(g(warm, 'etcd'), 0.1):.2f}), "
          f"ConfigCluster {g(first, 'configcluster')} vs {g(warm, 'configcluster')} ops/s ({g(first, 'configcluster') / max(g(warm, 'configcluster'), 0.1):.2f}).")
PY

#!/usr/bin/env bash
# Longer chaos run for people: repeats the round of faults (leader kills, follower kill and wipe,
# partitions both ways and one way, a throttled link, kill of every node, leader isolation, lossy
# links, a wall-clock jump of one node) in a
# seeded order until --duration seconds have roughly passed (one round takes ~60-90 s). The run
# prints its seed; CHAOS_SEED=n replays its choices. Needs root (network namespaces, iptables).
#   tests/chaos.sh --duration 600 [--no-build]   (--no-build: run the test build already there)
set -euo pipefail
duration=120
build=()
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration="$2"; shift 2 ;;
    --no-build) build=(--no-build); shift ;;
    *) echo "chaos: unknown option $1" >&2; exit 2 ;;
  esac
done
rounds=$(( duration / 75 )); [ "$rounds" -ge 1 ] || rounds=1
cd "$(dirname "${BASH_SOURCE[0]}")/.."
CHAOS_STRICT_WATCH=1 CHAOS_ROUNDS=$rounds dotnet test tests/ConfigCluster.Server.Tests "${build[@]}" --filter "FullyQualifiedName~ChaosTests" --logger "console;verbosity=detailed"

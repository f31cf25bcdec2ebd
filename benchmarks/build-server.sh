#!/usr/bin/env bash
# Builds the server the benchmarks run and prints the path of its ConfigCluster.Server.dll.
# compare-etcd.sh and footprint.sh both use it, so they always measure the same build: a Release
# publish for this machine's runtime, ReadyToRun-compiled as deploy/Dockerfile publishes it
# (src/ConfigCluster.Server/ConfigCluster.Server.csproj turns ReadyToRun on for a runtime publish).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$repo/src/ConfigCluster.Server/bin/Release/bench-publish"
dotnet publish "$repo/src/ConfigCluster.Server" -c Release --use-current-runtime --self-contained false -o "$out" -v quiet -nologo >/dev/null
echo "$out/ConfigCluster.Server.dll"

#!/usr/bin/env bash
# Builds the server the benchmarks run and prints the path of its ConfigCluster.Server.dll.
# compare-etcd.sh and footprint.sh both use it, so they always measure the same build.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dotnet build "$repo/src/ConfigCluster.Server" -c Release -v quiet -nologo >/dev/null
echo "$repo/src/ConfigCluster.Server/bin/Release/net10.0/ConfigCluster.Server.dll"

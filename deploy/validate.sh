#!/usr/bin/env bash
# Validates the deploy files without a Docker engine: compose syntax, Kubernetes YAML, and that
# compose, Kubernetes and the loopback script use the contract's option names.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if ! command -v docker-compose >/dev/null 2>&1; then
  (apt-get update -qq && apt-get install -y -qq docker-compose) >/dev/null 2>&1 || { echo "validate: cannot install docker-compose" >&2; exit 1; }
fi
docker-compose -f deploy/docker-compose.yml config -q
python3 - <<'PY'
import sys, yaml, glob
for f in sorted(glob.glob("deploy/k8s/*.yaml")):
    list(yaml.safe_load_all(open(f)))
PY
known="NODE_ID HTTP GRPC RAFT MEMBERS DATA_DIR SEED_FILE DEV MASTER_KEY_FILE MASTER_KEY BOOTSTRAP_TOKEN SNAPSHOT_INTERVAL MAX_VALUE_BYTES WRITE_TIMEOUT READ_TIMEOUT"
for f in deploy/docker-compose.yml deploy/k8s/statefulset.yaml deploy/Dockerfile; do
  for name in $(grep -o 'CONFIGCLUSTER_[A-Z_]*' "$f" | sort -u | sed 's/CONFIGCLUSTER_//'); do
    case " $known " in *" $name "*) ;; *) echo "validate: $f uses unknown option CONFIGCLUSTER_$name" >&2; exit 1 ;; esac
  done
done
for option in $(grep -o -- '--[a-z-]*' deploy/local-cluster.sh | sort -u); do
  case "$option" in --nodes|--base-port|--data-root|--seed-file|--no-build|--help|--node-id|--http|--grpc|--raft|--members|--data-dir) ;;
    *) grep -q -- "$option" README.md || { echo "validate: local-cluster.sh option $option is undocumented" >&2; exit 1; } ;;
  esac
done
for name in NODE_ID HTTP GRPC RAFT MEMBERS DATA_DIR; do
  grep -q "CONFIGCLUSTER_$name" deploy/docker-compose.yml || { echo "validate: compose lacks CONFIGCLUSTER_$name" >&2; exit 1; }
  grep -q "CONFIGCLUSTER_$name" deploy/k8s/statefulset.yaml || { echo "validate: k8s lacks CONFIGCLUSTER_$name" >&2; exit 1; }
done
echo "deploy files valid"

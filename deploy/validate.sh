#!/usr/bin/env bash
# Checks the deployment files without a Docker engine or a Kubernetes cluster:
#   1. deploy/docker-compose.yml parses (`docker-compose config -q`; installs Debian's
#      docker-compose with apt-get if it is missing);
#   2. every deploy/k8s/*.yaml parses, and kustomization.yaml lists them all
#      (plus `kubectl kustomize` when kubectl happens to be installed);
#   3. docker-compose.yml, the k8s StatefulSet, the Dockerfile and deploy/local-cluster.sh use only
#      the node options of the contract (shared/CONTRACT.md; options the README documents too),
#      all pass the same ones, and agree on the layout: node ids = service/pod names, peers by
#      DNS name, HTTP 7001 / gRPC 7002 / Raft 7003 in containers, and host ports 70N1/70N2 for
#      node N exactly as local-cluster.sh computes them (as the defaults of
#      CONFIGCLUSTER_NODEn_HTTP_PORT/_GRPC_PORT); Dockerfile.local (the registry-free image) keeps
#      Dockerfile's user, ports, volume and health check.
# Run from anywhere: `bash deploy/validate.sh`. Exits non-zero with a message naming the problem.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

fail() { echo "validate: FAILED: $*" >&2; exit 1; }

apt_install() {
  local log
  log=$(mktemp)
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"; } >"$log" 2>&1; then
    tail -n 5 "$log" >&2
    rm -f "$log"
    return 1
  fi
  rm -f "$log"
}

# ---- tools -------------------------------------------------------------------------------
if ! command -v docker-compose >/dev/null 2>&1; then
  echo "validate: docker-compose not found; installing Debian's package (apt-get)..."
  apt_install docker-compose || fail "docker-compose is missing and 'apt-get install docker-compose' failed (need root and Debian's package index)"
fi
if ! python3 -c 'import yaml' >/dev/null 2>&1; then
  echo "validate: PyYAML not found; installing python3-yaml (apt-get)..."
  apt_install python3-yaml || fail "python3 with PyYAML is needed ('apt-get install python3-yaml' failed)"
fi

# ---- 1. compose syntax ---------------------------------------------------------------------
# Values the host may have exported are left out so nothing secret is ever printed.
if ! out=$(env -u CONFIGCLUSTER_MASTER_KEY -u CONFIGCLUSTER_BOOTSTRAP_TOKEN \
             docker-compose -f deploy/docker-compose.yml config -q 2>&1); then
  echo "$out" >&2
  fail "deploy/docker-compose.yml: 'docker-compose config' rejected it (see above)"
fi
echo "ok   docker-compose config: deploy/docker-compose.yml"

# ---- 2. Kubernetes YAML --------------------------------------------------------------------
if command -v kubectl >/dev/null 2>&1; then
  out=$(kubectl kustomize deploy/k8s 2>&1 >/dev/null) || { echo "$out" >&2; fail "deploy/k8s: 'kubectl kustomize' failed (see above)"; }
  echo "ok   kubectl kustomize deploy/k8s"
fi

# ---- 2 + 3. parse everything and cross-check -------------------------------------------------
python3 - <<'PY' || fail "the deploy files disagree (see the lines above)"
import glob, os, re, sys
import yaml

problems = []
def problem(msg): problems.append(msg)
def ok(msg): print(f"ok   {msg}")

# -- the option names ------------------------------------------------------------------------
# The contract's node options (shared/CONTRACT.md, "The node process") and its environment-only
# settings. Where shared/ sits beside the repository (CI), its tables are read too, so an option
# added there is accepted here without editing this list.
CONTRACT_OPTIONS = {"node-id", "http", "grpc", "raft", "members", "data-dir", "seed-file", "dev", "master-key-file"}
ENV_ONLY = {"MASTER_KEY", "BOOTSTRAP_TOKEN"}
def table_options(markdown):
    """`--name` options in the first cell of markdown table rows."""
    found = set()
    for line in markdown.splitlines():
        if line.startswith("|") and line.count("|") >= 3:
            found |= set(re.findall(r"`--([a-z][a-z-]*)", line.split("|")[1]))
    return found

for contract in ("../shared/CONTRACT.md", "shared/CONTRACT.md"):
    if os.path.isfile(contract):
        text = open(contract, encoding="utf-8").read()
        CONTRACT_OPTIONS |= table_options(text)
        ENV_ONLY |= set(re.findall(r"^\|\s*`CONFIGCLUSTER_([A-Z_]+)`", text, re.M))
        break
# Further node options the README documents ("Running a node" table) are legitimate too.
readme = open("README.md", encoding="utf-8").read() if os.path.isfile("README.md") else ""
README_OPTIONS = table_options(readme)
KNOWN = CONTRACT_OPTIONS | README_OPTIONS
# The server's option catalog, when it can be read, must hold every option used (a typo in an
# environment variable is otherwise silently ignored by the node).
PARSER_OPTIONS = None
parser_file = "src/ConfigCluster.Server/Hosting/NodeOptionCatalog.cs"
if os.path.isfile(parser_file):
    src = open(parser_file, encoding="utf-8").read()
    found = set(re.findall(r'^\s*new\("([a-z][a-z-]*)",', src, re.M))
    if found:
        PARSER_OPTIONS = found
    else:
        problem(f"{parser_file}: no options found (expected lines like new(\"data-dir\", ...))")

REQUIRED = ["node-id", "http", "grpc", "raft", "members", "data-dir"]
# TLS by default outside local development: compose and Kubernetes run HTTPS, gRPC over TLS and
# mutual TLS between the nodes (local-cluster.sh, a loopback dev cluster, does not).
TLS_OPTIONS = ["tls-cert", "tls-key", "peer-tls-cert", "peer-tls-key", "peer-tls-ca"]

def env_to_option(name):
    return name[len("CONFIGCLUSTER_"):].lower().replace("_", "-")

def check_names(where, options, env_only=()):
    for o in sorted(options):
        if o not in KNOWN:
            problem(f"{where}: --{o} / CONFIGCLUSTER_{o.upper().replace('-', '_')} is not a contract option "
                    f"(known: {', '.join(sorted(KNOWN))})")
        elif PARSER_OPTIONS is not None and o not in PARSER_OPTIONS:
            problem(f"{where}: --{o} is documented but {parser_file} does not accept it")
    for e in sorted(env_only):
        if e not in ENV_ONLY:
            problem(f"{where}: CONFIGCLUSTER_{e} is not a contract setting")

def split_env(names):
    """CONFIGCLUSTER_* names -> (node options, environment-only settings)."""
    options, env_only = set(), set()
    for n in names:
        short = n[len("CONFIGCLUSTER_"):]
        if short in ENV_ONLY:
            env_only.add(short)
        else:
            options.add(env_to_option(n))
    return options, env_only

def load_all(path):
    try:
        with open(path, encoding="utf-8") as f:
            return [d for d in yaml.safe_load_all(f) if d is not None]
    except yaml.YAMLError as e:
        problem(f"{path}: not valid YAML: {e}")
        return []

def hostport(text):
    host, _, port = text.rpartition(":")
    return host, int(port) if port.isdigit() else None

def url_parts(url):
    m = re.fullmatch(r"(https?)://([^:/]+):(\d+)/?", url or "")
    return (m.group(2), int(m.group(3))) if m else (None, None)

# -- local-cluster.sh: options it passes to each node, and its port layout -------------------
script = open("deploy/local-cluster.sh", encoding="utf-8").read()
# The node's arguments are built in `args=(...)` / `args+=(...)` up to `dotnet "$dll" "${args[@]}"`.
m = re.search(r"\bargs=\((.*?)\"\$\{args\[@\]\}\"", script, re.S)
if not m:
    problem("deploy/local-cluster.sh: cannot find the node arguments (args=( ... ) ... \"${args[@]}\")")
local_options = set(re.findall(r"(?<![\w-])--([a-z][a-z-]*)", m.group(1) if m else ""))
local_env = set(re.findall(r"\bCONFIGCLUSTER_[A-Z_]+", script))
_, local_env_only = split_env(local_env)
check_names("deploy/local-cluster.sh", local_options, local_env_only)
for o in REQUIRED:
    if o not in local_options:
        problem(f"deploy/local-cluster.sh: does not pass --{o}")
m = re.search(r"^base_port=(\d+)", script, re.M)
base = int(m.group(1)) if m else None
if base is None:
    problem("deploy/local-cluster.sh: no 'base_port=N' default found")
for option, offset in (("http", 1), ("grpc", 2), ("raft", 3)):
    if not re.search(rf"--{option}\s+\"[^\"]*\$\(\(base_port \+ 10 \* i \+ {offset}\)\)", script):
        problem(f"deploy/local-cluster.sh: --{option} is no longer base_port + 10*i + {offset}; update the layout here and in docker-compose.yml")
local_node_options = local_options - {"seed-file"}   # --seed-file is passed only when asked for
ok(f"deploy/local-cluster.sh passes {', '.join('--' + o for o in sorted(local_options))}; node N on {base}+10N+1/2/3")

# -- docker-compose.yml ------------------------------------------------------------------------
compose_docs = load_all("deploy/docker-compose.yml")
compose = compose_docs[0] if compose_docs else {}
services = (compose or {}).get("services") or {}
# Services behind a compose profile (the demo microservice, `--profile demo`) are not nodes.
services = {k: v for k, v in services.items() if not (v or {}).get("profiles")}
names = sorted(services, key=lambda s: int(re.sub(r"\D", "", s) or 0))
if [f"node{i}" for i in range(1, len(names) + 1)] != names or len(names) < 3:
    problem(f"deploy/docker-compose.yml: services should be node1..nodeN (N >= 3), found {names}")
compose_sets = {}
for i, name in enumerate(names, start=1):
    svc = services[name] or {}
    where = f"deploy/docker-compose.yml {name}"
    env = svc.get("environment") or {}
    if isinstance(env, list):
        env = dict(e.split("=", 1) if "=" in e else (e, None) for e in env)
    env = {k: ("" if v is None else str(v)) for k, v in env.items()}
    opts, env_only = split_env([k for k in env if k.startswith("CONFIGCLUSTER_")])
    cmd = svc.get("command") or []
    if isinstance(cmd, str):
        cmd = cmd.split()
    opts |= {a[2:].split("=", 1)[0] for a in cmd if a.startswith("--")}
    check_names(where, opts, env_only)
    compose_sets[name] = opts
    for o in REQUIRED + TLS_OPTIONS:
        if o not in opts:
            problem(f"{where}: CONFIGCLUSTER_{o.upper().replace('-', '_')} is not set")
    if not all(env.get(n, "").startswith("https://") for n in ("CONFIGCLUSTER_HTTP", "CONFIGCLUSTER_GRPC")):
        problem(f"{where}: CONFIGCLUSTER_HTTP/GRPC should be https:// URLs (TLS by default)")
    for e in ("MASTER_KEY", "BOOTSTRAP_TOKEN"):
        if e not in env_only:
            problem(f"{where}: CONFIGCLUSTER_{e} is not passed through from the host")
    if env.get("CONFIGCLUSTER_NODE_ID") != name:
        problem(f"{where}: CONFIGCLUSTER_NODE_ID should equal the service name ({name}) so /cluster/status's leaderId names the service")
    raft_host, raft_port = hostport(env.get("CONFIGCLUSTER_RAFT", ""))
    http_host, http_port = url_parts(env.get("CONFIGCLUSTER_HTTP"))
    grpc_host, grpc_port = url_parts(env.get("CONFIGCLUSTER_GRPC"))
    if (raft_host, http_host, grpc_host) != (name, name, name):
        problem(f"{where}: --raft/--http/--grpc must use the service name '{name}' (peers reach the announced names)")
    if (http_port, grpc_port, raft_port) != (7001, 7002, 7003):
        problem(f"{where}: container ports should be http 7001, grpc 7002, raft 7003; found {http_port}, {grpc_port}, {raft_port}")
    members = [m.strip() for m in env.get("CONFIGCLUSTER_MEMBERS", "").split(",") if m.strip()]
    expected_members = [f"{n}:7003" for n in names]
    if members != expected_members:
        problem(f"{where}: CONFIGCLUSTER_MEMBERS should be {','.join(expected_members)}")
    published = set()
    for p in svc.get("ports") or []:
        if isinstance(p, dict):
            published.add((int(p.get("published")), int(p.get("target"))))
        else:
            # A host port may come from a variable with the layout's port as its default:
            # ${CONFIGCLUSTER_NODEn_HTTP_PORT:-70n1} / ${CONFIGCLUSTER_NODEn_GRPC_PORT:-70n2}.
            text = str(p).split("/")[0]
            for var, default in re.findall(r"\$\{([A-Za-z0-9_]+):-(\d+)\}", text):
                kind = {base + 10 * i + 1: "HTTP", base + 10 * i + 2: "GRPC"}.get(int(default)) if base is not None else None
                if var != f"CONFIGCLUSTER_NODE{i}_{kind}_PORT":
                    problem(f"{where}: host port {default} comes from ${{{var}}}; expected CONFIGCLUSTER_NODE{i}_{kind or 'HTTP/GRPC'}_PORT")
            text = re.sub(r"\$\{[A-Za-z0-9_]+:-(\d+)\}", r"\1", text)
            parts = text.split(":")
            if len(parts) >= 2 and parts[-2].isdigit() and parts[-1].isdigit():
                published.add((int(parts[-2]), int(parts[-1])))
            else:
                problem(f"{where}: cannot read the port mapping {p!r}")
    if base is not None:
        want = {(base + 10 * i + 1, http_port), (base + 10 * i + 2, grpc_port)}
        if published != want:
            problem(f"{where}: ports should be {sorted(want)} (host:container, as local-cluster.sh node{i}), found {sorted(published)}")
    data_dir = env.get("CONFIGCLUSTER_DATA_DIR")
    mounts = [v if isinstance(v, str) else f"{v.get('source')}:{v.get('target')}" for v in svc.get("volumes") or []]
    if not any(m.split(":")[1:2] == [data_dir] and not m.startswith(("/", ".")) for m in mounts):
        problem(f"{where}: needs a named volume mounted at CONFIGCLUSTER_DATA_DIR ({data_dir})")
    if not (svc.get("healthcheck") or {}).get("test"):
        problem(f"{where}: no healthcheck")
    if svc.get("restart") != "unless-stopped":
        problem(f"{where}: restart should be unless-stopped")
    if svc.get("image") != "${CONFIGCLUSTER_IMAGE:-configcluster:local}":
        problem(f"{where}: image should be ${{CONFIGCLUSTER_IMAGE:-configcluster:local}} (both build paths tag that name)")
if len({frozenset(s) for s in compose_sets.values()}) > 1:
    problem(f"deploy/docker-compose.yml: services pass different options: {compose_sets}")
compose_options = set().union(*compose_sets.values()) if compose_sets else set()
ok(f"deploy/docker-compose.yml: {len(names)} nodes, host ports as local-cluster.sh, options {', '.join(sorted(compose_options))}")

# -- Kubernetes --------------------------------------------------------------------------------
docs = {}
files = sorted(glob.glob("deploy/k8s/*.yaml")) + sorted(glob.glob("deploy/k8s/*.yml"))
for f in files:
    docs[f] = load_all(f)
ok(f"YAML parses: {', '.join(os.path.basename(f) for f in files)}")
kust = (docs.get("deploy/k8s/kustomization.yaml") or [{}])[0] or {}
listed = set(kust.get("resources") or [])
on_disk = {os.path.basename(f) for f in files if os.path.basename(f) not in ("kustomization.yaml", "kustomization.yml")}
if listed != on_disk:
    problem(f"deploy/k8s/kustomization.yaml: resources {sorted(listed)} should list exactly {sorted(on_disk)}")
objects = [(f, d) for f, ds in docs.items() if not f.endswith(("kustomization.yaml", "kustomization.yml")) for d in ds]
for f, d in objects:
    if not isinstance(d, dict) or not d.get("apiVersion") or not d.get("kind") or not (d.get("metadata") or {}).get("name"):
        problem(f"{f}: every document needs apiVersion, kind and metadata.name")
    elif (d.get("metadata") or {}).get("namespace"):
        problem(f"{f}: {d['kind']} {d['metadata']['name']} sets a namespace; the manifests are namespace-agnostic")
by_kind = {}
for f, d in objects:
    if isinstance(d, dict):
        by_kind.setdefault(d.get("kind"), []).append(d)

sts_list = by_kind.get("StatefulSet") or []
if len(sts_list) != 1:
    problem(f"deploy/k8s: expected one StatefulSet, found {len(sts_list)}")
else:
    sts = sts_list[0]
    where = "deploy/k8s StatefulSet"
    spec = sts.get("spec") or {}
    name, svc_name, replicas = sts["metadata"]["name"], spec.get("serviceName"), spec.get("replicas")
    pod = ((spec.get("template") or {}).get("spec")) or {}
    containers = pod.get("containers") or []
    if spec.get("podManagementPolicy") != "Parallel":
        problem(f"{where}: podManagementPolicy should be Parallel (pods are ready only once a majority is up)")
    if not containers:
        problem(f"{where}: no containers")
    else:
        c = containers[0]
        env_list = c.get("env") or []
        env = {e.get("name"): e for e in env_list}
        opts, env_only = split_env([n for n in env if n and n.startswith("CONFIGCLUSTER_")])
        args = [str(a) for a in (c.get("args") or []) + (c.get("command") or [])]
        opts |= {a[2:].split("=", 1)[0] for a in args if a.startswith("--")}
        check_names(where, opts, env_only)
        for o in REQUIRED + TLS_OPTIONS:
            if o not in opts:
                problem(f"{where}: CONFIGCLUSTER_{o.upper().replace('-', '_')} is not set")
        value = lambda n: str((env.get(n) or {}).get("value") or "")
        node_id = env.get("CONFIGCLUSTER_NODE_ID") or {}
        if ((node_id.get("valueFrom") or {}).get("fieldRef") or {}).get("fieldPath") != "metadata.name":
            problem(f"{where}: CONFIGCLUSTER_NODE_ID should come from metadata.name (downward API)")
        pod_name = env.get("POD_NAME") or {}
        if ((pod_name.get("valueFrom") or {}).get("fieldRef") or {}).get("fieldPath") != "metadata.name":
            problem(f"{where}: POD_NAME should come from metadata.name (downward API)")
        elif env_list.index(pod_name) > min(env_list.index(env[n]) for n in ("CONFIGCLUSTER_HTTP", "CONFIGCLUSTER_GRPC", "CONFIGCLUSTER_RAFT") if n in env):
            problem(f"{where}: POD_NAME must be defined before the variables that use $(POD_NAME)")
        stable = f"$(POD_NAME).{svc_name}"
        if value("CONFIGCLUSTER_RAFT") != f"{stable}:7003":
            problem(f"{where}: CONFIGCLUSTER_RAFT should be {stable}:7003")
        if url_parts(value("CONFIGCLUSTER_HTTP")) != (stable, 7001) or url_parts(value("CONFIGCLUSTER_GRPC")) != (stable, 7002) \
                or not all(value(n).startswith("https://") for n in ("CONFIGCLUSTER_HTTP", "CONFIGCLUSTER_GRPC")):
            problem(f"{where}: CONFIGCLUSTER_HTTP/GRPC should be https://{stable}:7001 / :7002")
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            if ((c.get(probe) or {}).get("httpGet") or {}).get("scheme") != "HTTPS":
                problem(f"{where}: {probe} should use scheme: HTTPS (the listeners are TLS)")
        members = [m.strip() for m in value("CONFIGCLUSTER_MEMBERS").split(",") if m.strip()]
        expected = [f"{name}-{i}.{svc_name}:7003" for i in range(int(replicas or 0))]
        if members != expected:
            problem(f"{where}: CONFIGCLUSTER_MEMBERS should list the {replicas} pods: {','.join(expected)}")
        for e in ("MASTER_KEY", "BOOTSTRAP_TOKEN"):
            ref = ((env.get(f"CONFIGCLUSTER_{e}") or {}).get("valueFrom") or {}).get("secretKeyRef") or {}
            if ref.get("name") != "configcluster-secrets" or ref.get("optional") is not True:
                problem(f"{where}: CONFIGCLUSTER_{e} should come from secret configcluster-secrets with optional: true")
        ports = {p.get("containerPort") for p in c.get("ports") or []}
        if not {7001, 7002, 7003} <= ports:
            problem(f"{where}: containerPorts should include 7001, 7002, 7003")
        if ((c.get("readinessProbe") or {}).get("httpGet") or {}).get("path") != "/health/ready":
            problem(f"{where}: readinessProbe should GET /health/ready")
        if ((c.get("livenessProbe") or {}).get("httpGet") or {}).get("path") != "/health/live":
            problem(f"{where}: livenessProbe should GET /health/live")
        mounts = {m.get("mountPath"): m.get("name") for m in c.get("volumeMounts") or []}
        claims = {(t.get("metadata") or {}).get("name") for t in spec.get("volumeClaimTemplates") or []}
        if mounts.get(value("CONFIGCLUSTER_DATA_DIR")) not in claims:
            problem(f"{where}: CONFIGCLUSTER_DATA_DIR must be a volumeClaimTemplate mount")
        if not (pod.get("securityContext") or {}).get("runAsNonRoot"):
            problem(f"{where}: securityContext.runAsNonRoot should be true")
        if not (c.get("resources") or {}).get("requests") or not (c.get("resources") or {}).get("limits"):
            problem(f"{where}: set resources requests and limits")
        if sorted(opts) != sorted(compose_options):
            problem(f"{where} passes {sorted(opts)} but docker-compose.yml passes {sorted(compose_options)}")
    headless = [s for s in by_kind.get("Service") or [] if s["metadata"]["name"] == svc_name]
    if not headless or (headless[0].get("spec") or {}).get("clusterIP") != "None" or not (headless[0].get("spec") or {}).get("publishNotReadyAddresses"):
        problem(f"deploy/k8s: headless Service '{svc_name}' (clusterIP: None, publishNotReadyAddresses: true) is missing")
    if not by_kind.get("PodDisruptionBudget"):
        problem("deploy/k8s: no PodDisruptionBudget")
    secret = [s for s in by_kind.get("Secret") or [] if s["metadata"]["name"] == "configcluster-secrets"]
    if not secret or not {"CONFIGCLUSTER_MASTER_KEY", "CONFIGCLUSTER_BOOTSTRAP_TOKEN"} <= set((secret[0].get("stringData") or {}) | (secret[0].get("data") or {})):
        problem("deploy/k8s: Secret configcluster-secrets with CONFIGCLUSTER_MASTER_KEY and CONFIGCLUSTER_BOOTSTRAP_TOKEN is missing")
    if not problems:
        ok(f"deploy/k8s: StatefulSet of {replicas} behind '{svc_name}', same options as compose, secrets optional")

# -- Dockerfile --------------------------------------------------------------------------------
dockerfile = open("deploy/Dockerfile", encoding="utf-8").read()
opts, env_only = split_env(set(re.findall(r"\bCONFIGCLUSTER_[A-Z_]+", dockerfile)))
check_names("deploy/Dockerfile", opts, env_only)
if not re.search(r'^ENTRYPOINT \["dotnet", "ConfigCluster.Server.dll"\]\s*$', dockerfile, re.M):
    problem('deploy/Dockerfile: ENTRYPOINT should be ["dotnet", "ConfigCluster.Server.dll"]')
user = re.findall(r"^USER\s+(\S+)", dockerfile, re.M)
if not user or user[-1].split(":")[0] in ("0", "root"):
    problem("deploy/Dockerfile: the runtime stage must switch to a non-root USER")
if not re.search(r"^EXPOSE\s+7001\s+7002\s+7003\s*$", dockerfile, re.M):
    problem("deploy/Dockerfile: EXPOSE 7001 7002 7003 (http, grpc, raft)")
if "/health/live" not in dockerfile or not re.search(r"^HEALTHCHECK\s", dockerfile, re.M):
    problem("deploy/Dockerfile: HEALTHCHECK on /health/live is missing")
if not problems:
    ok("deploy/Dockerfile: non-root, EXPOSE 7001-7003, HEALTHCHECK, contract ENTRYPOINT")

# -- Dockerfile.local (the registry-free image, deploy/build-local-image.sh): same contract ------
local_dockerfile = open("deploy/Dockerfile.local", encoding="utf-8").read()
def healthcheck(text):
    """The HEALTHCHECK instruction with its continuation lines, whitespace normalised."""
    lines = text.splitlines()
    for n, line in enumerate(lines):
        if line.startswith("HEALTHCHECK"):
            parts = [line]
            while parts[-1].rstrip().endswith("\\") and n + len(parts) < len(lines):
                parts.append(lines[n + len(parts)])
            return " ".join(" ".join(p.rstrip().rstrip("\\").split()) for p in parts)
    return None
before = len(problems)
if not re.search(r'^ENTRYPOINT \["/app/ConfigCluster.Server"\]\s*$', local_dockerfile, re.M):
    problem('deploy/Dockerfile.local: ENTRYPOINT should be ["/app/ConfigCluster.Server"] (the self-contained apphost)')
local_user = re.findall(r"^USER\s+(\S+)", local_dockerfile, re.M)
if local_user[-1:] != user[-1:]:
    problem(f"deploy/Dockerfile.local: USER {local_user[-1:]} differs from deploy/Dockerfile's {user[-1:]}")
if not re.search(r"^EXPOSE\s+7001\s+7002\s+7003\s*$", local_dockerfile, re.M):
    problem("deploy/Dockerfile.local: EXPOSE 7001 7002 7003 (http, grpc, raft)")
if healthcheck(local_dockerfile) is None or healthcheck(local_dockerfile) != healthcheck(dockerfile):
    problem("deploy/Dockerfile.local: HEALTHCHECK differs from deploy/Dockerfile's")
for line in ("VOLUME", "ENV ASPNETCORE_HTTP_PORTS"):
    if not re.search(rf"^{line}", local_dockerfile, re.M):
        problem(f"deploy/Dockerfile.local: no {line} line (deploy/Dockerfile has one)")
if len(problems) == before:
    ok("deploy/Dockerfile.local: same USER, EXPOSE, VOLUME and HEALTHCHECK as deploy/Dockerfile; apphost ENTRYPOINT")

if not local_node_options <= compose_options:
    problem(f"local-cluster.sh passes {sorted(local_node_options - compose_options)} that docker-compose.yml does not")

if problems:
    for p in problems:
        print(f"validate: {p}", file=sys.stderr)
    sys.exit(1)
PY
echo "deploy files valid"

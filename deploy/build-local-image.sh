#!/usr/bin/env bash
# Builds the node image with no container registry at all (deploy/Dockerfile needs
# mcr.microsoft.com; this does not):
#   1. a base image: a Debian minbase root file system made by debootstrap from this machine's apt
#      sources, plus what a self-contained .NET server needs (libc, libstdc++, libssl, zlib,
#      ca-certificates, tzdata) and curl for the health check; the configcluster user and group
#      (10001) and /data owned by them; imported with `docker import` as configcluster-base:KEY.
#      The root file system is cached as a tarball, keyed by the package list, the suite and this
#      recipe's version: ${CONFIGCLUSTER_CACHE_DIR:-~/.cache/configcluster}/base-KEY.tar
#      (cold: about 1.5 min; warm: the import only, seconds);
#   2. `dotnet publish src/ConfigCluster.Server -c Release -r linux-x64 --self-contained` of a copy
#      of the sources (the same files deploy/Dockerfile copies), so the work tree's bin/ and obj/
#      are left alone;
#   3. `docker build` of deploy/Dockerfile.local on top of the base: the published server, uid
#      10001, /data volume, ports 7001-7003, the same HEALTHCHECK as deploy/Dockerfile.
#
# Usage (as root, for debootstrap; from anywhere):
#   bash deploy/build-local-image.sh              # tags ${CONFIGCLUSTER_IMAGE:-configcluster:local}
#   bash deploy/build-local-image.sh --base-only  # only fills the tarball cache (no Docker engine needed)
# The engine is the docker CLI's (DOCKER_HOST if set). DEBIAN_MIRROR and DEBIAN_SUITE override
# the mirror and suite read from /etc/apt/sources.list(.d).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)

base_only=false
case "${1:-}" in
  "") ;;
  --base-only) base_only=true ;;
  *) echo "usage: bash deploy/build-local-image.sh [--base-only]" >&2; exit 2 ;;
esac
image=${CONFIGCLUSTER_IMAGE:-configcluster:local}
cache=${CONFIGCLUSTER_CACHE_DIR:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/configcluster}
# Bump when the recipe below changes in a way the package list does not show.
recipe=1
packages="ca-certificates curl libssl3 libstdc++6 tzdata zlib1g"

say() { echo "build-local-image: $*"; }
fail() { echo "build-local-image: FAILED: $*" >&2; exit 1; }
tools="sha256sum tar flock"
$base_only || tools="$tools docker dotnet"
for tool in $tools; do
  command -v "$tool" >/dev/null 2>&1 || fail "$tool is not on PATH"
done

# ---- the Debian mirror and suite this machine's apt uses ----------------------------------------
mirror=${DEBIAN_MIRROR:-} suite=${DEBIAN_SUITE:-}
if [ -z "$mirror" ] || [ -z "$suite" ]; then
  # deb822 (*.sources): the first stanza whose URIs end in /debian; else one-line sources.list.
  read -r found_mirror found_suite < <(
    { cat /etc/apt/sources.list.d/*.sources 2>/dev/null; echo; } | awk '
      /^[ \t]*$/ { if (uri != "" && suite != "") { print uri, suite; exit } uri = ""; suite = ""; next }
      tolower($1) == "uris:" { for (i = 2; i <= NF; i++) if ($i ~ /\/debian\/?$/) { uri = $i; break } }
      tolower($1) == "suites:" { suite = $2 }'
    echo ""
  ) || true
  if [ -z "${found_mirror:-}" ]; then
    read -r found_mirror found_suite < <(
      cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
        | awk '$1 == "deb" && $2 !~ /^\[/ && $2 ~ /\/debian\/?$/ { print $2, $3; exit }'
      echo ""
    ) || true
  fi
  mirror=${mirror:-${found_mirror:-http://deb.debian.org/debian}}
  suite=${suite:-${found_suite:-bookworm}}
fi

key=$(printf 'recipe=%s\nsuite=%s\npackages=%s\n' "$recipe" "$suite" "$packages" | sha256sum | cut -c1-12)
base_tag="configcluster-base:$key"
tarball="$cache/base-$key.tar"

# ---- 1. the base root file system (cached) ------------------------------------------------------
mkdir -p "$cache"
exec 9>"$cache/base-$key.lock"
flock 9   # one builder at a time per key; the others wait and then find the tarball
if [ ! -s "$tarball" ]; then
  command -v debootstrap >/dev/null 2>&1 || fail "debootstrap is not installed (apt-get install debootstrap)"
  [ "$(id -u)" = 0 ] || fail "debootstrap needs root"
  say "base $key: debootstrap --variant=minbase $suite from $mirror (cached afterwards in $tarball)"
  started=$SECONDS
  work=$(mktemp -d "$cache/rootfs-$key.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  log="$work/debootstrap.log"
  if ! debootstrap --variant=minbase --include="${packages// /,}" "$suite" "$work/root" "$mirror" >"$log" 2>&1; then
    tail -n 20 "$log" >&2
    fail "debootstrap failed (log above)"
  fi
  r="$work/root"
  # What a server image does not need: package lists and caches, docs, man pages, translations.
  rm -rf "$r"/var/cache/apt/* "$r"/var/lib/apt/lists/* "$r"/usr/share/doc/* "$r"/usr/share/man/* \
         "$r"/usr/share/info/* "$r"/usr/share/locale/* "$r"/var/log/* "$r"/tmp/*
  groupadd --root "$r" --gid 10001 configcluster
  useradd --root "$r" --uid 10001 --gid 10001 --no-log-init --no-create-home --home-dir /nonexistent \
    --shell /usr/sbin/nologin configcluster
  install -d -o 10001 -g 10001 -m 0750 "$r/data"
  tar --numeric-owner -C "$r" -cf "$work/base.tar" .
  mv "$work/base.tar" "$tarball"
  rm -rf "$work"
  trap - EXIT
  say "base $key: built in $((SECONDS - started)) s ($(du -h "$tarball" | cut -f1))"
fi
if $base_only; then
  say "base $key: $tarball"
  exit 0
fi
if ! docker image inspect "$base_tag" >/dev/null 2>&1; then
  say "importing $tarball as $base_tag"
  docker import --message "configcluster base: debootstrap minbase $suite + $packages" "$tarball" "$base_tag" >/dev/null
fi
flock -u 9

# ---- 2. the self-contained server ---------------------------------------------------------------
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
mkdir -p "$ctx/src/src"
cp global.json Directory.Build.props Directory.Packages.props .editorconfig "$ctx/src/"
cp -r proto "$ctx/src/proto"
tar -C src --exclude=bin --exclude=obj -cf - . | tar -C "$ctx/src/src" -xf -
say "dotnet publish src/ConfigCluster.Server -c Release -r linux-x64 --self-contained"
started=$SECONDS
if ! (cd "$ctx/src" && dotnet publish src/ConfigCluster.Server/ConfigCluster.Server.csproj -c Release -r linux-x64 \
        --self-contained -nologo -v q -o "$ctx/app") >"$ctx/publish.log" 2>&1; then
  tail -n 30 "$ctx/publish.log" >&2
  fail "dotnet publish failed (log above)"
fi
say "published in $((SECONDS - started)) s"

# ---- 3. the image -------------------------------------------------------------------------------
cp deploy/Dockerfile.local "$ctx/Dockerfile"
printf 'src\npublish.log\n' >"$ctx/.dockerignore"
# The legacy builder: plain COPY needs nothing more, and it works with any engine and CLI.
if ! DOCKER_BUILDKIT=0 docker build -q --build-arg "BASE=$base_tag" -t "$image" "$ctx" >"$ctx/build.log" 2>&1; then
  cat "$ctx/build.log" >&2
  fail "docker build failed (log above)"
fi
say "built $image (base $base_tag)"

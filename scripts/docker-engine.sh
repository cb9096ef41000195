#!/usr/bin/env bash
# Makes Docker usable on a machine without a running engine or an image registry:
#   1. starts dockerd if none answers (own process group, log in a file), with the overlay2
#      storage driver when the kernel and the data-root's filesystem allow it, else vfs;
#      an engine that already answers is left as it is;
#   2. makes the local base image local/debian:bookworm with debootstrap from the Debian
#      mirror apt already uses, then `docker import` (no registry needed).
# Usage: scripts/docker-engine.sh            (both steps; idempotent)
# Environment: LOUPE_DOCKERD_LOG (default /var/log/loupe-dockerd.log),
#              LOUPE_BASE_IMPORT (default local/debian:bookworm),
#              LOUPE_DOCKER_STORAGE (auto, the default: overlay2, else vfs; or overlay2, or vfs),
#              LOUPE_DOCKER_ENGINE_ONLY=1 (step 1 only: test/docker/docker-engine.test.ts).
set -euo pipefail

rootfs=""   # global so that the EXIT trap still sees it

log_file="${LOUPE_DOCKERD_LOG:-/var/log/loupe-dockerd.log}"
base_image="${LOUPE_BASE_IMPORT:-local/debian:bookworm}"
suite=bookworm

die() { echo "docker-engine: $*" >&2; exit 4; }

engine_answers() { docker info >/dev/null 2>&1; }

storage="${LOUPE_DOCKER_STORAGE:-auto}"
data_root=/var/lib/docker

# Starts dockerd with storage driver $1 and waits for it; returns 1 if dockerd exits first (it
# refuses a driver that the kernel or the data-root's filesystem does not support, e.g. overlay2
# on an overlay root, as inside a container), dies if it neither answers nor exits.
try_engine() {
  echo "docker-engine: starting dockerd with the $1 storage driver (log: $log_file)"
  # No bridge and no iptables: builds and analysis containers use --network=host.
  setsid dockerd --iptables=false --bridge=none --storage-driver="$1" >"$log_file" 2>&1 < /dev/null &
  local pid=$!
  for _ in $(seq 1 60); do
    if engine_answers; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then
      wait "$pid" || true
      # Its last words, e.g. "failed to start daemon: error initializing graphdriver: driver not supported".
      echo "docker-engine: dockerd refused $1: $(grep -v '^time=' "$log_file" | tail -n 1)"
      return 1
    fi
    sleep 0.5
  done
  tail -n 20 "$log_file" >&2 || true
  die "dockerd did not answer within 30 s; see $log_file."
}

# Images that an earlier engine stored in the data-root with another driver: Docker keeps one
# image store per driver, so they are still there but not listed by this engine.
other_store_note() {
  local d n
  for d in "$data_root"/image/*/imagedb/content/sha256; do
    [ -d "$d" ] || continue
    local driver=${d#"$data_root"/image/}; driver=${driver%%/*}
    [ "$driver" = "$1" ] && continue
    n=$(find "$d" -type f | wc -l)
    [ "$n" -gt 0 ] && echo "docker-engine: $n image(s) of the $driver store stay in $data_root, listed again by an engine started with LOUPE_DOCKER_STORAGE=$driver"
  done
  return 0
}

start_engine() {
  if engine_answers; then
    echo "docker-engine: an engine already answers (storage driver $(docker info --format '{{.Driver}}' 2>/dev/null)); left as it is"
    return
  fi
  command -v dockerd >/dev/null || die "dockerd not found; install the Debian package docker.io (scripts/setup.sh does)."
  [ "$(id -u)" -eq 0 ] || die "starting dockerd needs root."
  case "$storage" in
    # overlay2 shares the layers of images and containers; vfs copies the whole file system for
    # every layer and every container (25 to 45 s for 1.1 GB here), but works on every filesystem.
    auto) try_engine overlay2 || try_engine vfs || die "dockerd exited with the vfs driver too; see $log_file." ;;
    overlay2|vfs) try_engine "$storage" || die "dockerd refused the $storage storage driver; see $log_file (LOUPE_DOCKER_STORAGE=auto falls back to vfs)." ;;
    *) die "LOUPE_DOCKER_STORAGE=$storage: expected auto, overlay2 or vfs." ;;
  esac
  local driver
  driver=$(docker info --format '{{.Driver}}')
  echo "docker-engine: dockerd is up (storage driver $driver)"
  other_store_note "$driver"
}

# The first "deb" URI of the suite apt uses, from deb822 .sources files or one-line .list files.
debian_mirror() {
  local uri
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -e "$f" ] || continue
    uri=$(awk -v suite="$suite" '
      /^$/ { if (deb && hasSuite && uris != "") { print uris; exit } deb = 0; hasSuite = 0; uris = "" ; next }
      /^Types:/ { deb = ($0 ~ /[[:space:]]deb([[:space:]]|$)/) }
      /^URIs:/ { uris = $2 }
      /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == suite) hasSuite = 1 }
      END { if (deb && hasSuite && uris != "") print uris }' "$f" | head -n 1)
    if [ -n "$uri" ]; then echo "$uri"; return; fi
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -e "$f" ] || continue
    uri=$(awk -v suite="$suite" '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i !~ /^\[/) { if ($(i+1) == suite) print $i; break } }' "$f" | head -n 1)
    if [ -n "$uri" ]; then echo "$uri"; return; fi
  done
  return 1
}

make_base_image() {
  if docker image inspect "$base_image" >/dev/null 2>&1; then return; fi
  command -v debootstrap >/dev/null || die "debootstrap not found; install the Debian package debootstrap (scripts/setup.sh does)."
  local mirror
  mirror=$(debian_mirror) || die "no Debian '$suite' mirror found in /etc/apt/sources.list or /etc/apt/sources.list.d/."
  rootfs=$(mktemp -d /var/tmp/loupe-rootfs.XXXXXX)
  trap 'rm -rf "$rootfs" "$rootfs.log"' EXIT
  echo "docker-engine: debootstrap $suite from $mirror (about a minute)"
  debootstrap --variant=minbase "$suite" "$rootfs" "$mirror" >"$rootfs.log" 2>&1 \
    || { tail -n 20 "$rootfs.log" >&2; die "debootstrap failed."; }
  tar -C "$rootfs" -c . | docker import - "$base_image" >/dev/null
  echo "docker-engine: imported $base_image"
}

start_engine
[ "${LOUPE_DOCKER_ENGINE_ONLY:-}" = 1 ] || make_base_image

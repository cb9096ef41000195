#!/usr/bin/env bash
# Makes Docker usable on a machine without a running engine or an image registry:
#   1. starts dockerd if none answers (own process group, log in a file);
#   2. makes the local base image local/debian:bookworm with debootstrap from the Debian
#      mirror apt already uses, then `docker import` (no registry needed).
# Usage: scripts/docker-engine.sh            (both steps; idempotent)
# Environment: LOUPE_DOCKERD_LOG (default /var/log/loupe-dockerd.log),
#              LOUPE_BASE_IMPORT (default local/debian:bookworm).
set -euo pipefail

rootfs=""   # global so that the EXIT trap still sees it

log_file="${LOUPE_DOCKERD_LOG:-/var/log/loupe-dockerd.log}"
base_image="${LOUPE_BASE_IMPORT:-local/debian:bookworm}"
suite=bookworm

die() { echo "docker-engine: $*" >&2; exit 4; }

engine_answers() { docker info >/dev/null 2>&1; }

start_engine() {
  if engine_answers; then return; fi
  command -v dockerd >/dev/null || die "dockerd not found; install the Debian package docker.io (scripts/setup.sh does)."
  [ "$(id -u)" -eq 0 ] || die "starting dockerd needs root."
  echo "docker-engine: starting dockerd (log: $log_file)"
  # No bridge and no iptables: builds and analysis containers use --network=host.
  # vfs works on every filesystem, including inside containers and on overlay roots.
  setsid dockerd --iptables=false --bridge=none --storage-driver=vfs >"$log_file" 2>&1 < /dev/null &
  for _ in $(seq 1 60); do
    if engine_answers; then echo "docker-engine: dockerd is up"; return; fi
    sleep 0.5
  done
  tail -n 20 "$log_file" >&2 || true
  die "dockerd did not answer within 30 s; see $log_file."
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
make_base_image

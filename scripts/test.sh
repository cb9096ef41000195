#!/usr/bin/env bash
# Runs the whole test suite (unit, integration with real applications, docker tier) on the built tree.
# A Docker engine that the docker tier had to start is stopped again at the end: no server outlives the tests.
#   scripts/test.sh            every tier, the Debian-package one included (`loupe debian` builds gzip
#                              from source and analyses it under its own suite: 2 to 8 min with
#                              Docker's overlay2 driver, 9 to 30 min with vfs; see docs/debian.md)
#   scripts/test.sh debian     the Debian-package tier alone
set -euo pipefail
cd "$(dirname "$0")/.."
npm run --silent build
debian_tier=dist/test/docker/debian-docker.test.js
case "${1:-all}" in
  all) mapfile -t files < <(find dist/test -name '*.test.js' | sort) ;;
  debian) files=("$debian_tier") ;;
  *) echo "test: unknown tier '$1' (expected nothing, or debian)" >&2; exit 2 ;;
esac
if [ "${#files[@]}" -eq 0 ]; then echo "test: no test files found under dist/test" >&2; exit 1; fi

engine_was_running=0
docker info >/dev/null 2>&1 && engine_was_running=1
stop_engine_we_started() {
  [ "$engine_was_running" -eq 1 ] && return
  local pid
  pid=$(cat /var/run/docker.pid 2>/dev/null || true)
  [ -n "$pid" ] || return
  kill "$pid" 2>/dev/null || return
  for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || return; sleep 0.5; done
  kill -KILL "$pid" 2>/dev/null || true
}
trap stop_engine_we_started EXIT

# The Docker files run two at a time and each builds loupe-base from this tree first: built once
# here, they all get it from Docker's cache with one image ID. (Two first builds at once make two
# images; the tag then moves under the other file's builds, which rebuild everything on top of it.)
if printf '%s\n' "${files[@]}" | grep -q '^dist/test/docker/'; then
  { bash scripts/docker-engine.sh && node dist/src/cli/main.js base-image --minimal; } \
    || echo "test: the Docker set-up above failed; the Docker files will fail and say why" >&2
fi

node --test --test-reporter=spec --test-concurrency=2 "${files[@]}"

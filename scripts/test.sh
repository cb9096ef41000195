#!/usr/bin/env bash
# Runs the whole test suite (unit, integration with real applications, docker tier) on the built tree.
# A Docker engine that the docker tier had to start is stopped again at the end: no server outlives the tests.
#   scripts/test.sh            every tier but the Debian-package one
#   scripts/test.sh debian     the Debian-package tier alone (`loupe debian` builds gzip from source
#                              and analyses it under its own suite: about 30 min on 2 cores with
#                              Docker's vfs driver, so it is not part of `npm test`; see docs/debian.md)
set -euo pipefail
cd "$(dirname "$0")/.."
npm run --silent build
debian_tier=dist/test/docker/debian-docker.test.js
case "${1:-all}" in
  all) mapfile -t files < <(find dist/test -name '*.test.js' | grep -vxF "$debian_tier" | sort) ;;
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

node --test --test-reporter=spec --test-concurrency=2 "${files[@]}"

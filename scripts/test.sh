#!/usr/bin/env bash
# Runs the whole test suite (unit, integration with real applications, docker tier) on the built tree.
# A Docker engine that the docker tier had to start is stopped again at the end: no server outlives the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run --silent build
mapfile -t files < <(find dist/test -name '*.test.js' | sort)
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

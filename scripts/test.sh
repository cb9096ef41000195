#!/usr/bin/env bash
# Runs the whole test suite (unit, integration with real applications, docker tier) on the built tree.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run --silent build
mapfile -t files < <(find dist/test -name '*.test.js' | sort)
if [ "${#files[@]}" -eq 0 ]; then echo "test: no test files found under dist/test" >&2; exit 1; fi
exec node --test --test-reporter=spec --test-concurrency=2 "${files[@]}"

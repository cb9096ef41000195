#!/usr/bin/env bash
# The README's first command: a real analysis of the bundled lua5.4 example.
set -euo pipefail
cd "$(dirname "$0")/../examples/lua"
echo "loupe explore -b lua5.4 -t ./test.sh --test-sequential -- hello.lua"
exec node ../../dist/src/cli/main.js explore -b lua5.4 -t ./test.sh --test-sequential -- hello.lua

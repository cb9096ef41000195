#!/bin/sh
# Loupe test script (sequential workload): $1 is the log of `lua5.4 hello.lua`.
# Exit 0 when the program did its work, 1 otherwise.
grep -q '^Hello from Lua: 1000 squares, [0-9]* bytes, at [0-9]*$' "$1"

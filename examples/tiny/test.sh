#!/bin/sh
# Loupe test script (sequential workload): $1 is the log of `./hello`.
# Exit 0 when the program wrote its line, 1 otherwise.
grep -qx 'hello from a tiny C program' "$1"

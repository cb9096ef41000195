#!/bin/sh
# Loupe test script (sequential workload): $1 is the log of `sqlite3 /run/loupe-bench.db ".read workload.sql"`.
# `test.sh LOGFILE`: exit 0 when all 50000 rows were stored and counted, 1 otherwise.
# `test.sh LOGFILE benchmark` (--perf-analysis): print rows per second of real time over the
# timed statements (sqlite3's ".timer on" lines), one number, higher is better.
grep -q '^rows|50000$' "$1" || exit 1
[ "$2" = benchmark ] || exit 0
awk '/^Run Time: real / { real += $4; n++ } END { if (n != 4 || real <= 0) exit 1; printf "%.1f\n", 50000 / real }' "$1"

#!/bin/sh
# Loupe test script (server workload): redis-server runs; redis-benchmark drives SET and GET.
# `test.sh LOGFILE`: exit 0 both commands served; 200 not listening yet (ask again); 1 broken.
# `test.sh LOGFILE benchmark` (--perf-analysis): print SET and GET requests per second summed,
# one number, higher is better.
n=2000
[ "$2" = benchmark ] && n=20000
out=$(redis-benchmark -h 127.0.0.1 -p 6379 -q -n $n -c 4 -t set,get 2>&1)
case "$out" in
  *"Could not connect"*|*"Connection refused"*) echo "$out" >&2; exit 200 ;;
esac
if [ "$2" = benchmark ]; then
  echo "$out" >&2
  # -q writes "\r" progress before each result line: keep what follows the last "\r".
  rates=$(echo "$out" | tr '\r' '\n' | sed -n 's/^\(SET\|GET\): *\([0-9.][0-9.]*\) requests per second.*/\2/p')
  [ "$(echo "$rates" | grep -c .)" -eq 2 ] || exit 1
  echo "$rates" | awk '{ sum += $1 } END { print sum }'
  exit 0
fi
echo "$out"
echo "$out" | grep -q 'SET: [0-9.]* requests per second' || exit 1
echo "$out" | grep -q 'GET: [0-9.]* requests per second' || exit 1
exit 0

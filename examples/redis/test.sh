#!/bin/sh
# Loupe test script (server workload): redis-server runs; redis-benchmark drives SET and GET.
# Exit 0: both commands served; 200: not listening yet (ask again); 1: broken.
out=$(redis-benchmark -h 127.0.0.1 -p 6379 -q -n 2000 -c 4 -t set,get 2>&1)
echo "$out"
case "$out" in
  *"Could not connect"*|*"Connection refused"*) exit 200 ;;
esac
echo "$out" | grep -q 'SET: [0-9.]* requests per second' || exit 1
echo "$out" | grep -q 'GET: [0-9.]* requests per second' || exit 1
exit 0

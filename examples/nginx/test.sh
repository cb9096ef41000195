#!/bin/sh
# Loupe test script (server workload): nginx runs; load it with wrk for one second.
# Exit 0: served every request; 200: not listening yet (ask again); 1: broken.
out=$(wrk -t1 -c4 -d1s http://127.0.0.1:8080/index.html 2>&1)
case "$out" in
  *"unable to connect"*|*"Connection refused"*) exit 200 ;;
esac
echo "$out"
echo "$out" | grep -q 'Requests/sec' || exit 1
echo "$out" | grep -qE 'Non-2xx|Socket errors' && exit 1
exit 0

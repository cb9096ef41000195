#!/bin/sh
# Loupe test script (server workload): nginx runs; load it with wrk for one second.
# Exit 0: served requests without errors; 200: not listening yet (ask again); 1: broken.
out=$(wrk -t1 -c4 -d1s --timeout 1s http://127.0.0.1:8080/index.html 2>&1)
echo "$out"
case "$out" in
  *"unable to connect"*|*"Connection refused"*) exit 200 ;;
esac
requests=$(echo "$out" | sed -n 's/^ *\([0-9][0-9]*\) requests in .*/\1/p')
[ -n "$requests" ] && [ "$requests" -gt 0 ] || exit 1
echo "$out" | grep -qE 'Non-2xx|Socket errors' && exit 1
exit 0

#!/bin/sh
# Loupe test script (server workload): nginx runs; load it with wrk for one second.
# `test.sh LOGFILE`: exit 0 served requests without errors; 200 not listening yet (ask again); 1 broken.
# `test.sh LOGFILE benchmark` (--perf-analysis): print requests per second, one number, higher is better.
out=$(wrk -t1 -c4 -d1s --timeout 1s http://127.0.0.1:8080/index.html 2>&1)
case "$out" in
  *"unable to connect"*|*"Connection refused"*) echo "$out" >&2; exit 200 ;;
esac
if [ "$2" = benchmark ]; then
  echo "$out" >&2
  # wrk's "Requests/sec:" line is a plain number whatever the unit of its Transfer/sec line.
  rate=$(echo "$out" | sed -n 's/^Requests\/sec: *\([0-9.][0-9.]*\).*/\1/p')
  [ -n "$rate" ] || exit 1
  echo "$out" | grep -qE 'Non-2xx|Socket errors' && exit 1
  echo "$rate"
  exit 0
fi
echo "$out"
requests=$(echo "$out" | sed -n 's/^ *\([0-9][0-9]*\) requests in .*/\1/p')
[ -n "$requests" ] && [ "$requests" -gt 0 ] || exit 1
echo "$out" | grep -qE 'Non-2xx|Socket errors' && exit 1
exit 0

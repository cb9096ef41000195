#!/bin/sh
# The original Loupe's entry point, kept so that its Dockerfiles work unchanged
# (CMD /root/explore.py --output-csv -t ... -b ... -- ...): runs this project's `loupe explore`.
# `loupe generate` tells it where to put its results through the environment; explicit options
# in the CMD come later on the command line and win.
# generate --coverage: the same command line, run once as `loupe coverage` on the instrumented
# build tree LOUPE_COVERAGE_SOURCE, with LOUPE_COVERAGE_INSTRUMENTED run in place of the analysed
# binary when set (explore's experiment options are accepted and ignored).
if [ -n "$LOUPE_COVERAGE_SOURCE" ]; then
  if [ -n "$LOUPE_COVERAGE_INSTRUMENTED" ]; then set -- --instrumented "$LOUPE_COVERAGE_INSTRUMENTED" "$@"; fi
  exec /usr/local/bin/node /opt/loupe/dist/src/cli/main.js coverage --source "$LOUPE_COVERAGE_SOURCE" --out "$LOUPE_EXPLORE_OUT" -q "$@"
fi
if [ -n "$LOUPE_EXPLORE_OUT" ]; then set -- --out "$LOUPE_EXPLORE_OUT" "$@"; fi
if [ -n "$LOUPE_EXPLORE_JOURNAL" ]; then set -- --journal "$LOUPE_EXPLORE_JOURNAL" "$@"; fi
if [ -n "$LOUPE_EXPLORE_JOBS" ]; then set -- --jobs "$LOUPE_EXPLORE_JOBS" "$@"; fi
if [ -n "$LOUPE_EXPLORE_EVENTS" ]; then set -- --events "$@"; fi
if [ -n "$LOUPE_EXPLORE_DISABLE_STATIC" ]; then set -- --disable-static "$@"; fi
# The perf analysis's options (--perf-analysis --perf-runs N ...), words without spaces.
if [ -n "$LOUPE_EXPLORE_PERF" ]; then set -- $LOUPE_EXPLORE_PERF "$@"; fi
exec /usr/local/bin/node /opt/loupe/dist/src/cli/main.js explore "$@"

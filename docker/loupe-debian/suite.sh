#!/bin/sh
# loupe debian: runs the test step of the build in /root/debian/SOURCE as debian/rules runs it
# (the recipe in /root/loupe-debian/suite.mk, taken from debian/rules), without nocheck. Its
# exit status is the suite's: 0 when every test passed, as dpkg-buildpackage would judge it.
# Further arguments are make arguments (e.g. TESTS=... for automake's test harness).
cd "/root/debian/$1" || exit 1
shift
unset DEB_BUILD_OPTIONS
# The architecture variables, set once as dpkg-buildpackage sets them for debian/rules: otherwise
# dpkg's architecture.mk runs dpkg-architecture (perl, which runs dpkg and gcc) again and again
# while make reads the rules, about 2.5 s of every suite run of gzip on the project's machine.
eval "$(dpkg-architecture -s)"
make -f debian/rules -f /root/loupe-debian/suite.mk loupe-debian-suite "$@"
status=$?
if [ "$status" -eq 0 ]; then echo "loupe-debian: test suite passed"; else echo "loupe-debian: test suite failed ($status)"; fi
exit "$status"

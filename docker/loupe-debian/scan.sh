#!/bin/sh
# loupe debian: what the analysis needs to know about the built tree /root/debian/SOURCE:
# its debian/rules, what dh_auto_test would run, and the ELF executables the build produced
# (regular files with an execute bit and the ELF magic, of type EXEC, or DYN with an
# interpreter: shared libraries are left out). The packaging folder debian/ is left out: it
# holds the installed copies, not what a test suite runs. Then the build's log, last (everything
# after its header is the log).
set -eu
cd "/root/debian/$1"
echo "loupe-debian: rules"
cat debian/rules
echo "loupe-debian: dh_auto_test --no-act"
dh_auto_test --no-act 2>&1 || true
echo "loupe-debian: executables"
find . -path ./debian -prune -o -type f -perm /111 -print | while IFS= read -r f; do
  [ "$(head -c 4 "$f" | od -An -tx1 | tr -d ' \n')" = 7f454c46 ] || continue
  type=$(readelf -h "$f" 2>/dev/null | awk '/^ *Type:/ { print $2 }')
  if [ "$type" = EXEC ] || { [ "$type" = DYN ] && readelf -l "$f" 2>/dev/null | grep -q 'program interpreter'; }; then
    echo "/root/debian/$1/${f#./}"
  fi
done
echo "loupe-debian: build log"
cat /root/debian/build.log

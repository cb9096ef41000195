#!/bin/sh
# loupe debian: which source package and version `apt-get source PACKAGE[=VERSION]` fetches from
# the mirror and suite of this image, and the versions the suite has. Prints apt's own output,
# which loupe reads (src/generate/debian-package.ts parseResolveOutput).
set -u
package=$1
spec=$package${2:+=$2}
/root/loupe-debian/deb-src.sh || exit 1
apt-get update -q >/dev/null 2>&1 || apt-get update -q || exit 1
apt-get source --print-uris "$spec" 2>&1
apt-cache showsrc "$package" 2>/dev/null | grep -E '^(Package|Version):'
exit 0

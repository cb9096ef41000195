#!/bin/sh
# loupe debian: fetches source package SOURCE at VERSION from the mirror this image's apt uses
# (prepare.sh ran before), installs its build dependencies and builds it the usual Debian way
# (dpkg-buildpackage, architecture-dependent binary packages) with its test suite left for the analysis
# (DEB_BUILD_OPTIONS=nocheck). The tree lands in /root/debian/SOURCE, free of the version as in
# the original's integration; the build's output is also kept in /root/debian/build.log.
# DEB_BUILD_OPTIONS also has parallel=<cores> (packages using dh honour it; the result does not
# depend on it). apt's lists and downloaded files are dropped at the end: nothing after the build
# installs anything, and with Docker's vfs storage driver every later layer and container is a
# full copy of the file system (they are about a quarter of it).
set -eu
source=$1
version=$2
export DEBIAN_FRONTEND=noninteractive
mkdir -p /root/debian/fetch
cd /root/debian/fetch
apt-get source -q --only-source "$source=$version"
tree=$(find . -mindepth 1 -maxdepth 1 -type d | head -n 1)
mv "$tree" "/root/debian/$source"
cd "/root/debian/$source"
apt-get build-dep -y -q --arch-only .
if ! DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" dpkg-buildpackage -us -uc -B > /root/debian/build.log 2>&1; then
  tail -n 40 /root/debian/build.log
  echo "loupe-debian: the build of $source $version failed (dpkg-buildpackage); the end of its log is above"
  exit 1
fi
tail -n 5 /root/debian/build.log
rm -rf /root/debian/fetch
# The tree keeps the times of its build: make then remakes nothing while the suite runs. (It is
# not touched into the past: automake's dependency files list the system headers, which would
# then look newer than every object. loupe explore binds the launcher over the analysed binary
# with the binary's own times, so make does not relink it either.)
apt-get clean
rm -rf /var/lib/apt/lists/*

#!/bin/sh
# loupe debian: what every package build needs, in a layer of its own that the images of all
# packages share: a deb-src entry for the mirror and suite apt uses, fresh package lists, and
# the Debian build tools. The downloaded .deb files are dropped (apt-get clean): with Docker's vfs
# storage driver every later layer and container is a full copy of the file system.
set -eu
export DEBIAN_FRONTEND=noninteractive
/root/loupe-debian/deb-src.sh
apt-get update -q
apt-get install -y -q --no-install-recommends build-essential dpkg-dev fakeroot binutils debhelper
apt-get clean

#!/usr/bin/env bash
# One-stop set-up: system packages (only those missing), npm dependencies, build.
# Usage: scripts/setup.sh [demo|test]   (default: test, which installs everything the test suite uses)
set -euo pipefail
cd "$(dirname "$0")/.."
profile="${1:-test}"

# What `loupe explore` itself needs on the host.
# libcap2-bin: getcap, to find file-capability executables when loupe does not run as root.
runtime_packages=(strace bubblewrap util-linux iproute2 procps gcc libc6-dev libcap2-bin)
# npm's native addons (better-sqlite3) build with node-gyp when no prebuilt binary can be
# downloaded: python3, make and a C++ compiler.
addon_build_packages=(python3 make g++)
# Real applications and tools the bundled examples, tests and docker tier use.
example_packages=(lua5.4 nginx-light wrk redis-server redis-tools sqlite3 coreutils)
# Plots are rendered to PNG by resvg, which draws no text without a font.
plot_packages=(fonts-dejavu-core)
# lcov/genhtml: `loupe coverage`. The coverage tests build lua5.4 from its Debian source with
# coverage flags: dpkg-dev (apt-get source), bear (compile_commands.json), lua5.4's build-depends.
coverage_packages=(lcov dpkg-dev bear debhelper quilt libtool libreadline-dev autoconf)
# gcc-multilib: the corpus (test/corpus) builds a 32-bit program that explore must refuse.
test_packages=(git clang docker.io debootstrap file g++ gcc-multilib "${coverage_packages[@]}" "${plot_packages[@]}")

case "$profile" in
  demo) wanted=("${runtime_packages[@]}" "${addon_build_packages[@]}" "${plot_packages[@]}" lua5.4 git) ;;
  test) wanted=("${runtime_packages[@]}" "${addon_build_packages[@]}" "${example_packages[@]}" "${test_packages[@]}") ;;
  *) echo "setup: unknown profile '$profile' (expected demo or test)" >&2; exit 2 ;;
esac

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "setup: Node.js 20 or newer is required (found: $(node --version 2>/dev/null || echo none))." >&2
  echo "setup: Debian 12's own nodejs is 18: install Node 20 from NodeSource's Debian repository (https://github.com/nodesource/distributions) or from https://nodejs.org." >&2
  exit 4
fi

missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then sudo=(); elif command -v sudo >/dev/null; then sudo=(sudo); else
    echo "setup: missing Debian packages: ${missing[*]}; run as root or install them with apt-get." >&2
    exit 4
  fi
  echo "setup: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Packages such as nginx and redis must not start system services on install.
  policy=/usr/sbin/policy-rc.d
  created_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
    "${sudo[@]}" chmod +x "$policy"
    created_policy=1
  fi
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  if [ "$created_policy" -eq 1 ]; then "${sudo[@]}" rm -f "$policy"; fi
fi

# Source packages (`apt-get source`, for the coverage tests' instrumented lua5.4): a deb-src entry
# with the URIs and suites of the Debian deb entries apt already uses, in deb822 form. Idempotent:
# nothing is written when an entry exists.
ensure_deb_src() {
  local list=/etc/apt/sources.list.d/loupe-deb-src.sources
  if grep -rqsE '^(Types:.*deb-src|deb-src )' /etc/apt/sources.list /etc/apt/sources.list.d/; then return; fi
  # A Debian 12 installed by its installer or debootstrap has no *.sources file: awk must not be
  # given the unexpanded glob (it fails, and set -e ended the set-up silently with status 2).
  local entries="" deb822=()
  shopt -s nullglob
  deb822=(/etc/apt/sources.list.d/*.sources)
  shopt -u nullglob
  if [ "${#deb822[@]}" -gt 0 ]; then entries=$(awk '
    /^[[:space:]]*$/ { if (deb && uris ~ /debian/) printf "Types: deb-src\nURIs: %s\nSuites: %s\nComponents: %s\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n", uris, suites, comps; deb=0; uris=""; suites=""; comps=""; next }
    /^Types:/ { deb = ($0 ~ /[[:space:]]deb([[:space:]]|$)/) }
    /^URIs:/ { uris = substr($0, 7) } /^Suites:/ { suites = substr($0, 9) } /^Components:/ { comps = substr($0, 13) }
    END { if (deb && uris ~ /debian/) printf "Types: deb-src\nURIs: %s\nSuites: %s\nComponents: %s\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n", uris, suites, comps }
  ' "${deb822[@]}"); fi
  if [ -z "$entries" ] && [ -f /etc/apt/sources.list ]; then
    # One-line form: `deb [options] URI SUITE COMPONENTS...`; the options block is dropped.
    entries=$(awk '$1 == "deb" { sub(/^[[:space:]]*deb[[:space:]]+(\[[^]]*\][[:space:]]+)?/, ""); split($0, f, " "); if (f[1] !~ /debian/) next; comps = ""; for (i = 3; i <= length(f); i++) comps = comps " " f[i];
      printf "Types: deb-src\nURIs: %s\nSuites: %s\nComponents:%s\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n", f[1], f[2], comps }' /etc/apt/sources.list)
  fi
  if [ -z "$entries" ]; then echo "setup: warning: no Debian deb entry found; apt-get source will not work" >&2; return; fi
  echo "setup: adding deb-src entries ($list)"
  printf '%s\n' "$entries" | "${sudo[@]}" tee "$list" >/dev/null
  "${sudo[@]}" apt-get update -qq
}
if [ "$profile" = test ]; then
  if [ "$(id -u)" -eq 0 ]; then sudo=(); else sudo=(sudo); fi
  ensure_deb_src
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm dependencies"
  # node-gyp downloads Node's headers unless told where they are; Node installed from a package
  # (NodeSource's nodejs) or a tarball has them beside its binary, so the build needs no download.
  node_prefix=$(dirname "$(dirname "$(node -p process.execPath)")")
  if [ -z "${npm_config_nodedir:-}" ] && [ -f "$node_prefix/include/node/node_version.h" ]; then
    export npm_config_nodedir="$node_prefix"
  fi
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run --silent build

# `loupe` on PATH, as the README's examples type it: a global link to this checkout.
if [ -w "$(npm prefix -g)" ] || [ "$(id -u)" -eq 0 ]; then
  npm link --no-audit --no-fund --loglevel=error >/dev/null
  echo "setup: loupe is on PATH ($(command -v loupe))"
else
  echo "setup: to put loupe on PATH, run: sudo npm link   (or use: npx loupe ...)"
fi

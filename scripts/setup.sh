#!/usr/bin/env bash
# One-stop set-up: system packages (only those missing), npm dependencies, build.
# Usage: scripts/setup.sh [demo|test]   (default: test, which installs everything the test suite uses)
set -euo pipefail
cd "$(dirname "$0")/.."
profile="${1:-test}"

# What `loupe explore` itself needs on the host.
# libcap2-bin: getcap, to find file-capability executables when loupe does not run as root.
runtime_packages=(strace bubblewrap util-linux iproute2 procps gcc libc6-dev libcap2-bin)
# Real applications and tools the bundled examples, tests and docker tier use.
example_packages=(lua5.4 nginx-light wrk redis-server redis-tools sqlite3 coreutils)
# Plots are rendered to PNG by resvg, which draws no text without a font.
plot_packages=(fonts-dejavu-core)
# gcc-multilib: the corpus (test/corpus) builds a 32-bit program that explore must refuse.
test_packages=(git clang docker.io debootstrap file g++ gcc-multilib "${plot_packages[@]}")

case "$profile" in
  demo) wanted=("${runtime_packages[@]}" "${plot_packages[@]}" lua5.4 git) ;;
  test) wanted=("${runtime_packages[@]}" "${example_packages[@]}" "${test_packages[@]}") ;;
  *) echo "setup: unknown profile '$profile' (expected demo or test)" >&2; exit 2 ;;
esac

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "setup: Node.js 20 or newer is required (found: $(node --version 2>/dev/null || echo none))." >&2
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

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm dependencies"
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

#!/usr/bin/env bash
# Installs what Berth needs on Debian 12, only what is missing, then builds the project.
# Safe to run again: every step checks before it acts.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: run as root (Berth runs containers through runc and mounts overlays)" >&2
  exit 1
fi

# runc, conmon: the runtime and per-container monitor; busybox-static: the base image;
# tini: the static init behind --init; iptables: networking; procps: `top`;
# python3, make, g++: node-gyp builds the native addon and better-sqlite3.
# Extra packages can be asked for in BERTH_EXTRA_PACKAGES (the test script does).
packages=(runc conmon busybox-static tini iptables procps util-linux ca-certificates python3 make g++ ${BERTH_EXTRA_PACKAGES:-})
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm ci only when node_modules is missing or older than the lock file.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "install-deps: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi

echo "install-deps: building"
npm run --silent build

#!/usr/bin/env bash
# Sets Berth up on this machine, starts berthd in the background, makes the local busybox
# image from the host's static busybox and runs a container from it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

sock=${BERTH_SOCKET:-/run/berth/berth.sock}
log=${BERTH_LOG:-/var/log/berthd.log}
if ! bin/berth -H "unix://$sock" version >/dev/null 2>&1; then
  echo "quickstart: starting berthd (log: $log)"
  nohup bin/berthd -H "unix://$sock" >>"$log" 2>&1 &
  for _ in $(seq 1 100); do
    bin/berth -H "unix://$sock" version >/dev/null 2>&1 && break
    sleep 0.1
  done
fi
export BERTH_HOST="unix://$sock"
if ! bin/berth image inspect busybox:latest >/dev/null 2>&1; then
  bin/berth image bootstrap busybox
fi
bin/berth run --rm busybox echo "Hello from a Berth container"

#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test (unit, integration as root, real
# Docker clients) with Node's test runner. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
# skopeo, docker-registry: real registry peers (wrk: the registry benchmark); zstd, openssl: test fixtures (layers, CAs);
# util-linux's `script`: terminal tests.
BERTH_EXTRA_PACKAGES="skopeo docker-registry zstd openssl wrk" scripts/install-deps.sh

# The compatibility tests drive berthd with the docker CLI; machines of this class ship it in
# /usr/local/bin. Elsewhere Debian's docker.io provides the client (its daemon is not used).
if ! command -v docker >/dev/null 2>&1; then
  echo "test: installing Debian's docker.io for the docker CLI (its daemon is not started)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io >/dev/null
fi

mapfile -t files < <(find dist/src dist/test -name '*.test.js' | sort)
exec node --test --test-concurrency=1 --test-timeout=600000 "$@" "${files[@]}"

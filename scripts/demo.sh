#!/usr/bin/env bash
# The kscope demo: a real Kafka 4.1 broker, `kscope proxy` in front of it, and real clients
# (the Java producer perf tool, kcat producers and a consumer group) talking through it.
# Runs until Ctrl-C, or for DEMO_SECONDS seconds. Ports: KSCOPE_PORT (19092), ADMIN_PORT (9990).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
KSCOPE_PORT=${KSCOPE_PORT:-19092}
ADMIN_PORT=${ADMIN_PORT:-9990}
WORK=$(mktemp -d /tmp/kscope-demo-XXXX)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PROXIED=$(free_port); DIRECT=$(free_port); CONTROLLER=$(free_port)
pids=()
cleanup() {
  trap - EXIT INT TERM
  echo; echo "demo: stopping"
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  scripts/kafka.sh stop "$WORK/kafka" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

echo "demo: starting Kafka (KRaft, loopback)…"
scripts/kafka.sh start "$WORK/kafka" --proxied-port "$PROXIED" --direct-port "$DIRECT" --controller-port "$CONTROLLER" \
  --proxy-advertised "127.0.0.1:$KSCOPE_PORT" --owner-pid $$ >/dev/null
node dist/host/cli.js proxy --listen "127.0.0.1:$KSCOPE_PORT" --upstream "127.0.0.1:$PROXIED" --admin "127.0.0.1:$ADMIN_PORT" \
  --config '{"workload":"demo-gateway"}' > "$WORK/kscope.log" 2>&1 &
pids+=($!)
for t in orders payments; do
  scripts/kafka.sh tool org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:$DIRECT" --create --if-not-exists \
    --topic "$t" --partitions 3 --replication-factor 1 >/dev/null
done
B="127.0.0.1:$KSCOPE_PORT"
echo "demo: clients talk to kscope at $B"

# A steady Java producer (idempotent, lz4) on orders, and a kcat producer (zstd) on payments.
scripts/kafka.sh tool org.apache.kafka.tools.ProducerPerformance --topic orders --num-records 100000000 --record-size 300 \
  --throughput 200 --producer-props bootstrap.servers="$B" client.id=orders-service compression.type=lz4 > "$WORK/perf.log" 2>&1 &
pids+=($!)
( i=0; while true; do i=$((i+1)); echo "payment-$i $(date +%s%N)"; sleep 0.05; done ) |
  kcat -P -b "$B" -t payments -X client.id=payments-service -X compression.codec=zstd -X linger.ms=100 2>>"$WORK/kcat.log" &
pids+=($!)
# A consumer group of two kcat members on both topics, and a second group reading orders.
for m in 1 2; do
  kcat -b "$B" -G billing -X client.id="billing-$m" -X auto.offset.reset=earliest -f '' orders payments >/dev/null 2>>"$WORK/kcat.log" &
  pids+=($!)
done
kcat -b "$B" -G audit -X client.id=audit -X auto.offset.reset=earliest -f '' orders >/dev/null 2>>"$WORK/kcat.log" &
pids+=($!)

cat <<MSG
demo: running.
  dashboard: http://127.0.0.1:$ADMIN_PORT/
  metrics:   http://127.0.0.1:$ADMIN_PORT/metrics   (Prometheus text format)
  try:       curl -s http://127.0.0.1:$ADMIN_PORT/metrics | grep '^kscope_requests_total'
             ./kscope stat topics     ./kscope stat groups -o wide     ./kscope edges
             ./kscope top             ./kscope tap -n 20               ./kscope check
             (add --admin http://127.0.0.1:$ADMIN_PORT if you changed ADMIN_PORT)
  stop:      Ctrl-C
MSG
sleep 8
echo "demo: requests seen by kscope so far:"
curl -s "http://127.0.0.1:$ADMIN_PORT/metrics" | grep -E '^kscope_requests_total' | sort -t' ' -k2 -nr | head -12 || true
sleep 4
node dist/host/cli.js stat topics -t 10s --admin "http://127.0.0.1:$ADMIN_PORT" || true
node dist/host/cli.js stat groups -t 10s --admin "http://127.0.0.1:$ADMIN_PORT" || true
if [ -n "${DEMO_SECONDS:-}" ]; then sleep "$DEMO_SECONDS"; else while true; do sleep 3600; done; fi

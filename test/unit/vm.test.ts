// The host runs the real kscope.wasm: frames in any chunking give the same metrics.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { ProxyWasmVm, nowNanos } from "../../host/wasm/vm";
import { Action } from "../../host/wasm/abi";
import { chunks, int16, int32, request, response } from "../support/frames";

const WASM = path.join(__dirname, "..", "..", "..", "build", "kscope.wasm");

function value(vm: ProxyWasmVm, name: string, labels: Record<string, string> = {}): number {
  const s = vm.metrics.series().filter((m) => m.name === name && Object.entries(labels).every(([k, v]) => m.labels[k] === v));
  return s.reduce((a, m) => a + (m.counts ? m.counts.reduce((x, y) => x + y, 0) : m.value), 0);
}

// ApiVersions v3 (flexible request header, response header v0), Metadata v1 (classic), Produce v3 acks=0.
const stream = Buffer.concat([
  request(18, 3, 1, "c1", true, Buffer.from([6, ...Buffer.from("kafka"), 4, ...Buffer.from("1.0"), 0])),
  request(3, 1, 2, "c1", false, int32(0)),
  request(0, 3, 3, "c1", false, Buffer.concat([int16(-1), int16(0), int32(1000), int32(0)])),
]);
const replies = Buffer.concat([
  response(1, false, Buffer.from([0, 0, 1, 0, 0, 0, 0])),
  response(2, false, Buffer.concat([int32(0), int32(0)])),
]);

for (const size of [1, 2, 3, 7, 64, 4096]) {
  test(`request/response metrics with ${size}-byte chunks`, () => {
    const vm = new ProxyWasmVm({ wasmPath: WASM, log: () => {} });
    const c = vm.connect({ source: "127.0.0.1:1", destination: "127.0.0.1:2" });
    for (const ch of chunks(stream, size)) assert.equal(c.downstream(ch), Action.Continue);
    for (const ch of chunks(replies, size)) assert.equal(c.upstream(ch), Action.Continue);
    assert.equal(value(vm, "kscope_requests_total", { api: "ApiVersions", version: "3" }), 1);
    assert.equal(value(vm, "kscope_requests_total", { api: "Metadata", version: "1" }), 1);
    assert.equal(value(vm, "kscope_requests_total", { api: "Produce", version: "3" }), 1);
    assert.equal(value(vm, "kscope_responses_total", { api: "ApiVersions" }), 1);
    assert.equal(value(vm, "kscope_responses_total", { api: "Metadata" }), 1);
    assert.equal(value(vm, "kscope_request_duration_microseconds", { api: "Metadata" }), 1);
    assert.equal(value(vm, "kscope_requests_in_flight"), 0, "acks=0 Produce is not left in flight");
    assert.equal(value(vm, "kscope_request_bytes_total", { api: "Metadata" }), request(3, 1, 2, "c1", false, int32(0)).length);
    assert.equal(value(vm, "kscope_connections_active"), 1);
    c.close();
    assert.equal(value(vm, "kscope_connections_active"), 0);
    assert.equal(value(vm, "kscope_connections_total"), 1);
  });
}

test("non-Kafka bytes stop parsing, are counted by reason, and never trap", () => {
  const vm = new ProxyWasmVm({ wasmPath: WASM, log: () => {} });
  const cases: [string, Buffer][] = [
    ["http", Buffer.from("GET / HTTP/1.1\r\nHost: x\r\n\r\n")],
    ["tls", Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03])],
    ["frame_size", Buffer.from([0xff, 0xff, 0xff, 0xf0, 1, 2, 3])],
    ["bad_header", request(999, 0, 1, null, false)],
  ];
  for (const [reason, bytes] of cases) {
    const c = vm.connect({ source: "a", destination: "b" });
    assert.equal(c.downstream(bytes), Action.Continue);
    assert.equal(c.downstream(Buffer.from("more bytes after giving up")), Action.Continue);
    c.close();
    assert.equal(value(vm, "kscope_connections_unparsed_total", { reason }), 1, reason);
  }
  // Random garbage on many connections: no trap, every call continues.
  let seed = 42;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff;
  for (let i = 0; i < 300; i++) {
    const c = vm.connect({ source: "a", destination: "b" });
    const g = Buffer.from(Array.from({ length: 1 + (i % 97) * 3 }, rnd));
    if (i % 2 && g.length >= 4) g.writeInt32BE(g.length - 4, 0); // plausible size prefix, garbage body
    assert.equal(c.downstream(g), Action.Continue);
    assert.equal(c.upstream(g), Action.Continue);
    c.close();
  }
  assert.equal(value(vm, "kscope_connections_active"), 0);
});

test("the host ticks the filter like Envoy: lag in seconds grows with no traffic at all", async () => {
  const vm = new ProxyWasmVm({ wasmPath: WASM, log: () => {} });
  // One partition with a high watermark of 10 (Fetch v4 response) and a group committed at 5 (OffsetCommit v2).
  const c = vm.connect({ source: "a", destination: "b" });
  const topic = Buffer.concat([int16(1), Buffer.from("t")]);
  const i64 = (n: bigint) => {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(n);
    return b;
  };
  // group, generation, member id, retention, [topic [partition, offset, metadata]]
  const commitReq = request(
    8,
    2,
    1,
    "c",
    false,
    Buffer.concat([int16(1), Buffer.from("g"), int32(1), int16(0), i64(-1n), int32(1), topic, int32(1), int32(0), i64(5n), int16(-1)]),
  );
  const commitResp = response(1, false, Buffer.concat([int32(1), topic, int32(1), int32(0), int16(0)]));
  const fetchReq = request(
    1,
    4,
    2,
    "c",
    false,
    Buffer.concat([
      int32(-1),
      int32(0),
      int32(1),
      int32(1000),
      Buffer.from([0]),
      int32(1),
      topic,
      int32(1),
      int32(0),
      Buffer.alloc(8),
      int32(1000),
    ]),
  );
  const hw = i64(10n);
  const fetchResp = response(
    2,
    false,
    Buffer.concat([int32(0), int32(1), topic, int32(1), int32(0), int16(0), hw, hw, int32(0), int32(0)]),
  );
  c.downstream(commitReq);
  c.upstream(commitResp);
  c.downstream(fetchReq);
  c.upstream(fetchResp);
  const lagSeconds = () => value(vm, "kscope_consumer_lag_seconds", { group: "g", topic: "t", partition: "0" });
  assert.equal(value(vm, "kscope_consumer_lag_records", { group: "g", topic: "t", partition: "0" }), 5);
  await new Promise((r) => setTimeout(r, 1300));
  const early = lagSeconds();
  await new Promise((r) => setTimeout(r, 2000));
  assert.ok(lagSeconds() >= 2 && lagSeconds() > early, `lag seconds without traffic: ${early} after 1.3 s, ${lagSeconds()} after 3.3 s`);
  vm.dispose();
});

test("the filter's clock is wall time that never steps back (a fast exchange is never 0 µs)", () => {
  let prev = nowNanos();
  assert.ok(Math.abs(Number(prev / 1000000n) - Date.now()) < 50, "wall-clock milliseconds since the epoch");
  for (let i = 0; i < 200_000; i++) {
    const t = nowNanos();
    assert.ok(t >= prev, `stepped back ${prev - t} ns`);
    prev = t;
  }
});

test("clients rules: a per-client proxy names each connection by client id prefix, then peer address, else unknown", () => {
  const configuration = JSON.stringify({
    workload: "kafka-gateway",
    clients: {
      rules: [
        { client_id_prefix: "orders-", workload: "orders", namespace: "shop" },
        { peer: "10.1.0.0/16", workload: "billing", namespace: "shop" },
      ],
    },
  });
  const vm = new ProxyWasmVm({ wasmPath: WASM, configuration, log: () => {} });
  const metadata = (client: string) => request(3, 1, 1, client, false, int32(0));
  const conns: [string, string][] = [
    ["10.9.0.1:5000", "orders-7"],
    ["10.1.2.3:5000", "anyone"],
    ["10.2.0.1:5000", "anyone"],
    ["10.1.2.4:5000", "orders-8"],
  ];
  for (const [source, client] of conns) {
    const c = vm.connect({ source, destination: "127.0.0.1:9092" });
    c.downstream(metadata(client));
    c.close();
  }
  const requests = (labels: Record<string, string>) => value(vm, "kscope_client_requests_total", { api: "Metadata", ...labels });
  assert.equal(requests({ workload: "orders", namespace: "shop" }), 2, "client id prefix first");
  assert.equal(requests({ workload: "billing", namespace: "shop" }), 1, "then the peer's address range");
  assert.equal(requests({ workload: "unknown", namespace: "unknown" }), 1, "else unknown");
  assert.equal(requests({ workload: "kafka-gateway" }), 0, "never the proxy's own identity");
  assert.equal(value(vm, "kscope_connections_total", { workload: "orders" }), 2);
  assert.equal(value(vm, "kscope_connections_active", { workload: "orders" }), 0);
});

// Regression tests for the four defects of issue 9, each through the real kscope.wasm in the
// host's VM: a Produce batch with an undefined codec, memory per connection, the tap's string
// escaping, and in-flight accounting when a connection closes mid-response. Plus what the host
// does when a filter does trap (with a module that traps on purpose, build/trap.wasm).
import { test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import path from "node:path";
import { ProxyWasmVm, RELOAD_BACKOFF_MS, TRAPS_METRIC } from "../../host/wasm/vm";
import { Action } from "../../host/wasm/abi";
import { startProxy } from "../../host/proxy";
import { int16, int32, request, response, str } from "../support/frames";
import { loadFixtures } from "../support/fixtures";
import { freePort } from "../support/ports";

const BUILD = path.join(__dirname, "..", "..", "..", "build");
const WASM = process.env.KSCOPE_WASM ?? path.join(BUILD, "kscope.wasm");
const TRAP_WASM = path.join(BUILD, "trap.wasm");
const CONN = { source: "127.0.0.1:40000", destination: "127.0.0.1:9092" };

function value(vm: ProxyWasmVm, name: string, labels: Record<string, string> = {}): number {
  const s = vm.metrics.series().filter((m) => m.name === name && Object.entries(labels).every(([k, v]) => m.labels[k] === v));
  return s.reduce((a, m) => a + (m.counts ? m.counts.reduce((x, y) => x + y, 0) : m.value), 0);
}

/** A RecordBatch v2 header (61 bytes) plus a few payload bytes, with the given attributes. */
function batch(baseOffset: number, records: number, attributes: number): Buffer {
  const b = Buffer.alloc(61 + 3);
  b.writeBigInt64BE(BigInt(baseOffset), 0);
  b.writeInt32BE(b.length - 12, 8);
  b.writeInt8(2, 16); // magic
  b.writeInt16BE(attributes, 21);
  b.writeInt32BE(records - 1, 23); // last offset delta
  b.writeBigInt64BE(-1n, 43); // producer id
  b.writeInt32BE(records, 57);
  return b;
}

/** Produce v3 (acks=1) of one batch to orders/0. */
function produce(correlationId: number, attributes: number, records = 3): Buffer {
  const records_ = batch(0, records, attributes);
  return request(
    0,
    3,
    correlationId,
    "p1",
    false,
    Buffer.concat([int16(-1), int16(1), int32(30000), int32(1), str("orders"), int32(1), int32(0), int32(records_.length), records_]),
  );
}

test("a batch with compression codec 5, 6 or 7 is counted as unknown and never traps", () => {
  for (const codec of [5, 6, 7]) {
    const vm = new ProxyWasmVm({ wasmPath: WASM, log: () => {} });
    const c = vm.connect(CONN);
    const bad = produce(1, codec);
    assert.equal(bad.length, 112, "the 112-byte Produce v3 of the report");
    assert.equal(c.downstream(bad), Action.Continue);
    assert.equal(vm.failed, false, `codec ${codec}: the filter is alive`);
    assert.equal(value(vm, TRAPS_METRIC), 0);
    assert.equal(value(vm, "kscope_produced_records_total", { topic: "orders", compression: "unknown" }), 3);
    // later traffic is still observed
    c.downstream(produce(2, 4, 5));
    assert.equal(value(vm, "kscope_produced_records_total", { topic: "orders", compression: "zstd" }), 5);
    assert.equal(value(vm, "kscope_requests_total", { api: "Produce" }), 2);
    c.close();
  }
});

test("a host call that names bytes outside the module's memory traps the instance; the bytes still pass", () => {
  const vm = new ProxyWasmVm({ wasmPath: TRAP_WASM, log: () => {} });
  const c = vm.connect(CONN);
  assert.equal(c.downstream(Buffer.from([0xef, 1, 2])), Action.Continue);
  assert.deepEqual(c.output, Buffer.from([0xef, 1, 2]));
  assert.equal(vm.failed, true);
  assert.equal(value(vm, TRAPS_METRIC), 1);
  vm.dispose();
});

test("a filter that traps: logged once with its connection, counted, never called again, reloaded after the backoff", async () => {
  const logs: string[] = [];
  const vm = new ProxyWasmVm({
    wasmPath: TRAP_WASM,
    log: (level, msg) => {
      if (level === "critical") logs.push(msg);
    },
  });
  const a = vm.connect({ source: "10.0.0.1:1111", destination: "b:1" });
  const b = vm.connect({ source: "10.0.0.2:2222", destination: "b:1" });
  a.downstream(Buffer.from("hello"));
  assert.equal(value(vm, "trap_test_chunks_total"), 1);
  assert.equal(value(vm, "trap_test_connections_active"), 2);

  assert.equal(b.downstream(Buffer.from([0xee, 1, 2])), Action.Continue, "a trap never stops traffic");
  assert.equal(vm.failed, true);
  assert.equal(value(vm, TRAPS_METRIC), 1);
  assert.equal(logs.length, 1);
  assert.match(logs[0], /10\.0\.0\.2:2222/, "the log names the connection");
  assert.equal(value(vm, "trap_test_connections_active"), 0, "gauges of the dead instance are zeroed");

  // The dead instance is never called again: no chunk counted, no second trap, no second log line.
  a.downstream(Buffer.from("more"));
  b.downstream(Buffer.from([0xee]));
  a.close();
  b.close();
  const during = vm.connect(CONN);
  during.downstream(Buffer.from("during the backoff"));
  assert.equal(value(vm, "trap_test_chunks_total"), 1);
  assert.equal(value(vm, TRAPS_METRIC), 1);
  assert.equal(logs.length, 1);

  await new Promise((r) => setTimeout(r, RELOAD_BACKOFF_MS + 50));
  const c = vm.connect(CONN);
  assert.equal(vm.failed, false, "a new instance serves new connections");
  c.downstream(Buffer.from("after"));
  during.downstream(Buffer.from("still unobserved"));
  during.close();
  assert.equal(value(vm, "trap_test_chunks_total"), 2);
  assert.equal(value(vm, "trap_test_connections_active"), 1, "connections of the old instance do not move the new one's gauges");
  c.close();
  assert.equal(value(vm, "trap_test_connections_active"), 0);
  vm.dispose();
});

test("through kscope proxy a trapping filter leaves every byte flowing and reports no host error", async () => {
  const echo = net.createServer((s) => s.pipe(s));
  await new Promise<void>((r) => echo.listen(0, "127.0.0.1", r));
  const vm = new ProxyWasmVm({ wasmPath: TRAP_WASM, log: () => {} });
  const errors: Error[] = [];
  const port = await freePort();
  const p = await startProxy({
    listen: { host: "127.0.0.1", port },
    upstream: { host: "127.0.0.1", port: (echo.address() as net.AddressInfo).port },
    vm,
    onError: (e) => errors.push(e),
  });
  try {
    const sent = Buffer.concat([Buffer.from([0xee]), Buffer.alloc(100_000, 7)]);
    const got = await new Promise<Buffer>((resolve, reject) => {
      const parts: Buffer[] = [];
      let n = 0;
      const s = net.connect(port, "127.0.0.1", () => {
        s.write(sent.subarray(0, 1));
        setTimeout(() => s.write(sent.subarray(1)), 20);
      });
      s.on("data", (d) => {
        parts.push(d);
        n += d.length;
        if (n >= sent.length) {
          s.end();
          resolve(Buffer.concat(parts));
        }
      });
      s.on("error", reject);
    });
    assert.ok(got.equals(sent), "bytes intact");
    assert.equal(vm.failed, true);
    assert.deepEqual(
      errors.map((e) => e.message),
      [],
      "the VM contains the trap: no host error per chunk",
    );
  } finally {
    await p.close();
    echo.close();
    vm.dispose();
  }
});

test("Wasm memory stays flat over 100,000 recorded connections opened and closed", () => {
  const conns = loadFixtures();
  const vm = new ProxyWasmVm({ wasmPath: WASM, log: () => {} });
  const run = (n: number, offset: number) => {
    for (let i = 0; i < n; i++) {
      const k = conns[(offset + i) % conns.length];
      const c = vm.connect(CONN);
      c.downstream(k.req);
      c.upstream(k.resp);
      c.close();
    }
  };
  run(10_000, 0); // warm-up: label caches, interned names, pooled exchanges
  const before = vm.memoryPages();
  run(90_000, 10_000);
  const after = vm.memoryPages();
  assert.equal(vm.failed, false);
  assert.equal(value(vm, "kscope_connections_active"), 0);
  assert.equal(value(vm, "kscope_connections_total"), 100_000);
  assert.equal(after, before, `memory pages after warm-up: ${before} -> ${after}`);
});

test("tap escaping is linear and bounded: a 32 KiB client id of NUL bytes costs little with the tap on", () => {
  const vm = new ProxyWasmVm({ wasmPath: WASM, log: () => {} });
  const events: string[] = [];
  vm.shared.listen("kscope.tap", (d) => events.push(d.toString("utf8")));
  vm.shared.set("kscope.tap", Buffer.from("1"));
  const hostile = "\u0000".repeat(32_000);
  const c = vm.connect(CONN);
  const started = process.hrtime.bigint();
  const N = 10;
  for (let i = 0; i < N; i++) {
    c.downstream(request(3, 1, i, hostile, false, int32(0))); // Metadata v1, no topics
    c.upstream(response(i, false, Buffer.concat([int32(0), int32(0)])));
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  c.close();
  assert.equal(events.length, 2 * N, "one event per request and per response");
  for (const e of events) {
    const ev = JSON.parse(e) as { client: string };
    assert.ok(ev.client.length <= 257, `the client id is bounded (${ev.client.length} characters)`);
    assert.match(ev.client, /^\u0000+…$/, "escaped NULs, then an ellipsis");
  }
  assert.ok(ms / (2 * N) < 20, `${(ms / (2 * N)).toFixed(2)} ms per request or response with the tap on`);
});

test("in flight returns to 0 when a connection closes at any offset of a multi-frame response", () => {
  // The connections whose responses have frames over 1 KiB (the response side matches a request
  // before the frame's last byte), closed after every byte offset of their response stream.
  const largestFrame = (b: Buffer) => {
    let m = 0;
    for (let p = 0; p + 4 <= b.length; p += 4 + b.readInt32BE(p)) m = Math.max(m, b.readInt32BE(p));
    return m;
  };
  const conns = loadFixtures()
    .filter((k) => largestFrame(k.resp) > 1100)
    .sort((x, y) => x.resp.length - y.resp.length)
    .slice(0, 3);
  assert.ok(conns.length > 0);
  const vm = new ProxyWasmVm({ wasmPath: WASM, log: () => {} });
  let closes = 0;
  for (const k of conns) {
    for (let at = 0; at <= k.resp.length; at++) {
      const c = vm.connect(CONN);
      c.downstream(k.req);
      if (at > 0) c.upstream(k.resp.subarray(0, at));
      c.close();
      closes++;
      const inFlight = value(vm, "kscope_requests_in_flight");
      if (inFlight !== 0) assert.fail(`${k.name}: closed after ${at} of ${k.resp.length} response bytes, in flight ${inFlight}`);
    }
  }
  assert.ok(closes > 3000, `${closes} closes`);
  assert.equal(value(vm, "kscope_connections_active"), 0);
});

// The filter's cost as frames grow: Produce and Fetch exchanges with 1 to 1,000 partitions per
// request and 1 to 16 record batches per partition, replayed through kscope.wasm (and the no-op
// filter, the floor) in kscope's host, in 16 KiB chunks (Envoy's read size), CPU µs per exchange
// and per partition. Then the Wasm memory of 10,000 idle connections, and the memory over a
// million requests on long connections.
//   node dist/bench/sweep.js [partitions: 1,10,100,1000] [batches: 1,4,16]
// Env: KSCOPE_WASM (modules to compare, comma-separated), SWEEP_MS (CPU ms per cell), SWEEP_MEMORY=0
// (table only), SWEEP_REQUESTS (default 1,000,000).
import path from "node:path";
import { ProxyWasmVm } from "../host/wasm/vm";
import { int16, int32, request, response, str } from "../test/support/frames";

const ROOT = path.join(__dirname, "..", "..");
const CHUNK = 16384;

function int64(n: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(n);
  return b;
}

/** A v2 record batch of `records` records in `size` bytes (headers as a producer writes them; the record bytes are filler). */
function batch(baseOffset: number, records: number, size = 256): Buffer {
  const b = Buffer.alloc(size);
  b.writeBigInt64BE(BigInt(baseOffset), 0);
  b.writeInt32BE(size - 12, 8); // batch length
  b.writeInt8(2, 16); // magic
  b.writeInt32BE(records - 1, 23); // last offset delta
  const now = BigInt(Date.now());
  b.writeBigInt64BE(now, 27); // base timestamp
  b.writeBigInt64BE(now, 35); // max timestamp
  b.writeBigInt64BE(-1n, 43); // producer id
  b.writeInt32BE(records, 57);
  return b;
}

const RECORDS = 4;

/** The records blob of one partition: `batches` batches of RECORDS records. */
function blob(batches: number): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < batches; i++) parts.push(batch(i * RECORDS, RECORDS));
  const all = Buffer.concat(parts);
  return Buffer.concat([int32(all.length), all]);
}

interface Exchange {
  req: Buffer;
  resp: Buffer;
}

/** Produce v3 (acks=all) to `parts` partitions of one topic, and its response. */
function produce(parts: number, batches: number): Exchange {
  const b = blob(batches);
  const ps: Buffer[] = [];
  for (let p = 0; p < parts; p++) ps.push(int32(p), b);
  const req = request(
    0,
    3,
    7,
    "sweep",
    false,
    Buffer.concat([str(null), int16(-1), int32(30000), int32(1), str("sweep"), int32(parts), ...ps]),
  );
  const rs: Buffer[] = [];
  for (let p = 0; p < parts; p++) rs.push(int32(p), int16(0), int64(1000n), int64(-1n));
  const resp = response(7, false, Buffer.concat([int32(1), str("sweep"), int32(parts), ...rs, int32(0)]));
  return { req, resp };
}

/** Fetch v4 of `parts` partitions of one topic, and its response carrying `batches` batches per partition. */
function fetch(parts: number, batches: number): Exchange {
  const ps: Buffer[] = [];
  for (let p = 0; p < parts; p++) ps.push(int32(p), int64(0n), int32(1 << 20));
  const req = request(
    1,
    4,
    8,
    "sweep",
    false,
    Buffer.concat([int32(-1), int32(500), int32(1), int32(50 << 20), Buffer.from([0]), int32(1), str("sweep"), int32(parts), ...ps]),
  );
  const b = blob(batches);
  const rs: Buffer[] = [];
  for (let p = 0; p < parts; p++)
    rs.push(int32(p), int16(0), int64(BigInt(batches * RECORDS)), int64(BigInt(batches * RECORDS)), int32(-1), b);
  const resp = response(8, false, Buffer.concat([int32(0), int32(1), str("sweep"), int32(parts), ...rs]));
  return { req, resp };
}

function send(fc: ReturnType<ProxyWasmVm["connect"]>, ex: Exchange): void {
  for (let i = 0; i < ex.req.length; i += CHUNK) fc.downstream(ex.req.subarray(i, i + CHUNK));
  for (let i = 0; i < ex.resp.length; i += CHUNK) fc.upstream(ex.resp.subarray(i, i + CHUNK));
}

/** Allocations per exchange of the last time() call (modules instrumented by scripts/count-allocs.mjs). */
let allocsPerExchange: number | undefined;

/** CPU µs per exchange, over at least `minMs` of replay on one long connection. */
function time(vm: ProxyWasmVm, ex: Exchange, minMs = 300): number {
  const fc = vm.connect({ source: "127.0.0.1:1", destination: "127.0.0.1:2" });
  // warm up (series defined, JIT tiered up) and find a batch of sends worth ~2 ms between clock reads
  let batch = 1;
  const w0 = process.cpuUsage();
  for (let cpu = 0; cpu < minMs * 200;) {
    const c0 = process.cpuUsage(w0).user;
    for (let i = 0; i < batch; i++) send(fc, ex);
    cpu = process.cpuUsage(w0).user;
    if (cpu - c0 < 2000) batch *= 2;
  }
  let n = 0,
    us = 0;
  const allocs0 = vm.exportedGlobal("allocs");
  const cpu0 = process.cpuUsage();
  while (us < minMs * 1000) {
    for (let i = 0; i < batch; i++) send(fc, ex);
    n += batch;
    const c = process.cpuUsage(cpu0);
    us = c.user + c.system;
  }
  if (allocs0 !== undefined) allocsPerExchange = (vm.exportedGlobal("allocs")! - allocs0) / n;
  fc.close();
  return us / n;
}

const partsList = (process.argv[2] ?? "1,10,100,1000").split(",").map(Number);
const batchList = (process.argv[3] ?? "1,4,16").split(",").map(Number);
// KSCOPE_WASM: one module, or several (comma-separated: before/after, build variants) measured interleaved
const wasms = (process.env.KSCOPE_WASM ?? path.join(ROOT, "build", "kscope.wasm")).split(",");
const kscopeWasm = wasms[wasms.length - 1];
const quiet = { log: () => {} };
const vms = [path.join(ROOT, "build", "noop.wasm"), ...wasms].map((w) => new ProxyWasmVm({ wasmPath: w, ...quiet }));
const names = wasms.map((w) => path.basename(w));

console.log(
  `partition sweep: ${CHUNK / 1024} KiB chunks, batches of ${RECORDS} records in 256 B; CPU µs, the lower of two interleaved passes`,
);
console.log(
  `| API | partitions | batches / partition | bytes | no-op µs / exchange | ${names.map((n) => `${n} µs / exchange | µs / partition`).join(" | ")} |`,
);
console.log(`|---|---|---|---|---|${names.map(() => "---|---|").join("")}`);
const minMs = Number(process.env.SWEEP_MS ?? 300);
for (const [api, make] of [
  ["Produce", produce],
  ["Fetch", fetch],
] as const) {
  for (const b of batchList) {
    for (const p of partsList) {
      const ex = make(p, b);
      const best = vms.map(() => Infinity);
      for (let pass = 0; pass < 2; pass++) vms.forEach((vm, i) => (best[i] = Math.min(best[i], time(vm, ex, minMs / 2))));
      const cols = best.slice(1).map((k) => `${k.toFixed(2)} | ${(k / p).toFixed(3)}`);
      const allocs = allocsPerExchange !== undefined ? ` allocations / exchange: ${allocsPerExchange.toFixed(3)}` : "";
      console.log(`| ${api} | ${p} | ${b} | ${ex.req.length + ex.resp.length} | ${best[0].toFixed(2)} | ${cols.join(" | ")} |${allocs}`);
    }
  }
}

// Wasm memory per idle connection: 10,000 connections left open, with no bytes yet, then each after
// one small exchange (a fresh VM each time: pages only grow).
if (process.env.SWEEP_MEMORY !== "0") {
  for (const traffic of [false, true]) {
    const vm = new ProxyWasmVm({ wasmPath: kscopeWasm, ...quiet });
    const ex = produce(1, 1);
    send(vm.connect({ source: "127.0.0.1:1", destination: "127.0.0.1:2" }), ex); // series defined before
    const before = vm.memoryPages();
    const conns = [];
    // The heap grows (doubling) when it is full: between two growths, the connections opened
    // filled exactly the pages the first one added.
    const growths: [number, number][] = [];
    for (let i = 0; i < 10000; i++) {
      const fc = vm.connect({ source: `127.0.0.1:${10000 + i}`, destination: "127.0.0.1:2" });
      if (traffic) send(fc, ex);
      conns.push(fc);
      const pages = vm.memoryPages();
      if (pages !== (growths.at(-1)?.[1] ?? before)) growths.push([i + 1, pages]);
    }
    const after = vm.memoryPages();
    let filled = "?";
    if (growths.length > 1) {
      const [[n1, p1], [n2]] = growths.slice(-2);
      filled = (((p1 - (growths.at(-3)?.[1] ?? before)) * 65536) / (n2 - n1)).toFixed(0);
    }
    console.log(
      `10,000 idle connections ${traffic ? "after one Produce exchange each" : "with no bytes yet"}: Wasm memory ${before} -> ${after} pages ` +
        `(${(((after - before) * 65536) / 10000).toFixed(0)} bytes per connection as pages); heap grew at ${growths.map(([n, p]) => `${n}: ${p}`).join(", ")} ` +
        `(connections: pages), so ${filled} bytes per connection filled between the last two growths`,
    );
    for (const fc of conns) fc.close();
  }
}

// Flat over a million requests: 100 long connections, 10,000 Produce + Fetch exchanges each.
if (process.env.SWEEP_MEMORY !== "0") {
  const vm = new ProxyWasmVm({ wasmPath: kscopeWasm, ...quiet });
  const exs = [produce(3, 1), fetch(3, 1)];
  const conns = Array.from({ length: 100 }, (_, i) => vm.connect({ source: `127.0.0.1:${20000 + i}`, destination: "127.0.0.1:2" }));
  const marks: string[] = [];
  const total = Number(process.env.SWEEP_REQUESTS ?? 1_000_000);
  for (let r = 0; r < total; r++) {
    send(conns[r % conns.length], exs[(r / conns.length) & 1]);
    if ((r + 1) % (total / 4) === 0 || r === 999) marks.push(`${(r + 1).toLocaleString("en")}: ${vm.memoryPages()}`);
  }
  console.log(
    `Wasm pages over ${total.toLocaleString("en")} requests on 100 connections (Produce and Fetch, 3 partitions): ${marks.join(", ")}`,
  );
}

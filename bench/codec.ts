// The filter's own cost, without sockets: replays the recorded client/broker streams in
// test/fixtures/ through kscope.wasm (and the no-op filter, as the floor) in kscope's host, in
// 1 KiB chunks, and reports CPU µs per Kafka frame and host calls per frame. Same V8 engine as Envoy.
// Two modes: the connections as recorded (~10 frames each, so connection setup weighs a lot),
// and long connections (each recorded exchange replayed LONG times on one connection), the
// steady state of real clients that keep their connections open.
//   node dist/bench/codec.js [iterations per trial] [modes: recorded,long,bulk]     env: CODEC_TRIALS (5), KSCOPE_WASM
import path from "node:path";
import { ProxyWasmVm } from "../host/wasm/vm";
import { Conn, loadFixtures } from "../test/support/fixtures";
import { median } from "./stats";

const ROOT = path.join(__dirname, "..", "..");

/**
 * Bulk traffic like bench/run.ts's (ProducerPerformance, 1 KiB records, 64 KiB batches): Produce v3
 * requests of 3 partitions x one 64 KiB batch of 63 records, and their responses, as one
 * connection; replayed in 16 KiB chunks (Envoy's read size) the bytes are mostly records skipped.
 */
export function bulkConn(requests: number): Conn {
  const BATCH = 65536,
    PARTS = 3;
  const reqs: Buffer[] = [],
    resps: Buffer[] = [];
  for (let r = 0; r < requests; r++) {
    const head = Buffer.alloc(4 + 2 + 2 + 4 + 2 + 4 + 2 + 2 + 4 + 4 + 2 + 6 + 4);
    let o = 4;
    o = head.writeInt16BE(0, o);
    o = head.writeInt16BE(3, o);
    o = head.writeInt32BE(r, o); // Produce v3, correlation id
    o = head.writeInt16BE(4, o);
    o += head.write("perf", o); // client id
    o = head.writeInt16BE(-1, o);
    o = head.writeInt16BE(1, o);
    o = head.writeInt32BE(30000, o); // txn id, acks, timeout
    o = head.writeInt32BE(1, o);
    o = head.writeInt16BE(6, o);
    o += head.write("orders", o);
    o = head.writeInt32BE(PARTS, o);
    const parts: Buffer[] = [head.subarray(0, o)];
    for (let p = 0; p < PARTS; p++) {
      const pre = Buffer.alloc(8);
      pre.writeInt32BE(p, 0);
      pre.writeInt32BE(BATCH, 4);
      const batch = Buffer.alloc(BATCH);
      batch.writeBigInt64BE(BigInt(r * 63), 0);
      batch.writeInt32BE(BATCH - 12, 8);
      batch.writeInt8(2, 16);
      batch.writeInt32BE(62, 23);
      batch.writeBigInt64BE(-1n, 43);
      batch.writeInt32BE(63, 57);
      parts.push(pre, batch);
    }
    const req = Buffer.concat(parts);
    req.writeInt32BE(req.length - 4, 0);
    reqs.push(req);
    const resp = Buffer.alloc(4 + 4 + 4 + 2 + 6 + 4 + PARTS * (4 + 2 + 8 + 8) + 4);
    o = 4;
    o = resp.writeInt32BE(r, o);
    o = resp.writeInt32BE(1, o);
    o = resp.writeInt16BE(6, o);
    o += resp.write("orders", o);
    o = resp.writeInt32BE(PARTS, o);
    for (let p = 0; p < PARTS; p++) {
      o = resp.writeInt32BE(p, o);
      o = resp.writeInt16BE(0, o);
      o = resp.writeBigInt64BE(BigInt(r * 63), o);
      o = resp.writeBigInt64BE(-1n, o);
    }
    resp.writeInt32BE(resp.length - 4, 0);
    resps.push(resp);
  }
  return { name: "bulk", req: Buffer.concat(reqs), resp: Buffer.concat(resps), frames: requests * 2 };
}

/** Exchanges replayed per connection in the long-connection mode. */
const LONG = 50;

/** Replays each recorded connection `rounds` times over one connection (requests, then responses). */
function replay(vm: ProxyWasmVm, conns: Conn[], chunk: number, rounds: number): number {
  let chunks = 0;
  for (const c of conns) {
    const fc = vm.connect({ source: "127.0.0.1:1", destination: "127.0.0.1:2" });
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < c.req.length; i += chunk, chunks++) fc.downstream(c.req.subarray(i, i + chunk));
      for (let i = 0; i < c.resp.length; i += chunk, chunks++) fc.upstream(c.resp.subarray(i, i + chunk));
    }
    fc.close();
  }
  return chunks;
}

interface Result {
  usPerFrame: number;
  usPerChunk: number;
  calls: Map<string, number>;
}

/** Trials per mode: the modules take turns, trial after trial; each figure is the median. */
const TRIALS = Number(process.env.CODEC_TRIALS ?? 5);

/** Each module in turn, TRIALS times over, `iterations` replays' worth per trial. */
function run(wasms: string[], conns: Conn[], iterations: number, rounds: number, chunk = 1024): Result[] {
  const vms = wasms.map((w) => new ProxyWasmVm({ wasmPath: w, log: () => {} }));
  iterations = Math.max(1, Math.round(iterations / rounds));
  for (const vm of vms) for (let i = 0; i < Math.max(2, 20 / rounds); i++) replay(vm, conns, chunk, rounds); // warm up the JIT
  const framesPerReplay = conns.reduce((a, c) => a + c.frames, 0) * rounds;
  const perFrame: number[][] = vms.map(() => []),
    perChunk: number[][] = vms.map(() => []);
  for (let t = 0; t < TRIALS; t++)
    vms.forEach((vm, k) => {
      // CPU time, not wall time: on a shared machine it does not count time spent descheduled.
      const cpu0 = process.cpuUsage();
      let chunks = 0;
      for (let i = 0; i < iterations; i++) chunks += replay(vm, conns, chunk, rounds);
      const cpu = process.cpuUsage(cpu0);
      const us = cpu.user + cpu.system;
      perFrame[k].push(us / (framesPerReplay * iterations));
      perChunk[k].push(us / chunks);
    });
  return vms.map((vm, k) => {
    vm.countCalls = true;
    const allocs0 = vm.exportedGlobal("allocs");
    replay(vm, conns, chunk, rounds);
    const calls = new Map([...vm.calls].map(([name, v]) => [name, v / framesPerReplay]));
    // a module instrumented by scripts/count-allocs.mjs counts AssemblyScript's __new calls
    if (allocs0 !== undefined) calls.set("allocations (__new)", (vm.exportedGlobal("allocs")! - allocs0) / framesPerReplay);
    return { usPerFrame: median(perFrame[k]), usPerChunk: median(perChunk[k]), calls };
  });
}

function report(title: string, name: string, kscope: Result, noop: Result): void {
  console.log(
    `${title}: ${name} ${kscope.usPerFrame.toFixed(2)} µs/frame; no-op filter ${noop.usPerFrame.toFixed(2)} µs/frame; ratio ${(kscope.usPerFrame / noop.usPerFrame).toFixed(2)}` +
      `; per chunk ${kscope.usPerChunk.toFixed(2)} vs ${noop.usPerChunk.toFixed(2)} µs`,
  );
  console.log(`  host calls per frame: ${[...kscope.calls].map(([k, v]) => `${k} ${v.toFixed(2)}`).join(", ")}`);
}

const iterations = Number(process.argv[2] ?? 200);
const conns = loadFixtures();
const bytes = conns.reduce((a, c) => a + c.req.length + c.resp.length, 0);
// KSCOPE_WASM: one module, or several (comma-separated, e.g. bench/variants.sh's builds) run interleaved
const modules = (process.env.KSCOPE_WASM ?? path.join(ROOT, "build", "kscope.wasm")).split(",");
const noopWasm = path.join(ROOT, "build", "noop.wasm");
console.log(
  `${conns.length} recorded connections, ${conns.reduce((a, c) => a + c.frames, 0)} frames, ${bytes} bytes, replayed ${iterations}× in 1 KiB chunks per trial; medians of ${TRIALS} trials`,
);

/** The no-op floor and each module, taking turns, in one run. */
function compare(title: string, measure: (wasms: string[]) => Result[]): void {
  const [noop, ...rest] = measure([noopWasm, ...modules]);
  rest.forEach((r, k) => report(title, path.basename(modules[k]), r, noop));
}

const modes = (process.argv[3] ?? "recorded,long,bulk").split(",");
if (modes.includes("recorded")) compare("as recorded", (w) => run(w, conns, iterations, 1));
if (modes.includes("long")) compare(`long connections (${LONG} rounds each)`, (w) => run(w, conns, iterations, LONG));
const bulk = [bulkConn(20)];
if (modes.includes("bulk")) compare("bulk Produce (192 KiB requests, 16 KiB chunks)", (w) => run(w, bulk, iterations, 1, 16384));

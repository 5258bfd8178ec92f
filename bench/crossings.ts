// The price of a host call in Envoy: a micro filter (bench/wasm/reads.ts) that only calls
// proxy_get_buffer_bytes N times per chunk, against tcp_proxy and the no-op filter, on one
// Envoy worker. No Kafka: each client connection sends a message and waits for a short ack from
// a Node sink, so every message is about one chunk each way. Interleaved rounds, medians of
// Envoy's CPU µs per data callback (the filter counts its callbacks). Not a test.
//   npm run build:noop && npm run build:reads && node dist/bench/crossings.js
//   env: CROSS_ROUNDS (3), CROSS_MESSAGES (20000), CROSS_SIZE (16384), CROSS_CONNS (4),
//        CROSS_VARIANTS (names, comma-separated), CROSS_RUNTIME (envoy.wasm.runtime.v8)
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { startEnvoy, renderEnvoyConfig, repoRoot, procCpuSeconds, type Envoy } from "../test/support/envoy";
import { startKscope } from "../test/support/kscope";
import { median } from "./stats";

const ROUNDS = Number(process.env.CROSS_ROUNDS ?? 3);
const MESSAGES = Number(process.env.CROSS_MESSAGES ?? 20_000);
const SIZE = Number(process.env.CROSS_SIZE ?? 16_384);
const CONNS = Number(process.env.CROSS_CONNS ?? 4);
const RUNTIME = process.env.CROSS_RUNTIME ?? "envoy.wasm.runtime.v8";
const ACK = 16;

interface Variant {
  name: string;
  /** Run kscope's own host (kscope proxy) instead of Envoy. */
  host?: boolean;
  wasm?: string;
  /** The reads module's configuration, "READS SIZE [WORK]" (SIZE 0: the whole chunk). */
  config?: string;
}
const build = (f: string) => path.join(repoRoot, "build", f);
const VARIANTS: Variant[] = [
  { name: "tcp_proxy" },
  { name: "no-op wasm", wasm: build("noop.wasm") },
  ...[
    [0, 8],
    [1, 8],
    [4, 8],
    [16, 8],
    [1, 0],
    [4, 0],
  ].map(([n, s]) => ({ name: `reads ${n}×${s ? `${s} B` : "chunk"}`, wasm: build("reads.wasm"), config: `${n} ${s}` })),
  // The same Wasm code in both hosts: 20,000 iterations of a loop of loads, branches and stores per callback.
  { name: "work 20000", wasm: build("reads.wasm"), config: "0 8 20000" },
  { name: "kscope host + work 20000", host: true, wasm: build("reads.wasm"), config: "0 8 20000" },
  // The same load through kscope's host: its cost per chunk next to Envoy's.
  { name: "kscope host, no filter", host: true },
  { name: "kscope host + no-op wasm", host: true, wasm: build("noop.wasm") },
  { name: "kscope host + reads 16×8 B", host: true, wasm: build("reads.wasm"), config: "16 8" },
].filter((v) => !process.env.CROSS_VARIANTS || process.env.CROSS_VARIANTS.split(",").includes(v.name));

/** A sink that answers each SIZE bytes it receives with an ACK-byte reply. */
async function startSink(): Promise<net.Server> {
  const server = net.createServer((s) => {
    let have = 0;
    const ack = Buffer.alloc(ACK, 1);
    s.on("data", (d) => {
      have += d.length;
      while (have >= SIZE) {
        have -= SIZE;
        s.write(ack);
      }
    });
    s.on("error", () => s.destroy());
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return server;
}

/** `count` request/ack round trips on one connection. */
function pingPong(port: number, count: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const msg = Buffer.alloc(SIZE, 7);
    const s = net.connect(port, "127.0.0.1", () => s.write(msg));
    s.setNoDelay(true);
    let done = 0,
      acked = 0;
    s.on("data", (d) => {
      acked += d.length;
      while (acked >= ACK) {
        acked -= ACK;
        if (++done === count) {
          s.end();
          return resolve();
        }
        s.write(msg);
      }
    });
    s.on("error", reject);
  });
}

/** The example bootstrap for this variant, with the Wasm runtime swapped when asked. */
function render(v: Variant, upstream: string) {
  return (listenPort: number, adminPort: number): string =>
    renderEnvoyConfig({ listenPort, adminPort, upstream, withWasm: !!v.wasm, wasmPath: v.wasm, pluginConfig: v.config }).replace(
      "runtime: envoy.wasm.runtime.v8",
      `runtime: ${RUNTIME}`,
    );
}

async function callbacks(e: Envoy): Promise<number> {
  const m = /reads_callbacks: (\d+)/.exec(await e.admin("/stats?filter=reads_callbacks"));
  return m ? Number(m[1]) : NaN;
}

interface Figures {
  perMsg: number;
  callbacksPerMsg: number;
}

async function measureHost(v: Variant, upstream: string): Promise<Figures> {
  const args = v.config ? ["--config", v.config] : [];
  const k = await startKscope({ upstream, filter: !!v.wasm, wasm: v.wasm, args });
  try {
    await Promise.all(Array.from({ length: CONNS }, () => pingPong(k.listenPort, 500))); // warm-up
    const cpu0 = procCpuSeconds(k.proc.pid);
    const per = Math.ceil(MESSAGES / CONNS);
    await Promise.all(Array.from({ length: CONNS }, () => pingPong(k.listenPort, per)));
    return { perMsg: ((procCpuSeconds(k.proc.pid) - cpu0) / (per * CONNS)) * 1e6, callbacksPerMsg: NaN };
  } finally {
    await k.stop();
  }
}

async function measure(v: Variant, upstream: string): Promise<Figures> {
  if (v.host) return measureHost(v, upstream);
  const e = await startEnvoy({ upstream, render: render(v, upstream), logLevel: "warning", name: "envoy-cross" });
  try {
    await Promise.all(Array.from({ length: CONNS }, () => pingPong(e.listenPort, 500))); // warm-up
    const c0 = v.config ? await callbacks(e) : 0;
    const cpu0 = e.cpuSeconds();
    const per = Math.ceil(MESSAGES / CONNS);
    await Promise.all(Array.from({ length: CONNS }, () => pingPong(e.listenPort, per)));
    const cpu = e.cpuSeconds() - cpu0;
    const n = per * CONNS;
    const cb = v.config ? (await callbacks(e)) - c0 : NaN;
    return { perMsg: (cpu / n) * 1e6, callbacksPerMsg: cb / n };
  } finally {
    await e.stop();
  }
}

async function main(): Promise<void> {
  const sink = await startSink();
  const upstream = `127.0.0.1:${(sink.address() as net.AddressInfo).port}`;
  const res = new Map<string, Figures[]>(VARIANTS.map((v) => [v.name, []]));
  try {
    for (let r = 0; r < ROUNDS; r++) {
      const order = VARIANTS.map((_, i) => VARIANTS[(i + r) % VARIANTS.length]);
      for (const v of order) {
        const f = await measure(v, upstream);
        res.get(v.name)!.push(f);
        console.error(
          `round ${r + 1}/${ROUNDS} ${v.name}: ${f.perMsg.toFixed(2)} CPU µs/message, ${f.callbacksPerMsg.toFixed(2)} callbacks/message (load ${os.loadavg()[0].toFixed(1)})`,
        );
      }
    }
  } finally {
    sink.close();
  }
  const base = median(res.get(VARIANTS[0].name)!.map((f) => f.perMsg));
  console.log(
    `Envoy ${RUNTIME}, 1 worker; ${CONNS} connections × ${SIZE} B messages / ${ACK} B acks, ${MESSAGES} messages; ${ROUNDS} rounds, medians.`,
  );
  console.log(`| variant | proxy CPU µs / message | × ${VARIANTS[0].name} | callbacks / message |`);
  console.log("|---|---|---|---|");
  for (const v of VARIANTS) {
    const fs = res.get(v.name)!;
    const m = median(fs.map((f) => f.perMsg));
    console.log(
      `| ${v.name} | ${m.toFixed(2)} | ${(m / base).toFixed(2)} | ${v.config && !v.host ? median(fs.map((f) => f.callbacksPerMsg)).toFixed(2) : "–"} |`,
    );
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

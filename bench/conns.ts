// Many concurrent connections through kscope's host with the filter, against a real broker:
// each connection sends ApiVersions then Metadata, then a fixed total rate of Metadata requests
// is spread over all of them, round robin. Reports the proxy's memory per connection (RSS and
// Wasm memory, before and after) and latency percentiles against the direct path at the same
// rate. The proxy runs in a child process (this file with "proxy"): the host's startProxy and
// ProxyWasmVm, composed as `kscope proxy` composes them, without the admin server. Not a test.
//   node dist/bench/conns.js      env: CONNS_N (10000, capped by the fd limit), CONNS_RATE (2000 req/s), CONNS_SECONDS (20), CONNS_ROUNDS (2), CONNS_WASM,
//        CONNS_NODE_FLAGS (for the proxy's Node, e.g. --trace-gc), CONNS_COMPARE_FLAGS (a second proxy with these flags, interleaved)
import { fork, execFileSync, type ChildProcess } from "node:child_process";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { startKafka, type Broker } from "../test/support/kafka";
import { freePort } from "../test/support/ports";
import { procCpuSeconds } from "../test/support/envoy";
import { int32, request, str } from "../test/support/frames";
import { startProxy } from "../host/proxy";
import { ProxyWasmVm } from "../host/wasm/vm";

const RATE = Number(process.env.CONNS_RATE ?? 2000);
const SECONDS = Number(process.env.CONNS_SECONDS ?? 20);
const TOPIC = "conns";
const OPEN_AT_ONCE = 200;
const ROUNDS = Number(process.env.CONNS_ROUNDS ?? 2);

// The proxy holds two descriptors per connection (client and upstream) under the same limit.
const FD_LIMIT = Number(execFileSync("sh", ["-c", "ulimit -Hn"], { encoding: "utf8" }).trim()) || 1024;
const N = Math.min(Number(process.env.CONNS_N ?? 10_000), Math.floor((FD_LIMIT - 100) / 2));

interface Memory {
  rssMiB: number;
  heapMiB: number;
  wasmPages: number;
}

/** The child: a proxy with the filter, answering memory questions over IPC. */
async function proxyChild(upstream: string, port: number): Promise<void> {
  const wasmPath = process.env.CONNS_WASM ?? path.join(__dirname, "..", "..", "build", "kscope.wasm");
  const vm = new ProxyWasmVm({ wasmPath, configuration: "{}" });
  const [host, p] = upstream.split(":");
  await startProxy({ listen: { host: "127.0.0.1", port }, upstream: { host, port: Number(p) }, vm });
  process.on("message", () => {
    global.gc?.();
    const m = process.memoryUsage();
    process.send!({ rssMiB: m.rss / 2 ** 20, heapMiB: m.heapUsed / 2 ** 20, wasmPages: vm.memoryPages() } satisfies Memory);
  });
  process.send!("ready");
}

function ask(child: ChildProcess): Promise<Memory> {
  return new Promise((r) => {
    child.once("message", (m) => r(m as Memory));
    child.send("memory");
  });
}

/** One client connection: frames out, responses matched by correlation id. */
class Conn {
  private buf = Buffer.alloc(0);
  private next = 1;
  private waiting = new Map<number, (t: number) => void>();
  constructor(readonly sock: net.Socket) {
    sock.on("data", (d) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
      while (this.buf.length >= 8) {
        const size = this.buf.readInt32BE(0);
        if (this.buf.length < 4 + size) break;
        const corr = this.buf.readInt32BE(4);
        this.buf = this.buf.subarray(4 + size);
        this.waiting.get(corr)?.(performance.now());
        this.waiting.delete(corr);
      }
    });
  }
  /** Sends a request; resolves with its latency in ms. */
  send(apiKey: number, version: number, body: Buffer): Promise<number> {
    const corr = this.next++;
    const t0 = performance.now();
    return new Promise((resolve, reject) => {
      this.waiting.set(corr, (t) => resolve(t - t0));
      this.sock.write(request(apiKey, version, corr, "kscope-conns", false, body), (err) => err && reject(err));
    });
  }
}

const metadata = Buffer.concat([int32(1), str(TOPIC)]); // Metadata v1: one topic

async function open(port: number): Promise<Conn> {
  const sock = net.connect({ port, host: "127.0.0.1", noDelay: true });
  await new Promise<void>((resolve, reject) => sock.once("connect", resolve).once("error", reject));
  sock.on("error", () => {});
  const c = new Conn(sock);
  await c.send(18, 0, Buffer.alloc(0)); // ApiVersions v0
  await c.send(3, 1, metadata);
  return c;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

interface Figures {
  /** The proxy's CPU µs per request while they run (NaN on the direct path). */
  cpuUs: number;
  opened: number;
  openSeconds: number;
  /** Requests per second actually sent (the timer lags on a loaded machine). */
  rate: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

/** Opens N connections, calls `opened` (memory is sampled there, not while requests run: it collects garbage), then the rated phase. */
async function run(
  port: number,
  opened: () => Promise<void> = async () => {},
  cpu: () => number = () => NaN,
  n = N,
  seconds = SECONDS,
): Promise<Figures> {
  const conns: Conn[] = [];
  const t0 = performance.now();
  while (conns.length < n) {
    const batch = Math.min(OPEN_AT_ONCE, n - conns.length);
    conns.push(...(await Promise.all(Array.from({ length: batch }, () => open(port)))));
  }
  const openSeconds = (performance.now() - t0) / 1000;
  await opened();
  const cpu0 = cpu();
  // A fixed total rate: every 10 ms, the next RATE/100 connections each send one Metadata.
  const lat: Promise<number>[] = [];
  let i = 0;
  const perTick = RATE / 100;
  let owed = 0;
  await new Promise<void>((resolve) => {
    const end = Date.now() + seconds * 1000;
    const timer = setInterval(() => {
      if (Date.now() >= end) {
        clearInterval(timer);
        return resolve();
      }
      owed += perTick;
      for (; owed >= 1; owed--) lat.push(conns[i++ % conns.length].send(3, 1, metadata));
    }, 10);
  });
  const ms = await Promise.all(lat);
  const cpuUs = ((cpu() - cpu0) / ms.length) * 1e6;
  for (const c of conns) c.sock.destroy();
  return {
    cpuUs,
    opened: conns.length,
    openSeconds,
    rate: ms.length / seconds,
    p50: pct(ms, 50),
    p99: pct(ms, 99),
    p999: pct(ms, 99.9),
    max: Math.max(...ms),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const broker: Broker = await startKafka({ proxyPort: await freePort() });
  const row = (name: string, f: Figures) =>
    `| ${name} | ${f.opened} | ${f.openSeconds.toFixed(1)} | ${Math.round(f.rate)} | ${f.p50.toFixed(2)} | ${f.p99.toFixed(2)} | ${f.p999.toFixed(2)} | ${f.max.toFixed(1)} | ${Number.isNaN(f.cpuUs) ? "–" : f.cpuUs.toFixed(0)} |`;
  try {
    await broker.createTopic(TOPIC, 3);
    const direct = Number(broker.directBootstrap.split(":").pop());
    // One proxy per set of Node flags: the default, and CONNS_COMPARE_FLAGS (e.g. a larger young generation) if given.
    const flagSets = [process.env.CONNS_NODE_FLAGS ?? "", ...(process.env.CONNS_COMPARE_FLAGS ? [process.env.CONNS_COMPARE_FLAGS] : [])];
    const proxies: { name: string; port: number; child: ChildProcess }[] = [];
    for (const flags of flagSets) {
      const port = await freePort();
      const child = fork(__filename, ["proxy", broker.directBootstrap, String(port)], {
        execArgv: ["--expose-gc", ...flags.split(" ").filter(Boolean)],
      });
      await new Promise((r) => child.once("message", r));
      proxies.push({ name: `kscope host + kscope.wasm${flags ? ` (node ${flags})` : ""}`, port, child });
    }
    try {
      const rows: string[] = [];
      const mem: string[] = [];
      // Interleaved: direct, then each proxy, round after round.
      await run(direct, undefined, undefined, 200, 10); // warm-up of the broker (its JIT), not reported
      for (let round = 1; round <= ROUNDS; round++) {
        const d = await run(direct);
        rows.push(row(`direct (round ${round})`, d));
        console.error(rows.at(-1), `load ${os.loadavg()[0].toFixed(1)}`);
        for (const { name, port, child } of proxies) {
          await sleep(2000);
          const before = await ask(child);
          let held!: Memory;
          const p = await run(
            port,
            async () => {
              held = await ask(child);
            },
            () => procCpuSeconds(child.pid!),
          );
          await sleep(2000);
          const after = await ask(child);
          rows.push(row(`${name} (round ${round})`, p));
          console.error(rows.at(-1), `load ${os.loadavg()[0].toFixed(1)}`);
          mem.push(
            `| ${name} (round ${round}) | ${before.rssMiB.toFixed(1)} | ${held.rssMiB.toFixed(1)} | ${after.rssMiB.toFixed(1)} | ${(((held.rssMiB - before.rssMiB) * 2 ** 20) / p.opened / 1024).toFixed(1)} | ${before.wasmPages} | ${held.wasmPages} | ${after.wasmPages} | ${(((held.wasmPages - before.wasmPages) * 65536) / p.opened / 1024).toFixed(2)} | ${held.heapMiB.toFixed(1)} |`,
          );
        }
      }
      console.log(
        `${N} connections (fd limit ${FD_LIMIT}), ${RATE} Metadata v1 requests/s over ${SECONDS} s, round robin; ${os.cpus().length} CPUs, load ${os.loadavg()[0].toFixed(1)}.`,
      );
      console.log(
        "| path | connections | open s | requests/s sent | p50 ms | p99 ms | p99.9 ms | max ms | proxy CPU µs / request |\n|---|---|---|---|---|---|---|---|---|",
      );
      console.log(rows.join("\n"));
      console.log(
        "\n| proxy | RSS before MiB | RSS with all open | RSS after close | RSS KiB / connection | Wasm pages before | with all open | after close | Wasm KiB / connection | JS heap with all open MiB |\n|---|---|---|---|---|---|---|---|---|---|",
      );
      console.log(mem.join("\n"));
    } finally {
      for (const p of proxies) p.child.kill();
    }
  } finally {
    await broker.stop();
  }
}

if (process.argv[2] === "proxy") void proxyChild(process.argv[3], Number(process.argv[4]));
else
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });

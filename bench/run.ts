// kscope's benchmark: the same Kafka load through every path, interleaved round by round on
// one broker, reported as ratios to the direct path (medians of the rounds). Not a test.
//   node dist/bench/run.js            (make bench)    env: BENCH_ROUNDS, BENCH_RECORDS, BENCH_PATHS, BENCH_EXTRA_WASM
// The broker has two listeners: DIRECT (advertised as itself) and PROXIED (advertised at the
// proxy port): each proxied path starts its proxy on that port, runs the load, and stops.
import os from "node:os";
import path from "node:path";
import { startKafka, Broker } from "../test/support/kafka";
import { freePort } from "../test/support/ports";
import { startKscope } from "../test/support/kscope";
import { startEnvoy, procCpuSeconds } from "../test/support/envoy";
import { consumerPerf, producerPerf } from "../test/support/clients";
import { median } from "./stats";

interface Running {
  bootstrap: string;
  pid?: number;
  stop(): Promise<void>;
  calls?: () => Promise<number>;
}
interface Path {
  name: string;
  start(b: Broker, port: number): Promise<Running>;
}

const PATHS: Path[] = [
  { name: "direct", start: async (b) => ({ bootstrap: b.directBootstrap, stop: async () => {} }) },
  { name: "kscope host, no filter", start: (b, port) => kscope(b, port, false) },
  { name: "kscope host + kscope.wasm", start: (b, port) => kscope(b, port, true) },
  { name: "envoy tcp_proxy", start: (b, port) => envoy(b, port, false) },
  { name: "envoy + no-op wasm", start: (b, port) => envoy(b, port, true, NOOP_WASM) },
  { name: "envoy + kscope.wasm", start: (b, port) => envoy(b, port, true) },
  // BENCH_EXTRA_WASM=name=file,…: the same two proxied paths with another build (e.g. an older kscope.wasm).
  ...(process.env.BENCH_EXTRA_WASM ?? "")
    .split(",")
    .filter(Boolean)
    .flatMap((spec): Path[] => {
      const [name, file] = spec.split("=");
      return [
        { name: `kscope host + ${name}`, start: (b, port) => kscope(b, port, true, path.resolve(file)) },
        { name: `envoy + ${name}`, start: (b, port) => envoy(b, port, true, path.resolve(file)) },
      ];
    }),
];

async function kscope(b: Broker, port: number, filter: boolean, wasm?: string): Promise<Running> {
  const k = await startKscope({ upstream: b.proxiedUpstream, listenPort: port, filter, wasm });
  return { bootstrap: k.bootstrap, pid: k.proc.pid, stop: () => k.stop() };
}

async function envoy(b: Broker, port: number, withWasm: boolean, wasmPath?: string): Promise<Running> {
  const e = await startEnvoy({ upstream: b.proxiedUpstream, listenPort: port, withWasm, wasmPath, logLevel: "warning" });
  return { bootstrap: e.bootstrap, pid: e.pid, stop: () => e.stop() };
}

const ROOT = path.join(__dirname, "..", "..");
const NOOP_WASM = path.join(ROOT, "build", "noop.wasm"); // npm run build:noop (bench/wasm/noop.ts)

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const RECORDS = Number(process.env.BENCH_RECORDS ?? 200_000);
const WARMUP = 20_000;
const LATENCY_RATE = 5000; // records/s: well below saturation, so latency is the path, not producer queueing
const RECORD_SIZE = 1024;

interface Figures {
  produce: number;
  consume: number;
  p50: number;
  p99: number;
  cpuPerM: number;
}

function percentiles(stdout: string): { p50: number; p99: number } {
  const m = /([\d.]+) ms 50th, [\d.]+ ms 95th, ([\d.]+) ms 99th/.exec(stdout);
  if (!m) throw new Error(`no percentiles in ProducerPerformance output:\n${stdout}`);
  return { p50: Number(m[1]), p99: Number(m[2]) };
}

async function measure(path: Path, broker: Broker, port: number, round: number): Promise<Figures> {
  const r = await path.start(broker, port);
  try {
    const topic = `bench-${round}-${path.name.replace(/\W+/g, "-")}`;
    await broker.createTopic(topic, 3);
    const props = { acks: 1, "linger.ms": 5, "batch.size": 65536 };
    // Warm up first (not measured): JIT tiers and the Wasm module's compilation are one-off costs.
    await producerPerf(r.bootstrap, topic, WARMUP, { recordSize: RECORD_SIZE, throughput: -1, producerProps: props, timeoutMs: 120_000 });
    await consumerPerf(r.bootstrap, topic, WARMUP, { timeoutMs: 120_000 });
    const cpu0 = r.pid ? procCpuSeconds(r.pid) : 0;
    const full = await producerPerf(r.bootstrap, topic, RECORDS, {
      recordSize: RECORD_SIZE,
      throughput: -1,
      producerProps: props,
      timeoutMs: 300_000,
    });
    const cons = await consumerPerf(r.bootstrap, topic, RECORDS + WARMUP, { timeoutMs: 300_000 });
    const lat = await producerPerf(r.bootstrap, topic, LATENCY_RATE * 5, {
      recordSize: RECORD_SIZE,
      throughput: LATENCY_RATE,
      producerProps: props,
      timeoutMs: 120_000,
    });
    const cpu = r.pid ? procCpuSeconds(r.pid) - cpu0 : NaN;
    const moved = RECORDS * 2 + WARMUP + LATENCY_RATE * 5; // records through the proxy while measured
    return { produce: full.recordsPerSec, consume: cons.msgPerSec, ...percentiles(lat.stdout), cpuPerM: (cpu / moved) * 1e6 };
  } finally {
    await r.stop();
  }
}

async function main(): Promise<void> {
  const only = process.env.BENCH_PATHS?.split(/,(?! )/); // a comma followed by a space is part of a name ("kscope host, no filter")
  const paths = PATHS.filter((p) => !only || only.includes(p.name));
  const port = await freePort();
  const broker = await startKafka({ proxyPort: port });
  const results = new Map<string, Figures[]>(paths.map((p) => [p.name, []]));
  try {
    for (let round = 0; round < ROUNDS; round++) {
      // Rotate the order each round so no path always runs first (cold) or last.
      const order = paths.map((_, i) => paths[(i + round) % paths.length]);
      for (const p of order) {
        const f = await measure(p, broker, port, round);
        results.get(p.name)!.push(f);
        console.error(
          `round ${round + 1}/${ROUNDS} ${p.name}: ${Math.round(f.produce)} rec/s produce, ${Math.round(f.consume)} rec/s consume, p99 ${f.p99} ms, ${f.cpuPerM.toFixed(2)} CPU s/M records`,
        );
      }
    }
  } finally {
    await broker.stop();
  }
  const med = (name: string, k: keyof Figures) => median(results.get(name)!.map((f) => f[k]));
  const base = paths[0].name;
  const lines = [
    `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}; ${ROUNDS} interleaved rounds, medians.`,
    `Load: per path, after a warm-up of ${WARMUP} records: ProducerPerformance ${RECORDS} × ${RECORD_SIZE} B unthrottled (acks=1, linger 5 ms); ConsumerPerformance of the topic; latency at ${LATENCY_RATE} rec/s.`,
    "",
    `| path | produce × ${base} | consume × ${base} | p50 ms | p99 ms | p99 × ${base} | proxy CPU s / M records |`,
    "|---|---|---|---|---|---|---|",
    ...paths.map(
      (p) =>
        `| ${p.name} | ${(med(p.name, "produce") / med(base, "produce")).toFixed(2)} | ${(med(p.name, "consume") / med(base, "consume")).toFixed(2)} | ${med(p.name, "p50")} | ${med(p.name, "p99")} | ${(med(p.name, "p99") / med(base, "p99")).toFixed(2)} | ${Number.isNaN(med(p.name, "cpuPerM")) ? "–" : med(p.name, "cpuPerM").toFixed(2)} |`,
    ),
  ];
  console.log(lines.join("\n"));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

// Envoy benchmark (issue 4): one broker, several paths to it, interleaved in one run.
//
//   node dist/bench/envoy.js [--rounds 3] [--records 100000] [--record-size 1024]
//        [--rate 5000] [--latency-records 25000] [--consume-records 100000]
//        [--paths direct,envoy-tcp,envoy-kscope] [--wasm build/kscope.wasm] [--json out.json]
//
// Per path and round: ProducerPerformance at full speed (throughput), ProducerPerformance at a
// fixed rate well below saturation (latency percentiles), ConsumerPerformance over a topic filled
// once (fetch throughput), and the proxy's CPU seconds (/proc/PID/stat) over those three runs.
// Paths take turns within each round (rotating order), medians over rounds, ratios as markdown.
//
// Every proxied path gets its own broker listener advertising that proxy's address, so a client
// that bootstraps through a proxy keeps using it. To add a path, append to PATHS.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { freePorts } from '../test/support/ports';
import { onCleanup, run, tempDir } from '../test/support/procs';
import { kafkaScript, runTool } from '../test/support/kafka';
import { defaultWasm, procCpuSeconds, repoRoot, startEnvoy } from '../test/support/envoy';

// ---------------------------------------------------------------- paths

interface Endpoint {
  /** host:port clients bootstrap with. */
  bootstrap: string;
  /** The proxy process whose CPU time is measured (none for direct). */
  pid?: number;
  stop(): Promise<void>;
}

interface PathContext {
  /** Port the proxy must listen on (the broker advertises it). */
  listenPort: number;
  /** host:port of this path's broker listener. */
  upstream: string;
  /** The broker's DIRECT listener. */
  direct: string;
  wasm: string;
}

interface PathDef {
  name: string;
  label: string;
  /** No proxy: clients use the DIRECT listener; no broker listener of its own. */
  direct?: boolean;
  start(ctx: PathContext): Promise<Endpoint>;
}

const PATHS: PathDef[] = [
  {
    name: 'direct',
    label: 'direct to broker',
    direct: true,
    start: async (ctx) => ({ bootstrap: ctx.direct, stop: async () => undefined }),
  },
  {
    name: 'envoy-tcp',
    label: 'Envoy tcp_proxy',
    start: async (ctx) => {
      const e = await startEnvoy({ name: 'bench-envoy-tcp', listenPort: ctx.listenPort, upstream: ctx.upstream, withWasm: false, logLevel: 'warning' });
      return { bootstrap: e.bootstrap, pid: e.pid, stop: () => e.stop() };
    },
  },
  {
    name: 'envoy-kscope',
    label: 'Envoy + kscope.wasm',
    start: async (ctx) => {
      const e = await startEnvoy({
        name: 'bench-envoy-kscope', listenPort: ctx.listenPort, upstream: ctx.upstream, wasmPath: ctx.wasm,
        pluginConfig: { workload: 'bench', namespace: 'bench' }, logLevel: 'warning',
      });
      return { bootstrap: e.bootstrap, pid: e.pid, stop: () => e.stop() };
    },
  },
  {
    // kscope's own host (`kscope proxy`, dist/host/cli.js). Not in the default --paths yet.
    name: 'kscope-host',
    label: 'kscope host + kscope.wasm',
    start: async (ctx) => {
      // Loaded lazily so the benchmark runs without a built host.
      const { startKscope } = await import('../test/support/kscope');
      const k = await startKscope({ upstream: ctx.upstream, listenPort: ctx.listenPort, config: { workload: 'bench', namespace: 'bench' } });
      return { bootstrap: k.bootstrap, pid: k.proc.pid, stop: () => k.stop() };
    },
  },
];

const DEFAULT_PATHS = ['direct', 'envoy-tcp', 'envoy-kscope'];

// ---------------------------------------------------------------- options

interface Options {
  rounds: number;
  records: number;
  recordSize: number;
  rate: number;
  latencyRecords: number;
  consumeRecords: number;
  paths: string[];
  wasm: string;
  json?: string;
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    rounds: 3, records: 100_000, recordSize: 1024, rate: 5000, latencyRecords: 25_000, consumeRecords: 100_000,
    paths: DEFAULT_PATHS, wasm: defaultWasm,
  };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = argv[++i];
    if (v === undefined) throw new Error(`missing value for ${k}`);
    switch (k) {
      case '--rounds': o.rounds = Number(v); break;
      case '--records': o.records = Number(v); break;
      case '--record-size': o.recordSize = Number(v); break;
      case '--rate': o.rate = Number(v); break;
      case '--latency-records': o.latencyRecords = Number(v); break;
      case '--consume-records': o.consumeRecords = Number(v); break;
      case '--paths': o.paths = v.split(','); break;
      case '--wasm': o.wasm = path.resolve(v); break;
      case '--json': o.json = v; break;
      default: throw new Error(`unknown option ${k}`);
    }
  }
  for (const p of o.paths) if (!PATHS.some((d) => d.name === p)) throw new Error(`unknown path ${p} (known: ${PATHS.map((d) => d.name).join(', ')})`);
  return o;
}

// ---------------------------------------------------------------- broker with one listener per path

interface BenchBroker {
  dir: string;
  direct: string;
  /** path name -> host:port of the broker listener for that path. */
  upstream: Map<string, string>;
  stop(): Promise<void>;
}

async function startBroker(proxied: { name: string; brokerPort: number; proxyPort: number }[]): Promise<BenchBroker> {
  const [directPort, controllerPort] = await freePorts(2);
  const dir = tempDir('bench-kafka');
  const names = proxied.map((_, i) => (i === 0 ? 'PROXIED' : `PROXIED${i}`));
  const listeners = [
    ...proxied.map((p, i) => `${names[i]}://127.0.0.1:${p.brokerPort}`),
    `DIRECT://127.0.0.1:${directPort}`, `CONTROLLER://127.0.0.1:${controllerPort}`,
  ];
  const advertised = [...proxied.map((p, i) => `${names[i]}://127.0.0.1:${p.proxyPort}`), `DIRECT://127.0.0.1:${directPort}`];
  const protocols = [...names, 'DIRECT', 'CONTROLLER'].map((n) => `${n}:PLAINTEXT`);
  const first = proxied[0] ?? { brokerPort: (await freePorts(1))[0], proxyPort: 0 };
  const args = [
    'start', dir,
    '--proxied-port', String(first.brokerPort),
    '--direct-port', String(directPort),
    '--controller-port', String(controllerPort),
    '--owner-pid', String(process.pid),
  ];
  if (proxied.length > 0) {
    // scripts/kafka.sh writes --set lines after its own; a later key wins in a properties file.
    args.push('--proxy-advertised', `127.0.0.1:${first.proxyPort}`);
    args.push('--set', `listeners=${listeners.join(',')}`);
    args.push('--set', `advertised.listeners=${advertised.join(',')}`);
    args.push('--set', `listener.security.protocol.map=${protocols.join(',')}`);
  }
  const r = await run(kafkaScript, args, { timeoutMs: 150_000 });
  if (r.code !== 0) throw new Error(`scripts/kafka.sh start failed:\n${r.stderr.slice(-4000)}`);
  const pid = Number(fs.readFileSync(path.join(dir, 'pid'), 'utf8'));
  const unregister = onCleanup(() => {
    try { process.kill(pid, 'SIGTERM'); } catch { /* gone */ }
  });
  return {
    dir,
    direct: `127.0.0.1:${directPort}`,
    upstream: new Map(proxied.map((p) => [p.name, `127.0.0.1:${p.brokerPort}`])),
    async stop() {
      await run(kafkaScript, ['stop', dir], { timeoutMs: 60_000 });
      unregister();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function createTopics(bootstrap: string, topics: string[], partitions: number): Promise<void> {
  const admin = new Kafka({ brokers: [bootstrap], clientId: 'kscope-bench', logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: topics.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })), waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

// ---------------------------------------------------------------- the load generators

interface ProduceResult { recordsPerSec: number; mbPerSec: number; avgMs: number; p50: number; p95: number; p99: number; p999: number }

async function producerPerf(bootstrap: string, topic: string, records: number, recordSize: number, rate: number): Promise<ProduceResult> {
  const r = await runTool('org.apache.kafka.tools.ProducerPerformance', [
    '--topic', topic, '--num-records', String(records), '--record-size', String(recordSize), '--throughput', String(rate),
    '--producer-props', `bootstrap.servers=${bootstrap}`, 'acks=all',
  ], { timeoutMs: 600_000 });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  const m = line.match(/records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency, [\d.]+ ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th, (\d+) ms 99.9th/);
  if (r.code !== 0 || !m) throw new Error(`ProducerPerformance via ${bootstrap} failed (exit ${r.code}):\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`);
  return { recordsPerSec: +m[1], mbPerSec: +m[2], avgMs: +m[3], p50: +m[4], p95: +m[5], p99: +m[6], p999: +m[7] };
}

interface ConsumeResult { mbPerSec: number; msgPerSec: number; fetchMbPerSec: number }

async function consumerPerf(bootstrap: string, topic: string, messages: number, group: string): Promise<ConsumeResult> {
  const r = await runTool('org.apache.kafka.tools.ConsumerPerformance', [
    '--bootstrap-server', bootstrap, '--topic', topic, '--messages', String(messages), '--group', group, '--timeout', '30000',
  ], { timeoutMs: 600_000 });
  const lines = r.stdout.split('\n').filter((l) => l.includes(','));
  const hi = lines.findIndex((l) => l.startsWith('start.time'));
  if (r.code !== 0 || hi < 0 || hi + 1 >= lines.length) throw new Error(`ConsumerPerformance via ${bootstrap} failed (exit ${r.code}):\n${r.stdout}\n${r.stderr.slice(-2000)}`);
  const keys = lines[hi].split(',').map((s) => s.trim());
  const vals = lines[hi + 1].split(',').map((s) => s.trim());
  const get = (k: string): number => Number(vals[keys.indexOf(k)]);
  if (get('data.consumed.in.nMsg') < messages) throw new Error(`ConsumerPerformance via ${bootstrap} read ${get('data.consumed.in.nMsg')}/${messages}`);
  return { mbPerSec: get('MB.sec'), msgPerSec: get('nMsg.sec'), fetchMbPerSec: get('fetch.MB.sec') };
}

// ---------------------------------------------------------------- run

interface RoundResult { produce: ProduceResult; latency: ProduceResult; consume: ConsumeResult; cpuSeconds: number | null }

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function cpu(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try { return procCpuSeconds(pid); } catch { return null; }
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const defs = o.paths.map((n) => PATHS.find((d) => d.name === n)!);
  if (defs.some((d) => d.name.includes('kscope')) && !fs.existsSync(o.wasm)) throw new Error(`${o.wasm} missing: npx asc assembly/index.ts --target release`);
  const proxied = defs.filter((d) => !d.direct);
  const ports = await freePorts(proxied.length * 2);
  const plan = proxied.map((d, i) => ({ name: d.name, brokerPort: ports[2 * i], proxyPort: ports[2 * i + 1] }));
  log(`starting broker (listeners for ${plan.map((p) => p.name).join(', ') || 'direct only'})`);
  const broker = await startBroker(plan);
  const endpoints = new Map<string, Endpoint>();
  try {
    for (const d of defs) {
      const p = plan.find((x) => x.name === d.name);
      endpoints.set(d.name, await d.start({ listenPort: p?.proxyPort ?? 0, upstream: broker.upstream.get(d.name) ?? broker.direct, direct: broker.direct, wasm: o.wasm }));
    }
    const consumeTopic = 'bench-consume';
    await createTopics(broker.direct, [consumeTopic, ...defs.map((d) => `bench-produce-${d.name}`), ...defs.map((d) => `bench-latency-${d.name}`)], 3);
    log(`filling ${consumeTopic} with ${o.consumeRecords} records (direct)`);
    await producerPerf(broker.direct, consumeTopic, o.consumeRecords, o.recordSize, -1);
    // Warm-up: JIT in the broker, V8 tier-up in Envoy's Wasm, connection setup.
    for (const d of defs) await producerPerf(endpoints.get(d.name)!.bootstrap, `bench-produce-${d.name}`, Math.min(20_000, o.records), o.recordSize, -1);

    const results = new Map<string, RoundResult[]>(defs.map((d) => [d.name, []]));
    for (let round = 0; round < o.rounds; round++) {
      const order = defs.map((_, i) => defs[(i + round) % defs.length]);
      for (const d of order) {
        const ep = endpoints.get(d.name)!;
        const cpu0 = cpu(ep.pid);
        const produce = await producerPerf(ep.bootstrap, `bench-produce-${d.name}`, o.records, o.recordSize, -1);
        const latency = await producerPerf(ep.bootstrap, `bench-latency-${d.name}`, o.latencyRecords, o.recordSize, o.rate);
        const consume = await consumerPerf(ep.bootstrap, consumeTopic, o.consumeRecords, `bench-${d.name}-${round}`);
        const cpu1 = cpu(ep.pid);
        const r: RoundResult = { produce, latency, consume, cpuSeconds: cpu0 === null || cpu1 === null ? null : cpu1 - cpu0 };
        results.get(d.name)!.push(r);
        log(`round ${round + 1}/${o.rounds} ${d.name}: produce ${produce.recordsPerSec.toFixed(0)} rec/s, p99 ${latency.p99} ms @${o.rate}/s, ` +
          `consume ${consume.fetchMbPerSec.toFixed(1)} MB/s, cpu ${r.cpuSeconds?.toFixed(2) ?? '-'} s`);
      }
    }
    const table = render(o, defs, results);
    console.log(table);
    if (o.json) fs.writeFileSync(o.json, JSON.stringify({ options: o, results: Object.fromEntries(results) }, null, 2));
  } finally {
    for (const ep of endpoints.values()) await ep.stop().catch(() => undefined);
    await broker.stop();
  }
}

function render(o: Options, defs: PathDef[], results: Map<string, RoundResult[]>): string {
  const med = (name: string, f: (r: RoundResult) => number | null): number => median(results.get(name)!.map(f).filter((x): x is number => x !== null));
  const base = (n: string): boolean => defs.some((d) => d.name === n);
  const ratio = (v: number, b: number): string => (Number.isFinite(v) && Number.isFinite(b) && b !== 0 ? `${(v / b).toFixed(2)}×` : '–');
  const rows: string[] = [];
  rows.push(`Envoy benchmark: ${o.rounds} rounds, medians; ${o.records} × ${o.recordSize} B produce (acks=all, full speed), ` +
    `${o.latencyRecords} at ${o.rate}/s for latency, ${o.consumeRecords} consumed; 1 Envoy worker; ${new Date().toISOString()}`);
  rows.push('');
  rows.push('| path | produce rec/s | × direct | × Envoy tcp_proxy | p99 ms @' + o.rate + '/s | p50 ms | consume MB/s (fetch) | × direct | × Envoy tcp_proxy | proxy CPU s | CPU × Envoy tcp_proxy |');
  rows.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  const d0 = (f: (r: RoundResult) => number | null): number => (base('direct') ? med('direct', f) : NaN);
  const t0 = (f: (r: RoundResult) => number | null): number => (base('envoy-tcp') ? med('envoy-tcp', f) : NaN);
  const fProd = (r: RoundResult): number => r.produce.recordsPerSec;
  const fCons = (r: RoundResult): number => r.consume.fetchMbPerSec;
  const fCpu = (r: RoundResult): number | null => r.cpuSeconds;
  for (const d of defs) {
    const prod = med(d.name, fProd);
    const cons = med(d.name, fCons);
    const c = med(d.name, fCpu);
    rows.push(`| ${d.label} | ${prod.toFixed(0)} | ${ratio(prod, d0(fProd))} | ${ratio(prod, t0(fProd))} | ` +
      `${med(d.name, (r) => r.latency.p99).toFixed(0)} | ${med(d.name, (r) => r.latency.p50).toFixed(0)} | ` +
      `${cons.toFixed(1)} | ${ratio(cons, d0(fCons))} | ${ratio(cons, t0(fCons))} | ${Number.isFinite(c) ? c.toFixed(2) : '–'} | ${ratio(c, t0(fCpu))} |`);
  }
  rows.push('');
  rows.push('Per round (produce rec/s / p99 ms / consume MB/s / CPU s):');
  for (const d of defs) {
    rows.push(`- ${d.label}: ` + results.get(d.name)!.map((r) => `${r.produce.recordsPerSec.toFixed(0)} / ${r.latency.p99} / ${r.consume.fetchMbPerSec.toFixed(1)} / ${r.cpuSeconds?.toFixed(2) ?? '–'}`).join('; '));
  }
  return rows.join('\n');
}

function log(msg: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(e instanceof Error ? e.stack ?? e.message : e);
      process.exit(1);
    },
  );
}

export { PATHS, render, median, repoRoot };

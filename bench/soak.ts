// Soak: mixed Kafka traffic through a proxy for a long time, sampling what must stay flat.
//   node dist/bench/soak.js [--minutes 30] [--proxy host,envoy] [--sample 60] [--budget 200]
// A real broker; each proxy in turn on the port the broker advertises. Traffic, all through the
// proxy and churning connections: kcat producers (one process, one connection, per batch) with
// the five codecs, a fresh client id each time (10,000 over a 30-minute run) and topics cycling
// over 2,000; kafkajs classic-group members joining, consuming and leaving (rebalances); a Java
// KIP-848 member now and then. Every --sample seconds: the proxy's RSS, its CPU seconds per
// 1,000 records moved, its kscope series count. With --assert it exits 1 unless, after the first
// third (warm-up), RSS and series stay within tolerance and CPU per record does not grow.
import { parseArgs } from "node:util";
import fs from "node:fs";
import { startKafka, type Broker } from "../test/support/kafka";
import { freePort } from "../test/support/ports";
import { startKscope } from "../test/support/kscope";
import { startEnvoy, procCpuSeconds } from "../test/support/envoy";
import { consoleConsume, kafkajs, kcatProduce } from "../test/support/clients";
import { parseSamples } from "../host/metrics/scrape";

const CODECS = ["none", "gzip", "snappy", "lz4", "zstd"] as const;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface SoakSample {
  t: number;
  rssMiB: number;
  series: number;
  records: number;
  cpuSeconds: number;
  cpuMsPer1kRecords: number;
  /** The most distinct values of one budgeted label (topic, group, client_id; "__other__" aside). */
  labelValues: number;
}

export interface SoakResult {
  proxy: string;
  samples: SoakSample[];
  clientIds: number;
  topics: number;
  errors: number;
  flat: string[];
}

export interface SoakOptions {
  broker: Broker;
  listenPort: number;
  proxy: "host" | "envoy";
  seconds: number;
  sampleSeconds: number;
  /** max_label_values of the filter. */
  budget: number;
  /** Topics cycled over (2,000 in the full soak). */
  topics: number;
  /** Share of the run taken as warm-up before flatness is judged (default 1/3). */
  warmup?: number;
  log?: (line: string) => void;
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : 0;
}

/** Runs the traffic through one proxy for `seconds`; returns the samples and a flatness verdict. */
export async function soak(o: SoakOptions): Promise<SoakResult> {
  const config = { max_label_values: o.budget };
  let pid: number, metricsText: () => Promise<string>, stop: () => Promise<void>;
  if (o.proxy === "host") {
    const k = await startKscope({ upstream: o.broker.proxiedUpstream, listenPort: o.listenPort, config });
    pid = k.proc.pid;
    stop = () => k.stop();
    metricsText = async () => (await fetch(`${k.admin}/metrics`)).text();
  } else {
    const e = await startEnvoy({
      name: "envoy-soak",
      listenPort: o.listenPort,
      upstream: o.broker.proxiedUpstream,
      pluginConfig: config,
      concurrency: 2,
    });
    pid = e.pid;
    stop = () => e.stop();
    metricsText = () => e.prometheus();
  }
  const bootstrap = `127.0.0.1:${o.listenPort}`;
  const end = Date.now() + o.seconds * 1000;
  let records = 0,
    errors = 0,
    clientIds = 0;
  const topicsUsed = new Set<string>();
  const tag = `${o.proxy}-${Date.now() % 100000}`;
  // Producers: a kcat process per batch (a new connection and client id each time).
  const producers = async (lane: number): Promise<void> => {
    for (let i = lane; Date.now() < end; i += 2) {
      const topic = `soak-${i % o.topics}`;
      topicsUsed.add(topic);
      clientIds++;
      try {
        await kcatProduce(
          bootstrap,
          topic,
          Array.from({ length: 20 }, (_, r) => `${tag}-${i}-${r}`),
          {
            compression: CODECS[i % CODECS.length],
            X: { "client.id": `soak-${tag}-${i}`, acks: "all" },
          },
        );
        records += 20;
      } catch {
        errors++;
      }
    }
  };
  // Classic group members: join, read for a while, leave (each join and leave is a rebalance).
  const members = async (): Promise<void> => {
    for (let i = 0; Date.now() < end; i++) {
      const c = kafkajs(bootstrap, { clientId: `soak-member-${tag}-${i}` }).consumer({
        groupId: `soak-group-${i % 5}`,
        maxWaitTimeInMs: 200,
      });
      clientIds++;
      try {
        await c.connect();
        await c.subscribe({ topics: [...topicsUsed].slice(0, 5), fromBeginning: true });
        await c.run({
          eachMessage: async () => {
            records++;
          },
        });
        await sleep(3000);
      } catch {
        errors++;
      } finally {
        await c.disconnect().catch(() => undefined);
      }
    }
  };
  // A KIP-848 member now and then (a JVM start each: every 20 s).
  const kip848 = async (): Promise<void> => {
    for (let i = 0; Date.now() + 15_000 < end; i++) {
      clientIds++;
      try {
        const r = await consoleConsume(bootstrap, "soak-0", 50, {
          group: `soak-848-${i % 3}`,
          idleTimeoutMs: 5000,
          consumerProps: { "group.protocol": "consumer", "client.id": `soak-848-${tag}-${i}` },
        });
        records += r.lines.length;
      } catch {
        errors++;
      }
      await sleep(20_000);
    }
  };
  const samples: SoakSample[] = [];
  const t0 = Date.now();
  let last = { cpu: procCpuSeconds(pid), records: 0 };
  const sampler = async (): Promise<void> => {
    while (Date.now() < end) {
      await sleep(Math.min(o.sampleSeconds * 1000, Math.max(0, end - Date.now())));
      const cpu = procCpuSeconds(pid);
      const all = parseSamples(await metricsText()).filter((x) => x.name.startsWith("kscope_"));
      const series = all.length;
      const labelValues = Math.max(
        ...["topic", "group", "client_id"].map(
          (l) => new Set(all.map((x) => x.labels[l]).filter((v) => v !== undefined && v !== "" && v !== "__other__")).size,
        ),
      );
      const s: SoakSample = {
        t: Math.round((Date.now() - t0) / 1000),
        rssMiB: rssMiB(pid),
        series,
        labelValues,
        records,
        cpuSeconds: cpu,
        cpuMsPer1kRecords: records > last.records ? ((cpu - last.cpu) * 1e6) / (records - last.records) : 0,
      };
      last = { cpu, records };
      samples.push(s);
      o.log?.(
        `${o.proxy} t=${s.t}s rss ${s.rssMiB.toFixed(1)} MiB, ${s.series} series (≤ ${s.labelValues} values per budgeted label), ${s.records} records, ${s.cpuMsPer1kRecords.toFixed(1)} CPU ms/1k records`,
      );
    }
  };
  try {
    await Promise.all([producers(0), producers(1), members(), kip848(), sampler()]);
  } finally {
    await stop();
  }
  const flat = flatness(samples, o.warmup);
  const over = Math.max(...samples.map((x) => x.labelValues));
  if (over > o.budget) flat.push(`a budgeted label has ${over} values for a budget of ${o.budget}`);
  return { proxy: o.proxy, samples, clientIds, topics: topicsUsed.size, errors, flat };
}

/** What is not flat after the warm-up (the first third of the samples by default); [] when all is. */
export function flatness(samples: SoakSample[], warmup = 1 / 3, tolerance = { rss: 1.3, rssMiB: 20, series: 1.3, cpu: 2 }): string[] {
  const warm = samples.slice(Math.floor(samples.length * warmup));
  if (warm.length < 2) return ["too few samples after the warm-up"];
  const first = warm[0],
    rest = warm.slice(1);
  const out: string[] = [];
  const maxRss = Math.max(...rest.map((s) => s.rssMiB));
  if (maxRss > first.rssMiB * tolerance.rss + tolerance.rssMiB)
    out.push(`RSS grew from ${first.rssMiB.toFixed(1)} to ${maxRss.toFixed(1)} MiB`);
  const maxSeries = Math.max(...rest.map((s) => s.series));
  if (maxSeries > first.series * tolerance.series + 50) out.push(`series grew from ${first.series} to ${maxSeries}`);
  const cpu = warm.map((s) => s.cpuMsPer1kRecords).filter((x) => x > 0);
  const half = Math.ceil(cpu.length / 2);
  const avg = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  if (cpu.length >= 2 && avg(cpu.slice(half)) > avg(cpu.slice(0, half)) * tolerance.cpu) {
    out.push(`CPU per record grew from ${avg(cpu.slice(0, half)).toFixed(1)} to ${avg(cpu.slice(half)).toFixed(1)} ms/1k records`);
  }
  return out;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      minutes: { type: "string", default: "30" },
      proxy: { type: "string", default: "host,envoy" },
      sample: { type: "string", default: "60" },
      budget: { type: "string", default: "200" },
      topics: { type: "string", default: "2000" },
      assert: { type: "boolean", default: false },
    },
  });
  const listenPort = await freePort();
  const broker = await startKafka({ proxyPort: listenPort });
  let failed = false;
  try {
    for (const proxy of values.proxy.split(",") as ("host" | "envoy")[]) {
      const r = await soak({
        broker,
        listenPort,
        proxy,
        seconds: Number(values.minutes) * 60,
        sampleSeconds: Number(values.sample),
        budget: Number(values.budget),
        topics: Number(values.topics),
        log: (l) => console.log(l),
      });
      console.log(
        `${proxy}: ${r.clientIds} client ids, ${r.topics} topics, ${r.errors} client errors; ${r.flat.length ? `NOT FLAT: ${r.flat.join("; ")}` : "flat after warm-up"}`,
      );
      failed ||= r.flat.length > 0;
    }
  } finally {
    await broker.stop();
  }
  process.exit(values.assert && failed ? 1 : 0);
}

if (require.main === module) void main();

// Soak: the same mix of Kafka traffic through a proxy every minute for a long time, sampling what
// must stay flat.
//   node dist/bench/soak.js [--minutes 30] [--proxy host,envoy] [--sample 60] [--budget 200]
//                           [--topics 2000] [--client-ids 10000] [--out DIR] [--assert]
// A real broker; each proxy in turn on the port the broker advertises. Every client starts on a
// fixed schedule (a clock, not "as fast as the last one finished"), so each minute carries the
// same mix: kcat producers (one process, one connection, one fresh client id per batch) with the
// five codecs in turn, on topics cycling over --topics and on three hot topics; kafkajs members of
// two classic groups, one joining every 5 s and leaving after 20 s (a rebalance each time), reading
// the hot topics; a Java KIP-848 member of one of three groups every 20 s. Client ids are fresh at
// a steady rate that reaches --client-ids at the end of the run.
// Every --sample seconds: the proxy's RSS (Envoy also its allocator's server.memory_allocated; the
// host its V8 heap, external memory and Wasm pages, through /api/info), its kscope series, the
// series new since the last sample (written to DIR/<proxy>-<time>-series.ndjson with their
// labels), and its CPU per 1,000 records moved. With --assert
// it exits 1 unless, after the warm-up, memory and series stay within tolerance and CPU per record
// does not grow (flatness() states the tolerances).
import { parseArgs } from "node:util";
import fs from "node:fs";
import path from "node:path";
import { startKafka, type Broker } from "../test/support/kafka";
import { freePort } from "../test/support/ports";
import { startKscope } from "../test/support/kscope";
import { startEnvoy, procCpuSeconds } from "../test/support/envoy";
import { consoleConsume, kafkajs, kcatProduce } from "../test/support/clients";
import { parseSamples, type Sample } from "../host/metrics/scrape";
import type { ProxyInfo } from "../host/admin/info";

const CODECS = ["none", "gzip", "snappy", "lz4", "zstd"] as const;
const HOT_TOPICS = ["soak-hot-0", "soak-hot-1", "soak-hot-2"];
const CLASSIC_GROUPS = 2;
const MEMBER_EVERY_MS = 5000;
const MEMBER_LIFE_MS = 20_000;
const KIP848_EVERY_MS = 20_000;
// Every batch the same shape, so each minute mints the same label combinations: records that
// compress (librdkafka sends a batch that would grow uncompressed, so a small batch of short
// records showed up as compression="none" on a random topic now and then), spread over all the
// topic's partitions (librdkafka's sticky partitioner sent a whole batch to one random partition,
// so each pass over the topics found partitions, and their high-watermark series, not seen before).
const PADDING = "kscope soak ".repeat(16);
const SPREAD = { "sticky.partitioning.linger.ms": 0 };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const MiB = 1024 * 1024;

export interface SoakSample {
  t: number;
  rssMiB: number;
  /** The host's V8 heap used, external memory and Wasm pages (undefined through Envoy). */
  heapUsedMiB?: number;
  heapTotalMiB?: number;
  externalMiB?: number;
  wasmPages?: number;
  /** Envoy: the bytes its allocator holds for Envoy itself (server.memory_allocated; Wasm VMs are outside it). */
  envoyAllocatedMiB?: number;
  series: number;
  /** Series not present at the previous sample (and gone since it). */
  newSeries: number;
  goneSeries: number;
  /** The new series by metric family (name without _bucket/_sum/_count). */
  newFamilies: Record<string, number>;
  records: number;
  clientIds: number;
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
  /** Client starts skipped because the previous ones had not finished (0: the schedule held). */
  skipped: number;
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
  /** Distinct client ids over the whole run (default 10,000 per 30 minutes). */
  clientIds?: number;
  /** Share of the run taken as warm-up before flatness is judged (default 1/3). */
  warmup?: number;
  /** A file to append the series new at each sample to (NDJSON: {t, new: [...], gone: [...]}). */
  seriesFile?: string;
  log?: (line: string) => void;
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : 0;
}

const seriesKey = (s: Sample): string =>
  `${s.name}{${Object.entries(s.labels)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(",")}}`;

/** Starts `fn` every `everyMs` until `end`, unless `limit` are still running (then the start is skipped and counted). */
async function onSchedule(everyMs: number, end: number, limit: number, fn: (i: number) => Promise<void>): Promise<number> {
  const running = new Set<Promise<void>>();
  let skipped = 0;
  const t0 = Date.now();
  for (let i = 0; t0 + i * everyMs < end; i++) {
    await sleep(Math.max(0, t0 + i * everyMs - Date.now()));
    if (running.size >= limit) {
      skipped++;
      continue;
    }
    const p = fn(i).finally(() => running.delete(p));
    running.add(p);
  }
  await Promise.all(running);
  return skipped;
}

/** Runs the traffic through one proxy for `seconds`; returns the samples and a flatness verdict. */
export async function soak(o: SoakOptions): Promise<SoakResult> {
  const config = { max_label_values: o.budget };
  let pid: number, metricsText: () => Promise<string>, stop: () => Promise<void>;
  let info: (() => Promise<ProxyInfo>) | undefined;
  if (o.proxy === "host") {
    const k = await startKscope({ upstream: o.broker.proxiedUpstream, listenPort: o.listenPort, config });
    pid = k.proc.pid;
    stop = () => k.stop();
    metricsText = async () => (await fetch(`${k.admin}/metrics`)).text();
    info = async () => (await (await fetch(`${k.admin}/api/info`)).json()) as ProxyInfo;
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
  // Client ids per second, shared by the lanes: members and KIP-848 members take theirs, producers the rest.
  const idRate = (o.clientIds ?? (10_000 * o.seconds) / 1800) / o.seconds;
  const producerRate = Math.max(0.5, idRate - 1000 / MEMBER_EVERY_MS - 1000 / KIP848_EVERY_MS);
  let records = 0,
    errors = 0,
    clientIds = 0;
  const topicsUsed = new Set<string>();
  const tag = `${o.proxy}-${Date.now() % 100000}`;
  const produce = async (lane: string, i: number, topic: string, count: number): Promise<void> => {
    topicsUsed.add(topic);
    clientIds++;
    try {
      await kcatProduce(
        bootstrap,
        topic,
        Array.from({ length: count }, (_, r) => `${tag}-${lane}${i}-${r} ${PADDING}`),
        { compression: CODECS[i % CODECS.length], X: { "client.id": `soak-${tag}-${lane}${i}`, acks: "all", ...SPREAD } },
      );
      records += count;
    } catch {
      errors++;
    }
  };
  // Producers: 3/4 of them on the cycling topics (20 records), 1/4 on the hot topics (50 records).
  const cycling = () => onSchedule(1000 / (producerRate * 0.75), end, 8, (i) => produce("c", i, `soak-${i % o.topics}`, 20));
  const hot = () => onSchedule(1000 / (producerRate * 0.25), end, 4, (i) => produce("h", i, HOT_TOPICS[i % HOT_TOPICS.length], 50));
  // Classic group members: one joins every 5 s (not in the last 10 s), reads the hot topics for 20 s and leaves.
  const member = async (i: number): Promise<void> => {
    if (Date.now() + 2 * MEMBER_EVERY_MS > end) return; // a join needs a few seconds; none left to finish it
    const c = kafkajs(bootstrap, { clientId: `soak-member-${tag}-${i}` }).consumer({
      groupId: `soak-group-${i % CLASSIC_GROUPS}`,
      maxWaitTimeInMs: 200,
    });
    clientIds++;
    try {
      await c.connect();
      await c.subscribe({ topics: HOT_TOPICS, fromBeginning: false });
      await c.run({
        eachMessage: async () => {
          records++;
        },
      });
      await sleep(Math.max(0, Math.min(MEMBER_LIFE_MS, end - Date.now())));
    } catch {
      errors++;
    } finally {
      await c.disconnect().catch(() => undefined);
    }
  };
  // A KIP-848 member (a JVM) every 20 s: up to 100 records of a hot topic, then it leaves.
  const kip848 = async (i: number): Promise<void> => {
    if (Date.now() + 10_000 > end) return;
    clientIds++;
    try {
      const r = await consoleConsume(bootstrap, HOT_TOPICS[i % HOT_TOPICS.length], 100, {
        group: `soak-848-${i % 3}`,
        fromBeginning: false,
        idleTimeoutMs: 5000,
        timeoutMs: 30_000,
        consumerProps: { "group.protocol": "consumer", "client.id": `soak-848-${tag}-${i}` },
      });
      records += r.lines.length;
    } catch {
      errors++;
    }
  };
  const samples: SoakSample[] = [];
  const t0 = Date.now();
  let last = { cpu: procCpuSeconds(pid), records: 0 };
  let known = new Set<string>();
  const sampler = async (): Promise<void> => {
    while (Date.now() < end) {
      await sleep(Math.min(o.sampleSeconds * 1000, Math.max(0, end - Date.now())));
      const cpu = procCpuSeconds(pid);
      const text = parseSamples(await metricsText());
      const all = text.filter((x) => x.name.startsWith("kscope_"));
      const allocated = text.find((x) => x.name === "envoy_server_memory_allocated")?.value;
      const keys = new Set(all.map(seriesKey));
      const fresh = [...keys].filter((k) => !known.has(k));
      const gone = [...known].filter((k) => !keys.has(k));
      const newFamilies: Record<string, number> = {};
      if (samples.length)
        for (const k of fresh) {
          const family = k.slice(0, k.indexOf("{")).replace(/_(bucket|sum|count)$/, "");
          newFamilies[family] = (newFamilies[family] ?? 0) + 1;
        }
      const labelValues = Math.max(
        ...["topic", "group", "client_id"].map(
          (l) => new Set(all.map((x) => x.labels[l]).filter((v) => v !== undefined && v !== "" && v !== "__other__")).size,
        ),
      );
      const mem = (await info?.())?.memory;
      const s: SoakSample = {
        t: Math.round((Date.now() - t0) / 1000),
        rssMiB: rssMiB(pid),
        ...(mem
          ? {
              heapUsedMiB: mem.heapUsed / MiB,
              heapTotalMiB: mem.heapTotal / MiB,
              externalMiB: mem.external / MiB,
              wasmPages: mem.wasmPages,
            }
          : {}),
        ...(allocated !== undefined ? { envoyAllocatedMiB: allocated / MiB } : {}),
        series: all.length,
        newSeries: samples.length ? fresh.length : 0,
        goneSeries: gone.length,
        newFamilies,
        labelValues,
        records,
        clientIds,
        cpuSeconds: cpu,
        cpuMsPer1kRecords: records > last.records ? ((cpu - last.cpu) * 1e6) / (records - last.records) : 0,
      };
      if (o.seriesFile) fs.appendFileSync(o.seriesFile, JSON.stringify({ proxy: o.proxy, t: s.t, new: fresh, gone }) + "\n");
      known = keys;
      last = { cpu, records };
      samples.push(s);
      const families = Object.entries(newFamilies)
        .map(([f, n]) => `${f.replace(/^kscope_/, "")} ${n}`)
        .join(", ");
      const heap = mem
        ? `, heap ${s.heapUsedMiB!.toFixed(1)} of ${s.heapTotalMiB!.toFixed(1)} MiB, external ${s.externalMiB!.toFixed(1)} MiB, ${s.wasmPages} Wasm pages`
        : s.envoyAllocatedMiB !== undefined
          ? `, Envoy allocated ${s.envoyAllocatedMiB.toFixed(1)} MiB`
          : "";
      o.log?.(
        `${o.proxy} t=${s.t}s rss ${s.rssMiB.toFixed(1)} MiB${heap}, ${s.series} series (+${s.newSeries}${families ? ` [${families}]` : ""} -${s.goneSeries}; ≤ ${s.labelValues} values per budgeted label), ${s.records} records, ${s.clientIds} client ids, ${s.cpuMsPer1kRecords.toFixed(1)} CPU ms/1k records`,
      );
    }
  };
  let lanes: number[];
  try {
    lanes = await Promise.all([
      cycling(),
      hot(),
      onSchedule(MEMBER_EVERY_MS, end, 8, member),
      onSchedule(KIP848_EVERY_MS, end, 2, kip848),
      sampler().then(() => 0),
    ]);
  } finally {
    await stop();
  }
  const flat = flatness(samples, o.warmup);
  const over = Math.max(...samples.map((x) => x.labelValues));
  if (over > o.budget) flat.push(`a budgeted label has ${over} values for a budget of ${o.budget}`);
  const skipped = lanes.reduce((a, b) => a + b, 0);
  return { proxy: o.proxy, samples, clientIds, topics: topicsUsed.size, errors, skipped, flat };
}

/** Tolerances after the warm-up, against the first sample after it. */
export const TOLERANCE = {
  /** RSS may exceed it by this share plus this many MiB (allocator and V8 heap sizing). */
  rss: 0.15,
  rssMiB: 10,
  /** The series may grow by this share plus this many (a combination of budgeted values seen late). */
  series: 0.02,
  seriesAbs: 20,
  /** Wasm memory may not grow at all (pages never shrink; growth would be a leak in the filter). */
  wasmPages: 0,
  /** CPU per record of the second half of the samples over the first half. */
  cpu: 1.5,
};

/** What is not flat after the warm-up (the first third of the samples by default); [] when all is. */
export function flatness(samples: SoakSample[], warmup = 1 / 3, tol = TOLERANCE): string[] {
  const warm = samples.slice(Math.floor(samples.length * warmup));
  if (warm.length < 2) return ["too few samples after the warm-up"];
  const first = warm[0],
    rest = warm.slice(1);
  const out: string[] = [];
  const maxRss = Math.max(...rest.map((s) => s.rssMiB));
  if (maxRss > first.rssMiB * (1 + tol.rss) + tol.rssMiB) out.push(`RSS grew from ${first.rssMiB.toFixed(1)} to ${maxRss.toFixed(1)} MiB`);
  const maxSeries = Math.max(...rest.map((s) => s.series));
  if (maxSeries > first.series * (1 + tol.series) + tol.seriesAbs) out.push(`series grew from ${first.series} to ${maxSeries}`);
  if (first.wasmPages !== undefined) {
    const maxPages = Math.max(...rest.map((s) => s.wasmPages ?? 0));
    if (maxPages > first.wasmPages + tol.wasmPages) out.push(`Wasm memory grew from ${first.wasmPages} to ${maxPages} pages`);
  }
  const cpu = warm.map((s) => s.cpuMsPer1kRecords).filter((x) => x > 0);
  const half = Math.ceil(cpu.length / 2);
  const avg = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  if (cpu.length >= 2 && avg(cpu.slice(half)) > avg(cpu.slice(0, half)) * tol.cpu) {
    out.push(`CPU per record grew from ${avg(cpu.slice(0, half)).toFixed(1)} to ${avg(cpu.slice(half)).toFixed(1)} ms/1k records`);
  }
  return out;
}

/** The samples as a Markdown table (bench/RESULTS.md). */
export function table(r: SoakResult): string {
  const host = r.samples.some((s) => s.wasmPages !== undefined);
  const rows = r.samples.map((s) =>
    [
      `${s.t} s`,
      s.rssMiB.toFixed(1),
      ...(host
        ? [`${s.heapUsedMiB!.toFixed(1)} / ${s.heapTotalMiB!.toFixed(1)}`, s.externalMiB!.toFixed(1), String(s.wasmPages)]
        : [s.envoyAllocatedMiB?.toFixed(1) ?? ""]),
      String(s.series),
      String(s.newSeries),
      String(s.records),
      String(s.clientIds),
      s.cpuMsPer1kRecords.toFixed(0),
    ].join(" | "),
  );
  const head = [
    "t",
    "RSS MiB",
    ...(host ? ["V8 heap used / total MiB", "external MiB", "Wasm pages"] : ["Envoy allocated MiB"]),
    "series",
    "new",
    "records",
    "client ids",
    "CPU ms / 1k records",
  ];
  return [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`, ...rows.map((x) => `| ${x} |`)].join("\n");
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      minutes: { type: "string", default: "30" },
      proxy: { type: "string", default: "host,envoy" },
      sample: { type: "string", default: "60" },
      budget: { type: "string", default: "200" },
      topics: { type: "string", default: "2000" },
      "client-ids": { type: "string" },
      out: { type: "string", default: path.join(".cache", "soak") },
      assert: { type: "boolean", default: false },
    },
  });
  const seconds = Number(values.minutes) * 60;
  fs.mkdirSync(values.out, { recursive: true });
  const listenPort = await freePort();
  const broker = await startKafka({ proxyPort: listenPort });
  let failed = false;
  try {
    for (const proxy of values.proxy.split(",") as ("host" | "envoy")[]) {
      const seriesFile = path.join(values.out, `${proxy}-${new Date().toISOString().replace(/[:.]/g, "")}-series.ndjson`);
      const r = await soak({
        broker,
        listenPort,
        proxy,
        seconds,
        sampleSeconds: Number(values.sample),
        budget: Number(values.budget),
        topics: Number(values.topics),
        clientIds: values["client-ids"] === undefined ? undefined : Number(values["client-ids"]),
        seriesFile,
        log: (l) => console.log(l),
      });
      console.log(
        `${proxy}: ${r.clientIds} client ids, ${r.topics} topics, ${r.errors} client errors, ${r.skipped} client starts skipped; new series per sample in ${seriesFile}; ${r.flat.length ? `NOT FLAT: ${r.flat.join("; ")}` : "flat after warm-up"}`,
      );
      console.log(table(r));
      fs.writeFileSync(seriesFile.replace(/-series\.ndjson$/, "-samples.json"), JSON.stringify(r, null, 1));
      failed ||= r.flat.length > 0;
    }
  } finally {
    await broker.stop();
  }
  process.exit(values.assert && failed ? 1 : 0);
}

if (require.main === module) void main();

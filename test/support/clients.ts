// Real Kafka clients for integration tests: kcat (librdkafka), the Java console tools and
// perf tools (via scripts/kafka.sh tool), and a kafkajs factory. All take a bootstrap address,
// so they can go through the proxy (broker.proxiedBootstrap) or around it (broker.directBootstrap).
import { randomBytes } from "node:crypto";
import { Kafka, logLevel, type KafkaConfig } from "kafkajs";
import { runTool, type ToolResult } from "./kafka";
import { run } from "./procs";

process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= "1";

// ---------------------------------------------------------------- kafkajs

/** A kafkajs client with logging off and short retries; override anything via `extra`. */
export function kafkajs(bootstrap: string, extra: Partial<KafkaConfig> = {}): Kafka {
  return new Kafka({
    clientId: "kscope-test",
    brokers: [bootstrap],
    logLevel: logLevel.NOTHING,
    retry: { retries: 5, initialRetryTime: 100 },
    ...extra,
  });
}

// ---------------------------------------------------------------- kcat

export type Bytes = string | Buffer;

/** A record to produce: a bare value, or key/value (null value = tombstone, needs a key). */
export type ProduceRecord = Bytes | { key?: Bytes | null; value: Bytes | null };

export interface KcatProduceOptions {
  /** -p: fixed partition; default: librdkafka's partitioner. */
  partition?: number;
  /** -X compression.codec: none|gzip|snappy|lz4|zstd. */
  compression?: "none" | "gzip" | "snappy" | "lz4" | "zstd";
  /** -H name=value on every record. */
  headers?: Record<string, string>;
  /** Extra -X librdkafka properties (e.g. {'batch.num.messages': '1', acks: 'all'}). */
  X?: Record<string, string | number | boolean>;
  /** Kill kcat after this long (default 30 s). */
  timeoutMs?: number;
}

export interface KcatResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

const asBuf = (b: Bytes): Buffer => (typeof b === "string" ? Buffer.from(b, "utf8") : b);

function xArgs(X: Record<string, string | number | boolean> | undefined): string[] {
  return Object.entries(X ?? {}).flatMap(([k, v]) => ["-X", `${k}=${v}`]);
}

/**
 * Produces `records` in order with kcat -P, byte-exact: stdin is split on a random multi-byte
 * delimiter (-D) and key delimiter (-K) that occur in no record. Limits of kcat (these throw):
 * no empty/null value without a key (kcat skips empty messages), and a null value (-Z) cannot
 * share a call with an empty key or empty value (-Z turns those into null too).
 * Rejects if kcat fails (e.g. undelivered records).
 */
export async function kcatProduce(
  bootstrap: string,
  topic: string,
  records: readonly ProduceRecord[],
  opts: KcatProduceOptions = {},
): Promise<KcatResult> {
  const recs = records.map((r) =>
    typeof r === "string" || Buffer.isBuffer(r)
      ? { key: null, value: asBuf(r) }
      : { key: r.key == null ? null : asBuf(r.key), value: r.value === null ? null : asBuf(r.value) },
  );
  const keyed = recs.some((r) => r.key !== null);
  const hasNull = recs.some((r) => r.value === null);
  for (const [i, r] of recs.entries()) {
    if (r.key === null && (r.value === null || r.value.length === 0)) {
      throw new Error(`kcatProduce: record ${i} has no key and an empty/null value; kcat cannot send that (use kafkajs)`);
    }
    if (hasNull && ((r.value !== null && r.value.length === 0) || r.key?.length === 0)) {
      throw new Error(`kcatProduce: record ${i} has an empty key or value but another record is null; kcat -Z would turn it into null`);
    }
  }
  const all = recs.flatMap((r) => (r.key ? [r.key, r.value ?? Buffer.alloc(0)] : [r.value ?? Buffer.alloc(0)]));
  const token = (tag: string): string => {
    for (;;) {
      const t = `<<kscope-${tag}-${randomBytes(6).toString("hex")}>>`;
      if (!all.some((b) => b.includes(t))) return t;
    }
  };
  const delim = token("rec");
  const keyDelim = token("key");
  const chunks: Buffer[] = [];
  for (const r of recs) {
    if (r.key !== null) chunks.push(r.key, Buffer.from(keyDelim));
    chunks.push(r.value ?? Buffer.alloc(0), Buffer.from(delim));
  }
  const args = ["-P", "-q", "-b", bootstrap, "-t", topic, "-D", delim];
  if (keyed) args.push("-K", keyDelim);
  if (hasNull) args.push("-Z");
  if (opts.partition !== undefined) args.push("-p", String(opts.partition));
  if (opts.compression) args.push("-X", `compression.codec=${opts.compression}`);
  for (const [k, v] of Object.entries(opts.headers ?? {})) args.push("-H", `${k}=${v}`);
  args.push(...xArgs(opts.X));
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const r = await run("kcat", args, { input: Buffer.concat(chunks), timeoutMs });
  if (r.code !== 0 || r.timedOut || /% ERROR|Failed to produce|not delivered/i.test(r.stderr)) {
    throw new Error(`kcat produce to ${topic} via ${bootstrap} failed (${r.timedOut ? "timeout" : `exit ${r.code}`}):\n${r.stderr}`);
  }
  return { code: r.code, stdout: r.stdout, stderr: r.stderr };
}

/** A consumed record; key/value are exact bytes, null when the record has none. */
export interface KcatRecord {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
}

export interface KcatConsumeOptions {
  /** -p: one partition only (ignored with group). */
  partition?: number;
  /** -o: 'beginning' (default), 'end', 'stored', an absolute offset, or a negative relative one. */
  offset?: "beginning" | "end" | "stored" | number;
  /** -G: consume as a member of this group (balanced consumer, commits offsets). */
  group?: string;
  /** -e: stop at the end of the partitions (default true); false waits for `count` records. */
  exitAtEnd?: boolean;
  /** Extra -X librdkafka properties (default fetch.wait.max.ms=100). */
  X?: Record<string, string | number | boolean>;
  /** Kill kcat after this long (default 30 s) and reject. */
  timeoutMs?: number;
}

// Header line with the lengths (%K, %S; -1 = null), then key and value bytes, then '\n'.
const KCAT_FORMAT = "%t %p %o %T %K %S\\n%k%s\\n";

/** Parses kcat output written with KCAT_FORMAT. */
export function parseKcatOutput(out: Buffer): KcatRecord[] {
  const recs: KcatRecord[] = [];
  let pos = 0;
  while (pos < out.length) {
    const nl = out.indexOf(0x0a, pos);
    if (nl < 0) throw new Error(`kcat output truncated at byte ${pos}`);
    const f = out.subarray(pos, nl).toString("latin1").split(" ");
    if (f.length !== 6) throw new Error(`unexpected kcat header line: ${JSON.stringify(f.join(" "))}`);
    const [topic, partition, offset, timestamp, klen, vlen] = [f[0], ...f.slice(1).map(Number)] as [
      string,
      number,
      number,
      number,
      number,
      number,
    ];
    pos = nl + 1;
    const key = klen < 0 ? null : Buffer.from(out.subarray(pos, pos + klen));
    pos += Math.max(klen, 0);
    const value = vlen < 0 ? null : Buffer.from(out.subarray(pos, pos + vlen));
    pos += Math.max(vlen, 0);
    if (out[pos] !== 0x0a) throw new Error(`kcat output out of sync at byte ${pos}`);
    pos += 1;
    recs.push({ topic, partition, offset, timestamp, key, value });
  }
  return recs;
}

/**
 * Consumes up to `count` records with kcat -C (or -G with opts.group), byte-exact.
 * With exitAtEnd (default) it returns early if the topic holds fewer records.
 */
export async function kcatConsume(bootstrap: string, topic: string, count: number, opts: KcatConsumeOptions = {}): Promise<KcatRecord[]> {
  const { offset = "beginning", exitAtEnd = true, timeoutMs = 30_000 } = opts;
  const args = ["-q", "-b", bootstrap, "-c", String(count), "-f", KCAT_FORMAT];
  if (opts.group) {
    args.push("-G", opts.group);
    if (offset === "beginning") args.push("-X", "auto.offset.reset=earliest");
    else if (offset === "end") args.push("-X", "auto.offset.reset=latest");
    else if (offset !== "stored") throw new Error("kcatConsume: with a group, offset must be beginning, end or stored");
  } else {
    args.push("-C", "-t", topic, "-o", String(offset));
    if (opts.partition !== undefined) args.push("-p", String(opts.partition));
  }
  if (exitAtEnd) args.push("-e");
  // librdkafka waits 500 ms per empty fetch by default, which makes -e slow to notice the end.
  args.push(...xArgs({ "fetch.wait.max.ms": 100, ...opts.X }));
  if (opts.group) args.push(topic);
  const r = await run("kcat", args, { timeoutMs });
  if (r.timedOut) {
    const got = (() => {
      try {
        return parseKcatOutput(r.stdoutBytes).length;
      } catch {
        return "?";
      }
    })();
    throw new Error(
      `kcat consume from ${topic} via ${bootstrap}: timed out after ${timeoutMs} ms with ${got}/${count} records\n${r.stderr}`,
    );
  }
  if (r.code !== 0) throw new Error(`kcat consume from ${topic} via ${bootstrap} failed (exit ${r.code}):\n${r.stderr}`);
  return parseKcatOutput(r.stdoutBytes);
}

/** kcat -L -J: cluster metadata as JSON (brokers as advertised, topics, partitions). */
export async function kcatMetadata(bootstrap: string, topic?: string, timeoutMs = 15_000): Promise<KcatMetadata> {
  const args = ["-L", "-J", "-q", "-b", bootstrap];
  if (topic) args.push("-t", topic);
  const r = await run("kcat", args, { timeoutMs });
  if (r.code !== 0 || r.timedOut) throw new Error(`kcat -L via ${bootstrap} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout) as KcatMetadata;
}

export interface KcatMetadata {
  originating_broker: { id: number; name: string };
  query: { topic: string };
  controllerid?: number;
  brokers: { id: number; name: string }[];
  topics: {
    topic: string;
    error?: string;
    partitions: { partition: number; leader: number; replicas: { id: number }[]; isrs: { id: number }[] }[];
  }[];
}

// ---------------------------------------------------------------- Java console tools

function checkTool(what: string, r: ToolResult): ToolResult {
  if (r.code !== 0 || /^(Error|Exception)\b|ERROR Error when sending/m.test(r.stderr)) {
    throw new Error(`${what} failed (exit ${r.code}):\n${r.stderr.slice(-4000)}`);
  }
  return r;
}

export interface ConsoleProduceOptions {
  /** --compression-codec none|gzip|snappy|lz4|zstd. */
  compression?: string;
  /** Lines are "key<sep>value" (parse.key=true, key.separator=sep). */
  keySeparator?: string;
  /** --producer-property k=v. */
  producerProps?: Record<string, string | number | boolean>;
  timeoutMs?: number;
}

/** Java ConsoleProducer, one record per line (lines must not contain '\n'); --sync, linger.ms=0. Rejects on send errors. */
export async function consoleProduce(
  bootstrap: string,
  topic: string,
  lines: readonly string[],
  opts: ConsoleProduceOptions = {},
): Promise<ToolResult> {
  const args = ["--bootstrap-server", bootstrap, "--topic", topic, "--sync"];
  if (opts.compression) args.push("--compression-codec", opts.compression);
  if (opts.keySeparator !== undefined) args.push("--property", "parse.key=true", "--property", `key.separator=${opts.keySeparator}`);
  // ConsoleProducer's linger.ms defaults to 1000, i.e. 1 s per record with --sync.
  for (const [k, v] of Object.entries({ "linger.ms": 0, ...opts.producerProps })) args.push("--producer-property", `${k}=${v}`);
  const input = lines.map((l) => `${l}\n`).join("");
  return checkTool("ConsoleProducer", await runTool("org.apache.kafka.tools.ConsoleProducer", args, { input, timeoutMs: opts.timeoutMs }));
}

export interface ConsoleConsumeOptions {
  group?: string;
  /** --from-beginning (default true). */
  fromBeginning?: boolean;
  partition?: number;
  /** Exit if no record arrives for this long (--timeout-ms, default 10 s). */
  idleTimeoutMs?: number;
  /** Print "key<TAB>value" lines (print.key=true). */
  printKey?: boolean;
  /** --consumer-property k=v. */
  consumerProps?: Record<string, string | number | boolean>;
  timeoutMs?: number;
}

export interface ConsoleConsumeResult extends ToolResult {
  /** One entry per record: stdout lines (values, or key\tvalue with printKey). */
  lines: string[];
}

/** Java ConsoleConsumer reading up to `maxMessages` records (text values, one per line). */
export async function consoleConsume(
  bootstrap: string,
  topic: string,
  maxMessages: number,
  opts: ConsoleConsumeOptions = {},
): Promise<ConsoleConsumeResult> {
  const args = ["--bootstrap-server", bootstrap, "--topic", topic, "--max-messages", String(maxMessages)];
  args.push("--timeout-ms", String(opts.idleTimeoutMs ?? 10_000));
  if (opts.fromBeginning ?? true) args.push("--from-beginning");
  if (opts.group) args.push("--group", opts.group);
  if (opts.partition !== undefined) args.push("--partition", String(opts.partition));
  if (opts.printKey) args.push("--property", "print.key=true");
  for (const [k, v] of Object.entries(opts.consumerProps ?? {})) args.push("--consumer-property", `${k}=${v}`);
  const r = await runTool("org.apache.kafka.tools.consumer.ConsoleConsumer", args, { timeoutMs: opts.timeoutMs });
  // An idle timeout is reported on stderr as TimeoutException with exit 0; callers check lines.length.
  if (r.code !== 0) throw new Error(`ConsoleConsumer failed (exit ${r.code}):\n${r.stderr.slice(-4000)}`);
  const lines = r.stdout === "" ? [] : r.stdout.replace(/\n$/, "").split("\n");
  return { ...r, lines };
}

// ---------------------------------------------------------------- Java perf tools

export interface ProducerPerfOptions {
  recordSize?: number;
  /** Records/s, -1 = unthrottled (default). */
  throughput?: number;
  /** --producer-props k=v (e.g. acks, compression.type, linger.ms). */
  producerProps?: Record<string, string | number | boolean>;
  timeoutMs?: number;
}

export interface ProducerPerfResult extends ToolResult {
  records: number;
  recordsPerSec: number;
  mbPerSec: number;
  avgLatencyMs: number;
  maxLatencyMs: number;
}

/** ProducerPerformance; parses its final summary line. */
export async function producerPerf(
  bootstrap: string,
  topic: string,
  numRecords: number,
  opts: ProducerPerfOptions = {},
): Promise<ProducerPerfResult> {
  const props = { "bootstrap.servers": bootstrap, ...(opts.producerProps ?? {}) };
  const args = [
    "--topic",
    topic,
    "--num-records",
    String(numRecords),
    "--record-size",
    String(opts.recordSize ?? 100),
    "--throughput",
    String(opts.throughput ?? -1),
    "--producer-props",
    ...Object.entries(props).map(([k, v]) => `${k}=${v}`),
  ];
  const r = checkTool(
    "ProducerPerformance",
    await runTool("org.apache.kafka.tools.ProducerPerformance", args, { timeoutMs: opts.timeoutMs }),
  );
  const lines = r.stdout.trim().split("\n");
  const m = lines[lines.length - 1].match(
    /^(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency, ([\d.]+) ms max latency/,
  );
  if (!m) throw new Error(`unexpected ProducerPerformance output:\n${r.stdout}\n${r.stderr}`);
  return { ...r, records: +m[1], recordsPerSec: +m[2], mbPerSec: +m[3], avgLatencyMs: +m[4], maxLatencyMs: +m[5] };
}

export interface ConsumerPerfOptions {
  group?: string;
  /** --timeout: max ms between records before giving up (default 10 s). */
  idleTimeoutMs?: number;
  timeoutMs?: number;
}

export interface ConsumerPerfResult extends ToolResult {
  /** The CSV row keyed by header (e.g. 'data.consumed.in.nMsg', 'nMsg.sec', 'MB.sec'). */
  stats: Record<string, string>;
  messages: number;
  mbPerSec: number;
  msgPerSec: number;
}

/** ConsumerPerformance reading `messages` records; parses its CSV summary. */
export async function consumerPerf(
  bootstrap: string,
  topic: string,
  messages: number,
  opts: ConsumerPerfOptions = {},
): Promise<ConsumerPerfResult> {
  const args = ["--bootstrap-server", bootstrap, "--topic", topic, "--messages", String(messages)];
  args.push("--timeout", String(opts.idleTimeoutMs ?? 10_000));
  if (opts.group) args.push("--group", opts.group);
  const r = checkTool(
    "ConsumerPerformance",
    await runTool("org.apache.kafka.tools.ConsumerPerformance", args, { timeoutMs: opts.timeoutMs }),
  );
  const lines = r.stdout.split("\n").filter((l) => l.includes(","));
  const hi = lines.findIndex((l) => l.startsWith("start.time"));
  if (hi < 0 || hi + 1 >= lines.length) throw new Error(`unexpected ConsumerPerformance output:\n${r.stdout}\n${r.stderr}`);
  const keys = lines[hi].split(",").map((s) => s.trim());
  const vals = lines[hi + 1].split(",").map((s) => s.trim());
  const stats = Object.fromEntries(keys.map((k, i) => [k, vals[i] ?? ""]));
  return {
    ...r,
    stats,
    messages: Number(stats["data.consumed.in.nMsg"]),
    mbPerSec: Number(stats["MB.sec"]),
    msgPerSec: Number(stats["nMsg.sec"]),
  };
}

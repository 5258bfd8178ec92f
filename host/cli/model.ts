// What each `kscope stat` resource is made of: the metrics (the vocabulary shared with the
// filter, vocabulary/metrics.ts) and the queries that turn them into rows. A column whose metric
// a proxy does not export is null (printed "-"), never an error.
import * as M from "../../vocabulary/metrics";
import { Labels } from "../metrics/scheme";
import { Row, Select, Source, keyOf } from "./source";

export interface Filters {
  topic?: string;
  group?: string;
  client?: string;
  api?: string;
}

type Table = Map<string, Record<string, unknown>>;

/** Joins query results into one row per key; `into` names the column each result fills. */
class Join {
  readonly rows: Table = new Map();
  constructor(readonly by: string[]) {}
  add(col: string, rows: Row[], create = true): this {
    for (const r of rows) {
      const k = keyOf(r.labels, this.by);
      let row = this.rows.get(k);
      if (!row) {
        if (!create) continue;
        row = {};
        for (const b of this.by) row[b] = r.labels[b] ?? "";
        this.rows.set(k, row);
      }
      row[col] = r.value;
    }
    return this;
  }
  /** Counts distinct values of `label` per key among rows with value > 0. */
  distinct(col: string, rows: Row[], label: string, names = false): this {
    const sets = new Map<string, Set<string>>();
    for (const r of rows) {
      if (!(r.value > 0)) continue;
      const k = keyOf(r.labels, this.by);
      if (!sets.has(k)) sets.set(k, new Set());
      sets.get(k)!.add(r.labels[label]);
    }
    for (const [k, row] of this.rows) {
      const s = sets.get(k);
      row[col] = names ? [...(s ?? [])].filter((x) => x !== "").sort() : (s?.size ?? 0);
    }
    return this;
  }
  list(): Record<string, unknown>[] {
    return [...this.rows.values()];
  }
}

const w = (f: Filters, map: Partial<Record<keyof Filters, string>>): Labels => {
  const out: Labels = {};
  for (const [k, label] of Object.entries(map)) {
    const v = f[k as keyof Filters];
    if (v !== undefined) out[label] = v;
  }
  return out;
};

/** Fills null for each column no query answered for, so JSON always has the same keys. */
function complete(rows: Record<string, unknown>[], cols: string[]): Record<string, unknown>[] {
  for (const r of rows) for (const c of cols) if (!(c in r)) r[c] = null;
  return rows;
}

const QUANTILES: [string, number][] = [
  ["p50", 0.5],
  ["p95", 0.95],
  ["p99", 0.99],
];
const msRows = (rows: Row[]) => rows.map((r) => ({ labels: r.labels, value: r.value / 1000 }));

// ---- topics ----------------------------------------------------------------------------------
export const TOPIC_COLS = [
  "producedRecordsPerSec",
  "producedBytesPerSec",
  "fetchedRecordsPerSec",
  "fetchedBytesPerSec",
  "errorsPerSec",
  "partitions",
  "producers",
  "groups",
];

export async function topics(src: Source, f: Filters): Promise<Record<string, unknown>[]> {
  const where = w(f, { topic: "topic", client: "client_id" });
  const by = ["topic"];
  const [pr, pb, fr, fb, er, parts, prodBy, fetchBy, commitBy] = await Promise.all([
    src.rate(M.producedRecords, { by, where }),
    src.rate(M.producedBytes, { by, where }),
    src.rate(M.fetchedRecords, { by, where: w(f, { topic: "topic", client: "client_id", group: "group" }) }),
    src.rate(M.fetchedBytes, { by, where: w(f, { topic: "topic", client: "client_id", group: "group" }) }),
    src.rate(M.topicErrors, { by, where: w(f, { topic: "topic" }) }),
    src.gauge(M.topicPartitions, { by, where: w(f, { topic: "topic" }), agg: "max" }),
    src.rate(M.producedRecords, { by: ["topic", "client_id"], where }),
    src.rate(M.fetchedRecords, { by: ["topic", "group"], where: w(f, { topic: "topic", group: "group" }) }),
    src.gauge(M.committedOffset, { by: ["topic", "group"], where: w(f, { topic: "topic", group: "group" }), agg: "count" }),
  ]);
  const j = new Join(by)
    .add("producedRecordsPerSec", pr)
    .add("producedBytesPerSec", pb)
    .add("fetchedRecordsPerSec", fr)
    .add("fetchedBytesPerSec", fb)
    .add("errorsPerSec", er)
    .add("partitions", parts, false);
  // A topic is shown if it had traffic in the window or a group commits on it.
  j.add(
    "_c",
    commitBy.map((r) => ({ labels: r.labels, value: 1 })),
  );
  j.distinct("producers", prodBy, "client_id");
  const groups = [...fetchBy, ...commitBy.map((r) => ({ labels: r.labels, value: 1 }))];
  j.distinct("groups", groups, "group");
  const rows = j.list();
  // Errors are counted as they happen: with traffic and no error series, the rate is 0.
  for (const r of rows) {
    delete r._c;
    if (r.errorsPerSec === undefined && ((r.producedRecordsPerSec as number) > 0 || (r.fetchedRecordsPerSec as number) > 0))
      r.errorsPerSec = 0;
  }
  if (f.group)
    return complete(
      rows.filter((r) => (r.groups as number) > 0),
      TOPIC_COLS,
    );
  return complete(rows, TOPIC_COLS);
}

// ---- groups ----------------------------------------------------------------------------------
export const GROUP_COLS = [
  "state",
  "members",
  "rebalances",
  "committedPerSec",
  "fetchedRecordsPerSec",
  "lagRecords",
  "worstLagRecords",
  "lagSeconds",
  "lagGrowth",
  "topics",
  "partitions",
];

/**
 * A group's state, in Burrow's spirit, over the window (documented in `kscope stat --help`):
 *   OK        no lag, or lag with the committed offsets moving (and not LAGGING)
 *   LAGGING   committed offsets move, but the total lag grew over the window and the oldest
 *             uncommitted record has waited at least LAGGING_SECONDS (consumers fall behind)
 *   STALLED   lag, the group still fetches, but its committed offsets did not move
 *   STOPPED   lag, and the group neither commits nor fetches (paused, hung or gone)
 */
export const LAGGING_SECONDS = 10;

export function groupState(g: {
  lagRecords: number | null;
  committedPerSec: number | null;
  fetchedRecordsPerSec: number | null;
  lagGrowth: number | null;
  lagSeconds: number | null;
}): string | null {
  if (g.lagRecords === null) return null;
  if (g.lagRecords <= 0) return "OK";
  const committing = (g.committedPerSec ?? 0) > 0;
  const fetching = (g.fetchedRecordsPerSec ?? 0) > 0;
  if (!committing) return fetching ? "STALLED" : "STOPPED";
  return (g.lagGrowth ?? 0) > 0 && (g.lagSeconds ?? 0) >= LAGGING_SECONDS ? "LAGGING" : "OK";
}

export async function groups(src: Source, f: Filters): Promise<Record<string, unknown>[]> {
  const where = w(f, { group: "group", topic: "topic" });
  const by = ["group"];
  const part = ["group", "topic", "partition"];
  const [members, rebal, committed, fetched, lag, worst, lagSec, growth, topicsBy, partsN] = await Promise.all([
    src.gauge(M.groupMembers, { by, where: w(f, { group: "group" }), agg: "max" }),
    src.rate(M.groupRebalances, { by, where: w(f, { group: "group" }) }),
    // committed offsets only move forward (a rewind shows as negative progress): records committed per second
    src.delta(M.committedOffset, { by, where, dedupe: part, agg: "sum" }),
    src.rate(M.fetchedRecords, { by, where: w(f, { group: "group", topic: "topic", client: "client_id" }) }),
    src.gauge(M.lagRecords, { by, where, dedupe: part, agg: "sum" }),
    src.gauge(M.lagRecords, { by, where, dedupe: part, agg: "max" }),
    src.gauge(M.lagSeconds, { by, where, dedupe: part, agg: "max" }),
    src.delta(M.lagRecords, { by, where, dedupe: part, agg: "sum" }),
    src.gauge(M.committedOffset, { by: ["group", "topic"], where, agg: "count" }),
    src.gauge(M.committedOffset, { by, where, dedupe: part, agg: "count" }),
  ]);
  const perSec = (rows: Row[]) => rows.map((r) => ({ labels: r.labels, value: r.value / src.window }));
  const j = new Join(by)
    .add("members", members)
    .add(
      "rebalances",
      rebal.map((r) => ({ labels: r.labels, value: Math.round(r.value * src.window) })),
    )
    .add("committedPerSec", perSec(committed))
    .add("fetchedRecordsPerSec", fetched)
    .add("lagRecords", lag)
    .add("worstLagRecords", worst)
    .add("lagSeconds", lagSec)
    .add("lagGrowth", growth, false)
    .add("partitions", partsN, false);
  j.distinct(
    "topics",
    topicsBy.map((r) => ({ ...r, value: 1 })),
    "topic",
    true,
  );
  let rows = complete(
    j.list().filter((r) => r.group !== ""),
    GROUP_COLS,
  );
  for (const r of rows) r.state = groupState(r as never);
  if (f.client) {
    const mine = new Set((await src.rate(M.fetchedRecords, { by, where: { client_id: f.client } })).map((r) => r.labels.group));
    rows = rows.filter((r) => mine.has(r.group as string));
  }
  return rows;
}

// ---- clients ---------------------------------------------------------------------------------
export const CLIENT_COLS = [
  "requestsPerSec",
  "successRate",
  "p50Ms",
  "p95Ms",
  "p99Ms",
  "producedRecordsPerSec",
  "producedBytesPerSec",
  "fetchedRecordsPerSec",
  "fetchedBytesPerSec",
  "produceBatchesPerSec",
  "topics",
  "groups",
];

/**
 * One row per client id that produced or fetched records in the window. Requests, success and
 * latency cover all of the client's requests (every API, every topic: those series have no topic
 * label, so --topic/--group choose the rows, not what they count). SUCCESS is
 * 1 − responses with errors / requests, null when the client sent no request in the window.
 */
export async function clients(src: Source, f: Filters): Promise<Record<string, unknown>[]> {
  const pw = w(f, { topic: "topic", client: "client_id" });
  const fw = w(f, { topic: "topic", client: "client_id", group: "group" });
  const cw = w(f, { client: "client_id" });
  const by = ["client_id"];
  const [pr, pb, fr, fb, batches, prodTopics, fetchTopics, fetchGroups, req, err, ...qs] = await Promise.all([
    src.rate(M.producedRecords, { by, where: pw }),
    src.rate(M.producedBytes, { by, where: pw }),
    src.rate(M.fetchedRecords, { by, where: fw }),
    src.rate(M.fetchedBytes, { by, where: fw }),
    src.rate(M.producedBatches, { by, where: pw }),
    src.rate(M.producedBytes, { by: ["client_id", "topic"], where: pw }),
    src.rate(M.fetchedRecords, { by: ["client_id", "topic"], where: fw }),
    src.rate(M.fetchedRecords, { by: ["client_id", "group"], where: fw }),
    src.rate(M.clientRequests, { by, where: cw }),
    src.rate(M.clientErrors, { by, where: cw }),
    ...QUANTILES.map(([, q]) => src.quantile(q, M.clientDuration, { by, where: cw })),
  ]);
  const j = new Join(by)
    .add("producedRecordsPerSec", pr)
    .add("producedBytesPerSec", pb)
    .add("fetchedRecordsPerSec", fr)
    .add("fetchedBytesPerSec", fb)
    .add("produceBatchesPerSec", batches)
    .add("requestsPerSec", req, false)
    .add("errorsPerSec", err, false);
  QUANTILES.forEach(([name], i) => j.add(`${name}Ms`, msRows(qs[i]), false));
  j.distinct("topics", [...prodTopics, ...fetchTopics], "topic", true);
  j.distinct("groups", fetchGroups, "group", true);
  let rows = j
    .list()
    .filter(
      (r) => (r.producedRecordsPerSec as number) > 0 || (r.fetchedRecordsPerSec as number) > 0 || (r.producedBytesPerSec as number) > 0,
    );
  if (f.group) rows = rows.filter((r) => (r.groups as string[]).includes(f.group!));
  for (const r of rows) {
    const requests = (r.requestsPerSec as number | undefined) ?? 0;
    // Errors are counted as they happen: with requests and no error series, none failed.
    r.successRate = requests > 0 ? Math.min(1, Math.max(0, 1 - ((r.errorsPerSec as number | undefined) ?? 0) / requests)) : null;
    delete r.errorsPerSec;
  }
  return complete(rows, CLIENT_COLS);
}

// ---- apis ------------------------------------------------------------------------------------
export const API_COLS = [
  "requestsPerSec",
  "successRate",
  "errorsPerSec",
  "requestBytesPerSec",
  "responseBytesPerSec",
  "p50Ms",
  "p95Ms",
  "p99Ms",
  "topErrors",
];

export async function apis(src: Source, f: Filters): Promise<Record<string, unknown>[]> {
  const where = w(f, { api: "api" });
  const by = ["api"];
  const [req, resp, err, errBy, rb, sb, ...qs] = await Promise.all([
    src.rate(M.requests, { by, where }),
    src.rate(M.responses, { by, where }),
    src.rate(M.errors, { by, where }),
    src.rate(M.errors, { by: ["api", "error"], where }),
    src.rate(M.requestBytes, { by, where }),
    src.rate(M.responseBytes, { by, where }),
    ...QUANTILES.map(([, q]) => src.quantile(q, M.requestDuration, { by, where })),
  ]);
  const j = new Join(by)
    .add("requestsPerSec", req)
    .add("responsesPerSec", resp)
    .add("errorsPerSec", err, false)
    .add("requestBytesPerSec", rb, false)
    .add("responseBytesPerSec", sb, false);
  QUANTILES.forEach(([name], i) => j.add(`${name}Ms`, msRows(qs[i]), false));
  const names = await src.names();
  const rows = j.list().filter((r) => (r.requestsPerSec as number) > 0 || (r.responsesPerSec as number) > 0);
  for (const r of rows) {
    const responses = (r.responsesPerSec as number | undefined) ?? 0;
    if (!names.has(M.errors)) r.successRate = null;
    else r.successRate = responses > 0 ? Math.max(0, 1 - ((r.errorsPerSec as number | undefined) ?? 0) / responses) : null;
    if (names.has(M.errors)) r.errorsPerSec ??= 0;
    r.topErrors = errBy
      .filter((e) => e.labels.api === r.api && e.value > 0)
      .sort((a, b) => b.value - a.value)
      .slice(0, 3)
      .map((e) => e.labels.error);
    delete r.responsesPerSec;
  }
  return complete(rows, API_COLS);
}

// ---- brokers ---------------------------------------------------------------------------------
export const BROKER_COLS = ["partitionsLed", "topics"];

/** Brokers as the metadata seen on the wire names them: the partitions each one leads. */
export async function brokers(src: Source, f: Filters): Promise<Record<string, unknown>[]> {
  const where = w(f, { topic: "topic" });
  const led = await src.gauge(M.partitionLeader, { by: ["topic", "partition"], where, agg: "max" });
  const rows = new Map<string, { broker: string; partitionsLed: number; topics: Set<string> }>();
  for (const r of led) {
    if (r.value < 0) continue;
    const id = String(r.value);
    const b = rows.get(id) ?? { broker: id, partitionsLed: 0, topics: new Set<string>() };
    b.partitionsLed++;
    b.topics.add(r.labels.topic);
    rows.set(id, b);
  }
  return [...rows.values()].map((b) => ({ broker: b.broker, partitionsLed: b.partitionsLed, topics: [...b.topics].sort() }));
}

export type { Select };

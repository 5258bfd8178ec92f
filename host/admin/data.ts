// The dashboard's data: the CLI's model (host/cli/model.ts, VIEWS) over a Source, for now or
// for a series of past moments (charts), plus what the detail pages add (partitions, errors by
// name, delivery latency). The browser only draws: every rate and quantile is computed here.
import * as M from "../../vocabulary/metrics";
import { Filters } from "../cli/model";
import { VIEWS } from "../cli/views";
import { Row, Source } from "../cli/source";
import { Flow, flows } from "../cli/top";
import { TopologyGraph } from "../topology/graph";
import { TopologyFilters, buildTopology } from "../topology/build";

/** A Source over `window` seconds ending at `at` (ms since the epoch; now when absent). */
export type SourceAt = (window: number, at?: number) => Source;

type R = Record<string, unknown>;

export interface Series {
  /** Moments (ms since the epoch), oldest first. */
  t: number[];
  /** One entry per row key (the view's key labels joined by "/"): its numeric columns over `t` (null: no value then). */
  rows: { key: string; labels: Record<string, string>; cols: Record<string, (number | null)[]> }[];
}

const PART = ["group", "topic", "partition"];

/** A row's key label as text (labels are strings; a missing one is ""). */
const text = (v: unknown): string => (typeof v === "string" || typeof v === "number" ? String(v) : "");

/** One row per (group, topic, partition): lag in records and seconds, committed offset, high watermark. */
export async function partitions(src: Source, f: Filters): Promise<R[]> {
  const where: Record<string, string> = {};
  if (f.group) where.group = f.group;
  if (f.topic) where.topic = f.topic;
  const g = (m: string) => src.gauge(m, { by: PART, where, dedupe: PART, agg: "max" });
  const [lag, sec, committed] = await Promise.all([g(M.lagRecords), g(M.lagSeconds), g(M.committedOffset)]);
  const rows = new Map<string, R>();
  const put = (col: string, rs: Row[]) => {
    for (const r of rs) {
      const k = PART.map((p) => r.labels[p]).join("/");
      const row = rows.get(k) ?? { group: r.labels.group, topic: r.labels.topic, partition: r.labels.partition };
      row[col] = r.value;
      rows.set(k, row);
    }
  };
  put("lagRecords", lag);
  put("lagSeconds", sec);
  put("committed", committed);
  return [...rows.values()].sort((a, b) => String(a.topic).localeCompare(String(b.topic)) || Number(a.partition) - Number(b.partition));
}

/** The resources the dashboard can chart: the CLI's views plus partitions. */
const LOADERS: Record<string, { key: string[]; load: (src: Source, f: Filters) => Promise<R[]> }> = {
  ...Object.fromEntries(Object.values(VIEWS).map((v) => [v.resource, { key: [v.key], load: (src: Source, f: Filters) => v.load(src, f) }])),
  partitions: { key: PART, load: partitions },
};

export const RESOURCES = Object.keys(LOADERS);

export class DashboardData {
  /** `maxPoints` bounds a chart's moments (each one evaluates a view: a few PromQL queries over Prometheus). */
  constructor(
    private readonly source: SourceAt,
    readonly describe: string,
    readonly retentionSeconds: number,
    private readonly now: () => number = Date.now,
    private readonly maxPoints = 120,
  ) {}

  async view(resource: string, window: number, f: Filters): Promise<{ window: number; source: string; rows: R[] }> {
    const l = LOADERS[resource];
    if (!l) throw new Error(`no such view: ${resource}`);
    return { window, source: this.describe, rows: await l.load(this.source(window), f) };
  }

  /** The view evaluated at `points` moments over the last `range` seconds, each over `step` seconds. */
  async series(resource: string, range: number, step: number, f: Filters): Promise<Series> {
    const l = LOADERS[resource];
    if (!l) throw new Error(`no such view: ${resource}`);
    const now = this.now();
    const n = Math.max(2, Math.min(this.maxPoints, Math.floor(range / step)));
    const t = Array.from({ length: n }, (_, i) => now - (n - 1 - i) * step * 1000);
    const evaluated = await Promise.all(t.map((at, i) => l.load(this.source(step, i === n - 1 ? undefined : at), f)));
    const rows = new Map<string, Series["rows"][0]>();
    evaluated.forEach((rs, i) => {
      for (const r of rs) {
        const key = l.key.map((k) => text(r[k])).join("/");
        let row = rows.get(key);
        if (!row) rows.set(key, (row = { key, labels: Object.fromEntries(l.key.map((k) => [k, text(r[k])])), cols: {} }));
        for (const [c, v] of Object.entries(r)) {
          if (typeof v !== "number") continue;
          (row.cols[c] ??= new Array<number | null>(n).fill(null))[i] = v;
        }
      }
    });
    return { t, rows: [...rows.values()] };
  }

  /** A topic's page: its row, partitions (high watermark, leader), producers, groups with lag, errors by name, delivery latency. */
  async topic(name: string, window: number): Promise<R> {
    const src = this.source(window);
    const f = { topic: name };
    const [row, producers, groups, errors, hw, leader, delivery] = await Promise.all([
      VIEWS.topics.load(src, f),
      VIEWS.clients.load(src, f),
      VIEWS.groups.load(src, f),
      src.rate(M.topicErrors, { by: ["api", "error"], where: f }),
      src.gauge(M.highWatermark, { by: ["partition"], where: f, agg: "max" }),
      src.gauge(M.partitionLeader, { by: ["partition"], where: f, agg: "max" }),
      this.delivery(src, { topic: name }),
    ]);
    const parts = new Map<string, R>();
    for (const r of hw) parts.set(r.labels.partition, { partition: r.labels.partition, highWatermark: r.value, leader: null });
    for (const r of leader) {
      const p = parts.get(r.labels.partition) ?? { partition: r.labels.partition, highWatermark: null };
      p.leader = r.value;
      parts.set(r.labels.partition, p);
    }
    const lagRows = await partitions(src, f);
    for (const g of groups) {
      const mine = lagRows.filter((p) => p.group === g.group);
      g.lagSecondsWorst = mine.reduce((m, p) => Math.max(m, (p.lagSeconds as number) ?? 0), 0);
      const d = delivery.find((x) => x.group === g.group);
      g.deliveryP50Ms = d?.p50Ms ?? null;
      g.deliveryP99Ms = d?.p99Ms ?? null;
    }
    return {
      window,
      source: this.describe,
      name,
      topic: row[0] ?? null,
      partitions: [...parts.values()].sort((a, b) => Number(a.partition) - Number(b.partition)),
      producers: producers.filter((p) => ((p.producedRecordsPerSec as number) ?? 0) > 0 || ((p.producedBytesPerSec as number) ?? 0) > 0),
      consumers: producers.filter((p) => ((p.fetchedRecordsPerSec as number) ?? 0) > 0),
      groups,
      errors: errors.filter((e) => e.value > 0).map((e) => ({ api: e.labels.api, error: e.labels.error, perSec: e.value })),
    };
  }

  /** A group's page: its row (state), members (client ids fetching for it), partitions, delivery latency per topic. */
  async group(name: string, window: number): Promise<R> {
    const src = this.source(window);
    const [row, members, parts, delivery] = await Promise.all([
      VIEWS.groups.load(src, { group: name }),
      VIEWS.clients.load(src, { group: name }),
      partitions(src, { group: name }),
      this.delivery(src, { group: name }),
    ]);
    return { window, source: this.describe, name, group: row[0] ?? null, members, partitions: parts, delivery };
  }

  /** A client's page: its row, the topics it produces to and the groups it consumes for (edges), per-API requests. */
  async client(name: string, window: number): Promise<R> {
    const src = this.source(window);
    const [row, apis, errors] = await Promise.all([
      VIEWS.clients.load(src, { client: name }),
      src.rate(M.clientRequests, { by: ["api"], where: { client_id: name } }),
      src.rate(M.clientErrors, { by: ["api"], where: { client_id: name } }),
    ]);
    const err = new Map(errors.map((e) => [e.labels.api, e.value]));
    return {
      window,
      source: this.describe,
      name,
      client: row[0] ?? null,
      apis: apis
        .filter((a) => a.value > 0)
        .map((a) => ({ api: a.labels.api, requestsPerSec: a.value, errorsPerSec: err.get(a.labels.api) ?? 0 }))
        .sort((a, b) => b.requestsPerSec - a.requestsPerSec),
    };
  }

  /** `kscope top`'s metric flows (host/cli/top.ts); the browser joins them with the tap, as the CLI does. */
  top(window: number, f: Filters): Promise<Flow[]> {
    return flows(this.source(window), f);
  }

  /** The topology model of `kscope topology` (host/topology/build.ts) over the same source. */
  topology(window: number, f: TopologyFilters = {}): Promise<TopologyGraph> {
    return buildTopology(this.source(window), f);
  }

  /** Delivery latency p50/p99 per (topic, group), milliseconds; empty when the filter does not export it. */
  private async delivery(src: Source, where: Record<string, string>): Promise<R[]> {
    const by = ["topic", "group"];
    const [p50, p99] = await Promise.all([0.5, 0.99].map((q) => src.quantile(q, M.deliveryLatency, { by, where })));
    return p50.map((r) => ({
      topic: r.labels.topic,
      group: r.labels.group,
      p50Ms: r.value,
      p99Ms: p99.find((x) => x.labels.topic === r.labels.topic && x.labels.group === r.labels.group)?.value ?? null,
    }));
  }
}

// The rows of `kscope top`: the busiest (client, API, topic) flows over a short window. From
// metrics: the per-topic produce/fetch counters, with the API's latency and the flow's error
// rate. From tap (a proxy whose filter can tap): count, best/worst/last latency and success of
// each flow's responses, joined with those rates.
import * as M from "../../vocabulary/metrics";
import { Filters } from "./model";
import { Row, Source, keyOf } from "./source";
import type { TapEvent } from "../tap";

export interface Flow {
  client: string;
  api: "Produce" | "Fetch";
  topic: string;
  group: string | null;
  recordsPerSec: number;
  bytesPerSec: number | null;
  count: number;
  errorsPerSec: number;
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
}

export async function flows(src: Source, f: Filters, limit = 20): Promise<Flow[]> {
  const pw: Record<string, string> = {},
    fw: Record<string, string> = {};
  if (f.topic) {
    pw.topic = f.topic;
    fw.topic = f.topic;
  }
  if (f.client) {
    pw.client_id = f.client;
    fw.client_id = f.client;
  }
  if (f.group) fw.group = f.group;
  const apiBy = { by: ["api"], where: { api: "" } };
  const q = (x: number, api: string) => src.quantile(x, M.requestDuration, { ...apiBy, where: { api } });
  const [pr, pb, fr, fb, te, p50p, p99p, maxp, p50f, p99f, maxf] = await Promise.all([
    f.group ? Promise.resolve([] as Row[]) : src.rate(M.producedRecords, { by: ["client_id", "topic"], where: pw }),
    f.group ? Promise.resolve([] as Row[]) : src.rate(M.producedBytes, { by: ["client_id", "topic"], where: pw }),
    src.rate(M.fetchedRecords, { by: ["client_id", "topic", "group"], where: fw }),
    src.rate(M.fetchedBytes, { by: ["client_id", "topic", "group"], where: fw }),
    src.rate(M.topicErrors, { by: ["topic", "api"], where: f.topic ? { topic: f.topic } : {} }),
    q(0.5, "Produce"),
    q(0.99, "Produce"),
    q(1, "Produce"),
    q(0.5, "Fetch"),
    q(0.99, "Fetch"),
    q(1, "Fetch"),
  ]);
  const val = (rows: Row[], labels: Record<string, string>, by: string[]) =>
    rows.find((r) => keyOf(r.labels, by) === keyOf(labels, by))?.value ?? null;
  const ms = (rows: Row[]) => (rows[0] ? rows[0].value / 1000 : null);
  const batchesErr = (topic: string, api: string) => val(te, { topic, api }, ["topic", "api"]);
  const out: Flow[] = [];
  for (const r of pr) {
    if (!(r.value > 0)) continue;
    const err = batchesErr(r.labels.topic, "Produce");
    out.push({
      client: r.labels.client_id,
      api: "Produce",
      topic: r.labels.topic,
      group: null,
      recordsPerSec: r.value,
      bytesPerSec: val(pb, r.labels, ["client_id", "topic"]),
      count: Math.round(r.value * src.window),
      errorsPerSec: err ?? 0,
      p50Ms: ms(p50p),
      p99Ms: ms(p99p),
      maxMs: ms(maxp),
    });
  }
  for (const r of fr) {
    if (!(r.value > 0)) continue;
    const err = batchesErr(r.labels.topic, "Fetch");
    out.push({
      client: r.labels.client_id,
      api: "Fetch",
      topic: r.labels.topic,
      group: r.labels.group || null,
      recordsPerSec: r.value,
      bytesPerSec: val(fb, r.labels, ["client_id", "topic", "group"]),
      count: Math.round(r.value * src.window),
      errorsPerSec: err ?? 0,
      p50Ms: ms(p50f),
      p99Ms: ms(p99f),
      maxMs: ms(maxf),
    });
  }
  return out.sort((a, b) => b.recordsPerSec - a.recordsPerSec).slice(0, limit);
}

/** A `kscope top` row when the proxy can tap: counts and latencies of the tapped responses
 *  over the last seconds, and the flow's rates from metrics where the flow has them. */
export interface TapFlow {
  client: string;
  api: string;
  topic: string;
  group: string | null;
  /** Responses seen. */
  count: number;
  bestMs: number | null;
  worstMs: number | null;
  lastMs: number | null;
  /** Share of responses whose error is NONE. */
  successRate: number | null;
  recordsPerSec: number | null;
  bytesPerSec: number | null;
  errorsPerSec: number | null;
}

interface Bucket {
  n: number;
  ok: number;
  min: number;
  max: number;
}
interface Tally {
  client: string;
  api: string;
  topic: string;
  group: string | null;
  lastUs: number;
  lastAt: number;
  buckets: Map<number, Bucket>;
}

/** Tallies tapped responses per (client, API, topic) in one-second buckets, so a sliding
 *  window of W seconds keeps at most W buckets per flow however busy the proxy is. A response
 *  naming several topics (a Fetch) counts once for each; one naming none is topic "". */
export class TapTally {
  private flows = new Map<string, Tally>();
  /** `onlyTopic`: of a multi-topic response, keep only this topic (the --topic filter). */
  constructor(private onlyTopic?: string) {}

  add(e: TapEvent, atMs: number = e.ts): void {
    if (e.ev !== "rsp" || e.latencyUs === undefined) return;
    const ok = (e.error ?? "NONE") === "NONE";
    const sec = Math.floor(atMs / 1000);
    const topics = e.topics.length ? e.topics : [""];
    for (const topic of topics) {
      if (this.onlyTopic && topic !== this.onlyTopic) continue;
      const k = `${e.client}\u0000${e.api}\u0000${topic}`;
      let t = this.flows.get(k);
      if (!t)
        this.flows.set(k, (t = { client: e.client, api: e.api, topic, group: null, lastUs: 0, lastAt: -Infinity, buckets: new Map() }));
      if (e.group) t.group = e.group;
      if (atMs >= t.lastAt) {
        t.lastAt = atMs;
        t.lastUs = e.latencyUs;
      }
      const b = t.buckets.get(sec);
      if (!b) t.buckets.set(sec, { n: 1, ok: ok ? 1 : 0, min: e.latencyUs, max: e.latencyUs });
      else {
        b.n++;
        if (ok) b.ok++;
        b.min = Math.min(b.min, e.latencyUs);
        b.max = Math.max(b.max, e.latencyUs);
      }
    }
  }

  /** Flows with responses in the `seconds` before `nowMs`, to the second (older buckets are dropped). */
  rows(nowMs: number, seconds: number): TapFlow[] {
    const from = Math.floor((nowMs - seconds * 1000) / 1000); // the bucket holding the window's start
    const out: TapFlow[] = [];
    for (const [k, t] of this.flows) {
      let n = 0,
        ok = 0,
        min = Infinity,
        max = -Infinity;
      for (const [sec, b] of t.buckets) {
        if (sec < from) {
          t.buckets.delete(sec);
          continue;
        }
        n += b.n;
        ok += b.ok;
        min = Math.min(min, b.min);
        max = Math.max(max, b.max);
      }
      if (!n) {
        this.flows.delete(k);
        continue;
      }
      out.push({
        client: t.client,
        api: t.api,
        topic: t.topic,
        group: t.group,
        count: n,
        bestMs: min / 1000,
        worstMs: max / 1000,
        lastMs: t.lastUs / 1000,
        successRate: ok / n,
        recordsPerSec: null,
        bytesPerSec: null,
        errorsPerSec: null,
      });
    }
    return out;
  }
}

/** Tap rows joined with the metric flows (rates, and the consumer group of a Fetch); metric
 *  flows the tap did not see in its window stay, with COUNT 0. Sorted by count, then records. */
export function joinTapFlows(tapped: TapFlow[], metric: Flow[], f: Filters, limit = 20): TapFlow[] {
  const key = (client: string, api: string, topic: string) => `${client}\u0000${api}\u0000${topic}`;
  const byKey = new Map(metric.map((m) => [key(m.client, m.api, m.topic), m]));
  const used = new Set<string>();
  const out: TapFlow[] = tapped.map((t) => {
    const k = key(t.client, t.api, t.topic);
    const m = byKey.get(k);
    if (!m) return t;
    used.add(k);
    return { ...t, group: t.group ?? m.group, recordsPerSec: m.recordsPerSec, bytesPerSec: m.bytesPerSec, errorsPerSec: m.errorsPerSec };
  });
  for (const [k, m] of byKey) {
    if (used.has(k)) continue;
    out.push({
      client: m.client,
      api: m.api,
      topic: m.topic,
      group: m.group,
      count: 0,
      bestMs: null,
      worstMs: null,
      lastMs: null,
      successRate: null,
      recordsPerSec: m.recordsPerSec,
      bytesPerSec: m.bytesPerSec,
      errorsPerSec: m.errorsPerSec,
    });
  }
  return out
    .filter((r) => (!f.group || r.group === f.group) && (!f.client || r.client === f.client) && (!f.topic || r.topic === f.topic))
    .sort((a, b) => b.count - a.count || (b.recordsPerSec ?? 0) - (a.recordsPerSec ?? 0) || a.client.localeCompare(b.client))
    .slice(0, limit);
}

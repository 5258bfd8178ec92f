// The rows of `kscope top`: the busiest (client, API, topic) flows over a short window, from
// the per-topic produce/fetch counters, with the API's latency and the flow's error rate.
import { M, Filters } from "./model";
import { Row, Source, keyOf } from "./source";

export interface Flow {
  client: string; api: "Produce" | "Fetch"; topic: string; group: string | null;
  recordsPerSec: number; bytesPerSec: number | null; count: number;
  errorsPerSec: number;
  p50Ms: number | null; p99Ms: number | null; maxMs: number | null;
}

export async function flows(src: Source, f: Filters, limit = 20): Promise<Flow[]> {
  const pw: Record<string, string> = {}, fw: Record<string, string> = {};
  if (f.topic) { pw.topic = f.topic; fw.topic = f.topic; }
  if (f.client) { pw.client_id = f.client; fw.client_id = f.client; }
  if (f.group) fw.group = f.group;
  const apiBy = { by: ["api"], where: { api: "" } };
  const q = (x: number, api: string) => src.quantile(x, M.duration, { ...apiBy, where: { api } });
  const [pr, pb, fr, fb, te, p50p, p99p, maxp, p50f, p99f, maxf] = await Promise.all([
    f.group ? Promise.resolve([] as Row[]) : src.rate(M.producedRecords, { by: ["client_id", "topic"], where: pw }),
    f.group ? Promise.resolve([] as Row[]) : src.rate(M.producedBytes, { by: ["client_id", "topic"], where: pw }),
    src.rate(M.fetchedRecords, { by: ["client_id", "topic", "group"], where: fw }),
    src.rate(M.fetchedBytes, { by: ["client_id", "topic", "group"], where: fw }),
    src.rate(M.topicErrors, { by: ["topic", "api"], where: f.topic ? { topic: f.topic } : {} }),
    q(0.5, "Produce"), q(0.99, "Produce"), q(1, "Produce"), q(0.5, "Fetch"), q(0.99, "Fetch"), q(1, "Fetch"),
  ]);
  const val = (rows: Row[], labels: Record<string, string>, by: string[]) => rows.find((r) => keyOf(r.labels, by) === keyOf(labels, by))?.value ?? null;
  const ms = (rows: Row[]) => (rows[0] ? rows[0].value / 1000 : null);
  const batchesErr = (topic: string, api: string) => val(te, { topic, api }, ["topic", "api"]);
  const out: Flow[] = [];
  for (const r of pr) {
    if (!(r.value > 0)) continue;
    const err = batchesErr(r.labels.topic, "Produce");
    out.push({ client: r.labels.client_id, api: "Produce", topic: r.labels.topic, group: null, recordsPerSec: r.value, bytesPerSec: val(pb, r.labels, ["client_id", "topic"]), count: Math.round(r.value * src.window), errorsPerSec: err ?? 0, p50Ms: ms(p50p), p99Ms: ms(p99p), maxMs: ms(maxp) });
  }
  for (const r of fr) {
    if (!(r.value > 0)) continue;
    const err = batchesErr(r.labels.topic, "Fetch");
    out.push({ client: r.labels.client_id, api: "Fetch", topic: r.labels.topic, group: r.labels.group || null, recordsPerSec: r.value, bytesPerSec: val(fb, r.labels, ["client_id", "topic", "group"]), count: Math.round(r.value * src.window), errorsPerSec: err ?? 0, p50Ms: ms(p50f), p99Ms: ms(p99f), maxMs: ms(maxf) });
  }
  return out.sort((a, b) => b.recordsPerSec - a.recordsPerSec).slice(0, limit);
}

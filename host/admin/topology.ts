// PROVISIONAL: GET /api/topology until the topology builder (issue 10, host/topology/) lands on
// main; then this file gives way to it. It builds the shared graph shape (host/topology/graph.ts)
// from `kscope edges` and `kscope stat groups`: client ids stand in for workloads.
import { Source } from "../cli/source";
import { M, edges, groups } from "../cli/model";
import { TopologyEdge, TopologyGraph, TopologyNode } from "../topology/graph";

export async function buildTopology(src: Source): Promise<TopologyGraph> {
  const [es, gs] = await Promise.all([edges(src, {}), groups(src, {})]);
  const nodes = new Map<string, TopologyNode>();
  const out = new Map<string, TopologyEdge>();
  const state = new Map(gs.map((g) => [g.group as string, g]));
  const node = (n: TopologyNode) => { if (!nodes.has(n.id)) nodes.set(n.id, n); return n.id; };
  const workload = (name: string) => (name ? node({ id: `workload:/${name}`, kind: "workload", name, namespace: "" }) : node({ id: "unknown", kind: "unknown", name: "unknown" }));
  const edge = (e: TopologyEdge) => {
    const had = out.get(e.id);
    if (!had) { out.set(e.id, e); return; }
    had.stats.recordsPerSec = (had.stats.recordsPerSec ?? 0) + (e.stats.recordsPerSec ?? 0);
    had.stats.bytesPerSec = (had.stats.bytesPerSec ?? 0) + (e.stats.bytesPerSec ?? 0);
  };
  for (const e of es) {
    const topic = node({ id: `topic:${e.topic}`, kind: "topic", name: e.topic });
    if (e.kind === "produce") {
      const from = workload(e.client);
      edge({ id: `produce:${from}->${topic}`, kind: "produce", from, to: topic, stats: { recordsPerSec: e.recordsPerSec, bytesPerSec: e.bytesPerSec ?? 0 } });
      continue;
    }
    if (!e.group) continue;
    const g = state.get(e.group);
    const group = node({ id: `group:${e.group}`, kind: "group", name: e.group, state: (g?.state as string | null) ?? undefined });
    edge({ id: `consume:${topic}->${group}`, kind: "consume", from: topic, to: group, stats: { recordsPerSec: e.recordsPerSec, bytesPerSec: e.bytesPerSec ?? 0 } });
    if (e.client) { const member = workload(e.client); edge({ id: `member:${group}->${member}`, kind: "member", from: group, to: member, stats: {} }); }
  }
  // Lag and state per topic -> group edge: from the group's partitions on that topic.
  const lag = await Promise.all([
    src.gauge(M.lagRecords, { by: ["group", "topic"], dedupe: ["group", "topic", "partition"], agg: "sum" }),
    src.gauge(M.lagSeconds, { by: ["group", "topic"], dedupe: ["group", "topic", "partition"], agg: "max" }),
  ]);
  for (const e of out.values()) {
    if (e.kind !== "consume") continue;
    const topic = e.from.slice("topic:".length), group = e.to.slice("group:".length);
    const find = (rows: typeof lag[0]) => rows.find((r) => r.labels.group === group && r.labels.topic === topic)?.value;
    e.stats.lagRecords = find(lag[0]);
    e.stats.lagSeconds = find(lag[1]);
    e.stats.state = nodes.get(e.to)?.state;
  }
  return { windowSeconds: src.window, source: src.describe, nodes: [...nodes.values()], edges: [...out.values()] };
}

// Builds the topology graph (./graph.ts) from any Source: one proxy's admin history or a
// Prometheus scraping a fleet, with the same queries, so the same traffic gives the same graph.
//   http     workload → workload   ./http.ts (kscope's HTTP filter, else Istio, else Linkerd)
//   produce  workload → topic      kscope_produced_* by the producer's workload
//   consume  topic → group         kscope_fetched_*, lag gauges, delivery latency
//   member   group → workload      workloads that fetch or commit for the group
// A Kafka series names its workload in `workload`/`namespace` (the proxy's identity, or the
// client's resolved per connection); a series without one belongs to the `unknown` node.
import * as L from "../../vocabulary/labels";
import * as M from "../../vocabulary/metrics";
import { Labels } from "../metrics/scheme";
import { groupState } from "../cli/model";
import { Row, Source, keyOf } from "../cli/source";
import { EdgeKind, EdgeStats, NodeKind, TopologyEdge, TopologyGraph, TopologyNode } from "./graph";
import { HttpReader, Workload, httpEdges, HTTP_READERS } from "./http";

export interface TopologyFilters {
  /** Keep the paths through workloads of this namespace. */
  namespace?: string;
  /** Keep the paths through this workload. */
  workload?: string;
  /** Keep the paths through this topic. */
  topic?: string;
  /** Keep the paths through this consumer group. */
  group?: string;
}

export const UNKNOWN_ID = L.UNKNOWN;

export function workloadId(w: Workload): string {
  return w.name === "" || w.name === L.UNKNOWN ? UNKNOWN_ID : `workload:${w.namespace}/${w.name}`;
}

class GraphBuilder {
  private nodes = new Map<string, TopologyNode>();
  private edges = new Map<string, TopologyEdge>();

  workload(w: Workload): string {
    const id = workloadId(w);
    if (!this.nodes.has(id)) {
      this.nodes.set(
        id,
        id === UNKNOWN_ID ? { id, kind: "unknown", name: L.UNKNOWN } : { id, kind: "workload", name: w.name, namespace: w.namespace },
      );
    }
    return id;
  }

  named(kind: Exclude<NodeKind, "workload" | "unknown">, name: string): string {
    const id = `${kind}:${name}`;
    if (!this.nodes.has(id)) this.nodes.set(id, { id, kind, name });
    return id;
  }

  /** The edge (created empty); stats of repeated calls are merged by the caller. */
  edge(kind: EdgeKind, from: string, to: string): TopologyEdge {
    const id = `${kind}:${from}->${to}`;
    let e = this.edges.get(id);
    if (!e) this.edges.set(id, (e = { id, kind, from, to, stats: {} }));
    return e;
  }

  node(id: string): TopologyNode | undefined {
    return this.nodes.get(id);
  }

  graph(src: Source): TopologyGraph {
    return {
      windowSeconds: src.window,
      source: src.describe,
      nodes: [...this.nodes.values()].sort((a, b) => a.id.localeCompare(b.id)),
      edges: [...this.edges.values()].sort((a, b) => a.id.localeCompare(b.id)),
    };
  }
}

const wl = (l: Labels): Workload => ({ name: l[L.workload] ?? "", namespace: l[L.namespace] ?? "" });
const add = (s: EdgeStats, k: keyof EdgeStats, v: number | undefined) => {
  if (v !== undefined && Number.isFinite(v)) (s[k] as number) = ((s[k] as number | undefined) ?? 0) + v;
};
const index = (rows: Row[], by: string[]) => new Map(rows.map((r) => [keyOf(r.labels, by), r.value]));

/** Worse state first: a group's node shows the worst of its topics. */
const STATE_ORDER = ["STOPPED", "STALLED", "LAGGING", "OK"];

async function addKafka(g: GraphBuilder, src: Source): Promise<void> {
  const wlBy = [L.workload, L.namespace];
  const prodBy = [...wlBy, L.topic];
  const consBy = [L.topic, L.group];
  const part = [L.group, L.topic, L.partition];
  const memberBy = [L.group, ...wlBy];
  const [pr, pb, batches, perr, p50, p99, fr, fb, lag, lagSec, committed, growth, commits, d50, d99, memberFetch, memberCommit] =
    await Promise.all([
      src.rate(M.producedRecords, { by: prodBy }),
      src.rate(M.producedBytes, { by: prodBy }),
      src.rate(M.producedBatches, { by: prodBy }),
      src.rate(M.topicErrors, { by: prodBy, where: { [L.api]: "Produce" } }),
      src.quantile(0.5, M.requestDuration, { by: wlBy, where: { [L.api]: "Produce" } }),
      src.quantile(0.99, M.requestDuration, { by: wlBy, where: { [L.api]: "Produce" } }),
      src.rate(M.fetchedRecords, { by: consBy }),
      src.rate(M.fetchedBytes, { by: consBy }),
      src.gauge(M.lagRecords, { by: consBy, dedupe: part, agg: "sum" }),
      src.gauge(M.lagSeconds, { by: consBy, dedupe: part, agg: "max" }),
      src.delta(M.committedOffset, { by: consBy, dedupe: part, agg: "sum" }),
      src.delta(M.lagRecords, { by: consBy, dedupe: part, agg: "sum" }),
      src.gauge(M.committedOffset, { by: consBy, agg: "count" }),
      src.quantile(0.5, M.deliveryLatency, { by: consBy }),
      src.quantile(0.99, M.deliveryLatency, { by: consBy }),
      src.rate(M.fetchedRecords, { by: memberBy }),
      src.gauge(M.committedOffset, { by: memberBy, agg: "count" }),
    ]);

  // produce: workload → topic
  const bytes = index(pb, prodBy),
    nBatches = index(batches, prodBy),
    errs = index(perr, prodBy);
  const lat50 = index(p50, wlBy),
    lat99 = index(p99, wlBy);
  for (const r of pr) {
    const k = keyOf(r.labels, prodBy);
    if (!(r.value > 0) && !((bytes.get(k) ?? 0) > 0)) continue;
    const e = g.edge("produce", g.workload(wl(r.labels)), g.named("topic", r.labels[L.topic]));
    add(e.stats, "recordsPerSec", r.value);
    add(e.stats, "bytesPerSec", bytes.get(k) ?? 0);
    // Share of the partition writes (one batch each) answered with an error.
    const b = nBatches.get(k) ?? 0,
      x = errs.get(k) ?? 0;
    e.stats.errorPct = b > 0 ? Math.min(100, (100 * x) / b) : x > 0 ? 100 : 0;
    const wk = keyOf(r.labels, wlBy);
    if (lat50.has(wk)) e.stats.p50Ms = lat50.get(wk)! / 1000;
    if (lat99.has(wk)) e.stats.p99Ms = lat99.get(wk)! / 1000;
  }

  // consume: topic → group (a group that commits but fetched nothing in the window is still one)
  const fetched = index(fr, consBy),
    fBytes = index(fb, consBy),
    lags = index(lag, consBy),
    lagS = index(lagSec, consBy);
  const moved = index(committed, consBy),
    grew = index(growth, consBy),
    del50 = index(d50, consBy),
    del99 = index(d99, consBy);
  const pairs = new Map<string, Labels>();
  for (const r of [...fr.filter((x) => x.value > 0), ...commits]) if (r.labels[L.group]) pairs.set(keyOf(r.labels, consBy), r.labels);
  const groupStates = new Map<string, string>();
  for (const [k, labels] of pairs) {
    const group = g.named("group", labels[L.group]);
    const e = g.edge("consume", g.named("topic", labels[L.topic]), group);
    const s = e.stats;
    s.recordsPerSec = fetched.get(k) ?? 0;
    s.bytesPerSec = fBytes.get(k) ?? 0;
    if (lags.has(k)) s.lagRecords = lags.get(k);
    if (lagS.has(k)) s.lagSeconds = lagS.get(k);
    if (del50.has(k)) s.deliveryP50Ms = del50.get(k);
    if (del99.has(k)) s.deliveryP99Ms = del99.get(k);
    const state = groupState({
      lagRecords: s.lagRecords ?? null,
      committedPerSec: moved.has(k) ? moved.get(k)! / src.window : null,
      fetchedRecordsPerSec: s.recordsPerSec,
      lagGrowth: grew.get(k) ?? null,
      lagSeconds: s.lagSeconds ?? null,
    });
    if (state) {
      s.state = state;
      const cur = groupStates.get(group);
      if (!cur || STATE_ORDER.indexOf(state) < STATE_ORDER.indexOf(cur)) groupStates.set(group, state);
    }
  }
  for (const [id, state] of groupStates) g.node(id)!.state = state;

  // member: group → the workloads fetching or committing for it
  const memberRecords = index(memberFetch, memberBy);
  for (const r of [...memberFetch.filter((x) => x.value > 0), ...memberCommit]) {
    if (!r.labels[L.group]) continue;
    const e = g.edge("member", g.named("group", r.labels[L.group]), g.workload(wl(r.labels)));
    e.stats.recordsPerSec = memberRecords.get(keyOf(r.labels, memberBy)) ?? 0;
  }
}

async function addHttp(g: GraphBuilder, src: Source, readers: HttpReader[]): Promise<void> {
  for (const h of await httpEdges(src, readers)) {
    const e = g.edge("http", g.workload(h.from), g.workload(h.to));
    e.stats.rps = h.rps;
    e.stats.errorPct = h.errorPct;
    if (h.p50Ms !== undefined) e.stats.p50Ms = h.p50Ms;
    if (h.p99Ms !== undefined) e.stats.p99Ms = h.p99Ms;
  }
}

/** The whole graph over the source's window, then narrowed to the paths through the filters. */
export async function buildTopology(src: Source, f: TopologyFilters = {}, readers: HttpReader[] = HTTP_READERS): Promise<TopologyGraph> {
  const g = new GraphBuilder();
  await Promise.all([addKafka(g, src), addHttp(g, src, readers)]);
  return narrow(g.graph(src), f);
}

/**
 * Keeps what lies on a path through the selected nodes: everything upstream and everything
 * downstream of them (edges followed in their direction), so `--topic orders` keeps orders'
 * producers and their callers, its groups, their members and whom those call. Several filters
 * narrow one after the other (paths through all of them).
 */
export function narrow(graph: TopologyGraph, f: TopologyFilters): TopologyGraph {
  const inNs = (n: TopologyNode) => f.namespace === undefined || n.namespace === f.namespace;
  if (f.topic !== undefined) graph = through(graph, (n) => n.kind === "topic" && n.name === f.topic);
  if (f.group !== undefined) graph = through(graph, (n) => n.kind === "group" && n.name === f.group);
  if (f.workload !== undefined) graph = through(graph, (n) => n.kind === "workload" && n.name === f.workload && inNs(n));
  else if (f.namespace !== undefined) graph = through(graph, (n) => n.kind === "workload" && inNs(n));
  return graph;
}

function through(graph: TopologyGraph, select: (n: TopologyNode) => boolean): TopologyGraph {
  const seeds = graph.nodes.filter(select).map((n) => n.id);
  const keep = new Set<string>();
  const walk = (forward: boolean) => {
    const seen = new Set(seeds);
    const todo = [...seeds];
    while (todo.length) {
      const at = todo.pop()!;
      for (const e of graph.edges) {
        if ((forward ? e.from : e.to) !== at) continue;
        keep.add(e.id);
        const next = forward ? e.to : e.from;
        if (!seen.has(next)) {
          seen.add(next);
          todo.push(next);
        }
      }
    }
  };
  walk(true);
  walk(false);
  const edges = graph.edges.filter((e) => keep.has(e.id));
  const ids = new Set([...seeds, ...edges.flatMap((e) => [e.from, e.to])]);
  return { ...graph, nodes: graph.nodes.filter((n) => ids.has(n.id)), edges };
}

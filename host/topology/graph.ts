// The topology graph's shape: what `kscope topology -o json`, `GET /api/topology?window=` and the
// dashboard's graph page share. The builder (from one proxy's admin API or from Prometheus)
// lives beside this file; this file holds only the shape, so every consumer agrees on it.

/** A workload as the mesh names it; topics and groups by their Kafka names. */
export type NodeKind = "workload" | "topic" | "group" | "unknown";

export interface TopologyNode {
  /** Stable id: `workload:<namespace>/<name>`, `topic:<name>`, `group:<name>`, `unknown`. */
  id: string;
  kind: NodeKind;
  /** Display name (workload, topic or group name; `unknown`). */
  name: string;
  /** Workloads only; '' when not known. */
  namespace?: string;
  /** Groups only: OK, LAGGING, STALLED or STOPPED (see `kscope stat groups --help`). */
  state?: string;
}

/** Numbers over the graph's window; a field is absent when no data supports it. */
export interface EdgeStats {
  /** http: requests per second. */
  rps?: number;
  /** http and produce: share of requests that failed, 0..100 (http: 5xx or gRPC error; produce: error code). */
  errorPct?: number;
  /** http: request latency; produce: produce latency (request to response), milliseconds. */
  p50Ms?: number;
  p99Ms?: number;
  /** produce and consume: records and record-batch bytes per second. */
  recordsPerSec?: number;
  bytesPerSec?: number;
  /** consume: the group's lag on the topic (sum over partitions) and the worst partition's lag in seconds. */
  lagRecords?: number;
  lagSeconds?: number;
  /** consume: the group's state on this topic. */
  state?: string;
  /** consume: delivery latency, record timestamp -> delivery to the consumer, milliseconds. */
  deliveryP50Ms?: number;
  deliveryP99Ms?: number;
}

export type EdgeKind = "http" | "produce" | "consume" | "member";

export interface TopologyEdge {
  /** `<kind>:<from>-><to>` */
  id: string;
  kind: EdgeKind;
  /** Node ids. http: workload -> workload; produce: workload -> topic; consume: topic -> group; member: group -> workload. */
  from: string;
  to: string;
  stats: EdgeStats;
}

export interface TopologyGraph {
  /** Window the rates cover, seconds. */
  windowSeconds: number;
  /** Where the numbers came from: `admin <url>` or `prometheus <url>`. */
  source: string;
  nodes: TopologyNode[];
  edges: TopologyEdge[];
}

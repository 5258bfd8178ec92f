// HTTP edges of the topology, read from whichever reporter a fleet has: kscope's own HTTP filter
// (kscope_http_*), Istio's standard metrics (istio_requests_total) or Linkerd's proxy metrics
// (response_total). Each reader answers the same thing, one row per caller → callee pair; the
// builder takes kscope's row for a pair when it has one, else Istio's, else Linkerd's.
import * as L from "../../vocabulary/labels";
import * as M from "../../vocabulary/metrics";
import { Labels } from "../metrics/scheme";
import { Row, Source, keyOf } from "../cli/source";

export interface Workload {
  name: string;
  namespace: string;
}

export interface HttpEdge {
  from: Workload;
  to: Workload;
  rps: number;
  /** 0..100: 5xx responses, or a gRPC status other than OK. */
  errorPct: number;
  p50Ms?: number;
  p99Ms?: number;
}

export interface HttpReader {
  /** Who reports these series (for messages and docs). */
  readonly name: string;
  read(src: Source): Promise<HttpEdge[]>;
}

/** How one mesh names the parts of an HTTP request series. */
interface Dialect {
  name: string;
  requests: string;
  /** Histogram base name, and the factor that turns its unit into milliseconds. */
  duration: string;
  toMs: number;
  source: [name: string, namespace: string];
  destination: [name: string, namespace: string];
  /** Label equality the series must have (e.g. Linkerd's direction="outbound"). */
  where: Labels;
  /** Per-pair choice between two reporters of one request: the first value with rows wins. */
  reporter?: { label: string; prefer: string[] };
  /** Labels the error test reads, and the test. */
  errorLabels: string[];
  isError(labels: Labels): boolean;
}

const grpcFailed = (status: string | undefined) => status !== undefined && status !== "" && status !== "0";

const KSCOPE: Dialect = {
  name: "kscope",
  requests: M.httpRequests,
  duration: M.httpDuration,
  toMs: 1 / 1000,
  source: [L.sourceWorkload, L.sourceNamespace],
  destination: [L.destinationWorkload, L.destinationNamespace],
  where: {},
  // The caller's proxy and the callee's proxy may both report one request: count it once.
  reporter: { label: L.reporter, prefer: [L.REPORTER_SOURCE, L.REPORTER_DESTINATION] },
  errorLabels: [L.responseClass, L.grpcStatus],
  isError: (l) => l[L.responseClass] === "5xx" || grpcFailed(l[L.grpcStatus]),
};

/** Istio's standard metrics (https://istio.io/latest/docs/reference/config/metrics/). */
const ISTIO: Dialect = {
  name: "istio",
  requests: "istio_requests_total",
  duration: "istio_request_duration_milliseconds",
  toMs: 1,
  source: ["source_workload", "source_workload_namespace"],
  destination: ["destination_workload", "destination_workload_namespace"],
  where: {},
  reporter: { label: "reporter", prefer: ["source", "destination"] },
  errorLabels: ["response_code", "grpc_response_status"],
  isError: (l) => /^5\d\d$/.test(l.response_code ?? "") || grpcFailed(l.grpc_response_status),
};

/**
 * Linkerd's proxy metrics (https://linkerd.io/2/reference/proxy-metrics/), as Linkerd's
 * Prometheus labels them from pod metadata: the outbound side knows both ends.
 */
const LINKERD: Dialect = {
  name: "linkerd",
  requests: "response_total",
  duration: "response_latency_ms",
  toMs: 1,
  source: ["deployment", "namespace"],
  destination: ["dst_deployment", "dst_namespace"],
  where: { direction: "outbound" },
  errorLabels: ["classification"],
  isError: (l) => l.classification === "failure",
};

class DialectReader implements HttpReader {
  constructor(private d: Dialect) {}
  get name(): string {
    return this.d.name;
  }

  async read(src: Source): Promise<HttpEdge[]> {
    const d = this.d;
    const pair = [...d.source, ...d.destination];
    const by = d.reporter ? [d.reporter.label, ...pair] : pair;
    const [counts, p50, p99] = await Promise.all([
      src.rate(d.requests, { by: [...by, ...d.errorLabels], where: d.where }),
      src.quantile(0.5, d.duration, { by, where: d.where }),
      src.quantile(0.99, d.duration, { by, where: d.where }),
    ]);
    // Which reporter speaks for each pair.
    const chosen = new Map<string, string>();
    if (d.reporter) {
      const rank = (v: string) => {
        const i = d.reporter!.prefer.indexOf(v);
        return i < 0 ? d.reporter!.prefer.length : i;
      };
      for (const r of counts) {
        if (!(r.value > 0)) continue;
        const k = keyOf(r.labels, pair),
          v = r.labels[d.reporter.label] ?? "";
        const cur = chosen.get(k);
        if (cur === undefined || rank(v) < rank(cur)) chosen.set(k, v);
      }
    }
    const mine = (r: Row) => !d.reporter || chosen.get(keyOf(r.labels, pair)) === (r.labels[d.reporter.label] ?? "");
    const edges = new Map<string, HttpEdge & { errors: number }>();
    for (const r of counts) {
      if (!(r.value > 0) || !mine(r)) continue;
      const k = keyOf(r.labels, pair);
      let e = edges.get(k);
      if (!e) {
        e = { from: workload(r.labels, d.source), to: workload(r.labels, d.destination), rps: 0, errorPct: 0, errors: 0 };
        edges.set(k, e);
      }
      e.rps += r.value;
      if (d.isError(r.labels)) e.errors += r.value;
    }
    const latency = (rows: Row[], field: "p50Ms" | "p99Ms") => {
      for (const r of rows) {
        const e = edges.get(keyOf(r.labels, pair));
        if (e && mine(r) && Number.isFinite(r.value)) e[field] = r.value * d.toMs;
      }
    };
    latency(p50, "p50Ms");
    latency(p99, "p99Ms");
    return [...edges.values()].map(({ errors, ...e }) => ({ ...e, errorPct: (100 * errors) / e.rps }));
  }
}

function workload(labels: Labels, [name, ns]: [string, string]): Workload {
  return { name: labels[name] ?? "", namespace: labels[ns] ?? "" };
}

export const HTTP_READERS: HttpReader[] = [KSCOPE, ISTIO, LINKERD].map((d) => new DialectReader(d));

/** Every reader's edges; a pair one reader reported is not taken again from a later one. */
export async function httpEdges(src: Source, readers: HttpReader[] = HTTP_READERS): Promise<(HttpEdge & { reporter: string })[]> {
  const all = await Promise.all(readers.map((r) => r.read(src)));
  const seen = new Set<string>();
  const out: (HttpEdge & { reporter: string })[] = [];
  all.forEach((edges, i) => {
    for (const e of edges) {
      const k = JSON.stringify([e.from, e.to]);
      if (seen.has(k)) continue;
      seen.add(k);
      out.push({ ...e, reporter: readers[i].name });
    }
  });
  return out;
}

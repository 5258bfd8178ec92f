// A fleet of proxies (kscope hosts, Envoy sidecars) through a Prometheus server: each Source
// call is one PromQL instant query on /api/v1/query, aggregated the same way AdminSource does.
import * as M from "../../vocabulary/metrics";
import { Labels } from "../metrics/scheme";
import { getJson } from "./admin-source";
import { CliError, GaugeSelect, Row, Select, Source, formatWindow } from "./source";

interface PromVector {
  status: string;
  error?: string;
  data: { resultType: string; result: { metric: Labels; value: [number, string] }[] };
}

/** `{a="x",b="y"}` from equality filters (values escaped for PromQL strings). */
export function matcher(where?: Labels): string {
  const parts = Object.entries(where ?? {}).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return parts.length ? `{${parts.join(",")}}` : "";
}

const by = (labels: string[]) => `by (${labels.join(",")})`;

/** The PromQL text of each Source call (exported for unit tests). */
export const promql = {
  rate: (m: string, s: Select, w: string) => `sum ${by(s.by)} (rate(${m}${matcher(s.where)}[${w}]))`,
  gauge: (m: string, s: GaugeSelect, inner = `${m}${matcher(s.where)}`) =>
    s.dedupe ? `${s.agg} ${by(s.by)} (max ${by([...new Set([...s.dedupe, ...s.by])])} (${inner}))` : `${s.agg} ${by(s.by)} (${inner})`,
  delta: (m: string, s: GaugeSelect, w: string) => promql.gauge(m, s, `delta(${m}${matcher(s.where)}[${w}])`),
  quantile: (q: number, h: string, s: Select, w: string) =>
    `histogram_quantile(${q}, sum ${by(["le", ...s.by])} (rate(${h}_bucket${matcher(s.where)}[${w}])))`,
};

export class PromSource implements Source {
  readonly describe: string;
  private readonly w: string;
  /** `at`: evaluate at this time (ms since the epoch) instead of now, for the dashboard's charts. */
  constructor(
    readonly base: string,
    readonly window: number,
    readonly at?: number,
  ) {
    this.base = base.replace(/\/+$/, "");
    this.describe = `prometheus ${this.base}`;
    this.w = formatWindow(window);
  }

  static hint =
    "pass the Prometheus server's base URL, e.g. --prometheus http://127.0.0.1:9090, and check that it scrapes the kscope proxies";

  async query(expr: string): Promise<Row[]> {
    const r = await getJson<PromVector>(
      `${this.base}/api/v1/query?query=${encodeURIComponent(expr)}${this.at === undefined ? "" : `&time=${this.at / 1000}`}`,
      "Prometheus",
      PromSource.hint,
    );
    if (r.status !== "success") throw new CliError(`Prometheus rejected a query: ${r.error}\n  ${expr}`);
    return r.data.result.map((x) => ({ labels: x.metric, value: Number(x.value[1]) })).filter((x) => Number.isFinite(x.value));
  }

  rate(m: string, s: Select) {
    return this.query(promql.rate(m, s, this.w));
  }
  gauge(m: string, s: GaugeSelect) {
    return this.query(promql.gauge(m, s));
  }
  delta(m: string, s: GaugeSelect) {
    return this.query(promql.delta(m, s, this.w));
  }
  quantile(q: number, h: string, s: Select) {
    return this.query(promql.quantile(q, h, s, this.w));
  }

  async names(): Promise<Set<string>> {
    const r = await getJson<{ data: string[] }>(`${this.base}/api/v1/label/__name__/values`, "Prometheus", PromSource.hint);
    const out = new Set<string>();
    for (const n of r.data) {
      out.add(n);
      if (n.endsWith("_bucket")) out.add(n.slice(0, -7));
    }
    return out;
  }

  async ping(): Promise<string> {
    const up = await this.query(`up{job=~".*"}`);
    const kscope = await this.query(`count by (instance) (${M.connectionsTotal})`);
    return `${up.filter((x) => x.value === 1).length}/${up.length} targets up, ${kscope.length} exporting kscope metrics`;
  }

  /** Targets and whether they are up (for `kscope check`). */
  async targets(): Promise<{ instance: string; up: boolean; kscope: boolean }[]> {
    const up = await this.query("up");
    const ks = new Set((await this.query(`count by (instance) (${M.connectionsTotal})`)).map((r) => r.labels.instance));
    return up.map((r) => ({ instance: r.labels.instance, up: r.value === 1, kscope: ks.has(r.labels.instance) }));
  }
}

// One kscope proxy, through its admin endpoint: /api/history gives every series at the start
// and end of the window, and rates, gauges and quantiles are computed here the way PromQL would.
import { HistoryWindow, WindowSample } from "../history";
import { Labels } from "../metrics/scheme";
import { ADMIN_TOKEN_ENV } from "../admin/server";
import { CliError, GaugeSelect, Row, Select, Source, histogramQuantile, keyOf, matches, pick } from "./source";

/** The admin token the CLI sends (when the proxy was started with --admin-token). */
export function authHeaders(): Record<string, string> {
  const t = process.env[ADMIN_TOKEN_ENV];
  return t ? { authorization: `Bearer ${t}` } : {};
}

export async function getJson<T>(url: string, what: string, hint: string): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(5000), headers: authHeaders() });
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new CliError(
      `cannot reach ${what} at ${new URL(url).origin} (${cause?.code ?? cause?.message ?? (e as Error).message})`,
      hint,
      2,
    );
  }
  if (res.status === 401)
    throw new CliError(`${new URL(url).origin} wants an admin token (401)`, `set ${ADMIN_TOKEN_ENV} to the proxy's --admin-token`, 2);
  if (res.status === 404)
    throw new CliError(`${new URL(url).origin} is not a kscope admin endpoint (${new URL(url).pathname}: 404)`, hint, 2);
  if (!res.ok) throw new CliError(`${what} answered HTTP ${res.status}: ${(await res.text()).slice(0, 200).trim()}`, hint, 2);
  return (await res.json()) as T;
}

/** Rows of a grouped aggregation. */
function aggregate(entries: { labels: Labels; value: number }[], by: string[], agg: GaugeSelect["agg"]): Row[] {
  const groups = new Map<string, Row>();
  for (const e of entries) {
    const k = keyOf(e.labels, by);
    const g = groups.get(k);
    if (!g) {
      groups.set(k, { labels: pick(e.labels, by), value: agg === "count" ? 1 : e.value });
      continue;
    }
    if (agg === "sum") g.value += e.value;
    else if (agg === "max") g.value = Math.max(g.value, e.value);
    else if (agg === "min") g.value = Math.min(g.value, e.value);
    else g.value += 1;
  }
  return [...groups.values()];
}

/** The local evaluator over one window (exported for unit tests). */
export class WindowEval {
  constructor(readonly w: HistoryWindow) {}

  private select(name: string, where?: Labels): WindowSample[] {
    return this.w.samples.filter((s) => s.name === name && matches(s.labels, where));
  }

  private get seconds(): number {
    return Math.max(this.w.seconds, 0.001);
  }

  /** Increase of a counter, with a reset (v1 < v0) counted from zero, like PromQL. */
  static increase(s: WindowSample): number {
    return s.v1 >= s.v0 ? s.v1 - s.v0 : s.v1;
  }

  rate(name: string, s: Select): Row[] {
    return aggregate(
      this.select(name, s.where).map((x) => ({ labels: x.labels, value: WindowEval.increase(x) / this.seconds })),
      s.by,
      "sum",
    );
  }

  private gaugeOf(name: string, s: GaugeSelect, value: (x: WindowSample) => number): Row[] {
    let entries = this.select(name, s.where).map((x) => ({ labels: x.labels, value: value(x) }));
    if (s.dedupe) entries = aggregate(entries, [...new Set([...s.dedupe, ...s.by])], "max");
    return aggregate(entries, s.by, s.agg);
  }

  gauge(name: string, s: GaugeSelect): Row[] {
    return this.gaugeOf(name, s, (x) => x.v1);
  }
  /** Scaled to `nominal` seconds when the history covers less (as PromQL's delta() extrapolates). */
  delta(name: string, s: GaugeSelect, nominal = this.seconds): Row[] {
    const k = nominal / this.seconds;
    return this.gaugeOf(name, s, (x) => (x.v1 - x.v0) * k);
  }

  quantile(q: number, histogram: string, s: Select): Row[] {
    const groups = new Map<string, { labels: Labels; buckets: Map<number, number> }>();
    for (const x of this.select(`${histogram}_bucket`, s.where)) {
      const k = keyOf(x.labels, s.by);
      let g = groups.get(k);
      if (!g) groups.set(k, (g = { labels: pick(x.labels, s.by), buckets: new Map() }));
      const le = x.labels.le === "+Inf" ? Infinity : Number(x.labels.le);
      g.buckets.set(le, (g.buckets.get(le) ?? 0) + WindowEval.increase(x));
    }
    const rows: Row[] = [];
    for (const g of groups.values()) {
      const v = histogramQuantile(
        q,
        [...g.buckets].map(([le, count]) => ({ le, count })),
      );
      if (v !== undefined) rows.push({ labels: g.labels, value: v });
    }
    return rows;
  }

  /** Names with series; a histogram also under its base name. */
  names(): Set<string> {
    const out = new Set<string>();
    for (const x of this.w.samples) {
      out.add(x.name);
      if (x.name.endsWith("_bucket")) out.add(x.name.slice(0, -7));
    }
    return out;
  }
}

/** A Source over one proxy's history, however the window is fetched (over HTTP, or in process). */
export class WindowSource implements Source {
  private pending?: Promise<WindowEval>;
  constructor(
    readonly describe: string,
    readonly window: number,
    private readonly load: () => Promise<HistoryWindow>,
  ) {}

  /** One load of the window per command run (top refreshes with refresh()). */
  private eval(): Promise<WindowEval> {
    this.pending ??= this.load().then((w) => new WindowEval(w));
    return this.pending;
  }

  refresh(): void {
    this.pending = undefined;
  }

  async rate(metric: string, s: Select) {
    return (await this.eval()).rate(metric, s);
  }
  async gauge(metric: string, s: GaugeSelect) {
    return (await this.eval()).gauge(metric, s);
  }
  async delta(metric: string, s: GaugeSelect) {
    return (await this.eval()).delta(metric, s, this.window);
  }
  async quantile(q: number, h: string, s: Select) {
    return (await this.eval()).quantile(q, h, s);
  }
  async names() {
    return (await this.eval()).names();
  }
  async ping() {
    await this.eval();
    return `${this.describe} answers`;
  }
  async covered(): Promise<number> {
    return (await this.eval()).w.seconds;
  }
}

/** One kscope proxy through GET /api/history on its admin endpoint. */
export class AdminSource extends WindowSource {
  readonly base: string;
  constructor(base: string, window: number) {
    const b = base.replace(/\/+$/, "");
    super(`admin ${b}`, window, () =>
      getJson<HistoryWindow>(`${b}/api/history?window=${window}`, "the kscope admin endpoint", AdminSource.hint),
    );
    this.base = b;
  }

  static hint =
    "is `kscope proxy` running? Pass its admin address with --admin http://HOST:PORT (default http://127.0.0.1:9990), or use --prometheus URL";

  override async ping() {
    await super.ping();
    return `${this.base}/api/history answers`;
  }
}

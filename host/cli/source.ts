// Where the CLI's numbers come from. Every command asks a Source for the same few things
// (a counter's rate, a gauge's value, a histogram's quantile, grouped by labels) and gets
// the same rows whether the answer is computed here from one proxy's history (AdminSource)
// or by a Prometheus server across a fleet (PromSource). No command knows which.
import { Labels } from "../metrics/scheme";

export interface Row {
  labels: Labels;
  value: number;
}

export interface Select {
  /** Label equality filters, e.g. { topic: "orders" }. */
  where?: Labels;
  /** Labels to group by; [] = one row in total. */
  by: string[];
}

export interface GaugeSelect extends Select {
  /**
   * Labels that identify one thing seen by several proxies (e.g. group,topic,partition for lag):
   * the same thing reported twice is taken once (max) before the `agg` over `by`.
   */
  dedupe?: string[];
  agg: "sum" | "max" | "min" | "count";
}

export interface Source {
  /** "admin http://…" or "prometheus http://…", for messages. */
  readonly describe: string;
  /** Seconds the answers cover. */
  readonly window: number;
  /** Per-second rate of a counter over the window, summed by `by`. */
  rate(metric: string, s: Select): Promise<Row[]>;
  /** A gauge's current value, aggregated. */
  gauge(metric: string, s: GaugeSelect): Promise<Row[]>;
  /** How much a gauge moved over the window (end - start), aggregated like gauge(). */
  delta(metric: string, s: GaugeSelect): Promise<Row[]>;
  /** Quantile q (0..1) of a histogram over the window (its base name, without _bucket). */
  quantile(q: number, histogram: string, s: Select): Promise<Row[]>;
  /** Metric names that have any series (to tell "no such metric" from "zero"). */
  names(): Promise<Set<string>>;
  /** Throws a CliError if the source cannot be reached. */
  ping(): Promise<string>;
}

/** An error for the user: a message, a hint, and an exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** "1m", "30s", "2h", "90" (seconds) → seconds. */
export function parseWindow(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(s.trim());
  if (!m) throw new CliError(`not a time window: "${s}"`, "use a number with a unit, e.g. 30s, 1m, 5m, 1h");
  const n = Number(m[1]) * ({ ms: 0.001, s: 1, m: 60, h: 3600 } as Record<string, number>)[m[2] ?? "s"];
  if (!(n >= 1)) throw new CliError(`time window too short: "${s}"`, "windows start at 1s");
  return n;
}

export function formatWindow(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${Math.round(seconds)}s`;
}

/** Stable key of the `by` labels of a series. */
export function keyOf(labels: Labels, by: string[]): string {
  return JSON.stringify(by.map((k) => labels[k] ?? ""));
}

export function pick(labels: Labels, by: string[]): Labels {
  const out: Labels = {};
  for (const k of by) out[k] = labels[k] ?? "";
  return out;
}

export function matches(labels: Labels, where?: Labels): boolean {
  if (!where) return true;
  for (const k of Object.keys(where)) if (labels[k] !== where[k]) return false;
  return true;
}

/**
 * Prometheus' histogram_quantile: `buckets` are cumulative counts by upper bound (le), +Inf
 * included. Linear interpolation inside the bucket holding the rank; the lowest bucket starts
 * at 0; a rank in +Inf answers the highest finite bound. undefined when there is no observation.
 */
export function histogramQuantile(q: number, buckets: { le: number; count: number }[]): number | undefined {
  const b = [...buckets].sort((x, y) => x.le - y.le);
  if (b.length < 2 || b[b.length - 1].le !== Infinity) return undefined;
  // Cumulative counts from rates can be slightly non-monotonic: make them monotonic, as Prometheus does.
  for (let i = 1; i < b.length; i++) if (b[i].count < b[i - 1].count) b[i] = { le: b[i].le, count: b[i - 1].count };
  const total = b[b.length - 1].count;
  if (!(total > 0)) return undefined;
  if (q <= 0) return 0;
  const rank = q * total;
  const i = b.findIndex((x) => x.count >= rank);
  if (i === b.length - 1) return b[b.length - 2].le;
  const start = i === 0 ? 0 : b[i - 1].le;
  const below = i === 0 ? 0 : b[i - 1].count;
  const inBucket = b[i].count - below;
  return inBucket > 0 ? start + (b[i].le - start) * ((rank - below) / inBucket) : b[i].le;
}

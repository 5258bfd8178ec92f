// A small ring of metric snapshots, so `kscope stat --admin` can answer "rate over the last
// minute" without a Prometheus. A timer copies the store's values every few seconds (one pass
// over the series, no text rendering); the data path never sees it.
// GET /api/history?window=60 (host/admin/routes.ts) answers a baseline snapshot (the oldest one
// inside the window) and the live values now (or a past snapshot, for the dashboard's charts),
// as flat samples the way PromQL sees them (histograms as _bucket/_sum/_count): the CLI and the
// dashboard compute rates and quantiles from the two.
import { MetricStore, MetricType, Series } from "./metrics/store";
import { Labels } from "./metrics/scheme";

export interface HistoryOptions {
  /** Milliseconds between snapshots (default 2000). */
  intervalMs?: number;
  /** Milliseconds of history kept (default 10 minutes: 301 snapshots, ~8 bytes a counter and 150 a histogram each). */
  retentionMs?: number;
  now?: () => number;
}

/** One series at the two ends of a window. Counters (and buckets) are cumulative. */
export interface WindowSample {
  name: string;
  labels: Labels;
  kind: "counter" | "gauge";
  v0: number;
  v1: number;
}

export interface HistoryWindow {
  /** Seconds the answer covers (less than asked when the proxy is younger). */
  seconds: number;
  start: number;
  end: number;
  samples: WindowSample[];
}

interface Snapshot {
  t: number;
  values: Float64Array;
}

/** Slots a series takes in a snapshot: 1 for counters and gauges; buckets + sum for histograms. */
const slots = (s: Series) => (s.type === MetricType.Histogram ? s.buckets!.length + 2 : 1);

export class History {
  private readonly series: Series[] = [];
  private readonly offsets: number[] = [];
  private width = 0;
  private ring: Snapshot[] = [];
  private timer?: NodeJS.Timeout;
  readonly intervalMs: number;
  readonly retentionMs: number;
  private readonly now: () => number;

  constructor(
    private store: MetricStore,
    opts: HistoryOptions = {},
  ) {
    this.intervalMs = opts.intervalMs ?? 2000;
    this.retentionMs = opts.retentionMs ?? 10 * 60_000;
    this.now = opts.now ?? Date.now;
    // Every counter starts at zero with the process: the first snapshot is "all zero, now".
    this.ring.push({ t: this.now(), values: new Float64Array(0) });
  }

  start(): this {
    this.timer = setInterval(() => this.snapshot(), this.intervalMs);
    this.timer.unref();
    return this;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Copies the current values into the ring (also called by the timer). */
  snapshot(): void {
    const t = this.now();
    this.ring.push({ t, values: this.capture() });
    const keep = Math.ceil(this.retentionMs / this.intervalMs) + 1;
    if (this.ring.length > keep) this.ring.splice(0, this.ring.length - keep);
  }

  private capture(): Float64Array {
    const all = this.store.series();
    for (let i = this.series.length; i < all.length; i++) {
      this.series.push(all[i]);
      this.offsets.push(this.width);
      this.width += slots(all[i]);
    }
    const v = new Float64Array(this.width);
    for (let i = 0; i < this.series.length; i++) {
      const s = this.series[i],
        o = this.offsets[i];
      if (s.type !== MetricType.Histogram) {
        v[o] = s.value;
        continue;
      }
      let cum = 0;
      const n = s.buckets!.length;
      for (let b = 0; b <= n; b++) {
        cum += s.counts![b];
        v[o + b] = cum;
      }
      v[o + n + 1] = s.sum!;
    }
    return v;
  }

  /**
   * The oldest snapshot no older than `seconds` before `at`, and the values at `at`: live when
   * `at` is now (the default) or later, else the newest snapshot taken at or before `at`.
   */
  window(seconds: number, at?: number): HistoryWindow {
    const now = this.now();
    let end = now;
    let cur: Float64Array;
    if (at !== undefined && at < now - this.intervalMs / 2) {
      const past = [...this.ring].reverse().find((s) => s.t <= at + this.intervalMs / 2);
      // Before the second snapshot there is no window to answer: no samples, not zeros.
      if (!past || past === this.ring[0]) return { seconds: 0, start: at, end: at, samples: [] };
      end = past.t;
      cur = past.values;
    } else cur = this.capture();
    const from = end - seconds * 1000;
    const base = this.ring.find((s) => s.t >= from - this.intervalMs / 2 && s.t <= end) ?? this.ring[this.ring.length - 1];
    const samples: WindowSample[] = [];
    const val = (vals: Float64Array, i: number) => (i < vals.length ? vals[i] : 0);
    for (let i = 0; i < this.series.length; i++) {
      const s = this.series[i],
        o = this.offsets[i];
      if (s.type !== MetricType.Histogram) {
        samples.push({
          name: s.name,
          labels: s.labels,
          kind: s.type === MetricType.Gauge ? "gauge" : "counter",
          v0: val(base.values, o),
          v1: val(cur, o),
        });
        continue;
      }
      s.buckets!.forEach((b, k) =>
        samples.push({
          name: `${s.name}_bucket`,
          labels: { ...s.labels, le: String(b) },
          kind: "counter",
          v0: val(base.values, o + k),
          v1: val(cur, o + k),
        }),
      );
      const n = s.buckets!.length;
      samples.push({
        name: `${s.name}_bucket`,
        labels: { ...s.labels, le: "+Inf" },
        kind: "counter",
        v0: val(base.values, o + n),
        v1: val(cur, o + n),
      });
      samples.push({ name: `${s.name}_count`, labels: s.labels, kind: "counter", v0: val(base.values, o + n), v1: val(cur, o + n) });
      samples.push({ name: `${s.name}_sum`, labels: s.labels, kind: "counter", v0: val(base.values, o + n + 1), v1: val(cur, o + n + 1) });
    }
    return { seconds: (end - base.t) / 1000, start: base.t, end, samples };
  }
}

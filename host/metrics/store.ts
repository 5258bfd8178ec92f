// The host's side of proxy_define_metric & co., with Envoy's rules: a name defined twice is one
// series; counters only go up; gauges move both ways; histograms observe integers into fixed buckets.
import { Labels, parseName, renderLabels } from "./scheme";
import { MetricType } from "../../vocabulary/abi";

export { MetricType };

/** Bucket bounds (µs) for the *_duration_microseconds histograms; examples/envoy sets the same. */
export const DURATION_BUCKETS = [
  50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000,
];
/** Bucket bounds (ms, 1 ms .. 1 h) for kscope_delivery_latency_milliseconds; examples/envoy sets the same. */
export const DELIVERY_BUCKETS = [
  1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000,
];

/** A histogram's bucket bounds, by its unit (the name's suffix). */
export function bucketsFor(name: string): number[] {
  return name.endsWith("_milliseconds") ? DELIVERY_BUCKETS : DURATION_BUCKETS;
}

export interface Series {
  type: MetricType;
  encoded: string;
  name: string;
  labels: Labels;
  value: number;
  /** Histograms: bucket bounds (bucketsFor), counts per bucket and +Inf, and the sum. */
  buckets?: number[];
  counts?: number[];
  sum?: number;
}

export class MetricStore {
  private byName = new Map<string, Series>();
  private byId: Series[] = [];

  /** Distinct series, and metric ids handed out (the filter defines each series once). */
  get seriesCount(): number {
    return this.byName.size;
  }
  get idCount(): number {
    return this.byId.length;
  }

  define(type: MetricType, encoded: string): number {
    let s = this.byName.get(encoded);
    if (!s) {
      const { name, labels } = parseName(encoded);
      s = { type, encoded, name, labels, value: 0 };
      if (type === MetricType.Histogram) {
        s.buckets = bucketsFor(name);
        s.counts = new Array(s.buckets.length + 1).fill(0);
        s.sum = 0;
      }
      this.byName.set(encoded, s);
    }
    this.byId.push(s);
    return this.byId.length - 1;
  }

  /** Returns false (BAD_ARGUMENT) for unknown ids, histograms, and counter decrements. */
  increment(id: number, by: number): boolean {
    const s = this.byId[id];
    if (!s || s.type === MetricType.Histogram) return false;
    if (s.type === MetricType.Counter && by < 0) return false;
    s.value += by;
    return true;
  }

  /** Gauges are set; histograms observe; counters are set (as Envoy does). */
  record(id: number, v: number): boolean {
    const s = this.byId[id];
    if (!s) return false;
    if (s.type === MetricType.Histogram) {
      const b = s.buckets!;
      let i = 0;
      while (i < b.length && v > b[i]) i++; // the first bucket whose bound holds v, else +Inf
      s.counts![i]++;
      s.sum! += v;
    } else s.value = v;
    return true;
  }

  /** Sets every gauge to 0 (the filter instance that moved them is gone). */
  resetGauges(): void {
    for (const s of this.byName.values()) if (s.type === MetricType.Gauge) s.value = 0;
  }

  get(id: number): number | undefined {
    const s = this.byId[id];
    return s && s.type !== MetricType.Histogram ? s.value : undefined;
  }

  series(): Series[] {
    return [...this.byName.values()];
  }

  /** The Prometheus text exposition format (0.0.4). */
  render(): string {
    const families = new Map<string, Series[]>();
    for (const s of this.byName.values()) {
      const f = families.get(s.name);
      if (f) f.push(s);
      else families.set(s.name, [s]);
    }
    const out: string[] = [];
    for (const name of [...families.keys()].sort()) {
      const list = families.get(name)!;
      out.push(`# TYPE ${name} ${["counter", "gauge", "histogram"][list[0].type]}`);
      for (const s of list) {
        if (s.type !== MetricType.Histogram) {
          out.push(`${name}${renderLabels(s.labels)} ${s.value}`);
          continue;
        }
        let cum = 0;
        s.buckets!.forEach((b, i) => {
          cum += s.counts![i];
          out.push(`${name}_bucket${renderLabels(s.labels, ["le", String(b)])} ${cum}`);
        });
        cum += s.counts![s.buckets!.length];
        out.push(`${name}_bucket${renderLabels(s.labels, ["le", "+Inf"])} ${cum}`);
        out.push(`${name}_sum${renderLabels(s.labels)} ${s.sum}`);
        out.push(`${name}_count${renderLabels(s.labels)} ${cum}`);
      }
    }
    return out.join("\n") + "\n";
  }
}

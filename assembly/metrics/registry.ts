// Metric naming and the define-once cache. Labels travel inside the metric name, after the
// scheme Istio uses, so Envoy's stats_tags regexes and kscope's host both turn them into
// Prometheus labels:   name;label=.=value;.;;label2=.=value2;.;
// Every segment is ";label=.=value;.;": segments never share a character, so one regex per
// label, (;label=\.=(.*?);\.;), finds it wherever it stands.
// Label values are sanitised (';' and control characters become '_', at most 96 UTF-16 characters, never splitting a surrogate pair)
// so a value can never end its segment early.
import { MetricType } from "../abi/enums";
import { defineMetric, incrementMetric, recordMetric } from "../abi/host";
import { atRest } from "../abi/gc";
import * as M from "../../vocabulary/metrics";
import * as L from "../../vocabulary/labels";
import { Claim, claim, initClaims } from "./shared";

export const MAX_VALUE_LEN: i32 = 96;

export function sanitize(v: string): string {
  let clean = true;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c == 0x3b || c < 0x20 || c == 0x7f) {
      clean = false;
      break;
    }
  }
  if (clean && v.length <= MAX_VALUE_LEN) return v;
  let out = "";
  let n = min(v.length, MAX_VALUE_LEN);
  if (n < v.length && (v.charCodeAt(n - 1) & 0xfc00) == 0xd800) n--; // never split a surrogate pair
  for (let i = 0; i < n; i++) {
    const c = v.charCodeAt(i);
    out += c == 0x3b || c < 0x20 || c == 0x7f ? "_" : String.fromCharCode(c);
  }
  return out;
}

/** One `label=.=value;.;` segment. */
export function label(name: string, value: string): string {
  return ";" + name + "=.=" + sanitize(value) + ";.;";
}

/** Labels added to every series (workload identity from the plugin configuration). */
let commonLabels = "";
export function setCommonLabels(segments: string): void {
  commonLabels = segments;
}

const ids = new Map<string, u32>();

/**
 * Series per metric (plugin configuration max_series_per_metric), for the whole proxy like the
 * label budgets: label values that each pass their own budget still multiply (topic x partition,
 * topic x api x error, client x api), and a hostile client can choose every one of them. Past
 * the budget a counter or histogram adds to the metric's one series whose every label is
 * `__other__`; a gauge is not kept (one gauge for many partitions would mean nothing).
 */
let seriesLimit: i32 = 10000;
export function setSeriesLimit(n: i32): void {
  if (n > 0) seriesLimit = n;
}
/** Series this VM defined per metric (the budget without shared data), and each metric's `__other__` id. */
const counts = new Map<string, i32>();
const overflowIds = new Map<string, u32>();

/** Defines (once) the series `base` + labels and returns its id; u32.MAX_VALUE for a gauge past its metric's budget. */
export function series(type: MetricType, base: string, labels: string): u32 {
  const name = base + labels + commonLabels;
  if (ids.has(name)) return ids.get(name);
  // the overflow counter itself has one series per label and metric: the vocabulary bounds it
  if (labels.length && base != M.labelOverflow && !admitSeries(base, name)) return overflowSeries(type, base, labels);
  const id = handle(type, defineMetric(type, name));
  ids.set(name, id);
  return id;
}

/** One of the metric's shared slots (see ./shared: the key is the whole series name). */
function admitSeries(base: string, name: string): bool {
  const n = counts.has(base) ? counts.get(base) : 0;
  const c = claim("series:" + base, name, n < seriesLimit ? seriesLimit : 0);
  if (c == Claim.Full || (c == Claim.Alone && n >= seriesLimit)) return false;
  counts.set(base, n + 1);
  return true;
}

/**
 * The metric's `__other__` series. Turned-away names are not cached (they would cost memory);
 * callers keep the id they get. Each turn-away counts in kscope_label_overflow_total{label=<metric>}.
 */
function overflowSeries(type: MetricType, base: string, labels: string): u32 {
  inc(series(MetricType.Counter, M.labelOverflow, label(L.label, base)));
  const key = base + commonLabels; // one per metric and workload
  if (overflowIds.has(key)) return overflowIds.get(key);
  const id = type == MetricType.Gauge ? u32.MAX_VALUE : handle(type, defineMetric(type, base + othered(labels) + commonLabels));
  overflowIds.set(key, id);
  return id;
}

/** `labels` with every value replaced by `__other__` (values are sanitised: ";.;" ends a segment). */
function othered(labels: string): string {
  let out = "";
  let p = 0;
  while (p < labels.length) {
    const eq = labels.indexOf("=.=", p);
    const end = eq < 0 ? -1 : labels.indexOf(";.;", eq + 3);
    if (end < 0) break;
    out += labels.substring(p, eq) + "=.=" + OTHER + ";.;";
    p = end + 3;
  }
  return out;
}

// Updates are added up during a callback and handed to the host once per series at its end (a
// host call costs about 1 µs in Envoy, bench/crossings.ts, and one chunk can hold many frames that
// touch the same series). Between callbacks nothing is pending: the host's numbers are exact.
// Histograms cannot be added up: each value is recorded at once.

// Per series handle (what series() returns): the host's id, its type, what is pending.
const hostIds = new Array<u32>();
const types = new Array<MetricType>();
const pending = new Array<i64>();
/** A gauge was set (pending is its new value plus later increments), not only incremented. */
const isSet = new Array<bool>();
const isDirty = new Array<bool>();
const dirty = new Array<i32>();

function handle(type: MetricType, hostId: u32): u32 {
  if (hostId == u32.MAX_VALUE) return u32.MAX_VALUE;
  hostIds.push(hostId);
  types.push(type);
  pending.push(0);
  isSet.push(false);
  isDirty.push(false);
  return <u32>(hostIds.length - 1);
}

function touch(h: i32): void {
  if (unchecked(isDirty[h])) return;
  unchecked((isDirty[h] = true));
  dirty.push(h);
}

export function inc(id: u32, by: i64 = 1): void {
  const h = <i32>id;
  if (id >= <u32>hostIds.length) return; // no series (u32.MAX_VALUE: a gauge past its budget, or refused)
  unchecked((pending[h] += by));
  touch(h);
}

/** Histograms: records the value. Gauges: sets it. */
export function observe(id: u32, value: u64): void {
  const h = <i32>id;
  if (id >= <u32>hostIds.length) return;
  if (unchecked(types[h]) == MetricType.Histogram) {
    recordMetric(unchecked(hostIds[h]), value);
    return;
  }
  unchecked((pending[h] = <i64>value));
  unchecked((isSet[h] = true));
  touch(h);
}

/** Hands every pending update to the host. */
function flushMetrics(): void {
  for (let i = 0; i < dirty.length; i++) {
    const h = unchecked(dirty[i]);
    const v = unchecked(pending[h]);
    if (unchecked(isSet[h])) recordMetric(unchecked(hostIds[h]), <u64>v);
    else if (v != 0) incrementMetric(unchecked(hostIds[h]), v);
    unchecked((pending[h] = 0));
    unchecked((isSet[h] = false));
    unchecked((isDirty[h] = false));
  }
  dirty.length = 0;
}

/** The host's id behind a series handle, everything pending handed over first (to read the host's value). */
export function hostId(id: u32): u32 {
  flushMetrics();
  return id < <u32>hostIds.length ? unchecked(hostIds[<i32>id]) : u32.MAX_VALUE;
}

// The end of each outermost callback (../abi/gc.ts).
atRest(() => {
  if (dirty.length) flushMetrics();
});

/** A family labelled by a small integer (api key x version, reason index): ids cached in an array. */
export class IndexedFamily {
  private cache: StaticArray<u32>;
  constructor(
    readonly type: MetricType,
    readonly base: string,
    size: i32,
    readonly namer: (i: i32) => string,
  ) {
    this.cache = new StaticArray<u32>(size);
    for (let i = 0; i < size; i++) this.cache[i] = u32.MAX_VALUE - 1;
  }
  id(i: i32): u32 {
    if (i < 0 || i >= this.cache.length) return u32.MAX_VALUE;
    let v = unchecked(this.cache[i]);
    if (v == u32.MAX_VALUE - 1) {
      v = series(this.type, this.base, this.namer(i));
      unchecked((this.cache[i] = v));
    }
    return v;
  }
}

/**
 * Bounds the distinct values of one client-chosen label (topic, group, client id).
 * The first `limit` values get their own series; later ones share "__other__", and each
 * value turned away is counted once (per worker VM) in kscope_label_overflow_total{label}.
 * The budget holds for the whole proxy: slots are claimed in shared data (./shared).
 */
export class LabelBudget {
  private seen: Set<string> = new Set<string>();
  private rejected: Set<string> = new Set<string>();
  private overflowId: u32 = u32.MAX_VALUE - 1;
  constructor(
    readonly label: string,
    public limit: i32,
  ) {}
  /** Creates this label's shared counter (at configure; see ./shared). */
  init(): void {
    initClaims(this.label);
  }

  admit(value: string): string {
    if (this.seen.has(value)) return value;
    if (this.seen.size < this.limit) {
      // One slot of the whole proxy's budget (shared by Envoy's worker VMs), or this VM's alone.
      const c = this.rejected.has(value) ? Claim.Full : claim(this.label, sanitize(value), this.limit);
      if (c != Claim.Full) {
        this.seen.add(value);
        return value;
      }
    }
    if (!this.rejected.has(value) && this.rejected.size < REJECTED_KEPT) {
      this.rejected.add(value);
      if (this.overflowId == u32.MAX_VALUE - 1) this.overflowId = series(MetricType.Counter, M.labelOverflow, label(L.label, this.label));
      inc(this.overflowId);
    }
    return OTHER;
  }
}

export const OTHER = "__other__";
/** Values turned away that are remembered (to count each once); past it they are no longer counted. */
const REJECTED_KEPT: i32 = 1000;

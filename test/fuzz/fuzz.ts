// The fuzzer's engine: builds connections from recorded real-client frames with mutations in
// both directions, feeds them through kscope.wasm in kscope's own host VM (no sockets) in many
// chunkings, and checks that the filter never traps and never touches traffic: every callback
// returns Continue, and it never calls proxy_set_buffer_bytes, proxy_close_stream or
// proxy_continue_stream (the only ways a proxy-wasm filter can change, hold or cut bytes).
// It samples the Wasm memory (pages), the host's heap and RSS and the series count after a
// warm-up and at the end. A connection is fully determined by (seed, index): a crash is saved
// as a replayable step list (test/fuzz/regressions/ keeps them as regression fixtures).
import v8 from "node:v8";
import { runInNewContext } from "node:vm";
import { Action, PeerType } from "../../host/wasm/abi";
import { ProxyWasmVm } from "../../host/wasm/vm";
import { SeedConn } from "./corpus";
import { Dir, Rng, mutate } from "./mutate";

v8.setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

/** One callback: bytes for the client side (down) or the broker side (up). */
export interface Step {
  dir: "down" | "up";
  data: Buffer;
  eos: boolean;
}

export interface Crash {
  seed: number;
  index: number;
  seedConn: string;
  ops: string[];
  error: string;
  steps: Step[];
}

export interface Sample {
  frames: number;
  wasmPages: number;
  heapMiB: number;
  rssMiB: number;
  series: number;
}

export interface FuzzReport {
  seed: number;
  frames: number;
  mutatedFrames: number;
  connections: number;
  callbacks: number;
  bytes: number;
  traps: number;
  /** Callbacks that returned Pause or host calls that would change, hold or cut traffic. */
  violations: string[];
  crashes: Crash[];
  seconds: number;
  start: Sample;
  warm: Sample;
  end: Sample;
  /** At the end of each pass (a later pass replays the first pass's connections). */
  passes: Sample[];
}

export interface FuzzOptions {
  wasm: string;
  corpus: SeedConn[];
  seed: number;
  frames: number;
  /** Share of frames (before the end) after which memory is sampled as "warm". Default 0.1. */
  warmup?: number;
  configuration?: string;
  /**
   * Passes over the same connections (default 1). A second pass adds no new label values, so
   * the Wasm memory and the series count must not grow at all during it: a leak detector that
   * bounded growth (new series up to the label budgets) cannot mask.
   */
  passes?: number;
  progress?: (r: FuzzReport) => void;
  /** Frames between progress reports (default 1,000,000). */
  progressEvery?: number;
}

const MiB = 1024 * 1024;
const TRAFFIC_CALLS = ["proxy_set_buffer_bytes", "proxy_close_stream", "proxy_continue_stream"];

/**
 * Budgets scaled down from the defaults (200 values per label, 10,000 series per metric) so that
 * a run reaches them: then the series count, and the Wasm memory, must stay flat.
 */
export const FUZZ_CONFIGURATION = '{"max_label_values":50,"max_series_per_metric":20}';

/** Error lines logged while a connection is fed (the abort handler's reason, the host's trap line). */
let errorLines: string[] = [];

export function newVm(o: { wasm: string; configuration?: string }): ProxyWasmVm {
  const vm = new ProxyWasmVm({
    wasmPath: o.wasm,
    configuration: o.configuration ?? FUZZ_CONFIGURATION,
    log: (level, msg) => {
      if ((level === "error" || level === "critical") && errorLines.length < 4) errorLines.push(msg);
    },
  });
  vm.countCalls = true;
  return vm;
}

function sample(vm: ProxyWasmVm, frames: number): Sample {
  gc();
  const m = process.memoryUsage();
  return { frames, wasmPages: vm.memoryPages(), heapMiB: m.heapUsed / MiB, rssMiB: m.rss / MiB, series: vm.metrics.seriesCount };
}

/** Splits one direction's bytes into callbacks by a chunking drawn for the connection. */
function chunk(rng: Rng, data: Buffer, mode: number, out: Step[], dir: "down" | "up"): void {
  let p = 0;
  while (p < data.length) {
    let n: number;
    if (mode === 0)
      n = data.length; // whole segment
    else if (mode === 1)
      n = 1; // byte by byte
    else if (mode === 2)
      n = 1 + rng.int(16); // tiny pieces
    else if (mode === 3) n = 1 + rng.int(512);
    else n = 1 + rng.int(16384); // up to Envoy's read size
    out.push({ dir, data: data.subarray(p, p + n), eos: false });
    p += n;
  }
}

/** The steps of connection `index`: deterministic in (seed, index). */
export function buildConnection(
  corpus: SeedConn[],
  seed: number,
  index: number,
): { steps: Step[]; frames: number; mutated: number; seedConn: string; ops: string[] } {
  const rng = new Rng((Math.imul(seed, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0);
  const base = rng.pick(corpus);
  const other = rng.pick(corpus);
  const ops: string[] = [];
  const reqs: Buffer[] = [...base.requests];
  // 10%: responses from another connection (correlation ids and APIs that do not match).
  const resps: Buffer[] = rng.chance(0.1) ? [...other.responses] : [...base.responses];
  const total = reqs.length + resps.length;
  // A few mutations per connection at random frames, so that most frames are parsed first.
  let mutated = 0;
  for (let k = rng.chance(0.1) ? 0 : 1 + rng.int(3); k > 0 && total > 0; k--) {
    const i = rng.int(total);
    const dir: Dir = i < reqs.length ? "request" : "response";
    const list = dir === "request" ? reqs : resps;
    const j = dir === "request" ? i : i - reqs.length;
    const donor = rng.pick(rng.pick(corpus).requests);
    const m = mutate(rng, list[j], dir, donor);
    list[j] = m.frame;
    ops.push(...m.ops.map((o) => `${dir === "request" ? "req" : "rsp"}${j}:${o}`));
    mutated++;
  }
  if (rng.chance(0.03)) {
    // a stream of pure noise in place of the requests
    reqs.splice(0, reqs.length, rng.bytes(1 + rng.int(2048)));
    ops.push("noise");
  }
  const mode = rng.chance(0.03) ? 1 : rng.pick([0, 0, 2, 3, 3, 4, 4]);
  const steps: Step[] = [];
  if (rng.chance(0.5)) {
    // exchange by exchange, as a client waiting for each response
    for (let i = 0; i < Math.max(reqs.length, resps.length); i++) {
      if (i < reqs.length) chunk(rng, reqs[i], mode, steps, "down");
      if (i < resps.length) chunk(rng, resps[i], mode, steps, "up");
    }
  } else {
    // pipelined: all requests, then all responses
    chunk(rng, Buffer.concat(reqs), mode, steps, "down");
    chunk(rng, Buffer.concat(resps), mode, steps, "up");
  }
  if (rng.chance(0.2) && steps.length > 1) {
    // the connection dies mid-stream
    steps.length = 1 + rng.int(steps.length - 1);
    ops.push("cut");
  }
  for (const dir of ["down", "up"] as const) {
    // end of stream on each side's last chunk, sometimes
    if (!rng.chance(0.5)) continue;
    for (let i = steps.length - 1; i >= 0; i--)
      if (steps[i].dir === dir) {
        steps[i].eos = true;
        break;
      }
  }
  return { steps, frames: reqs.length + resps.length, mutated, seedConn: base.name, ops };
}

/**
 * Feeds one connection's steps; returns the reason on a trap, "" otherwise. The host VM
 * contains a trap (host/wasm/vm.ts: logged, the instance marked failed, traffic forwarded
 * unobserved), so a trap shows as `vm.failed` and the filter's critical log line.
 */
export function feed(vm: ProxyWasmVm, steps: Step[], index: number, violations: string[]): string {
  const fc = vm.connect({ source: `10.0.${(index >> 8) & 255}.${index & 255}:${40000 + (index % 20000)}`, destination: "127.0.0.1:9092" });
  try {
    for (const s of steps) {
      const action = s.dir === "down" ? fc.downstream(s.data, s.eos) : fc.upstream(s.data, s.eos);
      if (action !== Action.Continue && violations.length < 100)
        violations.push(`connection ${index}: a ${s.dir}stream callback returned ${action} (not Continue)`);
      if (vm.failed) break;
    }
    fc.close(index % 2 ? PeerType.Remote : PeerType.Local);
  } catch (e) {
    return `host error: ${(e as Error).message}`;
  }
  if (vm.failed) {
    const why = errorLines.join(" | ");
    errorLines = [];
    return why || "trapped";
  }
  errorLines = [];
  for (const name of TRAFFIC_CALLS) {
    if (vm.calls.get(name) && violations.length < 100) violations.push(`connection ${index}: the filter called ${name}`);
    vm.calls.delete(name);
  }
  return "";
}

export function runFuzz(o: FuzzOptions): FuzzReport {
  let vm = newVm(o);
  const t0 = process.hrtime.bigint();
  const start = sample(vm, 0);
  const r: FuzzReport = {
    seed: o.seed,
    frames: 0,
    mutatedFrames: 0,
    connections: 0,
    callbacks: 0,
    bytes: 0,
    traps: 0,
    violations: [],
    crashes: [],
    seconds: 0,
    start,
    warm: start,
    end: start,
    passes: [],
  };
  const warmAt = Math.floor(o.frames * (o.warmup ?? 0.1));
  let warmed = false;
  let nextProgress = 0;
  for (let pass = 0; pass < (o.passes ?? 1); pass++) {
    for (let index = 0, frames = 0; frames < o.frames; index++) {
      const c = buildConnection(o.corpus, o.seed, index);
      vm.calls.clear();
      const error = feed(vm, c.steps, index, r.violations);
      frames += c.frames;
      r.connections++;
      r.frames += c.frames;
      r.mutatedFrames += c.mutated;
      r.callbacks += c.steps.length;
      for (const s of c.steps) r.bytes += s.data.length;
      if (error) {
        r.traps++;
        if (r.crashes.length < 20) r.crashes.push({ seed: o.seed, index, seedConn: c.seedConn, ops: c.ops, error, steps: c.steps });
        vm.dispose();
        vm = newVm(o); // a trapped VM is dead (Envoy too replaces it)
      }
      if (!warmed && r.frames >= warmAt) {
        r.warm = sample(vm, r.frames);
        warmed = true;
      }
      if (o.progress && r.frames >= nextProgress) {
        r.seconds = Number(process.hrtime.bigint() - t0) / 1e9;
        r.end = sample(vm, r.frames);
        o.progress(r);
        nextProgress += o.progressEvery ?? 1_000_000;
      }
    }
    r.passes.push(sample(vm, r.frames));
  }
  r.end = r.passes[r.passes.length - 1];
  r.seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  vm.dispose();
  return r;
}

/** Whether `steps` trap a fresh VM. */
export function traps(wasm: string, steps: Step[]): boolean {
  const vm = newVm({ wasm });
  try {
    return feed(vm, steps, 0, []) !== "";
  } finally {
    vm.dispose();
  }
}

/** A smaller step list that still traps: drops steps, then trims the last one (for fixtures). */
export function minimize(wasm: string, steps: Step[]): Step[] {
  let cur = steps;
  for (let i = cur.length - 1; i >= 0; i--) {
    const fewer = [...cur.slice(0, i), ...cur.slice(i + 1)];
    if (fewer.length && traps(wasm, fewer)) cur = fewer;
  }
  const last = cur[cur.length - 1];
  for (let n = 1; n < last.data.length; n *= 2) {
    const shorter = [...cur.slice(0, -1), { ...last, data: last.data.subarray(0, n) }];
    if (traps(wasm, shorter)) return shorter;
  }
  return cur;
}

/** A crash as JSON (steps in base64): the regression fixture format of test/fuzz/regressions/. */
export function crashJson(c: Crash): string {
  return JSON.stringify({ ...c, steps: c.steps.map((s) => ({ dir: s.dir, eos: s.eos, data: s.data.toString("base64") })) }, null, 1) + "\n";
}

export function parseCrash(text: string): Crash {
  const j = JSON.parse(text) as Omit<Crash, "steps"> & { steps: { dir: "down" | "up"; eos: boolean; data: string }[] };
  return { ...j, steps: j.steps.map((s) => ({ dir: s.dir, eos: s.eos, data: Buffer.from(s.data, "base64") })) };
}

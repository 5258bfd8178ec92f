// The short, seeded fuzz run CI does on every change (test/fuzz/; the long run is
// `node dist/test/fuzz/main.js --frames 10000000`, figures in bench/RESULTS.md), and every crash
// the fuzzer ever found (test/fuzz/regressions/) replayed against the current build.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { loadCorpus } from "../fuzz/corpus";
import { buildConnection, feed, newVm, parseCrash, runFuzz, traps } from "../fuzz/fuzz";
import * as M from "../../vocabulary/metrics";

const ROOT = path.join(__dirname, "..", "..", "..");
const WASM = process.env.KSCOPE_WASM ?? path.join(ROOT, "build", "kscope.wasm");
const REGRESSIONS = path.join(ROOT, "test", "fuzz", "regressions");

test("every crash the fuzzer found no longer traps", () => {
  const files = fs.readdirSync(REGRESSIONS).filter((f) => f.endsWith(".json"));
  assert.ok(files.length > 0);
  for (const f of files) {
    const crash = parseCrash(fs.readFileSync(path.join(REGRESSIONS, f), "utf8"));
    assert.equal(traps(WASM, crash.steps), false, `${f}: ${crash.error}`);
  }
});

test("seeded fuzz: 2 x 200k mutated real-client frames in many chunkings, no trap, traffic untouched, memory flat", () => {
  const r = runFuzz({ wasm: WASM, corpus: loadCorpus(), seed: 7, frames: 200_000, passes: 2 });
  assert.equal(r.traps, 0, r.crashes.map((c) => `${c.index}: ${c.error} (${c.ops.join(" ")})`).join("\n"));
  assert.deepEqual(r.violations, []);
  assert.ok(r.mutatedFrames > r.frames / 20, `mutated ${r.mutatedFrames} of ${r.frames}`);
  assert.ok(r.end.series > 500, `the fuzzed traffic reached the decoder (${r.end.series} series)`);
  const [first, second] = r.passes;
  // The second pass replays the first one's connections: no new label values, so any growth is a leak.
  assert.equal(second.wasmPages, first.wasmPages, `Wasm pages ${first.wasmPages} -> ${second.wasmPages}`);
  assert.equal(second.series, first.series);
  assert.ok(second.heapMiB - first.heapMiB < 2, `host heap ${first.heapMiB.toFixed(1)} -> ${second.heapMiB.toFixed(1)} MiB`);
  assert.ok(second.wasmPages <= 256, `Wasm memory bounded (${second.wasmPages} pages)`);
});

test("series ceiling: past its budget, a metric gets no new series from fresh hostile frames", () => {
  // A small budget, so that a CI-sized run spends it for most metrics; then a second stream of
  // different hostile connections (another seed) must not add a series to any metric it spent.
  const budget = 20;
  const vm = newVm({ wasm: WASM, configuration: `{"max_label_values":50,"max_series_per_metric":${budget}}` });
  const corpus = loadCorpus();
  const perMetric = (): Map<string, Set<string>> => {
    const m = new Map<string, Set<string>>();
    for (const s of vm.metrics.series()) {
      if (!m.has(s.name)) m.set(s.name, new Set());
      m.get(s.name)!.add(s.encoded);
    }
    return m;
  };
  const run = (seed: number, frames: number): void => {
    for (let index = 0, n = 0; n < frames; index++) {
      const c = buildConnection(corpus, seed, index);
      assert.equal(feed(vm, c.steps, index, []), "", `seed ${seed} connection ${index} trapped`);
      n += c.frames;
    }
  };
  try {
    run(11, 150_000);
    const before = perMetric();
    run(12, 150_000);
    const after = perMetric();
    const spent = [...before].filter(([name, s]) => s.size >= budget && name !== M.labelOverflow);
    assert.ok(spent.length >= 10, `metrics at their budget: ${spent.map(([n]) => n).join(", ")}`);
    for (const [name, s] of after) {
      // the budget plus the metric's `__other__` series (the overflow counter: one per label and metric)
      if (name !== M.labelOverflow) assert.ok(s.size <= budget + 1, `${name}: ${s.size} series for a budget of ${budget}`);
    }
    for (const [name, s] of spent) {
      const added = [...after.get(name)!].filter((e) => !s.has(e));
      assert.deepEqual(added, [], `${name} minted new series past its budget`);
    }
  } finally {
    vm.dispose();
  }
});

// The short, seeded fuzz run CI does on every change (test/fuzz/; the long run is
// `node dist/test/fuzz/main.js --frames 10000000`, figures in bench/RESULTS.md), and every crash
// the fuzzer ever found (test/fuzz/regressions/) replayed against the current build.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { loadCorpus } from "../fuzz/corpus";
import { parseCrash, runFuzz, traps } from "../fuzz/fuzz";
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

test("series ceiling: once each metric's budget is spent, fresh hostile frames mint no new series", () => {
  // A small budget so that CI reaches it; the ceiling is every metric at its budget plus its `__other__`
  // series and its overflow counter (kscope_label_overflow_total{label=<metric>}).
  const budget = 20;
  const samples: number[] = [];
  const r = runFuzz({
    wasm: WASM,
    corpus: loadCorpus(),
    seed: 11,
    frames: 300_000,
    configuration: `{"max_label_values":50,"max_series_per_metric":${budget}}`,
    progressEvery: 100_000,
    progress: (p) => samples.push(p.end.series),
  });
  assert.equal(r.traps, 0);
  const metrics = Object.keys(M).length;
  assert.ok(r.end.series <= metrics * (budget + 2), `${r.end.series} series, ceiling ${metrics * (budget + 2)}`);
  // samples[0] is at the first frame; from 100k frames on every new connection is new hostile input
  assert.ok(samples.length >= 3, `samples ${samples.join(", ")}`);
  assert.equal(samples[samples.length - 1], samples[1], `series after 100k, 200k, ... frames: ${samples.join(", ")}`);
});

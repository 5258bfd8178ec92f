// The fuzzer from the command line (after `make build`):
//   node dist/test/fuzz/main.js [--frames 10000000] [--seed 1] [--wasm build/kscope.wasm] [--out DIR] [--config JSON]
// Prints progress every million frames and a summary (JSON with --json); saves each crash as a
// regression fixture in --out (default test/fuzz/regressions/); exits 1 on a trap or violation.
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { loadCorpus } from "./corpus";
import { FUZZ_CONFIGURATION, FuzzReport, crashJson, minimize, runFuzz } from "./fuzz";

const ROOT = path.join(__dirname, "..", "..", "..");
const { values } = parseArgs({
  options: {
    frames: { type: "string", default: "1000000" },
    seed: { type: "string", default: "1" },
    wasm: { type: "string", default: path.join(ROOT, "build", "kscope.wasm") },
    out: { type: "string", default: path.join(ROOT, "test", "fuzz", "regressions") },
    json: { type: "boolean", default: false },
    config: { type: "string", default: FUZZ_CONFIGURATION },
    every: { type: "string", default: "1000000" },
  },
});

const fmt = (n: number, d = 1): string => n.toFixed(d);

function line(r: FuzzReport): string {
  return (
    `${r.frames} frames (${r.mutatedFrames} mutated) in ${r.connections} connections, ${r.callbacks} callbacks, ` +
    `${fmt(r.bytes / 1048576)} MiB; traps ${r.traps}, violations ${r.violations.length}; ` +
    `${fmt(r.frames / Math.max(r.seconds, 1e-9), 0)} frames/s over ${fmt(r.seconds)} s; ` +
    `wasm ${r.end.wasmPages} pages, heap ${fmt(r.end.heapMiB)} MiB, ${r.end.series} series`
  );
}

const corpus = loadCorpus();
const report = runFuzz({
  wasm: values.wasm,
  corpus,
  seed: Number(values.seed),
  frames: Number(values.frames),
  configuration: values.config,
  progressEvery: Number(values.every),
  progress: (r) => {
    if (!values.json) console.error(line(r));
  },
});
for (const c of report.crashes.slice(0, 5)) {
  fs.mkdirSync(values.out, { recursive: true });
  const file = path.join(values.out, `seed${c.seed}-conn${c.index}.json`);
  fs.writeFileSync(file, crashJson({ ...c, steps: minimize(values.wasm, c.steps) }));
  console.error(`trap: ${c.error} (${c.seedConn}: ${c.ops.join(" ")}) -> ${file}`);
}
for (const v of report.violations) console.error(`violation: ${v}`);
if (values.json)
  console.log(JSON.stringify({ ...report, crashes: report.crashes.map((c) => ({ index: c.index, error: c.error, ops: c.ops })) }, null, 1));
else {
  console.log(line(report));
  const s = (x: typeof report.start): string =>
    `wasm ${x.wasmPages} pages (${fmt(x.wasmPages / 16)} MiB), host heap ${fmt(x.heapMiB)} MiB, rss ${fmt(x.rssMiB)} MiB, ${x.series} series`;
  console.log(`start:  ${s(report.start)}`);
  console.log(`warm:   ${s(report.warm)} (after ${report.warm.frames} frames)`);
  console.log(`end:    ${s(report.end)}`);
  console.log(
    `corpus: ${corpus.length} recorded connections, ${corpus.reduce((n, c) => n + c.requests.length + c.responses.length, 0)} frames; seed ${report.seed}; configuration ${values.config}`,
  );
}
process.exit(report.traps || report.violations.length ? 1 : 0);

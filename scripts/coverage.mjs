#!/usr/bin/env node
// Coverage of the filter (assembly/) with @as-covers, from two kinds of test together:
//   specs      the as-pect specs, instrumented by as-pect.coverage.mjs (build/coverage/filter.json);
//   host       the host's unit tests (test/unit/) running an instrumented build of kscope.wasm,
//              swapped in by scripts/coverage-hook.mjs (build/coverage/host-*.json); with
//              --integration, the integration tests too (minutes, real brokers and clients).
// A cover point is a function, a block or one-statement branch (if/else, loop body), or the right
// operand of && / ||. The release build declares every point of the filter (the as-pect builds
// only those of the files a spec imports), so one figure over both is given.
// Run `make build` first: the host tests run from dist/.
//   node scripts/coverage.mjs                 every file, least covered first, and the totals
//   node scripts/coverage.mjs --uncovered F   the points of file F that no test reaches, with source
//   node scripts/coverage.mjs --no-run        report the last run again
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const OUT = join(root, "build/coverage");
const TYPES = ["function", "block", "expression"]; // @as-covers CoverPointType order

function run(what, cmd, cmdArgs, env = {}) {
  const r = spawnSync(cmd, cmdArgs, { cwd: root, encoding: "utf8", env: { ...process.env, ...env }, maxBuffer: 1 << 28 });
  writeFileSync(join(OUT, `${what}.log`), r.stdout + r.stderr);
  if (r.status !== 0) {
    process.stderr.write(r.stdout.slice(-3000) + r.stderr.slice(-3000));
    process.stderr.write(`coverage: ${what} failed (log: build/coverage/${what}.log)\n`);
    process.exit(1);
  }
}

if (!args.includes("--no-run")) {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  // as-pect's coverage target, with the transform fixed (scripts/as-covers-transform.mjs), which asc
  // only finds by an absolute path: written out here rather than kept in the repository.
  const base = JSON.parse(readFileSync(join(root, "as-pect.asconfig.json"), "utf8"));
  const asconfig = {
    ...base,
    extends: join(root, base.extends),
    entries: base.entries.map((e) => join(root, e)),
    targets: {
      ...base.targets,
      coverage: {
        lib: [join(root, "node_modules/@as-covers/assembly/index.ts")],
        transform: [join(root, "scripts/as-covers-transform.mjs"), "@as-pect/transform"],
      },
    },
  };
  writeFileSync(join(OUT, "as-pect.asconfig.json"), JSON.stringify(asconfig, null, 2));
  run("as-pect", "npx", ["asp", "--config", "as-pect.coverage.mjs", "--as-config", "build/coverage/as-pect.asconfig.json", "--no-logo"]);
  run("asc", "npx", [
    "asc",
    "assembly/index.ts",
    "--target",
    "release",
    "--lib",
    "node_modules/@as-covers/assembly/index.ts",
    "--transform",
    "./scripts/as-covers-transform.mjs",
    "-o",
    "build/coverage/kscope.cover.wasm",
  ]);
  const hook = { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --import=${join(root, "scripts/coverage-hook.mjs")}`.trim() };
  run("host-tests", "node", ["--test", "dist/test/unit/"], hook);
  if (args.includes("--integration")) run("integration-tests", "node", ["--test", "--test-concurrency=1", "dist/test/integration/"], hook);
}

/** Cover points by "file:line:col:type", covered when any test reached them. */
const points = new Map();
for (const name of readdirSync(OUT).filter((n) => n === "filter.json" || /^host-\d+\.json$/.test(n))) {
  for (const p of JSON.parse(readFileSync(join(OUT, name), "utf8"))) {
    const key = `${p.file}:${p.line}:${p.col}:${p.type}`;
    const q = points.get(key) ?? { ...p, covered: false };
    q.covered ||= p.covered;
    points.set(key, q);
  }
}
const byFile = new Map();
for (const p of points.values()) {
  if (!byFile.has(p.file)) byFile.set(p.file, []);
  byFile.get(p.file).push(p);
}

const uncoveredOf = args.indexOf("--uncovered");
if (uncoveredOf >= 0) {
  const file = relative(root, join(root, args[uncoveredOf + 1] ?? ""));
  const lines = readFileSync(join(root, file), "utf8").split("\n");
  const all = byFile.get(file) ?? [];
  const missed = all.filter((p) => !p.covered).sort((a, b) => a.line - b.line || a.col - b.col);
  for (const p of missed) console.log(`${file}:${p.line}:${p.col}  ${TYPES[p.type].padEnd(10)} ${lines[p.line - 1].trim().slice(0, 100)}`);
  console.log(`${missed.length} of ${all.length} points reached by no test`);
  process.exit(0);
}

const pct = (n, d) => (d === 0 ? "-" : `${((100 * n) / d).toFixed(1)}%`);
const share = (ps, f) => pct(ps.filter(f).length, ps.length);
const walk = (dir) =>
  readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
const files = walk("assembly");
const measured = files
  .filter((f) => byFile.has(f))
  .map((file) => ({ file, ps: byFile.get(file) }))
  .sort(
    (a, b) =>
      a.ps.filter((p) => p.covered).length / a.ps.length - b.ps.filter((p) => p.covered).length / b.ps.length ||
      a.file.localeCompare(b.file),
  );
const everything = [...points.values()];
const table = [
  ["FILE", "POINTS", "COVERED", "FUNCTIONS", "BLOCKS", "EXPRESSIONS"],
  ...measured.map(({ file, ps }) => [
    file,
    String(ps.length),
    share(ps, (p) => p.covered),
    ...TYPES.map((_, t) =>
      share(
        ps.filter((p) => p.type === t),
        (p) => p.covered,
      ),
    ),
  ]),
  ["total", String(everything.length), share(everything, (p) => p.covered), "", "", ""],
];
const widths = table[0].map((_, i) => Math.max(...table.map((r) => r[i].length)));
for (const r of table)
  console.log(
    r
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i])))
      .join("  ")
      .trimEnd(),
  );
const hostTests = args.includes("--integration") ? "unit and integration tests" : "unit tests";
console.log(`\nCovered by the as-pect specs and the host's ${hostTests} running kscope.wasm (Envoy's runs are not measured).`);
const none = files.filter((f) => !byFile.has(f));
if (none.length) console.log(`No cover points (types and tables only): ${none.join(", ")}`);

#!/usr/bin/env node
// Coverage of the filter (assembly/): runs the as-pect specs with @as-covers instrumentation
// (as-pect.coverage.mjs), then prints, per file, the share of cover points the specs reached.
// A cover point is a function, a block or one-statement branch (if/else, loop body), or the right
// operand of && / ||. Files no spec imports (the ABI glue, the root) are listed as not measured.
//   node scripts/coverage.mjs                 every file, least covered first, and the total
//   node scripts/coverage.mjs --uncovered F   the points of file F that no spec reaches, with source
//   node scripts/coverage.mjs --no-run        report the last run again (build/coverage/filter.json)
import { spawnSync } from "node:child_process";
import { readFileSync, readdirSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const DATA = join(root, "build/coverage/filter.json");
const TYPES = ["function", "block", "expression"]; // @as-covers CoverPointType order

if (!args.includes("--no-run")) {
  mkdirSync(dirname(DATA), { recursive: true });
  const run = spawnSync("npx", ["asp", "--config", "as-pect.coverage.mjs", "--no-logo"], { cwd: root, encoding: "utf8" });
  writeFileSync(join(root, "build/coverage/as-pect.log"), run.stdout + run.stderr);
  if (run.status !== 0) {
    process.stderr.write(run.stdout.slice(-4000) + run.stderr.slice(-4000));
    process.stderr.write("coverage: the specs failed under instrumentation (log: build/coverage/as-pect.log)\n");
    process.exit(1);
  }
}

/** @type {{file: string, line: number, col: number, type: number, covered: boolean}[]} */
const points = JSON.parse(readFileSync(DATA, "utf8"));
const byFile = new Map();
for (const p of points) {
  if (!byFile.has(p.file)) byFile.set(p.file, []);
  byFile.get(p.file).push(p);
}

const uncoveredOf = args.indexOf("--uncovered");
if (uncoveredOf >= 0) {
  const file = relative(root, join(root, args[uncoveredOf + 1] ?? ""));
  const lines = readFileSync(join(root, file), "utf8").split("\n");
  const missed = (byFile.get(file) ?? []).filter((p) => !p.covered).sort((a, b) => a.line - b.line || a.col - b.col);
  for (const p of missed) console.log(`${file}:${p.line}:${p.col}  ${TYPES[p.type].padEnd(10)} ${lines[p.line - 1].trim().slice(0, 100)}`);
  console.log(`${missed.length} of ${(byFile.get(file) ?? []).length} points not reached`);
  process.exit(0);
}

const walk = (dir) => readdirSync(join(root, dir), { withFileTypes: true })
  .flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []));
const pct = (n, d) => (d === 0 ? "-" : `${((100 * n) / d).toFixed(1)}%`);
const rows = walk("assembly").map((file) => {
  const ps = byFile.get(file) ?? [];
  const count = (t) => ps.filter((p) => t === undefined || p.type === t);
  return {
    file,
    total: ps.length,
    covered: ps.filter((p) => p.covered).length,
    cells: TYPES.map((_, t) => { const all = count(t); return pct(all.filter((p) => p.covered).length, all.length); }),
  };
});
const measured = rows.filter((r) => r.total > 0).sort((a, b) => a.covered / a.total - b.covered / b.total || a.file.localeCompare(b.file));
const table = [["FILE", "POINTS", "COVERED", "FUNCTIONS", "BLOCKS", "EXPRESSIONS"],
  ...measured.map((r) => [r.file, String(r.total), pct(r.covered, r.total), ...r.cells])];
const all = measured.reduce((a, r) => ({ total: a.total + r.total, covered: a.covered + r.covered }), { total: 0, covered: 0 });
table.push(["total (files the specs compile)", String(all.total), pct(all.covered, all.total), "", "", ""]);
const widths = table[0].map((_, i) => Math.max(...table.map((r) => r[i].length)));
for (const r of table) console.log(r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ").trimEnd());
const unmeasured = rows.filter((r) => r.total === 0).map((r) => r.file);
if (unmeasured.length) console.log(`\nNo cover point ran (no spec imports the file, or it holds only types and tables):\n  ${unmeasured.join("\n  ")}`);

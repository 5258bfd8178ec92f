// The metric vocabulary is one definition: vocabulary/metrics.ts and vocabulary/labels.ts, read by
// the filter (asc) and the host (tsc). No source file outside it spells a kscope_ metric name, so
// a rename cannot leave a view reading a name nobody emits.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as L from "../../vocabulary/labels";
import * as M from "../../vocabulary/metrics";
import { repoRoot } from "../support/envoy";

function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? walk(p) : [p];
  });
}

const strings = (mod: object): string[] => Object.values(mod).filter((v): v is string => typeof v === "string");

test("metric names are unique, Prometheus-valid and kscope_-prefixed", () => {
  const names = strings(M);
  assert.ok(names.length >= 35, `vocabulary has ${names.length} names`);
  assert.equal(new Set(names).size, names.length, "duplicate metric names");
  for (const n of names) assert.match(n, /^kscope_[a-z][a-z0-9_]*[a-z0-9]$/, n);
  for (const h of M.histograms) assert.ok(names.includes(h), `histogram ${h} is a vocabulary name`);
});

test("label names are Prometheus-valid and not reserved", () => {
  const names = Object.entries(L)
    .filter(([k, v]) => typeof v === "string" && k !== k.toUpperCase())
    .map(([, v]) => v as string);
  assert.equal(new Set(names).size, names.length, "duplicate label names");
  for (const n of names) assert.match(n, /^[a-z][a-z0-9_]*$/, n);
  for (const n of names) assert.ok(!["le", "quantile", "instance", "job"].includes(n), `${n} clashes with a Prometheus label`);
});

test("no source outside vocabulary/ spells a metric name", () => {
  const names = new Set(strings(M));
  const offenders: string[] = [];
  for (const dir of ["assembly", "host"]) {
    for (const f of walk(path.join(repoRoot, dir)).filter((x) => x.endsWith(".ts"))) {
      const lines = fs.readFileSync(f, "utf8").split("\n");
      lines.forEach((line, i) => {
        const code = line.replace(/\/\/.*$/, "").replace(/^\s*\*.*$/, "");
        // a vocabulary name restated, or a new series defined with a literal name
        const restated = [...code.matchAll(/["'`](kscope_[a-z0-9_]+)/g)].some((m) => names.has(m[1]));
        const literal = /(?:series|IndexedFamily|id)\(\s*MetricType\.\w+,\s*["'`]/.test(code);
        if (restated || literal) offenders.push(`${path.relative(repoRoot, f)}:${i + 1}: ${line.trim()}`);
      });
    }
  }
  assert.deepEqual(offenders, []);
});

// The soak's verdict (bench/soak.ts flatness): what it calls flat after the warm-up, and each kind
// of growth it must catch (RSS, series, Wasm pages, CPU per record).
import { test } from "node:test";
import assert from "node:assert/strict";
import { flatness, type SoakSample } from "../../bench/soak";

/** Ten samples a minute apart, flat unless `f` changes the i-th one. */
function run(f: (s: SoakSample, i: number) => void = () => undefined): SoakSample[] {
  return Array.from({ length: 10 }, (_, i) => {
    const s: SoakSample = {
      t: 60 * (i + 1),
      rssMiB: 80 + (i % 2), // allocator noise
      wasmPages: 128,
      series: 7600,
      newSeries: 0,
      goneSeries: 0,
      newFamilies: {},
      records: 10_000 * (i + 1),
      clientIds: 300 * (i + 1),
      cpuSeconds: 2 * (i + 1),
      cpuMsPer1kRecords: 200 + (i % 3) * 10,
      labelValues: 200,
    };
    f(s, i);
    return s;
  });
}

test("flat samples are flat; growth during the warm-up (the first third) is not judged", () => {
  assert.deepEqual(flatness(run()), []);
  assert.deepEqual(
    flatness(
      run((s, i) => {
        if (i < 3) {
          s.rssMiB = 50 + 10 * i;
          s.series = 1000 * (i + 1);
          s.wasmPages = 64;
        }
      }),
    ),
    [],
  );
});

test("each kind of growth after the warm-up is reported", () => {
  const late = (f: (s: SoakSample) => void) => run((s, i) => i >= 7 && f(s));
  assert.match(flatness(late((s) => (s.rssMiB = 110))).join(), /RSS grew from 81.0 to 110.0 MiB/);
  assert.match(flatness(late((s) => (s.series = 7900))).join(), /series grew from 7600 to 7900/);
  assert.match(flatness(late((s) => (s.wasmPages = 129))).join(), /Wasm memory grew from 128 to 129 pages/);
  assert.match(flatness(run((s, i) => i >= 6 && (s.cpuMsPer1kRecords = 400))).join(), /CPU per record grew/);
  // within tolerance: +15 % + 10 MiB of RSS, +2 % + 20 series
  assert.deepEqual(flatness(late((s) => ((s.rssMiB = 90), (s.series = 7700)))), []);
});

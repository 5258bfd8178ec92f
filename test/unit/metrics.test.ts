import { test } from "node:test";
import assert from "node:assert/strict";
import { MetricStore, MetricType } from "../../host/metrics/store";
import { parseName } from "../../host/metrics/scheme";
import { parseSamples, sum } from "../../host/metrics/scrape";

test("the label scheme decodes into name and labels", () => {
  assert.deepEqual(parseName("kscope_requests_total;api=.=Produce;.;;version=.=9;.;"), {
    name: "kscope_requests_total",
    labels: { api: "Produce", version: "9" },
  });
  assert.deepEqual(parseName("kscope_connections_total"), { name: "kscope_connections_total", labels: {} });
});

test("label values are escaped in the text format and read back unchanged", () => {
  const s = new MetricStore();
  const nasty = 'a"b\\c\nd{e}=,f';
  s.increment(s.define(MetricType.Counter, `kscope_x_total;topic=.=${nasty};.;`), 3);
  const text = s.render();
  assert.match(text, /kscope_x_total\{topic="a\\"b\\\\c\\nd\{e\}=,f"\} 3/);
  assert.equal(sum(parseSamples(text), "kscope_x_total", { topic: nasty }), 3);
});

test("Envoy's rules: counters never go down, a name defined twice is one series, histograms bucket", () => {
  const s = new MetricStore();
  const c = s.define(MetricType.Counter, "c_total");
  assert.equal(s.increment(c, -1), false);
  const c2 = s.define(MetricType.Counter, "c_total");
  s.increment(c, 2);
  s.increment(c2, 3);
  assert.equal(s.get(c), 5);
  const g = s.define(MetricType.Gauge, "g");
  s.increment(g, 4);
  s.increment(g, -1);
  assert.equal(s.get(g), 3);
  const h = s.define(MetricType.Histogram, "h;api=.=Fetch;.;");
  s.record(h, 70);
  s.record(h, 20_000_000);
  const samples = parseSamples(s.render());
  assert.equal(sum(samples, "h_bucket", { api: "Fetch", le: "100" }), 1);
  assert.equal(sum(samples, "h_bucket", { api: "Fetch", le: "+Inf" }), 2);
  assert.equal(sum(samples, "h_count", { api: "Fetch" }), 2);
  assert.equal(sum(samples, "h_sum", { api: "Fetch" }), 20_000_070);
});

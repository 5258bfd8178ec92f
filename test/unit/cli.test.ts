// The CLI's arithmetic and formatting against fixed snapshots: no broker, no network.
import { test } from "node:test";
import assert from "node:assert/strict";
import { MetricStore, MetricType } from "../../host/metrics/store";
import { History, HistoryWindow } from "../../host/history";
import { WindowEval } from "../../host/cli/admin-source";
import { histogramQuantile, parseWindow, Source } from "../../host/cli/source";
import { promql } from "../../host/cli/prom-source";
import * as model from "../../host/cli/model";
import * as fmt from "../../host/cli/format";

/** A store plus a history driven by a fake clock. */
function rig() {
  let now = 1_000_000;
  const store = new MetricStore();
  const history = new History(store, { intervalMs: 2000, retentionMs: 60_000, now: () => now });
  return {
    store,
    history,
    tick: (ms: number) => {
      now += ms;
      history.snapshot();
    },
    advance: (ms: number) => {
      now += ms;
    },
  };
}

/** A Source over one fixed window, as AdminSource computes it. */
function staticSource(w: HistoryWindow, window = w.seconds): Source {
  const e = new WindowEval(w);
  return {
    describe: "test",
    window,
    rate: async (m, s) => e.rate(m, s),
    gauge: async (m, s) => e.gauge(m, s),
    delta: async (m, s) => e.delta(m, s, window),
    quantile: async (q, h, s) => e.quantile(q, h, s),
    names: async () => e.names(),
    ping: async () => "ok",
  };
}

test("history: rates over a window come from the snapshot at its start and the live values", () => {
  const r = rig();
  const c = r.store.define(MetricType.Counter, "kscope_produced_records_total;topic=.=orders;.;;client_id=.=p1;.;");
  for (let i = 0; i < 30; i++) {
    r.store.increment(c, 100);
    r.tick(1000);
  } // 100 records/s for 30 s
  const w = r.history.window(10);
  assert.ok(w.seconds >= 9 && w.seconds <= 11, `covers ${w.seconds}s`);
  const rows = new WindowEval(w).rate("kscope_produced_records_total", { by: ["topic"] });
  assert.equal(rows.length, 1);
  assert.equal(rows[0].labels.topic, "orders");
  assert.ok(Math.abs(rows[0].value - 100) < 10, `rate ${rows[0].value}`);
  // A window longer than the process has lived covers the whole life, from zero.
  const all = r.history.window(3600);
  assert.equal(all.seconds, 30);
  assert.equal(new WindowEval(all).rate("kscope_produced_records_total", { by: [] })[0].value, 100);
});

test("history: the ring keeps its retention, and series born later start from zero", () => {
  const r = rig();
  for (let i = 0; i < 100; i++) r.tick(2000);
  const late = r.store.define(MetricType.Counter, "late_total");
  r.store.increment(late, 50);
  const w = r.history.window(20);
  const s = w.samples.find((x) => x.name === "late_total")!;
  assert.deepEqual([s.v0, s.v1], [0, 50]);
  assert.ok((r.history as unknown as { ring: unknown[] }).ring.length <= 31);
});

test("history: histograms come out as cumulative _bucket/_count/_sum, like the text format", () => {
  const r = rig();
  const h = r.store.define(MetricType.Histogram, "kscope_request_duration_microseconds;api=.=Produce;.;");
  r.tick(1000);
  for (const v of [80, 90, 400, 3000]) r.store.record(h, v);
  const w = r.history.window(60);
  const b = (le: string) => w.samples.find((x) => x.name.endsWith("_bucket") && x.labels.le === le)!.v1;
  assert.equal(b("100"), 2);
  assert.equal(b("500"), 3);
  assert.equal(b("+Inf"), 4);
  assert.equal(w.samples.find((x) => x.name.endsWith("_count"))!.v1, 4);
  assert.equal(w.samples.find((x) => x.name.endsWith("_sum"))!.v1, 3570);
});

test("histogram_quantile interpolates like Prometheus", () => {
  const b = [
    { le: 100, count: 10 },
    { le: 200, count: 20 },
    { le: 400, count: 40 },
    { le: Infinity, count: 40 },
  ];
  assert.equal(histogramQuantile(0.5, b), 200); // rank 20 lands at the top of (100,200]
  assert.equal(histogramQuantile(0.25, b), 100);
  assert.equal(histogramQuantile(0.75, b), 300); // rank 30: halfway through (200,400]
  assert.equal(histogramQuantile(0.1, b), 40); // first bucket starts at 0
  assert.equal(histogramQuantile(1, b), 400);
  assert.equal(
    histogramQuantile(0.99, [
      { le: 100, count: 1 },
      { le: Infinity, count: 10 },
    ]),
    100,
  ); // rank in +Inf: highest bound
  assert.equal(
    histogramQuantile(0.5, [
      { le: 100, count: 0 },
      { le: Infinity, count: 0 },
    ]),
    undefined,
  );
});

test("counter resets count from zero; gauges dedupe across proxies before aggregating", () => {
  const w: HistoryWindow = {
    seconds: 10,
    start: 0,
    end: 10_000,
    samples: [
      { name: "c_total", labels: { topic: "a" }, kind: "counter", v0: 500, v1: 20 }, // restarted proxy
      { name: "lag", labels: { group: "g", topic: "t", partition: "0", workload: "p1" }, kind: "gauge", v0: 5, v1: 7 },
      { name: "lag", labels: { group: "g", topic: "t", partition: "0", workload: "p2" }, kind: "gauge", v0: 5, v1: 9 },
      { name: "lag", labels: { group: "g", topic: "t", partition: "1", workload: "p1" }, kind: "gauge", v0: 1, v1: 1 },
    ],
  };
  const e = new WindowEval(w);
  assert.equal(e.rate("c_total", { by: ["topic"] })[0].value, 2);
  const part = ["group", "topic", "partition"];
  assert.equal(e.gauge("lag", { by: ["group"], dedupe: part, agg: "sum" })[0].value, 10);
  assert.equal(e.gauge("lag", { by: ["group"], dedupe: part, agg: "max" })[0].value, 9);
  assert.equal(e.gauge("lag", { by: ["group"], dedupe: part, agg: "count" })[0].value, 2);
  assert.equal(e.delta("lag", { by: ["group"], dedupe: part, agg: "sum" })[0].value, 4);
});

test("PromQL: the same questions, asked of Prometheus", () => {
  assert.equal(promql.rate("m", { by: ["topic"], where: { topic: 'a"b' } }, "1m"), 'sum by (topic) (rate(m{topic="a\\"b"}[1m]))');
  assert.equal(promql.quantile(0.99, "h", { by: ["api"] }, "30s"), "histogram_quantile(0.99, sum by (le,api) (rate(h_bucket[30s])))");
  assert.equal(
    promql.gauge("lag", { by: ["group"], dedupe: ["group", "topic", "partition"], agg: "sum" }),
    "sum by (group) (max by (group,topic,partition) (lag))",
  );
  assert.equal(promql.delta("lag", { by: ["group"], agg: "sum" }, "1m"), "sum by (group) (delta(lag[1m]))");
});

test("group state follows the documented rule", () => {
  const s = (
    lagRecords: number | null,
    committedPerSec: number | null,
    fetchedRecordsPerSec: number | null,
    lagGrowth: number | null,
    lagSeconds = 30,
  ) => model.groupState({ lagRecords, committedPerSec, fetchedRecordsPerSec, lagGrowth, lagSeconds });
  assert.equal(s(null, 5, 5, 0), null);
  assert.equal(s(0, 0, 0, 0), "OK");
  assert.equal(s(100, 50, 50, -10), "OK");
  assert.equal(s(100, 50, 50, 30), "LAGGING");
  assert.equal(s(100, 50, 50, 30, 1), "OK", "lag that grew a little but is fresh is noise");
  assert.equal(s(100, 0, 40, 30), "STALLED");
  assert.equal(s(100, 0, 0, 30), "STOPPED");
});

test("stat topics/groups/clients from one fixed window", async () => {
  const L = (o: Record<string, string>) => o;
  const ctr = (name: string, labels: Record<string, string>, v0: number, v1: number) => ({
    name,
    labels: L(labels),
    kind: "counter" as const,
    v0,
    v1,
  });
  const g = (name: string, labels: Record<string, string>, v0: number, v1: number) => ({
    name,
    labels: L(labels),
    kind: "gauge" as const,
    v0,
    v1,
  });
  const hist = (name: string, labels: Record<string, string>, cum: [number, number][]) =>
    cum.map(([le, n]) => ctr(`${name}_bucket`, { ...labels, le: le === Infinity ? "+Inf" : String(le) }, 0, n));
  const w: HistoryWindow = {
    seconds: 10,
    start: 0,
    end: 10_000,
    samples: [
      ctr("kscope_produced_records_total", { topic: "orders", client_id: "p1", compression: "none" }, 0, 1000),
      ctr("kscope_produced_records_total", { topic: "orders", client_id: "p1", compression: "lz4" }, 0, 500),
      ctr("kscope_produced_bytes_total", { topic: "orders", client_id: "p1", compression: "none" }, 0, 100_000),
      ctr("kscope_produced_records_total", { topic: "pay", client_id: "p2", compression: "none" }, 0, 100),
      ctr("kscope_fetched_records_total", { topic: "orders", group: "billing", client_id: "c1" }, 0, 1500),
      ctr("kscope_topic_errors_total", { topic: "pay", api: "Produce", error: "NOT_LEADER_OR_FOLLOWER" }, 0, 5),
      g("kscope_group_committed_offset", { group: "billing", topic: "orders", partition: "0" }, 100, 1600),
      g("kscope_group_committed_offset", { group: "audit", topic: "orders", partition: "0" }, 30, 30),
      g("kscope_consumer_lag_records", { group: "billing", topic: "orders", partition: "0" }, 0, 0),
      g("kscope_consumer_lag_records", { group: "audit", topic: "orders", partition: "0" }, 70, 1570),
      g("kscope_consumer_lag_seconds", { group: "audit", topic: "orders", partition: "0" }, 2, 12),
      ctr("kscope_client_requests_total", { client_id: "p1", api: "Produce" }, 0, 190),
      ctr("kscope_client_requests_total", { client_id: "p1", api: "Metadata" }, 5, 15),
      ctr("kscope_client_errors_total", { client_id: "p1", api: "Produce" }, 1, 21),
      ctr("kscope_client_requests_total", { client_id: "c1", api: "Fetch" }, 0, 100),
      ctr("kscope_client_requests_total", { client_id: "idle", api: "Heartbeat" }, 0, 30),
      // p1: 100 requests in the window at ≤ 1 ms, 100 in (1 ms, 10 ms]
      ...hist("kscope_client_request_duration_microseconds", { client_id: "p1" }, [
        [1000, 100],
        [10000, 200],
        [Infinity, 200],
      ]),
    ],
  };
  const src = staticSource(w);
  const topics = await model.topics(src, {});
  const orders = topics.find((t) => t.topic === "orders")!;
  assert.equal(orders.producedRecordsPerSec, 150);
  assert.equal(orders.fetchedRecordsPerSec, 150);
  assert.equal(orders.producers, 1);
  assert.equal(orders.groups, 2, "billing fetches, audit only commits");
  assert.equal(orders.errorsPerSec, 0);
  assert.equal(topics.find((t) => t.topic === "pay")!.errorsPerSec, 0.5);
  const groups = await model.groups(src, {});
  const audit = groups.find((x) => x.group === "audit")!;
  assert.equal(audit.state, "STOPPED");
  assert.equal(audit.lagRecords, 1570);
  assert.equal(audit.lagSeconds, 12);
  const billing = groups.find((x) => x.group === "billing")!;
  assert.equal(billing.state, "OK");
  assert.equal(billing.committedPerSec, 150);
  assert.deepEqual(
    (await model.topics(src, { topic: "pay" })).map((t) => t.topic),
    ["pay"],
  );
  assert.deepEqual(
    (await model.groups(src, { group: "audit" })).map((t) => t.group),
    ["audit"],
  );
  const clients = await model.clients(src, {});
  assert.deepEqual(clients.map((c) => c.client_id).sort(), ["c1", "p1", "p2"], "clients that moved records; idle only heartbeats");
  const p1 = clients.find((c) => c.client_id === "p1")!;
  assert.equal(p1.requestsPerSec, 20);
  assert.equal(p1.successRate, 0.9, "2 responses with errors per second of 20 requests");
  assert.equal(p1.p50Ms, 1);
  assert.equal(p1.p99Ms, 9.82);
  assert.deepEqual(p1.topics, ["orders"]);
  const c1 = clients.find((c) => c.client_id === "c1")!;
  assert.equal(c1.requestsPerSec, 10);
  assert.equal(c1.successRate, 1, "requests and no error series: none failed");
  assert.equal(c1.p50Ms, null);
  assert.deepEqual(c1.groups, ["billing"]);
  const p2 = clients.find((c) => c.client_id === "p2")!;
  assert.equal(p2.requestsPerSec, null);
  assert.equal(p2.successRate, null, "no requests: no success rate");
  assert.deepEqual(
    (await model.clients(src, { topic: "orders" })).map((c) => [c.client_id, c.requestsPerSec]).sort(),
    [
      ["c1", 10],
      ["p1", 20],
    ],
    "--topic chooses rows; requests count every API",
  );
  const { VIEWS } = await import("../../host/cli/views");
  const text = fmt.table(
    clients.sort((a, b) => String(a.client_id).localeCompare(String(b.client_id))),
    VIEWS.clients.columns(fmt.colours(false)),
    { c: fmt.colours(false) },
  );
  assert.match(text, /^CLIENT\s+REQUESTS\s+SUCCESS\s+LATENCY_P50\s+LATENCY_P99\s+PRODUCE\s+FETCH\s+GROUPS\s+TOPICS\n/);
  assert.match(text, /\np1\s+20\/s\s+90\.00%\s+1\.0ms\s+9\.8ms\s+150\/s\s+-\s+-\s+orders\n/);
  assert.match(text, /\np2\s+-\s+-\s+-\s+-\s+10\/s/);
  // Metrics a proxy does not export are null, not errors.
  const apis = await model.apis(src, {});
  assert.deepEqual(apis, []);
});

test("human units", () => {
  assert.equal(fmt.num(1234), "1234");
  assert.equal(fmt.num(12345), "12.3k");
  assert.equal(fmt.num(0.5), "0.50");
  assert.equal(fmt.num(null), "-");
  assert.equal(fmt.bytes(1536, "/s"), "1.5KiB/s");
  assert.equal(fmt.bytes(3 * 1024 * 1024), "3.0MiB");
  assert.equal(fmt.ms(0.42), "0.42ms");
  assert.equal(fmt.ms(1500), "1.5s");
  assert.equal(fmt.duration(200), "3m20s");
  assert.equal(fmt.percent(0.5), "50.00%");
  assert.equal(fmt.percent(1), "100%");
  assert.equal(parseWindow("1m"), 60);
  assert.equal(parseWindow("30s"), 30);
  assert.throws(() => parseWindow("soon"), /not a time window/);
});

test("tables are plain, aligned, and colourless off a terminal", () => {
  const out = fmt.table(
    [
      { a: "x", b: 1 },
      { a: "longer", b: 22 },
    ],
    [
      { header: "NAME", cell: (r) => r.a },
      { header: "N", cell: (r) => String(r.b), align: "right" },
      { header: "W", cell: () => "w", wide: true },
    ],
    { c: fmt.colours(false) },
  );
  assert.equal(out, "NAME     N\nx        1\nlonger  22");
});

test("tap hub: the flag is on only while someone taps; events are stamped and filtered", async () => {
  const { SharedState } = await import("../../host/wasm/shared");
  const { TapHub, TAP_KEY, TAP_QUEUE } = await import("../../host/tap");
  const shared = new SharedState();
  const vm = { shared, moduleImports: new Set(["proxy_enqueue_shared_queue", "proxy_get_shared_data"]) };
  const hub = new TapHub(vm as never);
  assert.equal(hub.supported, true);
  assert.equal(shared.get(TAP_KEY)!.value.toString(), "0");
  const got: string[] = [];
  const stop = hub.subscribe({ topic: "orders" }, (l) => {
    got.push(l);
    return true;
  });
  assert.equal(shared.get(TAP_KEY)!.value.toString(), "1");
  const q = shared.register(TAP_QUEUE);
  const ev = (topics: string[]) =>
    Buffer.from(
      JSON.stringify({ ev: "req", id: 1, client: "c", api: "Produce", version: 9, topics, partitions: 1, records: 3, bytes: 100 }),
    );
  shared.enqueue(q, ev(["orders"]), { contextId: 7, connection: { source: "10.0.0.1:5000", destination: "b:9092" } });
  shared.enqueue(q, ev(["payments"]), {});
  assert.equal(got.length, 1);
  const e = JSON.parse(got[0]);
  assert.equal(e.conn, 7);
  assert.equal(e.src, "10.0.0.1:5000");
  assert.ok(e.ts > 0);
  stop();
  assert.equal(shared.get(TAP_KEY)!.value.toString(), "0");
  const { tapLine } = await import("../../host/commands/tap");
  assert.equal(tapLine(e), "req id=7:1 src=10.0.0.1:5000 client=c api=Produce/v9 topics=orders partitions=1 records=3 bytes=100B");
  assert.equal(
    tapLine({ ...e, ev: "rsp", error: "NOT_LEADER_OR_FOLLOWER", errors: 2, latencyUs: 2500, records: 0, bytes: 60 }),
    "rsp id=7:1 client=c api=Produce/v9 error=NOT_LEADER_OR_FOLLOWER(+1) topics=orders bytes=60B latency=2.5ms",
  );
});

test("top from tap: count, best, worst, last and success per (client, API, topic), joined with metric rates", async () => {
  const { TapTally, joinTapFlows } = await import("../../host/cli/top");
  const t0 = 1_700_000_000_000;
  const rsp = (at: number, client: string, api: string, topics: string[], latencyUs: number, error = "NONE", group?: string) => ({
    ev: "rsp" as const,
    id: at,
    client,
    api,
    version: 9,
    topics,
    partitions: topics.length,
    records: 0,
    bytes: 10,
    error,
    latencyUs,
    ts: t0 + at,
    ...(group ? { group } : {}),
  });
  const events = [
    {
      ev: "req" as const,
      id: 0,
      client: "p",
      api: "Produce",
      version: 9,
      topics: ["orders"],
      partitions: 1,
      records: 5,
      bytes: 500,
      ts: t0,
    }, // requests are not counted
    rsp(100, "p", "Produce", ["orders"], 2500),
    rsp(900, "p", "Produce", ["orders"], 900),
    rsp(1500, "p", "Produce", ["orders"], 40_000, "NOT_LEADER_OR_FOLLOWER"),
    rsp(2100, "p", "Produce", ["orders"], 1800), // the last one
    rsp(300, "c", "Fetch", ["orders", "payments"], 50_000), // one Fetch of two topics counts for each
    rsp(2200, "c", "Fetch", ["orders"], 20_000),
    rsp(1000, "c", "Heartbeat", [], 300, "NONE", "billing"), // no topic, a group
    rsp(-60_000, "old", "Produce", ["orders"], 1), // outside the window
  ];
  const tally = new TapTally();
  for (const e of events) tally.add(e);
  const rows = tally.rows(t0 + 2500, 10);
  const row = (client: string, api: string, topic: string) => rows.find((r) => r.client === client && r.api === api && r.topic === topic)!;
  assert.equal(rows.length, 4);
  assert.deepEqual(row("p", "Produce", "orders"), {
    client: "p",
    api: "Produce",
    topic: "orders",
    group: null,
    count: 4,
    bestMs: 0.9,
    worstMs: 40,
    lastMs: 1.8,
    successRate: 0.75,
    recordsPerSec: null,
    bytesPerSec: null,
    errorsPerSec: null,
  });
  assert.deepEqual(
    [
      row("c", "Fetch", "orders").count,
      row("c", "Fetch", "orders").bestMs,
      row("c", "Fetch", "orders").worstMs,
      row("c", "Fetch", "orders").lastMs,
    ],
    [2, 20, 50, 20],
  );
  assert.deepEqual(
    [row("c", "Fetch", "payments").count, row("c", "Fetch", "payments").lastMs, row("c", "Fetch", "payments").successRate],
    [1, 50, 1],
  );
  assert.equal(row("c", "Heartbeat", "").group, "billing");
  // Shorter windows keep the one-second buckets that overlap them.
  assert.deepEqual(new TapTally().rows(t0, 1), []);
  const recent = (seconds: number) => {
    const x = new TapTally();
    for (const e of events) x.add(e);
    return x
      .rows(t0 + 2500, seconds)
      .map((r) => `${r.client} ${r.api} ${r.topic} ${r.count}`)
      .sort();
  };
  assert.deepEqual(recent(0.5), ["c Fetch orders 1", "p Produce orders 1"]);
  assert.deepEqual(recent(1), ["c Fetch orders 1", "c Heartbeat  1", "p Produce orders 2"]);
  // --topic keeps only that topic of a multi-topic response.
  const only = new TapTally("payments");
  for (const e of events) only.add(e);
  assert.deepEqual(
    only.rows(t0 + 2500, 10).map((r) => `${r.client} ${r.api} ${r.topic}`),
    ["c Fetch payments"],
  );

  // Joined with metric flows: rates and the Fetch's group from metrics; metric-only flows stay with COUNT 0.
  const metric = [
    {
      client: "p",
      api: "Produce" as const,
      topic: "orders",
      group: null,
      recordsPerSec: 100,
      bytesPerSec: 1000,
      count: 1000,
      errorsPerSec: 0,
      p50Ms: 1,
      p99Ms: 2,
      maxMs: 5,
    },
    {
      client: "c",
      api: "Fetch" as const,
      topic: "orders",
      group: "billing",
      recordsPerSec: 90,
      bytesPerSec: 900,
      count: 900,
      errorsPerSec: 0,
      p50Ms: 1,
      p99Ms: 2,
      maxMs: 5,
    },
    {
      client: "q",
      api: "Produce" as const,
      topic: "audit",
      group: null,
      recordsPerSec: 5,
      bytesPerSec: 50,
      count: 50,
      errorsPerSec: 0,
      p50Ms: 1,
      p99Ms: 2,
      maxMs: 5,
    },
  ];
  const joined = joinTapFlows(rows, metric, {});
  assert.deepEqual(
    joined.map((r) => `${r.client} ${r.api} ${r.topic || "-"} ${r.group ?? ""} ${r.count} ${r.recordsPerSec ?? "-"}`),
    [
      "p Produce orders  4 100",
      "c Fetch orders billing 2 90",
      "c Fetch payments  1 -",
      "c Heartbeat - billing 1 -",
      "q Produce audit  0 5",
    ],
  );
  assert.equal(joined[4].bestMs, null);
  assert.deepEqual(
    joinTapFlows(rows, metric, { group: "billing" }).map((r) => `${r.api} ${r.topic}`),
    ["Fetch orders", "Heartbeat "],
  );
  assert.equal(joinTapFlows(rows, metric, {}, 2).length, 2);
});

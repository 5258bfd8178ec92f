// The topology against the demo system (examples/demo/system.ts): a real Kafka 4.1 broker, real
// services with kafkajs and Node's http, one `kscope proxy` per service, a real Prometheus.
// Asserts the exact nodes and edges, rates against what the services counted, audit's lag
// against kafka-consumer-groups --describe, delivery latency against the services' own
// measurement (receive time − the send time stamped in each record), HTTP rates and errors
// against what loadgen sent and payments refused, and that the graph from Prometheus equals the
// one from the proxies' admin APIs.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { CLI } from "../support/kscope";
import { freePort } from "../support/ports";
import { resolveSource } from "../../host/cli/common";
import { AdminSource } from "../../host/cli/admin-source";
import { PromSource } from "../../host/cli/prom-source";
import { buildTopology } from "../../host/topology/build";
import { TopologyEdge, TopologyGraph } from "../../host/topology/graph";
import { DELIVERY_BUCKETS } from "../../host/metrics/store";
import { Demo, NAMESPACE, Service, TOPIC, startDemo } from "../../examples/demo/system";
import * as M from "../../vocabulary/metrics";

const WINDOW = 30;
const RATE = 10;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let demo: Demo;

before(async () => {
  demo = await startDemo({ rate: RATE, auditDelayMs: 250, paymentsFailEvery: 20 });
  await demo.prometheus.waitForScrapes(3, 60_000);
  // audit must have fallen behind for LAGGING (lag grew over the window, oldest record ≥ 10 s old).
  await sleep(40_000);
});

after(async () => {
  await demo?.stop();
});

/** Per-second growth of a counter a service reports on its STATUS lines, over the last `seconds`. */
function serviceRate(s: Service, field: string, seconds = WINDOW): number {
  const all = s.statuses();
  const end = all.at(-1)!;
  const start = all.find((x) => (x.t as number) >= (end.t as number) - seconds * 1000)!;
  return ((end[field] as number) - (start[field] as number)) / (((end.t as number) - (start.t as number)) / 1000);
}

/** The latencies a consumer measured itself over the last `seconds`. */
function measured(services: Service[], seconds = WINDOW): number[] {
  const since = Date.now() - seconds * 1000;
  return services
    .flatMap((s) =>
      s
        .statuses()
        .filter((x) => (x.t as number) >= since)
        .flatMap((x) => x.latencies as number[]),
    )
    .sort((a, b) => a - b);
}
const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
const bucketOf = (ms: number) => DELIVERY_BUCKETS.findIndex((b) => ms <= b);

const near = (v: number | undefined, want: number, tol: number, what: string) =>
  assert.ok(v !== undefined && Math.abs(v - want) <= want * tol, `${what}: ${v} not within ${tol * 100}% of ${want}`);

const w = (name: string) => `workload:${NAMESPACE}/${name}`;
const edge = (g: TopologyGraph, id: string): TopologyEdge => {
  const e = g.edges.find((x) => x.id === id);
  assert.ok(e, `edge ${id} in ${g.edges.map((x) => x.id).join(", ")}`);
  return e;
};

/**
 * The union of the graphs of several proxies: each sees its own service's edges, except that an
 * HTTP call is seen by the caller's proxy and the callee's (compared below, through Prometheus,
 * where both are evaluated over the same instants).
 */
function union(graphs: TopologyGraph[]): { nodes: string[]; edges: Map<string, TopologyEdge> } {
  const nodes = new Set<string>(),
    edges = new Map<string, TopologyEdge>();
  for (const g of graphs) {
    g.nodes.forEach((n) => nodes.add(n.id));
    for (const e of g.edges) {
      if (edges.has(e.id)) assert.equal(e.kind, "http", `${e.id} reported by two proxies`);
      else edges.set(e.id, e);
    }
  }
  return { nodes: [...nodes].sort(), edges };
}

test("the demo's graph: exact nodes and edges, rates, group states, delivery latency; Prometheus equals the admin APIs", async (t) => {
  const fromProm = await buildTopology(new PromSource(demo.prometheus.url, WINDOW));
  const proxies = [...Object.values(demo.kafkaProxies), ...Object.values(demo.httpProxies)];
  const fromAdmins = union(await Promise.all(proxies.map((k) => buildTopology(new AdminSource(k.admin, WINDOW)))));

  const nodes = ["group:audit", "group:billing", `topic:${TOPIC}`, w("audit"), w("billing"), w("loadgen"), w("payments"), w("web")].sort();
  const edges = [
    `consume:topic:${TOPIC}->group:audit`,
    `consume:topic:${TOPIC}->group:billing`,
    `http:${w("billing")}->${w("payments")}`,
    `http:${w("loadgen")}->${w("web")}`,
    `member:group:audit->${w("audit")}`,
    `member:group:billing->${w("billing")}`,
    `produce:${w("web")}->topic:${TOPIC}`,
  ].sort();
  assert.deepEqual(
    fromProm.nodes.map((n) => n.id),
    nodes,
  );
  assert.deepEqual(
    fromProm.edges.map((e) => e.id),
    edges,
  );
  assert.deepEqual(fromAdmins.nodes, nodes);
  assert.deepEqual([...fromAdmins.edges.keys()].sort(), edges);

  const web = demo.services.web,
    billing = [demo.services.billing1, demo.services.billing2],
    audit = demo.services.audit;
  const produced = serviceRate(web, "produced");
  near(produced, RATE, 0.2, "web produced (its own count) vs the load driven");
  const billed = billing.reduce((s, b) => s + serviceRate(b, "received"), 0);
  const audited = serviceRate(audit, "received");
  const called = serviceRate(demo.services.loadgen, "sent");
  const paid = serviceRate(demo.services.payments, "requests"),
    refused = serviceRate(demo.services.payments, "failed");
  for (const [name, g] of [
    ["prometheus", fromProm],
    ["admin", { edges: [...fromAdmins.edges.values()] } as TopologyGraph],
  ] as const) {
    const lw = edge(g, `http:${w("loadgen")}->${w("web")}`).stats;
    const p0 = edge(g, `produce:${w("web")}->topic:${TOPIC}`).stats,
      a0 = edge(g, `consume:topic:${TOPIC}->group:audit`).stats;
    t.diagnostic(
      `${name}: loadgen→web ${lw.rps?.toFixed(2)} req/s (loadgen sent ${called.toFixed(2)}/s); web→orders ${p0.recordsPerSec?.toFixed(2)} rec/s (web produced ${produced.toFixed(2)}/s); ` +
        `billing→payments ${edge(g, `http:${w("billing")}->${w("payments")}`).stats.errorPct?.toFixed(2)}% errors (payments refused ${((100 * refused) / paid).toFixed(2)}%); audit ${a0.recordsPerSec?.toFixed(2)} rec/s (audit received ${audited.toFixed(2)}/s), lag ${a0.lagRecords} (${a0.lagSeconds} s)`,
    );
    near(lw.rps, called, 0.15, `${name}: http loadgen → web req/s`);
    assert.equal(lw.errorPct, 0, `${name}: loadgen → web errors`);
    assert.ok(lw.p50Ms! > 0 && lw.p50Ms! <= lw.p99Ms!, `${name}: loadgen → web latency ${lw.p50Ms}/${lw.p99Ms}`);
    const bp = edge(g, `http:${w("billing")}->${w("payments")}`).stats;
    near(bp.rps, paid, 0.15, `${name}: http billing → payments req/s`);
    assert.ok(
      Math.abs(bp.errorPct! - (100 * refused) / paid) <= 2,
      `${name}: billing → payments errors ${bp.errorPct}% vs payments' own ${(100 * refused) / paid}%`,
    );
    const p = edge(g, `produce:${w("web")}->topic:${TOPIC}`).stats;
    near(p.recordsPerSec, produced, 0.15, `${name}: produce web → orders records/s`);
    assert.equal(p.errorPct, 0, `${name}: produce errors`);
    assert.ok(p.bytesPerSec! > p.recordsPerSec! * 20, `${name}: produce bytes/s ${p.bytesPerSec}`);
    assert.ok(p.p99Ms! > 0, `${name}: produce p99`);
    const b = edge(g, `consume:topic:${TOPIC}->group:billing`).stats;
    near(b.recordsPerSec, billed, 0.15, `${name}: consume orders → billing records/s`);
    assert.equal(b.state, "OK", `${name}: billing keeps up: ${JSON.stringify(b)}`);
    const a = edge(g, `consume:topic:${TOPIC}->group:audit`).stats;
    near(a.recordsPerSec, audited, 0.3, `${name}: consume orders → audit records/s`);
    assert.equal(a.state, "LAGGING", `${name}: audit lags: ${JSON.stringify(a)}`);
    assert.ok(a.lagRecords! > RATE * 10 && a.lagSeconds! >= 10, `${name}: audit lag ${a.lagRecords} records, ${a.lagSeconds} s`);
    near(edge(g, `member:group:billing->${w("billing")}`).stats.recordsPerSec, billed, 0.15, `${name}: billing member records/s`);
  }
  assert.equal(fromProm.nodes.find((n) => n.id === "group:audit")!.state, "LAGGING");

  // Both ends of each HTTP call count it alike: the caller's proxy (reporter source) and the callee's.
  for (const [from, to] of [
    ["loadgen", "web"],
    ["billing", "payments"],
  ]) {
    const byReporter = await demo.prometheus.query(
      `sum by (reporter) (rate(${M.httpRequests}{source_workload="${from}",destination_workload="${to}"}[${WINDOW}s]))`,
    );
    const rps = Object.fromEntries(byReporter.map((r) => [r.metric.reporter, Number(r.value[1])]));
    near(rps.destination, rps.source, 0.1, `${from} → ${to}: the callee's proxy counts what the caller's counted (${JSON.stringify(rps)})`);
  }

  // Delivery latency: kscope's histogram (record batch timestamp → Fetch response) against what
  // billing measured itself (record's send time → its handler); both in the same or next bucket.
  const own = measured(billing);
  assert.ok(own.length > WINDOW * RATE * 0.5, `billing measured ${own.length} records`);
  const b = edge(fromProm, `consume:topic:${TOPIC}->group:billing`).stats;
  for (const [q, kscope] of [
    [0.5, b.deliveryP50Ms],
    [0.99, b.deliveryP99Ms],
  ] as const) {
    const mine = quantile(own, q);
    t.diagnostic(`delivery p${q * 100}: kscope ${kscope?.toFixed(1)} ms, billing's own ${mine} ms`);
    assert.ok(
      kscope !== undefined && Math.abs(bucketOf(kscope) - bucketOf(mine)) <= 1,
      `delivery p${q * 100}: kscope ${kscope} ms, billing measured ${mine} ms (buckets ${DELIVERY_BUCKETS.join(",")})`,
    );
  }

  // The CLI as a user runs it, its source from the environment: the paths, and JSON = the graph.
  const cli = (args: string[]) =>
    execFileSync(process.execPath, [CLI, ...args], { encoding: "utf8", env: { ...process.env, KSCOPE_PROMETHEUS: demo.prometheus.url } });
  const lines = cli(["topology", "-t", `${WINDOW}s`])
    .split("\n")
    .map((l) => l.replace(/ ─\(.*?\)→ /g, " → "));
  assert.ok(
    lines.includes(`loadgen → web → [${TOPIC}] → (billing) → payments`) && lines.includes(`loadgen → web → [${TOPIC}] → (audit) LAGGING`),
    lines.join("\n"),
  );
  const json = JSON.parse(cli(["topology", "-t", `${WINDOW}s`, "-o", "json"])) as TopologyGraph;
  assert.deepEqual(
    json.edges.map((e) => e.id),
    edges,
  );
  assert.match(cli(["topology", "-o", "dot", "--group", "billing"]), /"topic:orders" -> "group:billing"/);

  // With no source given and no proxy at the default admin address, the CLI finds the Prometheus.
  const saved = process.env.KSCOPE_PROMETHEUS;
  delete process.env.KSCOPE_PROMETHEUS;
  try {
    const nobody = `http://127.0.0.1:${await freePort()}`;
    const found = await resolveSource({ window: "20s", output: "table" }, { admin: nobody, prometheus: demo.prometheus.url });
    assert.equal(found.describe, `prometheus ${demo.prometheus.url}`);
    const first = await resolveSource(
      { window: "20s", output: "table" },
      { admin: demo.kafkaProxies.web.admin, prometheus: demo.prometheus.url },
    );
    assert.equal(first.describe, `admin ${demo.kafkaProxies.web.admin}`, "a proxy at the default admin address comes first");
  } finally {
    if (saved !== undefined) process.env.KSCOPE_PROMETHEUS = saved;
  }

  // The admin API serves the same graph the CLI builds from that proxy's history.
  const billingProxy = demo.kafkaProxies.billing;
  const served = (await (await fetch(`${billingProxy.admin}/api/topology?window=${WINDOW}`)).json()) as TopologyGraph;
  assert.deepEqual(
    served.edges.map((e) => e.id),
    [`consume:topic:${TOPIC}->group:billing`, `member:group:billing->${w("billing")}`],
  );
  assert.equal(served.windowSeconds, WINDOW);
});

test("audit's lag in the graph equals kafka-consumer-groups --describe once the load stops", async (t) => {
  await demo.services.loadgen.stop();
  await sleep(4000); // audit fetches the last records' high watermark
  await demo.services.audit.stop(); // leaves the group, committing what it processed
  await sleep(3000); // one more scrape
  const rows = await demo.broker.describeGroup("audit");
  const lag = rows.filter((r) => r.topic === TOPIC).reduce((s, r) => s + (r.lag ?? 0), 0);
  assert.ok(lag > 0, `describe: ${JSON.stringify(rows)}`);
  const fromProm = edge(await buildTopology(new PromSource(demo.prometheus.url, WINDOW)), `consume:topic:${TOPIC}->group:audit`).stats;
  const fromAdmin = edge(
    await buildTopology(new AdminSource(demo.kafkaProxies.audit.admin, WINDOW)),
    `consume:topic:${TOPIC}->group:audit`,
  ).stats;
  t.diagnostic(`audit lag: describe ${lag}, admin ${fromAdmin.lagRecords}, prometheus ${fromProm.lagRecords}`);
  assert.equal(fromAdmin.lagRecords, lag, `admin: lag ${fromAdmin.lagRecords} vs describe ${lag}`);
  assert.equal(fromProm.lagRecords, lag, `prometheus: lag ${fromProm.lagRecords} vs describe ${lag}`);
});

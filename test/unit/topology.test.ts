// The topology builder and its renderings against one fixed window: no broker, no network.
// (The real system, proxies and Prometheus are in test/integration/topology.test.ts.)
import { test } from "node:test";
import assert from "node:assert/strict";
import { WindowSample } from "../../host/history";
import { WindowSource } from "../../host/cli/admin-source";
import { buildTopology, narrow } from "../../host/topology/build";
import { paths, renderDot, renderEdges, renderMermaid, renderPaths } from "../../host/topology/render";
import { colours } from "../../host/cli/format";
import * as M from "../../vocabulary/metrics";

type Labels = Record<string, string>;
const ctr = (name: string, labels: Labels, v0: number, v1: number): WindowSample => ({ name, labels, kind: "counter", v0, v1 });
const gauge = (name: string, labels: Labels, v0: number, v1: number): WindowSample => ({ name, labels, kind: "gauge", v0, v1 });
/** A histogram whose `n` observations in the window all fall in (lo, le]. */
const hist = (name: string, labels: Labels, bounds: number[], le: number, n: number): WindowSample[] =>
  [...bounds, Infinity].map((b) => ctr(`${name}_bucket`, { ...labels, le: b === Infinity ? "+Inf" : String(b) }, 0, b >= le ? n : 0));
const US = [1000, 2000, 5000, 10000, 100000];
const MS = [1, 10, 50, 100, 1000];

const web = { workload: "web", namespace: "shop" };
const billing = { workload: "billing", namespace: "shop" };
const http = (reporter: string, src: string, dst: string, extra: Labels = {}): Labels => ({
  reporter,
  source_workload: src,
  source_workload_namespace: "shop",
  destination_workload: dst,
  destination_workload_namespace: "shop",
  method: "POST",
  ...extra,
});

// 10 s window: loadgen → web 10 req/s (both proxies report it), web produces 10 rec/s to orders,
// billing (two workloads billing) reads it, audit lags and stops, billing → payments 10 req/s,
// 1 of them 503; Istio reports a call web → inventory, Linkerd inventory → stock.
const samples: WindowSample[] = [
  ctr(M.httpRequests, http("source", "loadgen", "web", { response_code: "200", response_class: "2xx" }), 0, 100),
  ctr(M.httpRequests, http("destination", "loadgen", "web", { response_code: "200", response_class: "2xx" }), 0, 100),
  ...hist(M.httpDuration, http("source", "loadgen", "web"), US, 5000, 100),
  ...hist(M.httpDuration, http("destination", "loadgen", "web"), US, 1000, 100),
  ctr(M.httpRequests, http("destination", "billing", "payments", { response_code: "200", response_class: "2xx" }), 0, 90),
  ctr(M.httpRequests, http("destination", "billing", "payments", { response_code: "503", response_class: "5xx" }), 0, 10),
  ...hist(M.httpDuration, http("destination", "billing", "payments"), US, 2000, 100),
  ctr(
    "istio_requests_total",
    {
      reporter: "source",
      source_workload: "web",
      source_workload_namespace: "shop",
      destination_workload: "inventory",
      destination_workload_namespace: "shop",
      response_code: "200",
    },
    0,
    40,
  ),
  ctr(
    "istio_requests_total",
    {
      reporter: "source",
      source_workload: "web",
      source_workload_namespace: "shop",
      destination_workload: "inventory",
      destination_workload_namespace: "shop",
      response_code: "200",
      grpc_response_status: "14",
    },
    0,
    10,
  ),
  ctr(
    "istio_requests_total",
    {
      reporter: "destination",
      source_workload: "web",
      source_workload_namespace: "shop",
      destination_workload: "inventory",
      destination_workload_namespace: "shop",
      response_code: "200",
    },
    0,
    50,
  ),
  ...hist(
    "istio_request_duration_milliseconds",
    {
      reporter: "source",
      source_workload: "web",
      source_workload_namespace: "shop",
      destination_workload: "inventory",
      destination_workload_namespace: "shop",
    },
    MS,
    10,
    50,
  ),
  ctr(
    "response_total",
    {
      direction: "outbound",
      deployment: "inventory",
      namespace: "shop",
      dst_deployment: "stock",
      dst_namespace: "shop",
      classification: "success",
      status_code: "200",
    },
    0,
    30,
  ),
  ctr(
    "response_total",
    {
      direction: "outbound",
      deployment: "inventory",
      namespace: "shop",
      dst_deployment: "stock",
      dst_namespace: "shop",
      classification: "failure",
      status_code: "500",
    },
    0,
    10,
  ),
  ctr(
    "response_total",
    { direction: "inbound", deployment: "stock", namespace: "shop", classification: "success", status_code: "200" },
    0,
    40,
  ),
  ctr(M.producedRecords, { ...web, topic: "orders", client_id: "web-1", compression: "none" }, 0, 100),
  ctr(M.producedBytes, { ...web, topic: "orders", client_id: "web-1", compression: "none" }, 0, 10240),
  ctr(M.producedBatches, { ...web, topic: "orders", client_id: "web-1", compression: "none" }, 0, 100),
  ...hist(M.requestDuration, { ...web, api: "Produce" }, US, 2000, 100),
  ctr(M.fetchedRecords, { ...billing, topic: "orders", group: "billing", client_id: "billing-1" }, 0, 60),
  ctr(M.fetchedRecords, { ...billing, topic: "orders", group: "billing", client_id: "billing-2" }, 0, 40),
  ctr(M.fetchedBytes, { ...billing, topic: "orders", group: "billing", client_id: "billing-1" }, 0, 10240),
  gauge(M.committedOffset, { ...billing, group: "billing", topic: "orders", partition: "0" }, 0, 100),
  gauge(M.lagRecords, { ...billing, group: "billing", topic: "orders", partition: "0" }, 0, 0),
  ...hist(M.deliveryLatency, { ...billing, topic: "orders", group: "billing" }, MS, 50, 100),
  gauge(M.committedOffset, { workload: "audit", namespace: "shop", group: "audit", topic: "orders", partition: "0" }, 5, 5),
  gauge(M.lagRecords, { workload: "audit", namespace: "shop", group: "audit", topic: "orders", partition: "0" }, 95, 195),
  gauge(M.lagSeconds, { workload: "audit", namespace: "shop", group: "audit", topic: "orders", partition: "0" }, 10, 20),
  // A producer no proxy could name.
  ctr(M.producedRecords, { topic: "orders", client_id: "script", compression: "none" }, 0, 10),
];

const source = () => new WindowSource("test", 10, () => Promise.resolve({ seconds: 10, start: 0, end: 10_000, samples }));

test("topology: nodes and edges of every kind, with their numbers", async () => {
  const g = await buildTopology(source());
  assert.deepEqual(
    g.nodes.map((n) => n.id),
    [
      "group:audit",
      "group:billing",
      "topic:orders",
      "unknown",
      "workload:shop/audit",
      "workload:shop/billing",
      "workload:shop/inventory",
      "workload:shop/loadgen",
      "workload:shop/payments",
      "workload:shop/stock",
      "workload:shop/web",
    ],
  );
  const e = new Map(g.edges.map((x) => [x.id, x.stats]));
  assert.deepEqual(
    [...e.keys()],
    [
      "consume:topic:orders->group:audit",
      "consume:topic:orders->group:billing",
      "http:workload:shop/billing->workload:shop/payments",
      "http:workload:shop/inventory->workload:shop/stock",
      "http:workload:shop/loadgen->workload:shop/web",
      "http:workload:shop/web->workload:shop/inventory",
      "member:group:audit->workload:shop/audit",
      "member:group:billing->workload:shop/billing",
      "produce:unknown->topic:orders",
      "produce:workload:shop/web->topic:orders",
    ],
  );
  // kscope HTTP: reported twice, counted once (the caller's proxy), its latency.
  const lw = e.get("http:workload:shop/loadgen->workload:shop/web")!;
  assert.equal(lw.rps, 10);
  assert.equal(lw.errorPct, 0);
  assert.ok(lw.p99Ms! > 2 && lw.p99Ms! <= 5, `p99 ${lw.p99Ms} from the source reporter's (2,5] ms bucket`);
  const bp = e.get("http:workload:shop/billing->workload:shop/payments")!;
  assert.deepEqual([bp.rps, bp.errorPct], [10, 10]);
  // Istio: reporter=source, a gRPC UNAVAILABLE inside a 200 is an error.
  const wi = e.get("http:workload:shop/web->workload:shop/inventory")!;
  assert.deepEqual([wi.rps, wi.errorPct], [5, 20]);
  assert.ok(wi.p99Ms! > 1 && wi.p99Ms! <= 10);
  // Linkerd: outbound only; classification=failure.
  assert.deepEqual(
    [e.get("http:workload:shop/inventory->workload:shop/stock")!.rps, e.get("http:workload:shop/inventory->workload:shop/stock")!.errorPct],
    [4, 25],
  );
  const p = e.get("produce:workload:shop/web->topic:orders")!;
  assert.deepEqual([p.recordsPerSec, p.bytesPerSec, p.errorPct], [10, 1024, 0]);
  assert.ok(p.p99Ms! > 1 && p.p99Ms! <= 2);
  const b = e.get("consume:topic:orders->group:billing")!;
  assert.deepEqual([b.recordsPerSec, b.lagRecords, b.state], [10, 0, "OK"]);
  assert.ok(b.deliveryP50Ms! > 10 && b.deliveryP99Ms! <= 50, `delivery ${b.deliveryP50Ms}/${b.deliveryP99Ms}`);
  const a = e.get("consume:topic:orders->group:audit")!;
  assert.deepEqual([a.recordsPerSec, a.lagRecords, a.lagSeconds, a.state], [0, 195, 20, "STOPPED"]);
  assert.equal(g.nodes.find((n) => n.id === "group:audit")!.state, "STOPPED");
  assert.equal(e.get("member:group:billing->workload:shop/billing")!.recordsPerSec, 10);
  assert.equal(e.get("produce:unknown->topic:orders")!.recordsPerSec, 1);
});

test("topology: filters keep the paths through a node", async () => {
  const g = await buildTopology(source());
  const payments = narrow(g, { workload: "payments" });
  assert.deepEqual(payments.edges.map((x) => x.id).sort(), [
    "consume:topic:orders->group:billing",
    "http:workload:shop/billing->workload:shop/payments",
    "http:workload:shop/loadgen->workload:shop/web",
    "member:group:billing->workload:shop/billing",
    "produce:unknown->topic:orders",
    "produce:workload:shop/web->topic:orders",
  ]);
  assert.equal(narrow(g, { namespace: "elsewhere" }).edges.length, 0);
  assert.ok(narrow(g, { topic: "orders" }).edges.some((x) => x.id === "member:group:audit->workload:shop/audit"));
  assert.deepEqual(
    narrow(g, { group: "audit" })
      .edges.map((x) => x.id)
      .sort(),
    [
      "consume:topic:orders->group:audit",
      "http:workload:shop/loadgen->workload:shop/web",
      "member:group:audit->workload:shop/audit",
      "produce:unknown->topic:orders",
      "produce:workload:shop/web->topic:orders",
    ],
  );
});

test("topology: paths, edges table, DOT and Mermaid", async () => {
  const g = await buildTopology(source());
  const lines = renderPaths(g, colours(false)).split("\n");
  const bare = lines.map((l) => l.replace(/ ─\(.*?\)→ /g, " → "));
  assert.ok(bare.includes("loadgen → web → [orders] → (billing) → payments"), bare.join("\n"));
  assert.ok(bare.includes("loadgen → web → [orders] → (audit) STOPPED"), bare.join("\n"));
  assert.ok(bare.includes("unknown → [orders] → (billing) → payments"));
  assert.ok(bare.includes("loadgen → web → inventory → stock"));
  assert.match(
    lines.find((l) => l.startsWith("loadgen") && l.includes("(billing)"))!,
    /─\(10 req\/s 0% err p99 [\d.]+ms\)→ web ─\(10 rec\/s 1\.0KiB\/s p99 [\d.]+ms\)→ \[orders\] ─\(10 rec\/s lag 0 delivery p50 [\d.]+ms p99 [\d.]+ms\)→ \(billing\) ─\(10 req\/s 10% err p99 [\d.]+ms\)→ payments/,
  );
  assert.equal(paths(g).length, lines.length);
  const table = renderEdges(g, colours(false));
  assert.match(table, /^FROM\s+TO\s+KIND\s+RATE\s+BYTES\s+ERRORS\s+P99\s+LAG\s+STATE$/m);
  assert.match(table, /^orders\s+→\s+audit\s+consume\s+0 rec\/s\s+0B\/s\s+-\s+-\s+195\s+STOPPED$/m);
  const dot = renderDot(g);
  assert.match(dot, /^digraph kscope \{/);
  assert.match(dot, /"topic:orders" -> "group:billing" \[label="10 rec\/s lag 0 delivery/);
  const mm = renderMermaid(g);
  assert.match(mm, /^flowchart LR/);
  assert.equal(mm.split("\n").filter((l) => l.includes("-->") || l.includes("-.->")).length, g.edges.length);
});

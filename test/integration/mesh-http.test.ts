// The topology's HTTP readers for meshes without kscope's HTTP filter, against a real Prometheus:
// a small exposition server serves series in Istio's format (istio_requests_total and
// istio_request_duration_milliseconds, https://istio.io/latest/docs/reference/config/metrics/)
// and in Linkerd's (response_total and response_latency_ms with the labels Linkerd's Prometheus
// adds from pod metadata, https://linkerd.io/2/reference/proxy-metrics/), growing at known rates;
// Prometheus scrapes it, and the graph built from Prometheus must show those rates.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { AddressInfo } from "node:net";
import { PromSource } from "../../host/cli/prom-source";
import { buildTopology } from "../../host/topology/build";
import { Prometheus, startPrometheus } from "../support/prometheus";

const t0 = Date.now();
const elapsed = () => (Date.now() - t0) / 1000;

interface Family {
  name: string;
  type: "counter" | "histogram";
  series: { labels: Record<string, string>; perSec: number; /** histogram: every observation falls in (.., le] */ le?: number }[];
  buckets?: number[];
}

const ISTIO_BUCKETS = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000];
const LINKERD_BUCKETS = [
  1, 2, 3, 4, 5, 10, 20, 30, 40, 50, 100, 200, 300, 400, 500, 1000, 2000, 3000, 4000, 5000, 10000, 20000, 30000, 40000, 50000,
];

/** What an Istio sidecar pair reports for loadgen → web: every request twice (source and destination reporter). */
function istioLabels(reporter: string, code: string): Record<string, string> {
  return {
    reporter,
    source_workload: "loadgen",
    source_workload_namespace: "shop",
    source_canonical_service: "loadgen",
    source_principal: "spiffe://cluster.local/ns/shop/sa/loadgen",
    source_app: "loadgen",
    source_version: "unknown",
    source_cluster: "Kubernetes",
    destination_workload: "web",
    destination_workload_namespace: "shop",
    destination_service: "web.shop.svc.cluster.local",
    destination_service_name: "web",
    destination_service_namespace: "shop",
    destination_canonical_service: "web",
    destination_principal: "spiffe://cluster.local/ns/shop/sa/web",
    destination_app: "web",
    destination_version: "v1",
    destination_cluster: "Kubernetes",
    request_protocol: "http",
    response_code: code,
    grpc_response_status: "",
    response_flags: "-",
    connection_security_policy: reporter === "destination" ? "mutual_tls" : "unknown",
  };
}

/** Linkerd's outbound side of web → payments (the inbound side has no dst_* labels). */
function linkerdLabels(direction: string, code: string, classification: string): Record<string, string> {
  const common = {
    direction,
    namespace: "shop",
    pod: direction === "outbound" ? "web-5d8f7c9b4-x2k7q" : "payments-6c5b7d8f9-q8w2e",
    deployment: direction === "outbound" ? "web" : "payments",
    status_code: code,
    classification,
    tls: "true",
    error: "",
    grpc_status: "",
  };
  if (direction === "inbound")
    return {
      ...common,
      client_id: "web.shop.serviceaccount.identity.linkerd.cluster.local",
      srv_kind: "default",
      srv_name: "all-unauthenticated",
    };
  return {
    ...common,
    authority: "payments.shop.svc.cluster.local:8080",
    dst_control_plane_ns: "linkerd",
    dst_deployment: "payments",
    dst_namespace: "shop",
    dst_pod: "payments-6c5b7d8f9-q8w2e",
    dst_pod_template_hash: "6c5b7d8f9",
    dst_service: "payments",
    dst_serviceaccount: "payments",
    server_id: "payments.shop.serviceaccount.identity.linkerd.cluster.local",
  };
}

const FAMILIES: Family[] = [
  {
    name: "istio_requests_total",
    type: "counter",
    series: [
      { labels: istioLabels("source", "200"), perSec: 7.2 },
      { labels: istioLabels("source", "503"), perSec: 0.8 },
      { labels: istioLabels("destination", "200"), perSec: 7.2 },
      { labels: istioLabels("destination", "503"), perSec: 0.8 },
    ],
  },
  {
    name: "istio_request_duration_milliseconds",
    type: "histogram",
    buckets: ISTIO_BUCKETS,
    series: [
      { labels: istioLabels("source", "200"), perSec: 8, le: 25 },
      { labels: istioLabels("destination", "200"), perSec: 8, le: 10 },
    ],
  },
  {
    name: "response_total",
    type: "counter",
    series: [
      { labels: linkerdLabels("outbound", "200", "success"), perSec: 4 },
      { labels: linkerdLabels("outbound", "500", "failure"), perSec: 1 },
      { labels: linkerdLabels("inbound", "200", "success"), perSec: 4 },
      { labels: linkerdLabels("inbound", "500", "failure"), perSec: 1 },
    ],
  },
  {
    name: "response_latency_ms",
    type: "histogram",
    buckets: LINKERD_BUCKETS,
    series: [{ labels: linkerdLabels("outbound", "200", "success"), perSec: 5, le: 30 }],
  },
];

const fmtLabels = (l: Record<string, string>) =>
  `{${Object.entries(l)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(",")}}`;

function exposition(): string {
  const s = elapsed();
  const out: string[] = [];
  for (const f of FAMILIES) {
    out.push(`# TYPE ${f.name} ${f.type}`);
    for (const x of f.series) {
      const n = Math.floor(x.perSec * s);
      if (f.type === "counter") {
        out.push(`${f.name}${fmtLabels(x.labels)} ${n}`);
        continue;
      }
      for (const b of f.buckets!) out.push(`${f.name}_bucket${fmtLabels({ ...x.labels, le: String(b) })} ${b >= x.le! ? n : 0}`);
      out.push(`${f.name}_bucket${fmtLabels({ ...x.labels, le: "+Inf" })} ${n}`);
      out.push(`${f.name}_sum${fmtLabels(x.labels)} ${n * x.le!}`, `${f.name}_count${fmtLabels(x.labels)} ${n}`);
    }
  }
  return out.join("\n") + "\n";
}

let server: http.Server;
let prom: Prometheus;

before(async () => {
  server = http.createServer((_req, res) => res.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end(exposition()));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  prom = await startPrometheus([{ address: `127.0.0.1:${(server.address() as AddressInfo).port}` }]);
  await prom.waitForScrapes(12, 60_000);
});

after(async () => {
  await prom?.stop();
  server?.close();
});

const near = (v: number | undefined, want: number, tol: number, what: string) =>
  assert.ok(v !== undefined && Math.abs(v - want) <= want * tol, `${what}: ${v} not within ${tol * 100}% of ${want}`);

test("Istio and Linkerd series scraped by Prometheus become HTTP edges with their rates, errors and latency", async () => {
  const g = await buildTopology(new PromSource(prom.url, 10));
  assert.deepEqual(
    g.nodes.map((n) => n.id),
    ["workload:shop/loadgen", "workload:shop/payments", "workload:shop/web"],
  );
  assert.deepEqual(
    g.edges.map((e) => e.id),
    ["http:workload:shop/loadgen->workload:shop/web", "http:workload:shop/web->workload:shop/payments"],
  );
  const [istio, linkerd] = g.edges.map((e) => e.stats);
  // Istio: both reporters saw each request; counted once, from the source reporter (its latency too).
  near(istio.rps, 8, 0.15, "istio rps");
  near(istio.errorPct, 10, 0.2, "istio 5xx %");
  assert.ok(
    istio.p50Ms! > 10 && istio.p50Ms! <= 25 && istio.p99Ms! > 10 && istio.p99Ms! <= 25,
    `istio latency from the source reporter's (10,25] bucket: ${istio.p50Ms}/${istio.p99Ms}`,
  );
  // Linkerd: outbound only (inbound has no destination), failures by classification.
  near(linkerd.rps, 5, 0.15, "linkerd rps");
  near(linkerd.errorPct, 20, 0.2, "linkerd failure %");
  assert.ok(linkerd.p99Ms! > 20 && linkerd.p99Ms! <= 30, `linkerd p99 in (20,30]: ${linkerd.p99Ms}`);
});

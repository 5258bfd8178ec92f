// kscope's HTTP filter (root_id kscope_http) in two real Envoys, as a caller's and a callee's
// proxy: client ──► Envoy "web" (reporter source) ──► Envoy "payments" (reporter destination) ──►
// a Node http service. Both count exactly the requests the client sent, per status class, with
// both ends named through the x-kscope-* header exchange (examples/envoy/envoy-http.yaml).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Envoy, parsePrometheus, renderHttpConfig, startEnvoy, sumSamples, type Sample } from "../support/envoy";
import { HTTP_PLAN, drive, send, startHttpService, type HttpService } from "../support/http-service";
import { startKscope } from "../support/kscope";

let service: HttpService;
let web: Envoy;
let payments: Envoy;

before(async () => {
  service = await startHttpService();
  payments = await startEnvoy({
    name: "envoy-payments",
    upstream: service.address,
    render: (listenPort, adminPort) => renderHttpConfig({ listenPort, adminPort, upstream: service.address }),
  });
  web = await startEnvoy({
    name: "envoy-web",
    upstream: `127.0.0.1:${payments.listenPort}`,
    render: (listenPort, adminPort) =>
      renderHttpConfig({
        listenPort,
        adminPort,
        upstream: `127.0.0.1:${payments.listenPort}`,
        // No "reporter": an OUTBOUND listener (as Istio marks a sidecar's outbound ones) makes it "source".
        pluginConfig: { workload: "web", namespace: "shop" },
        trafficDirection: "OUTBOUND",
      }),
  });
});

after(async () => {
  await web?.stop();
  await payments?.stop();
  await service?.close();
});

/** kscope_http_requests_total of one reporter with source web, by ends, method, code, class and gRPC status. */
function view(m: Sample[], reporter: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of m.filter(
    (x) => x.name === "kscope_http_requests_total" && x.labels.reporter === reporter && x.labels.source_workload === "web",
  )) {
    const { method, response_code, response_class, grpc_status = "", source_workload, destination_workload } = s.labels;
    const k = [source_workload, destination_workload, method, response_code, response_class, grpc_status].join(" ");
    out[k] = (out[k] ?? 0) + s.value;
  }
  return out;
}

/** Envoy's view right after one run of the plan, by reporter (compared with the host's). */
const envoyAfterPlan = new Map<string, Record<string, number>>();

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function settled(e: Envoy, total: number): Promise<Sample[]> {
  for (let i = 0; ; i++) {
    const m = parsePrometheus(await e.prometheus());
    if (sumSamples(m, "kscope_http_requests_total") >= total || i > 50) return m;
    await sleep(200);
  }
}

function expected(): Map<string, number> {
  const byClass = new Map<string, number>();
  for (const [, path, n] of HTTP_PLAN) {
    const code = path.startsWith("/grpc") ? "200" : path.split("/")[2];
    byClass.set(`${code[0]}xx`, (byClass.get(`${code[0]}xx`) ?? 0) + n);
  }
  return byClass;
}

test("both proxies count what the client sent, per status class, with source web and destination payments", async () => {
  await drive(web.listenPort);
  const total = HTTP_PLAN.reduce((a, [, , n]) => a + n, 0);
  for (const [e, reporter] of [
    [web, "source"],
    [payments, "destination"],
  ] as const) {
    const m = await settled(e, total);
    const ends = {
      reporter,
      source_workload: "web",
      source_workload_namespace: "shop",
      destination_workload: "payments",
      destination_workload_namespace: "shop",
    };
    assert.equal(sumSamples(m, "kscope_http_requests_total", ends), total, `${reporter}: all requests with both ends named`);
    for (const [cls, n] of expected())
      assert.equal(sumSamples(m, "kscope_http_requests_total", { ...ends, response_class: cls }), n, `${reporter} ${cls}`);
    assert.equal(sumSamples(m, "kscope_http_requests_total", { ...ends, method: "POST" }), 3, `${reporter} POST`);
    assert.equal(sumSamples(m, "kscope_http_requests_total", { ...ends, response_code: "404" }), 3, `${reporter} 404`);
    assert.equal(sumSamples(m, "kscope_http_requests_total", { ...ends, grpc_status: "14" }), 1, `${reporter} grpc-status`);
    envoyAfterPlan.set(reporter, view(m, reporter));
  }
  // The service saw the caller's name; the client saw the callee's.
  assert.equal(service.seen.at(-1)?.["x-kscope-workload"], "web");
  assert.equal(service.seen.at(-1)?.["x-kscope-namespace"], "shop");
  const r = await send(web.listenPort, "GET", "/status/200");
  assert.equal(r.headers["x-kscope-workload"], "payments");
});

test("a header the application set is never overwritten, and names the source on the callee", async () => {
  const before = parsePrometheus(await payments.prometheus());
  const r = await send(web.listenPort, "GET", "/status/200", { "x-kscope-workload": "app-chosen" });
  assert.equal(r.status, 200);
  assert.equal(service.seen.at(-1)?.["x-kscope-workload"], "app-chosen");
  await sleep(300);
  const m = parsePrometheus(await payments.prometheus());
  const q = { reporter: "destination", source_workload: "app-chosen" };
  assert.equal(sumSamples(m, "kscope_http_requests_total", q) - sumSamples(before, "kscope_http_requests_total", q), 1);
});

test("kscope proxy --http gives the same series and counts as Envoy for the same requests", async () => {
  // The same two hops with the host: web (source) -> payments (destination) -> the service.
  const hostPayments = await startKscope({ http: true, upstream: service.address, config: { workload: "payments", namespace: "shop" } });
  const hostWeb = await startKscope({
    http: true,
    upstream: `127.0.0.1:${hostPayments.listenPort}`,
    config: { workload: "web", namespace: "shop", reporter: "source" },
  });
  try {
    await drive(hostWeb.listenPort);
    const total = HTTP_PLAN.reduce((a, [, , n]) => a + n, 0);
    // Envoy's view of one run of the plan (the first test) against the host's.
    for (const [reporter, hostProxy, envoyProxy] of [
      ["source", hostWeb, web],
      ["destination", hostPayments, payments],
    ] as const) {
      const host = view(await hostProxy.metrics(), reporter);
      assert.equal(
        Object.values(host).reduce((a, b) => a + b, 0),
        total,
      );
      assert.deepEqual(host, envoyAfterPlan.get(reporter), `${reporter}: host ${hostProxy.admin} vs Envoy ${envoyProxy.adminPort}`);
    }
  } finally {
    await hostWeb.stop();
    await hostPayments.stop();
  }
});

test("histogram: kscope_http_request_duration_microseconds counts every request", async () => {
  for (let i = 0; ; i++) {
    const m = parsePrometheus(await payments.prometheus());
    const count = sumSamples(m, "kscope_http_request_duration_microseconds_count", { reporter: "destination" });
    const requests = sumSamples(m, "kscope_http_requests_total", { reporter: "destination" });
    if (count === requests && count > 0) break;
    // Envoy merges histograms once per stats flush (5 s).
    assert.ok(i < 60, `histogram count ${count} vs requests ${requests}`);
    await sleep(250);
  }
});

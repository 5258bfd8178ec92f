// The host's HTTP proxy mode with the real kscope.wasm (root kscope_http): a caller's proxy
// ("web", reporter source) in front of a callee's proxy ("payments", reporter destination) in
// front of a real Node http service. Counts equal what the client sent, per status class, both
// ends named by the x-kscope-* exchange; bodies, statuses and trailers pass intact.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import path from "node:path";
import { ProxyWasmVm } from "../../host/wasm/vm";
import { startHttpProxy } from "../../host/http-proxy";
import { freePort } from "../support/ports";
import { HTTP_PLAN, drive, send, startHttpService, type HttpService } from "../support/http-service";
import { parseSamples, sum } from "../../host/metrics/scrape";

const WASM = path.join(__dirname, "..", "..", "..", "build", "kscope.wasm");

let service: HttpService;
const vms: Record<string, ProxyWasmVm> = {};
const closers: (() => Promise<void>)[] = [];
let webPort = 0;
let paymentsPort = 0;

async function proxy(name: string, config: object, upstreamPort: number): Promise<number> {
  const vm = new ProxyWasmVm({ wasmPath: WASM, configuration: JSON.stringify(config), rootId: "kscope_http", log: () => undefined });
  vms[name] = vm;
  const port = await freePort();
  const p = await startHttpProxy({ listen: { host: "127.0.0.1", port }, upstream: { host: "127.0.0.1", port: upstreamPort }, vm });
  closers.push(() => p.close());
  return port;
}

before(async () => {
  service = await startHttpService();
  paymentsPort = await proxy("payments", { workload: "payments", namespace: "shop" }, service.port);
  webPort = await proxy("web", { workload: "web", namespace: "shop", reporter: "source" }, paymentsPort);
});

after(async () => {
  for (const c of closers) await c();
  for (const vm of Object.values(vms)) vm.dispose();
  await service.close();
});

const metrics = (name: string) => parseSamples(vms[name].metrics.render());

test("two host proxies count what the client sent, per status class, with both ends named", async () => {
  await drive(webPort);
  const total = HTTP_PLAN.reduce((a, [, , n]) => a + n, 0);
  for (const [name, reporter] of [
    ["web", "source"],
    ["payments", "destination"],
  ]) {
    const m = metrics(name);
    const ends = {
      reporter,
      source_workload: "web",
      source_workload_namespace: "shop",
      destination_workload: "payments",
      destination_workload_namespace: "shop",
    };
    assert.equal(sum(m, "kscope_http_requests_total", ends), total, name);
    assert.equal(sum(m, "kscope_http_requests_total", { ...ends, response_class: "2xx" }), 10, `${name} 2xx`);
    assert.equal(sum(m, "kscope_http_requests_total", { ...ends, response_class: "3xx" }), 1, `${name} 3xx`);
    assert.equal(sum(m, "kscope_http_requests_total", { ...ends, response_class: "4xx" }), 3, `${name} 4xx`);
    assert.equal(sum(m, "kscope_http_requests_total", { ...ends, response_class: "5xx" }), 2, `${name} 5xx`);
    assert.equal(sum(m, "kscope_http_requests_total", { ...ends, method: "POST" }), 3, `${name} POST`);
    assert.equal(sum(m, "kscope_http_requests_total", { ...ends, grpc_status: "14" }), 1, `${name} grpc-status`);
    assert.equal(sum(m, "kscope_http_request_duration_microseconds_count", ends), total, `${name} durations`);
  }
  assert.equal(service.seen.at(-1)?.["x-kscope-workload"], "web");
  const r = await send(webPort, "GET", "/status/200");
  assert.equal(r.headers["x-kscope-workload"], "payments");
  assert.equal(r.headers["x-kscope-namespace"], "shop");
});

test("bodies and trailers pass intact; an unreachable upstream is a 502 the filter counts", async () => {
  const echo = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/grpc", trailer: "grpc-status" });
      res.write(Buffer.concat(chunks));
      res.addTrailers({ "grpc-status": "5" });
      res.end();
    });
  });
  await new Promise<void>((r) => echo.listen(0, "127.0.0.1", r));
  const port = await proxy("echo", { workload: "echo" }, (echo.address() as { port: number }).port);
  const body = Buffer.from(Array.from({ length: 200_000 }, (_, i) => i % 251));
  const got = await new Promise<{ body: Buffer; trailers: NodeJS.Dict<string> }>((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, method: "POST", path: "/x", agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (c: Buffer) => parts.push(c));
      res.on("end", () => resolve({ body: Buffer.concat(parts), trailers: res.trailers }));
    });
    req.on("error", reject);
    req.end(body);
  });
  assert.ok(got.body.equals(body), "body intact");
  assert.equal(got.trailers["grpc-status"], "5");
  assert.equal(
    sum(metrics("echo"), "kscope_http_requests_total", { grpc_status: "5", response_code: "200" }),
    1,
    "gRPC status from the trailers",
  );
  echo.close();

  const dead = await proxy("dead", { workload: "lonely" }, await freePort());
  const r = await send(dead, "GET", "/");
  assert.equal(r.status, 502);
  assert.equal(
    sum(metrics("dead"), "kscope_http_requests_total", { response_code: "502", response_class: "5xx", destination_workload: "lonely" }),
    1,
  );
});

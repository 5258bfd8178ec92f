// The admin server alone (no broker, no filter): the bearer token and the browser's cookie, the
// start-up warning, the JSON views over a history, past windows for charts, and the assets.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { AddressInfo } from "node:net";
import { MetricStore, MetricType } from "../../host/metrics/store";
import { History } from "../../host/history";
import { WindowSource } from "../../host/cli/admin-source";
import { startAdmin } from "../../host/admin/server";
import { adminRoutes } from "../../host/admin/routes";
import { assets } from "../../host/admin/assets";
import { DashboardData } from "../../host/admin/data";
import { ProxyInfo } from "../../host/admin/info";

const TOKEN = "s3cret";
let server: http.Server,
  base: string,
  now = 1_000_000;
const store = new MetricStore();
const history = new History(store, { intervalMs: 2000, retentionMs: 60_000, now: () => now });
const ui = fs.mkdtempSync(path.join(os.tmpdir(), "kscope-ui-"));

before(async () => {
  fs.writeFileSync(path.join(ui, "index.html"), "<!doctype html><title>kscope</title>");
  fs.writeFileSync(path.join(os.tmpdir(), "kscope-secret.txt"), "outside");
  const produced = store.define(
    MetricType.Counter,
    "kscope_produced_records_total;topic=.=orders;.;;client_id=.=<b>x</b>;.;;compression=.=none;.;",
  );
  const lag = store.define(MetricType.Gauge, "kscope_consumer_lag_records;group=.=billing;.;;topic=.=orders;.;;partition=.=0;.;");
  const committed = store.define(MetricType.Gauge, "kscope_group_committed_offset;group=.=billing;.;;topic=.=orders;.;;partition=.=0;.;");
  // 10 s of produce at 50/s, lag growing by 5 a snapshot, commits stuck at 100.
  store.record(committed, 100);
  for (let i = 1; i <= 5; i++) {
    store.increment(produced, 100);
    store.record(lag, i * 5);
    now += 2000;
    history.snapshot();
  }
  const data = new DashboardData(
    (w, at) => new WindowSource("test", w, () => Promise.resolve(history.window(w, at))),
    "test",
    60,
    () => now,
  );
  const info = () => Promise.resolve({ version: "test" } as ProxyInfo);
  server = await startAdmin({
    host: "127.0.0.1",
    port: 0,
    token: TOKEN,
    routes: adminRoutes({ metrics: store, info, data, history }),
    fallback: assets(ui),
    warn: () => assert.fail("no warning on loopback"),
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => {
  server.close();
  fs.rmSync(ui, { recursive: true, force: true });
});

const get = (p: string, headers: Record<string, string> = {}) => fetch(`${base}${p}`, { headers, redirect: "manual" });
const bearer = { authorization: `Bearer ${TOKEN}` };

test("admin: the token guards everything but /healthz; a browser trades ?token= for a cookie", async () => {
  for (const p of ["/", "/metrics", "/api/views/topics", "/api/history"]) assert.equal((await get(p)).status, 401, p);
  assert.equal((await get("/api/info", { authorization: "Bearer wrong" })).status, 401);
  assert.equal((await get("/healthz")).status, 200);
  assert.equal((await get("/metrics", bearer)).status, 200);
  const r = await get(`/?token=${TOKEN}`);
  assert.equal(r.status, 303);
  assert.equal(r.headers.get("location"), "/");
  const cookie = r.headers.get("set-cookie")!;
  assert.match(cookie, /HttpOnly/);
  assert.match(cookie, /SameSite=Strict/);
  const page = await get("/", { cookie: cookie.split(";")[0] });
  assert.equal(page.status, 200);
  assert.match(page.headers.get("content-security-policy")!, /script-src 'self'/);
  assert.equal((await get("/?token=wrong")).status, 401);
  assert.equal((await fetch(`${base}/metrics`, { method: "POST", headers: bearer })).status, 405);
});

test("admin: a non-loopback address without a token is warned about at start-up", async () => {
  const warnings: string[] = [];
  const s = await startAdmin({ host: "0.0.0.0", port: 0, routes: {}, warn: (m) => warnings.push(m) });
  s.close();
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /not loopback/);
  const quiet: string[] = [];
  (await startAdmin({ host: "0.0.0.0", port: 0, routes: {}, token: "t", warn: (m) => quiet.push(m) })).close();
  assert.deepEqual(quiet, []);
});

test("admin: views are the CLI's rows; series evaluate them at past moments; bad input is a 400", async () => {
  const topics = (await (await get("/api/views/topics?window=4", bearer)).json()) as {
    rows: { topic: string; producedRecordsPerSec: number }[];
  };
  assert.equal(topics.rows[0].topic, "orders");
  assert.equal(topics.rows[0].producedRecordsPerSec, 50);
  const groups = (await (await get("/api/views/groups?window=4", bearer)).json()) as {
    rows: { group: string; state: string; lagRecords: number }[];
  };
  assert.deepEqual([groups.rows[0].group, groups.rows[0].state, groups.rows[0].lagRecords], ["billing", "STOPPED", 25]);
  const s = (await (await get("/api/series/partitions?range=12&step=2&group=billing", bearer)).json()) as {
    t: number[];
    rows: { key: string; cols: Record<string, (number | null)[]> }[];
  };
  assert.equal(s.rows[0].key, "billing/orders/0");
  // The first moment precedes the second snapshot: no value, not zero; then the lag as it grew.
  assert.deepEqual(s.rows[0].cols.lagRecords, [null, 5, 10, 15, 20, 25]);
  assert.equal((await get("/api/views/topics?window=-1", bearer)).status, 400);
  assert.equal((await get("/api/topic", bearer)).status, 400);
  assert.equal((await get("/api/views/nothing", bearer)).status, 404);
});

test("admin: assets stay inside their folder", async () => {
  assert.equal((await get("/../kscope-secret.txt", bearer)).status, 404);
  assert.equal((await get("/%2e%2e/kscope-secret.txt", bearer)).status, 404);
  assert.equal((await get("/index.html", bearer)).status, 200);
  assert.equal((await get("/%E0%A4%A", bearer)).status, 400, "a malformed escape is answered, not a crash");
  assert.equal((await get("/healthz")).status, 200, "still serving");
});

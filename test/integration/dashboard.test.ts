// The dashboard in a real browser: a Kafka 4.1 broker, `kscope proxy` with an admin token, real
// kafkajs clients (two topics at fixed rates, a billing group, an audit group that stops, and
// producers whose client ids are HTML), and headless Chromium. Every page is opened, its numbers
// checked against the admin API, and saved as a screenshot under test-artifacts/dashboard/.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { BrowserContext, Page } from "playwright-core";
import { Producer } from "kafkajs";
import { Broker, startKafka } from "../support/kafka";
import { freePort } from "../support/ports";
import { CLI, Kscope, startKscope } from "../support/kscope";
import { spawnProc } from "../support/procs";
import { Traffic, startTraffic } from "../support/cli-traffic";
import { kafkajs } from "../support/clients";
import { ARTIFACTS, startBrowser } from "../support/browser";
import { Prometheus, startPrometheus } from "../support/prometheus";
import { ROOT } from "../support/kscope";
import fs from "node:fs";
import { execFile } from "node:child_process";

/** `kscope ARGS` with extra environment: exit code and output. */
function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, timeout: 30_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

const TOKEN = "dashboard-test-token";
const RATES = { ordersRate: 40, paymentsRate: 10 };
const HOSTILE = ["<img src=x onerror=alert(1)>", "<script>window.__pwned=1</script>"];

let broker: Broker, kscope: Kscope, traffic: Traffic, ctx: BrowserContext, page: Page, prom: Prometheus;
const hostile: Producer[] = [];
let running = true;
const dialogs: string[] = [];
const pageErrors: string[] = [];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const auth = { authorization: `Bearer ${TOKEN}` };
const api = async (p: string) => {
  const res = await fetch(`${kscope.admin}${p}`, { headers: auth });
  assert.equal(res.status, 200, `${p}: ${res.status}`);
  return res.json();
};

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `${name}: ${overflow}px of horizontal scrolling at 1366x768`);
}

/** Opens a dashboard route and waits until its data has loaded at least once. */
async function open(hash: string): Promise<void> {
  await page.evaluate(() => {
    delete document.body.dataset.loaded;
  });
  await page.goto(`${kscope.admin}/#/${hash}`);
  await page
    .waitForFunction(() => !!document.body.dataset.loaded, undefined, { timeout: 20_000 })
    .catch(async (e: Error) => {
      throw new Error(
        `${hash}: ${e.message}; banner: ${await page.locator(".banner").textContent()}; page errors: ${pageErrors.join("; ")}`,
      );
    });
}

const number = (s: string) => Number(s.replace(/,/g, "").replace(/\/s$/, ""));

before(async () => {
  const listenPort = await freePort();
  broker = await startKafka({ proxyPort: listenPort });
  // One proxy for every client, naming their workloads by client id (a shared proxy's rules).
  const rule = (prefix: string, workload: string) => ({ client_id_prefix: prefix, workload, namespace: "shop" });
  const config = {
    clients: {
      rules: [
        rule("ui-orders-producer", "orders-svc"),
        rule("ui-payments-producer", "payments-svc"),
        rule("ui-billing", "billing"),
        rule("ui-audit", "audit"),
      ],
    },
  };
  kscope = await startKscope({ upstream: broker.proxiedUpstream, listenPort, config, args: ["--admin-token", TOKEN] });
  traffic = await startTraffic(broker, kscope.bootstrap, { prefix: "ui", ...RATES });
  await broker.createTopic("ui-hostile", 1);
  for (const clientId of HOSTILE) {
    const p = kafkajs(kscope.bootstrap, { clientId }).producer();
    await p.connect();
    hostile.push(p);
  }
  void (async () => {
    while (running) {
      await Promise.all(
        hostile.map((p) => p.send({ topic: "ui-hostile", messages: [{ value: "secret-payload-never-shown" }] }).catch(() => undefined)),
      );
      await sleep(200);
    }
  })();
  prom = await startPrometheus([{ address: `127.0.0.1:${kscope.adminPort}`, bearerToken: TOKEN }]);
  await traffic.auditPaused;
  await sleep(12_000); // a whole 10 s window after audit stopped
  ctx = await startBrowser();
  page = await ctx.newPage();
  page.on("dialog", (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  page.on("pageerror", (e) => pageErrors.push(e.message));
});

after(async () => {
  running = false;
  await ctx?.close().catch(() => undefined);
  await Promise.race([Promise.allSettled([traffic?.stop(), ...hostile.map((p) => p.disconnect())]), sleep(10_000)]);
  await Promise.allSettled([prom?.stop(), kscope?.stop(), broker?.stop()]);
});

test("with a token, every route but /healthz answers 401 without it", async () => {
  for (const p of ["/", "/metrics", "/api/info", "/api/history", "/api/views/groups", "/api/topology", "/api/tap", "/main.js"]) {
    const res = await fetch(`${kscope.admin}${p}`);
    assert.equal(res.status, 401, p);
    await res.body?.cancel();
  }
  const wrong = await fetch(`${kscope.admin}/api/info`, { headers: { authorization: "Bearer nope" } });
  assert.equal(wrong.status, 401);
  assert.equal((await fetch(`${kscope.admin}/healthz`)).status, 200);
  assert.equal((await fetch(`${kscope.admin}/api/info`, { headers: auth })).status, 200);
  // The CLI sends KSCOPE_ADMIN_TOKEN; without it, it says what is missing.
  const denied = await cli(["stat", "groups", "--admin", kscope.admin], { KSCOPE_ADMIN_TOKEN: "" });
  assert.equal(denied.code, 2);
  assert.match(denied.stderr, /token/);
  const ok = await cli(["stat", "groups", "--admin", kscope.admin, "-o", "json"], { KSCOPE_ADMIN_TOKEN: TOKEN });
  assert.equal(ok.code, 0, ok.stderr);
  assert.ok(JSON.parse(ok.stdout).rows.some((r: { group: string }) => r.group === traffic.groups.billing));
});

test("the browser signs in with /?token= and the overview shows the stopped group first", async () => {
  await page.goto(`${kscope.admin}/?token=${TOKEN}#/overview?w=10s`);
  assert.ok(!page.url().includes("token="), "the token is dropped from the URL");
  await page.waitForFunction(() => !!document.body.dataset.loaded, undefined, { timeout: 20_000 });
  const item = page.locator(".attention li", { hasText: traffic.groups.audit });
  await item.waitFor({ timeout: 20_000 });
  assert.equal(await item.locator(".badge").textContent(), "STOPPED");
  assert.ok((await page.locator(".chart canvas").count()) >= 5, "the overview's charts are drawn");
  await shot("overview");
  await item.locator("a").click();
  await page.waitForFunction((g) => location.hash.startsWith(`#/groups/${encodeURIComponent(g)}`), traffic.groups.audit);
});

test("the group page: state, lag matching the API, partitions and charts", async () => {
  await open(`groups/${traffic.groups.audit}?w=10s`);
  await page.locator(".state-line .badge", { hasText: "STOPPED" }).waitFor();
  const shown = number((await page.locator(".stat", { hasText: "lag (records)" }).locator(".stat-value").textContent()) ?? "");
  const rows = (await api(`/api/views/groups?window=10&group=${traffic.groups.audit}`)).rows;
  const lag = rows[0].lagRecords as number;
  assert.ok(lag > 0, `audit lags (${lag})`);
  assert.ok(Math.abs(shown - lag) <= Math.max(50, lag * 0.05), `lag shown ${shown}, API ${lag}`);
  assert.equal(await page.locator("section.card", { hasText: "Partitions" }).locator("tbody tr").count(), 3);
  await page.locator(".chart", { hasText: "Lag (records) per partition" }).locator("canvas").first().waitFor();
  await shot("group-audit");
  await open(`groups?w=10s`);
  const billing = page.locator("tr", { hasText: traffic.groups.billing });
  assert.equal(await billing.locator(".badge").textContent(), "OK");
  assert.equal(await page.locator("tr", { hasText: traffic.groups.audit }).locator(".badge").textContent(), "STOPPED");
  await shot("groups");
});

test("topics: rates near what was produced; the topic page has partitions, producers and groups", async () => {
  await open("topics?w=30s");
  const row = page.locator("tbody tr", { hasText: traffic.topics.orders });
  const produce = number(((await row.locator("td").nth(1).textContent()) ?? "").trim());
  assert.ok(Math.abs(produce - RATES.ordersRate) <= RATES.ordersRate * 0.3, `orders produce rate shown ${produce}`);
  assert.ok((await row.locator(".spark canvas").count()) >= 1, "sparklines");
  await shot("topics");
  await open(`topics/${traffic.topics.orders}?w=10s`);
  const parts = page.locator("section.card", { hasText: "Partitions" }).locator("tbody tr");
  await parts.first().waitFor();
  assert.equal(await parts.count(), 3);
  assert.ok(number((await parts.first().locator("td").nth(1).textContent()) ?? "") > 0, "a high watermark");
  assert.ok((await page.locator("section.card", { hasText: "Producers" }).getByText(traffic.clients.ordersProducer).count()) === 1);
  const groups = page.locator("section.card", { hasText: "Consumer groups" });
  assert.equal(await groups.locator("tr", { hasText: traffic.groups.audit }).locator(".badge").textContent(), "STOPPED");
  await shot("topic-orders");
});

test("client ids that are HTML are shown as text and run nothing", async () => {
  await open("clients?w=30s");
  for (const id of HOSTILE) {
    await page.getByText(id, { exact: true }).first().waitFor({ timeout: 15_000 });
  }
  await open(`clients/${HOSTILE[0]}?w=30s`);
  assert.equal(await page.locator("h1").textContent(), `client ${HOSTILE[0]}`);
  await page.locator(".uplot").nth(1).waitFor({ timeout: 15_000 }); // its records and latency charts
  await shot("client-detail");
  await open(`tap?client=${encodeURIComponent(HOSTILE[1])}`);
  await page.locator(".tap-lines li").first().waitFor({ timeout: 15_000 });
  await open("clients?w=30s");
  assert.equal(await page.locator("img[src=x]").count(), 0, "no <img> was created from a client id");
  assert.equal(await page.locator("main script").count(), 0);
  assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined, "no script ran");
  assert.deepEqual(dialogs, [], "no dialog opened");
  await shot("clients");
});

test("topology: the expected nodes and edges, and a click opens a node's details", async () => {
  const g = await api("/api/topology?window=10");
  const ids = g.nodes.map((n: any) => n.id);
  for (const id of [
    `topic:${traffic.topics.orders}`,
    `topic:${traffic.topics.payments}`,
    `group:${traffic.groups.billing}`,
    `group:${traffic.groups.audit}`,
  ])
    assert.ok(ids.includes(id), id);
  await open("topology?w=10s");
  const graph = page.getByTestId("graph");
  await page.waitForFunction(
    (n) => document.querySelector<HTMLElement>("[data-testid=graph]")?.dataset.nodes === String(n),
    g.nodes.length,
  );
  assert.ok(Number(await graph.getAttribute("data-edges")) >= g.edges.filter((e: any) => e.kind !== "member").length);
  const node = page.locator(".node-list button", { hasText: `group ${traffic.groups.audit}` });
  const box = (await graph.boundingBox())!;
  const x = Number(await node.getAttribute("data-x")),
    y = Number(await node.getAttribute("data-y"));
  await page.mouse.click(box.x + x, box.y + y);
  const details = page.locator("aside.details");
  await details.locator("h3", { hasText: traffic.groups.audit }).waitFor({ timeout: 5000 });
  assert.match((await details.textContent()) ?? "", /STOPPED/);
  await shot("topology");
  await page.locator("input[name=workload]").fill(traffic.topics.payments);
  assert.match(await page.evaluate(() => location.hash), new RegExp(`workload=${traffic.topics.payments}`), "the filter is in the URL");
  assert.equal(await page.locator(".node-list button", { hasText: `group ${traffic.groups.audit}` }).count(), 0, "filtered out");
  await page.locator("input[name=workload]").fill("");
  await details.locator("a.open").click();
  await page.waitForFunction((g) => location.hash.startsWith(`#/groups/${encodeURIComponent(g)}`), traffic.groups.audit);
  // A workload's page: what it produces, from the same graph.
  assert.ok(ids.includes("workload:shop/orders-svc"), ids.join(" "));
  await open("workloads/shop%2Forders-svc?w=10s");
  const kafka = page.locator("section.card", { hasText: "Kafka" });
  await kafka.locator("tr", { hasText: `produces to ${traffic.topics.orders}` }).waitFor({ timeout: 10_000 });
  await shot("workload-orders");
});

test("tap receives lines without payloads, and pauses; top shows flows", async () => {
  await open(`tap?topic=${traffic.topics.orders}`);
  const lines = page.locator(".tap-lines li");
  await page.locator(".tap-lines li", { hasText: "api=Produce" }).first().waitFor({ timeout: 15_000 });
  const text = (await lines.allTextContents()).join("\n");
  assert.doesNotMatch(text, /xxxxxxxx|secret-payload/, "never payloads");
  await page.getByRole("button", { name: "Pause" }).click();
  const n = await lines.count();
  await sleep(1500);
  assert.equal(await lines.count(), n, "paused: no new lines");
  assert.match((await page.locator(".toolbar").textContent()) ?? "", /held back/);
  await shot("tap");
  await open("top?w=30s");
  await page.waitForFunction(
    () => Array.from(document.querySelectorAll("tbody tr td:nth-child(5)")).some((td) => Number(td.textContent) > 0),
    undefined,
    { timeout: 15_000 },
  );
  assert.ok((await page.locator("tbody tr", { hasText: traffic.clients.ordersProducer }).count()) >= 1);
  await shot("top");
});

test("dark theme", async () => {
  await open(`groups/${traffic.groups.billing}?w=30s`);
  await page.locator("button.theme").click();
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), "dark");
  await page.waitForTimeout(500);
  await shot("group-billing-dark");
  await page.locator("button.theme").click();
  assert.deepEqual(pageErrors, [], "no script error on any page");
});

test("every query of the Grafana dashboards returns data from a real Prometheus scraping this traffic", async () => {
  await prom.waitForScrapes(20);
  const dir = path.join(ROOT, "examples", "grafana", "dashboards");
  let queries = 0;
  for (const file of fs.readdirSync(dir)) {
    const d = JSON.parse(fs.readFileSync(path.join(dir, file), "utf8"));
    for (const v of d.templating.list) {
      if (v.type !== "query") continue;
      const m = /^label_values\((\w+), (\w+)\)$/.exec(v.query);
      assert.ok(m, `${file} variable ${v.name}: ${v.query}`);
      const r = (await (await fetch(`${prom.url}/api/v1/label/${m[2]}/values?match[]=${m[1]}`)).json()) as { data: string[] };
      assert.ok(r.data.filter((x) => x !== "").length > 0, `${file} variable ${v.name}: no values`);
      queries++;
    }
    for (const p of d.panels) {
      for (const t of p.targets ?? []) {
        assert.equal(p.datasource.uid, "${datasource}", `${file} ${p.title}: datasource variable`);
        const expr = t.expr.replaceAll("$__rate_interval", "15s").replaceAll("$topic", ".*").replaceAll("$group", ".*");
        const result = await prom.query(expr);
        assert.ok(result.length > 0, `${file} "${p.title}" returned no data: ${expr}`);
        if (p.type === "nodeGraph") {
          const fields = t.refId === "edges" ? ["id", "source", "target"] : ["id", "title"];
          for (const f of fields)
            assert.ok(
              result.every((x) => x.metric[f]),
              `${p.title} ${t.refId}: every row has ${f}`,
            );
        }
        queries++;
      }
    }
  }
  assert.ok(queries >= 25, `${queries} queries checked`);
});

test("kscope dashboard over Prometheus: the same pages from PromQL", async () => {
  const port = await freePort();
  const proc = spawnProc("dashboard", process.execPath, [CLI, "dashboard", "--prometheus", prom.url, "--listen", `127.0.0.1:${port}`]);
  try {
    await proc.waitForPort(port, 15_000);
    const base = `http://127.0.0.1:${port}`;
    const rows = (
      (await (await fetch(`${base}/api/views/groups?window=10`)).json()) as { rows: { group: string; state: string; lagRecords: number }[] }
    ).rows;
    const audit = rows.find((r) => r.group === traffic.groups.audit)!;
    assert.equal(audit.state, "STOPPED");
    await page.goto(`${base}/#/groups?w=10s`);
    await page.waitForFunction(() => !!document.body.dataset.loaded, undefined, { timeout: 20_000 });
    assert.equal(await page.locator("tr", { hasText: traffic.groups.audit }).locator(".badge").textContent(), "STOPPED");
    assert.match((await page.locator("header .info").textContent()) ?? "", /prometheus/);
    await page.goto(`${base}/#/groups/${traffic.groups.audit}?w=10s`);
    await page.locator(".chart", { hasText: "Lag (records) per partition" }).locator("canvas").first().waitFor({ timeout: 20_000 });
    await shot("prometheus-group-audit");
  } finally {
    await proc.kill("SIGTERM");
  }
});

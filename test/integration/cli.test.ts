// The CLI against real software: two Kafka 4.1 brokers, each behind its own `kscope proxy`,
// known traffic (two topics at fixed rates, two consumer groups, one paused), and a real
// Prometheus scraping both proxies. Asserts what `kscope stat/edges/check/top` print.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { Broker, startKafka } from "../support/kafka";
import { freePort } from "../support/ports";
import { CLI, Kscope, startKscope } from "../support/kscope";
import { Prometheus, startPrometheus } from "../support/prometheus";
import { Traffic, startTraffic } from "../support/cli-traffic";
import { TAP_EVENT_KEYS } from "../support/tap-keys";

const RATES = { ordersRate: 100, paymentsRate: 25 };
const WINDOW = "10s";

interface Site {
  broker: Broker;
  kscope: Kscope;
  traffic: Traffic;
}
let a: Site, b: Site;
let prom: Prometheus;

async function site(prefix: string): Promise<Site> {
  const listenPort = await freePort();
  const broker = await startKafka({ proxyPort: listenPort });
  const kscope = await startKscope({ upstream: broker.proxiedUpstream, listenPort, config: { workload: `${prefix}-proxy` } });
  const traffic = await startTraffic(broker, kscope.bootstrap, { prefix, ...RATES });
  return { broker, kscope, traffic };
}

function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, timeout: 30_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

async function json(args: string[]): Promise<any> {
  const r = await cli([...args, "-o", "json"]);
  assert.equal(r.code, 0, `kscope ${args.join(" ")} failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout);
}

const near = (v: number, want: number, tol: number, what: string) =>
  assert.ok(Math.abs(v - want) <= want * tol, `${what}: ${v} not within ${tol * 100}% of ${want}`);

before(async () => {
  [a, b] = await Promise.all([site("cli"), site("fleet")]);
  prom = await startPrometheus([{ address: `127.0.0.1:${a.kscope.adminPort}` }, { address: `127.0.0.1:${b.kscope.adminPort}` }]);
  await Promise.all([a.traffic.auditPaused, b.traffic.auditPaused]);
  // Let one whole window pass after the audit groups paused.
  await new Promise((r) => setTimeout(r, 12_000));
});

after(async () => {
  const sites = [a, b].filter(Boolean);
  // Clients first (bounded: a kafkajs disconnect can hang on a busy machine), then servers.
  await Promise.race([Promise.allSettled(sites.map((s) => s.traffic.stop())), new Promise((r) => setTimeout(r, 10_000))]);
  await Promise.allSettled([prom?.stop(), ...sites.flatMap((s) => [s.kscope.stop(), s.broker.stop()])]);
});

/** The assertions every source must pass, for the sites it sees. */
async function assertTopicsGroupsEdges(source: string[], sites: Site[]) {
  const topics = await json(["stat", "topics", "-t", WINDOW, ...source]);
  const seen = topics.rows.map((r: any) => r.topic).sort();
  assert.deepEqual(seen, sites.flatMap((s) => [s.traffic.topics.orders, s.traffic.topics.payments]).sort());
  for (const s of sites) {
    const orders = topics.rows.find((r: any) => r.topic === s.traffic.topics.orders);
    const payments = topics.rows.find((r: any) => r.topic === s.traffic.topics.payments);
    near(orders.producedRecordsPerSec, RATES.ordersRate, 0.25, `${orders.topic} produce rate`);
    near(payments.producedRecordsPerSec, RATES.paymentsRate, 0.25, `${payments.topic} produce rate`);
    near(payments.fetchedRecordsPerSec, RATES.paymentsRate, 0.35, `${payments.topic} fetch rate (billing only)`);
    assert.equal(orders.producers, 1);
    assert.equal(orders.groups, 2, "billing and the paused audit group");
    assert.equal(payments.groups, 1);
    assert.equal(orders.partitions, 3);
    assert.equal(orders.errorsPerSec, 0);
  }

  const groups = await json(["stat", "groups", "-t", WINDOW, ...source]);
  for (const s of sites) {
    const audit = groups.rows.find((r: any) => r.group === s.traffic.groups.audit);
    const billing = groups.rows.find((r: any) => r.group === s.traffic.groups.billing);
    assert.ok(audit && billing, `groups of ${s.traffic.plan.prefix}: ${JSON.stringify(groups.rows.map((r: any) => r.group))}`);
    assert.equal(audit.state, "STOPPED", `paused group: ${JSON.stringify(audit)}`);
    assert.ok(audit.lagRecords > RATES.ordersRate * 5, `paused group lags: ${audit.lagRecords}`);
    assert.ok(audit.lagSeconds >= 5, `paused group lag seconds: ${audit.lagSeconds}`);
    assert.equal(audit.committedPerSec, 0);
    assert.equal(billing.state, "OK", `running group: ${JSON.stringify(billing)}`);
    // Keeping up: under 3 s of production behind (commits come in steps; a loaded machine delays them), far from the paused group.
    assert.ok(
      billing.lagRecords < RATES.ordersRate * 3 && billing.lagRecords < audit.lagRecords / 2,
      `running group keeps up: ${billing.lagRecords}`,
    );
    assert.ok(billing.committedPerSec > 0);
    assert.equal(billing.members, 1);
    assert.deepEqual(billing.topics, [s.traffic.topics.orders, s.traffic.topics.payments].sort());
  }

  const clients = await json(["stat", "clients", "-t", WINDOW, ...source]);
  for (const s of sites) {
    const producer = clients.rows.find((r: any) => r.client_id === s.traffic.clients.ordersProducer);
    assert.ok(producer, `clients of ${s.traffic.plan.prefix}: ${JSON.stringify(clients.rows.map((r: any) => r.client_id))}`);
    assert.ok(producer.requestsPerSec > 0, `producer requests/s: ${JSON.stringify(producer)}`);
    assert.equal(producer.successRate, 1, `producer success: ${JSON.stringify(producer)}`);
    assert.ok(producer.p50Ms > 0 && producer.p50Ms <= producer.p99Ms, `producer latency: ${JSON.stringify(producer)}`);
    assert.deepEqual(producer.topics, [s.traffic.topics.orders]);
  }

  // edges is the topology graph as rows: every client here is behind its site's proxy (workload P-proxy).
  const graph = await json(["edges", "-t", WINDOW, ...source]);
  const got = graph.edges.map((e: any) => e.id).sort();
  const want = sites
    .flatMap((s) => {
      const t = s.traffic,
        w = `workload:/${t.plan.prefix}-proxy`;
      return [
        `produce:${w}->topic:${t.topics.orders}`,
        `produce:${w}->topic:${t.topics.payments}`,
        `consume:topic:${t.topics.orders}->group:${t.groups.billing}`,
        `consume:topic:${t.topics.payments}->group:${t.groups.billing}`,
        `consume:topic:${t.topics.orders}->group:${t.groups.audit}`, // paused: commits known, nothing fetched in the window
        `member:group:${t.groups.billing}->${w}`,
        `member:group:${t.groups.audit}->${w}`,
      ];
    })
    .sort();
  assert.deepEqual(got, want);
}

test("stat topics / groups and edges through one proxy's admin endpoint", async () => {
  await assertTopicsGroupsEdges(["--admin", a.kscope.admin], [a]);
});

test("the same answers from a real Prometheus scraping two proxies", async () => {
  await prom.waitForScrapes(5);
  await assertTopicsGroupsEdges(["--prometheus", prom.url], [a, b]);
  const apis = await json(["stat", "apis", "-t", WINDOW, "--prometheus", prom.url]);
  const produce = apis.rows.find((r: any) => r.api === "Produce");
  assert.equal(produce.successRate, 1);
  assert.ok(produce.p99Ms > 0 && produce.p50Ms <= produce.p99Ms, JSON.stringify(produce));
  const check = await cli(["check", "--prometheus", prom.url]);
  assert.equal(check.code, 0, check.stdout + check.stderr);
  assert.match(check.stdout, /√ kscope metrics scraped: 2 target\(s\)/);
});

test("stat clients and apis, tables and filters", async () => {
  const t = a.traffic;
  const clients = await json(["stat", "clients", "-t", WINDOW, "--admin", a.kscope.admin]);
  assert.deepEqual(
    clients.rows.map((r: any) => r.client_id).sort(),
    [t.clients.billing, t.clients.ordersProducer, t.clients.paymentsProducer].sort(),
    "the paused consumer did nothing in the window",
  );
  const clientTable = await cli(["stat", "clients", "-t", WINDOW, "--admin", a.kscope.admin]);
  assert.equal(clientTable.code, 0);
  assert.match(clientTable.stdout, /^CLIENT\s+REQUESTS\s+SUCCESS\s+LATENCY_P50\s+LATENCY_P99\s+PRODUCE\s+FETCH\s+GROUPS\s+TOPICS\n/);
  assert.match(clientTable.stdout, new RegExp(`\\n${t.clients.ordersProducer}\\s+[\\d.]+/s\\s+100%\\s+[\\d.]+m?s`));
  const apis = await json(["stat", "apis", "-t", WINDOW, "--admin", a.kscope.admin]);
  const produce = apis.rows.find((r: any) => r.api === "Produce");
  assert.equal(produce.successRate, 1);
  assert.ok(produce.requestsPerSec > 0 && produce.p50Ms > 0 && produce.p50Ms <= produce.p99Ms);
  const filtered = await json(["stat", "topics", "-t", WINDOW, "--admin", a.kscope.admin, "--topic", t.topics.payments]);
  assert.deepEqual(
    filtered.rows.map((r: any) => r.topic),
    [t.topics.payments],
  );
  const table = await cli(["stat", "groups", "-t", WINDOW, "--admin", a.kscope.admin]);
  assert.equal(table.code, 0);
  assert.match(table.stdout, /^GROUP\s+STATE\s+MEMBERS/);
  assert.match(table.stdout, new RegExp(`${t.groups.audit}\\s+STOPPED`));
  assert.ok(!table.stdout.includes("\u001b["), "no colour when stdout is not a terminal");
});

test("check passes against a live proxy; errors are clear, with hints and exit codes", async () => {
  const ok = await cli(["check", "--admin", a.kscope.admin]);
  assert.equal(ok.code, 0, ok.stdout);
  for (const line of ["admin endpoint reachable", "filter loaded", "broker reachable", "metrics exported"])
    assert.match(ok.stdout, new RegExp(`√ ${line}`));
  const dead = `127.0.0.1:${await freePort()}`;
  const down = await cli(["stat", "topics", "--admin", dead]);
  assert.equal(down.code, 2);
  assert.match(down.stderr, /cannot reach the kscope admin endpoint .*ECONNREFUSED/);
  assert.match(down.stderr, /hint: is `kscope proxy` running\?/);
  const checkDown = await cli(["check", "--admin", dead]);
  assert.equal(checkDown.code, 4);
  assert.match(checkDown.stdout, /× admin endpoint reachable/);
  const unknown = await cli(["stat", "partitions", "--admin", a.kscope.admin]);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /unknown resource "partitions"[^]*hint: use one of: topics, groups, clients, apis, brokers/);
  const none = await cli(["stat", "topics", "--admin", a.kscope.admin, "--topic", "no-such-topic"]);
  assert.equal(none.code, 3);
  assert.match(none.stderr, /no topics seen in the last 1m/);
});

/** "0.42ms", "12ms", "1.5s" back to milliseconds. */
const msOf = (s: string) => (s.endsWith("ms") ? Number(s.slice(0, -2)) : Number(s.slice(0, -1)) * 1000);

async function tapping(): Promise<number> {
  let n = -1;
  for (let i = 0; i < 20 && n !== 0; i++) {
    if (i) await new Promise((r) => setTimeout(r, 100));
    n = ((await (await fetch(`${a.kscope.admin}/api/info`)).json()) as { tapping: number }).tapping;
  }
  return n;
}

test("top prints one snapshot when stdout is not a terminal", async () => {
  const t = a.traffic;
  const r = await cli(["top", "--admin", a.kscope.admin]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^kscope top {2}admin /);
  assert.match(r.stdout, /\nCOUNT BEST WORST LAST SUCCESS: tap, last \d+s/, "the header says where the columns come from");
  assert.match(r.stdout, /CLIENT\s+API\s+TOPIC\s+GROUP\s+COUNT\s+BEST\s+WORST\s+LAST\s+SUCCESS\s+RECORDS\s+BYTES\n/);
  const ms = "([\\d.]+m?s)";
  const row = new RegExp(
    `\\n${t.clients.ordersProducer}\\s+Produce\\s+${t.topics.orders}\\s+(\\d+)\\s+${ms}\\s+${ms}\\s+${ms}\\s+(100%)\\s+([\\d.]+)/s`,
  ).exec(r.stdout);
  assert.ok(row, `the orders producer's Produce row, with numbers:\n${r.stdout}`);
  const [count, best, worst, last] = [Number(row[1]), msOf(row[2]), msOf(row[3]), msOf(row[4])];
  assert.ok(count > 0 && best > 0 && best <= last && last <= worst, `count ${count}, best ${best}, last ${last}, worst ${worst}`);
  assert.equal(await tapping(), 0, "top released the tap when it exited");

  const j = await json(["top", "--admin", a.kscope.admin, "--interval", "2"]);
  assert.equal(j.latency, "tap");
  const produce = j.flows.find((f: any) => f.client === t.clients.ordersProducer && f.api === "Produce" && f.topic === t.topics.orders);
  assert.ok(produce && produce.count > 0 && produce.successRate === 1, JSON.stringify(j.flows));
  assert.ok(produce.bestMs > 0 && produce.bestMs <= produce.lastMs && produce.lastMs <= produce.worstMs, JSON.stringify(produce));
  near(produce.recordsPerSec, RATES.ordersRate, 0.25, "produce rate from metrics");
  const fetchRow = j.flows.find((f: any) => f.client === t.clients.billing && f.api === "Fetch" && f.topic === t.topics.orders);
  assert.equal(fetchRow?.group, t.groups.billing, "a Fetch row takes its group from metrics");
  assert.equal(await tapping(), 0);

  // From Prometheus there is no tap: the metrics columns, and a header line saying so.
  const p = await cli(["top", "--prometheus", prom.url]);
  assert.equal(p.code, 0, p.stderr);
  assert.match(p.stdout, /\nlatency from metrics: P50\/P99\/WORST .*not Prometheus/);
  assert.match(p.stdout, /CLIENT\s+API\s+TOPIC\s+GROUP\s+RECORDS\s+BYTES\s+COUNT\s+P50\s+P99\s+WORST\s+ERRORS\n/);
});

test("top in a terminal (tmux): renders, refreshes, and exits cleanly on Ctrl-C", async () => {
  const sock = `kscope-cli-test-${process.pid}`;
  const tmux = (...args: string[]) => execFileSync("tmux", ["-L", sock, ...args], { encoding: "utf8" });
  const done = `/tmp/${sock}.exit`;
  try {
    tmux(
      "new-session",
      "-d",
      "-x",
      "160",
      "-y",
      "40",
      "-s",
      "top",
      `${process.execPath} ${CLI} top --interval 1 --admin ${a.kscope.admin}; echo $? > ${done}; sleep 30`,
    );
    let screen = "";
    for (let i = 0; i < 50 && !/Produce/.test(screen); i++) {
      await new Promise((r) => setTimeout(r, 200));
      screen = tmux("capture-pane", "-p", "-t", "top");
    }
    assert.match(screen, /kscope top/);
    assert.match(screen, new RegExp(`${a.traffic.clients.ordersProducer}\\s+Produce`));
    tmux("send-keys", "-t", "top", "C-c");
    const fs = await import("node:fs");
    for (let i = 0; i < 50 && !fs.existsSync(done); i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(fs.readFileSync(done, "utf8").trim(), "0", "exit code after Ctrl-C");
    assert.equal(await tapping(), 0, "top released the tap on Ctrl-C");
    fs.rmSync(done, { force: true });
  } finally {
    try {
      tmux("kill-server");
    } catch {
      /* gone */
    }
  }
});

test("tap streams the requests that were sent, with no payloads, and costs nothing once stopped", async () => {
  const info = (await (await fetch(`${a.kscope.admin}/api/info`)).json()) as { tap: boolean; tapping: number };
  assert.ok(info.tap, "the filter in build/ can tap");
  const tr = a.traffic;
  const r = await cli(["tap", "--admin", a.kscope.admin, "--topic", tr.topics.orders, "-n", "60", "-o", "json"]);
  assert.equal(r.code, 0, r.stderr);
  const events = r.stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  assert.equal(events.length, 60);
  for (const e of events) {
    assert.deepEqual(
      Object.keys(e).filter((k) => !TAP_EVENT_KEYS.has(k)),
      [],
      "only names, counts and sizes",
    );
    assert.ok(e.topics.includes(tr.topics.orders));
  }
  const produce = events.filter((e) => e.ev === "req" && e.api === "Produce");
  assert.ok(produce.length > 0, "produce requests to the topic were tapped");
  assert.ok(produce.every((e) => e.client === tr.clients.ordersProducer && e.records > 0));
  const rsp = events.find((e) => e.ev === "rsp" && e.api === "Produce");
  assert.ok(rsp && rsp.error === "NONE" && rsp.latencyUs > 0, JSON.stringify(rsp));
  assert.ok(
    events.some((e) => e.api === "Fetch" && e.client === tr.clients.billing),
    "the billing consumer's fetches",
  );
  const text = await cli(["tap", "--admin", a.kscope.admin, "--api", "Produce", "--client", tr.clients.paymentsProducer, "-n", "2"]);
  assert.match(
    text.stdout,
    new RegExp(
      `^req id=\\d+:\\d+ src=127\\.0\\.0\\.1:\\d+ client=${tr.clients.paymentsProducer} api=Produce/v\\d+ topics=${tr.topics.payments} partitions=1 records=\\d+ bytes=`,
      "m",
    ),
  );
  await new Promise((r2) => setTimeout(r2, 300));
  const after = (await (await fetch(`${a.kscope.admin}/api/info`)).json()) as { tapping: number };
  assert.equal(after.tapping, 0, "tap off once the last client left");
});

// Faults with real clients through kscope's host and through Envoy (one broker; the two proxies
// take turns on the port the broker advertises):
// - the broker is killed (SIGKILL) and restarted while an idempotent acks=all Java producer runs:
//   every record the producer saw acknowledged is readable afterwards through the proxy;
// - a client is SIGKILLed in the middle of a large Produce (half a 32 MiB frame sent) and in the
//   middle of a Fetch (kcat long-polling an idle topic): the proxy closes the broker side;
// after each, kscope's active connections and in-flight requests return to 0 once no client is
// left (nothing is kept for dead connections).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { Broker, startKafka } from "../support/kafka";
import { freePort } from "../support/ports";
import { kcatConsume } from "../support/clients";
import { spawnProc, tempDir } from "../support/procs";
import { startEnvoy } from "../support/envoy";
import { startKscope } from "../support/kscope";
import { parseSamples, sum, type Sample } from "../../host/metrics/scrape";
import { loadCorpus } from "../fuzz/corpus";

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Front {
  name: string;
  metrics(): Promise<Sample[]>;
  stop(): Promise<void>;
}

let broker: Broker;
let proxyPort: number;

before(async () => {
  proxyPort = await freePort();
  broker = await startKafka({ proxyPort });
});

after(async () => {
  await broker?.stop();
});

async function kscopeFront(): Promise<Front> {
  const k = await startKscope({ upstream: broker.proxiedUpstream, listenPort: proxyPort });
  return { name: "kscope proxy", metrics: () => k.metrics(), stop: () => k.stop() };
}

async function envoyFront(): Promise<Front> {
  const e = await startEnvoy({ name: "envoy-faults", listenPort: proxyPort, upstream: broker.proxiedUpstream });
  return { name: "Envoy", metrics: async () => parseSamples(await e.prometheus()), stop: () => e.stop() };
}

/** Established TCP connections whose local port is `port` (the broker's side of the proxy's connections). */
function establishedOn(port: number): number {
  let n = 0;
  for (const f of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    if (!fs.existsSync(f)) continue;
    for (const line of fs.readFileSync(f, "utf8").split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 4) continue;
      const local = cols[1].split(":");
      if (parseInt(local[local.length - 1], 16) === port && cols[3] === "01") n++;
    }
  }
  return n;
}

async function eventually(what: string, check: () => Promise<string | undefined>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: string | undefined;
  for (;;) {
    last = await check();
    if (last === undefined) return;
    if (Date.now() > deadline) assert.fail(`${what}: ${last}`);
    await sleep(250);
  }
}

/** No client left: kscope counts 0 active connections and 0 requests in flight, the broker side is closed. */
async function settled(front: Front): Promise<void> {
  await eventually(`${front.name} settles`, async () => {
    const m = await front.metrics();
    const active = sum(m, "kscope_connections_active");
    const inFlight = sum(m, "kscope_requests_in_flight");
    const brokerSide = establishedOn(broker.proxiedPort);
    return active === 0 && inFlight === 0 && brokerSide === 0
      ? undefined
      : `active ${active}, in flight ${inFlight}, broker-side connections ${brokerSide}`;
  });
}

async function brokerCrash(front: Front, topic: string): Promise<void> {
  await broker.createTopic(topic, 3);
  const dir = tempDir("verifiable");
  const config = path.join(dir, "producer.properties");
  fs.writeFileSync(
    config,
    "enable.idempotence=true\nacks=all\nretries=2147483647\nrequest.timeout.ms=10000\ndelivery.timeout.ms=120000\nretry.backoff.ms=200\n",
  );
  const producing = broker.tool(
    "org.apache.kafka.tools.VerifiableProducer",
    [
      "--topic",
      topic,
      "--bootstrap-server",
      broker.proxiedBootstrap,
      "--max-messages",
      "3000",
      "--throughput",
      "300",
      "--acks",
      "-1",
      "--producer.config",
      config,
    ],
    { timeoutMs: 240_000 },
  );
  await sleep(4000); // records are flowing
  await broker.restart({ kill: true });
  const r = await producing;
  assert.equal(r.code, 0, r.stderr.slice(-2000));
  const acked = new Set<string>();
  let failed = 0;
  for (const line of r.stdout.split("\n")) {
    if (!line.startsWith("{")) continue;
    const ev = JSON.parse(line) as { name: string; value?: string };
    if (ev.name === "producer_send_success" && ev.value !== undefined) acked.add(ev.value);
    if (ev.name === "producer_send_error") failed++;
  }
  assert.ok(acked.size > 1000, `${acked.size} records acknowledged, ${failed} failed`);
  const read = await kcatConsume(broker.proxiedBootstrap, topic, 100_000, { timeoutMs: 60_000 });
  const values = new Set(read.map((rec) => rec.value?.toString() ?? ""));
  const missing = [...acked].filter((v) => !values.has(v));
  assert.deepEqual(missing.slice(0, 10), [], `${missing.length} of ${acked.size} acknowledged records are not readable after the crash`);
  console.log(`${front.name}: ${acked.size} records acknowledged across the crash (${failed} send errors), ${read.length} read back`);
  await settled(front);
}

/** Sends half of a 32 MiB Produce frame (a recorded kcat Produce with its length raised), then waits to be killed. */
async function killMidProduce(front: Front): Promise<void> {
  const produce = loadCorpus()
    .find((c) => c.name.startsWith("kcat-produce-none"))!
    .requests.find((f) => f.readInt16BE(4) === 0)!;
  const frame = Buffer.from(produce);
  frame.writeInt32BE(32 * 1024 * 1024, 0);
  const script =
    `const s=require('net').connect(${proxyPort},'127.0.0.1',()=>{s.write(Buffer.from('${frame.toString("base64")}','base64'));` +
    `s.write(Buffer.alloc(16*1024*1024),()=>console.log('sent'));});setInterval(()=>{},1e6);`;
  const client = spawnProc("mid-produce", process.execPath, ["-e", script]);
  await client.waitForLog("sent", 20_000);
  await eventually("the half-sent Produce reached the broker", async () =>
    establishedOn(broker.proxiedPort) >= 1 ? undefined : "no broker-side connection",
  );
  await client.kill("SIGKILL");
  await settled(front);
}

/** kcat long-polls an idle topic (its Fetch waits at the broker), then is SIGKILLed. */
async function killMidFetch(front: Front, topic: string): Promise<void> {
  await broker.createTopic(topic, 1);
  const client = spawnProc("mid-fetch", "kcat", [
    "-q",
    "-b",
    broker.proxiedBootstrap,
    "-C",
    "-t",
    topic,
    "-o",
    "end",
    "-X",
    "fetch.wait.max.ms=20000",
    "-X",
    "fetch.min.bytes=100000000",
  ]);
  await eventually(
    "a Fetch is in flight",
    async () => {
      const m = await front.metrics();
      return sum(m, "kscope_requests_in_flight") >= 1 && sum(m, "kscope_requests_total", { api: "Fetch" }) >= 1 ? undefined : "not yet";
    },
    30_000,
  );
  await sleep(500);
  await client.kill("SIGKILL");
  await settled(front);
}

for (const [name, start] of [
  ["kscope proxy", kscopeFront],
  ["Envoy", envoyFront],
] as const) {
  test(`${name}: broker killed and restarted under an idempotent producer; clients killed mid Produce and mid Fetch`, async () => {
    const front = await start();
    const tag = name === "Envoy" ? "envoy" : "host";
    try {
      await brokerCrash(front, `crash-${tag}`);
      await killMidProduce(front);
      await killMidFetch(front, `idle-${tag}`);
    } finally {
      await front.stop();
      await waitFreed(proxyPort);
    }
  });
}

/** The proxy port is free again (the next front binds it). */
async function waitFreed(port: number): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const ok = await new Promise<boolean>((r) => {
      const s = net.createServer();
      s.once("error", () => r(false));
      s.listen(port, "127.0.0.1", () => s.close(() => r(true)));
    });
    if (ok) return;
    await sleep(100);
  }
}

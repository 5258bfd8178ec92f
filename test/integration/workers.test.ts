// Envoy with several workers (--concurrency 4: one kscope VM per worker thread), connections
// spread over the workers by the kernel:
// - a label budget holds for the whole proxy: 3,000 connections with distinct client ids give at
//   most max_label_values client_id values, like `kscope proxy` given the same traffic (before the
//   budgets moved to shared data, 4 workers gave 800 for a budget of 200). Upstream: a sink.
// - committed offsets, high watermarks and lag per partition equal kafka-consumer-groups
//   --describe, for a classic and a KIP-848 group of two members each and three producers, each
//   client on its own connections (so on different workers).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import { startEnvoy, parsePrometheus, type Envoy, type Sample } from "../support/envoy";
import { startKscope, type Kscope } from "../support/kscope";
import { request } from "../support/frames";
import { Broker, parseGroupDescribe, startKafka } from "../support/kafka";
import { freePort } from "../support/ports";
import { consoleConsume, kafkajs, kcatMetadata } from "../support/clients";
import { kafkaScript } from "../support/kafka";
import { spawnProc } from "../support/procs";
import type { Consumer } from "kafkajs";

const BUDGET = 200;
const CLIENTS = 3000;

let sink: net.Server;
let sinkPort: number;
let envoy: Envoy;
let kscope: Kscope;

before(async () => {
  sink = net.createServer((s) => {
    s.on("data", () => undefined);
    s.on("error", () => undefined);
    s.on("end", () => s.end());
  });
  await new Promise<void>((r) => sink.listen(0, "127.0.0.1", r));
  sinkPort = (sink.address() as net.AddressInfo).port;
  const config = { max_label_values: BUDGET };
  envoy = await startEnvoy({
    name: "envoy-workers",
    upstream: `127.0.0.1:${sinkPort}`,
    concurrency: 4,
    pluginConfig: config,
    wasmPath: process.env.KSCOPE_WASM,
  });
  kscope = await startKscope({ upstream: `127.0.0.1:${sinkPort}`, config });
});

after(async () => {
  await envoy?.stop();
  await kscope?.stop();
  sink?.close();
});

/** One connection per client id: an ApiVersions v0 request, then close. */
async function clients(port: number, n: number): Promise<void> {
  const one = (i: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const s = net.connect(port, "127.0.0.1", () => s.end(request(18, 0, i, `worker-client-${i}`, false)));
      s.on("close", () => resolve());
      s.on("error", reject);
      s.resume();
    });
  for (let i = 0; i < n; i += 50) await Promise.all(Array.from({ length: Math.min(50, n - i) }, (_, j) => one(i + j)));
}

function clientIds(samples: Sample[]): Set<string> {
  const out = new Set<string>();
  for (const s of samples) if (s.labels.client_id !== undefined && s.labels.client_id !== "__other__") out.add(s.labels.client_id);
  return out;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test(`a label budget of ${BUDGET} holds across 4 Envoy workers for ${CLIENTS} client ids, as in kscope proxy`, async () => {
  await clients(envoy.listenPort, CLIENTS);
  await clients(kscope.listenPort, CLIENTS);
  await sleep(500);
  const stats = await envoy.admin("/stats?filter=downstream_cx_total");
  const perWorker = [...stats.matchAll(/worker_(\d+)\.downstream_cx_total: (\d+)/g)].filter((m) => Number(m[2]) > 0);
  assert.ok(perWorker.length >= 2, `connections reached ${perWorker.length} worker(s):\n${stats}`);
  const viaEnvoy = clientIds(parsePrometheus(await envoy.prometheus()));
  const viaHost = clientIds(await kscope.metrics());
  assert.ok(viaEnvoy.size <= BUDGET, `Envoy shows ${viaEnvoy.size} client ids for a budget of ${BUDGET}`);
  assert.ok(viaEnvoy.size >= BUDGET - 5, `Envoy admitted only ${viaEnvoy.size}`);
  assert.equal(viaHost.size, BUDGET);
});

test("lag, committed offsets and high watermarks through 4 Envoy workers equal kafka-consumer-groups --describe", async () => {
  const listenPort = await freePort();
  const broker: Broker = await startKafka({ proxyPort: listenPort });
  const lagEnvoy = await startEnvoy({
    name: "envoy-workers-lag",
    listenPort,
    upstream: broker.proxiedUpstream,
    concurrency: 4,
    wasmPath: process.env.KSCOPE_WASM,
  });
  try {
    const topic = "workers-lag",
      classic = "workers-classic",
      kip848 = "workers-848";
    await broker.createTopic(topic, 6);
    const produce = async (client: string, perPartition: number): Promise<void> => {
      const producer = kafkajs(lagEnvoy.bootstrap, { clientId: client }).producer();
      await producer.connect();
      try {
        for (let p = 0; p < 6; p++) {
          await producer.send({
            topic,
            acks: -1,
            messages: Array.from({ length: perPartition }, (_, i) => ({ partition: p, value: `${client}-${p}-${i}` })),
          });
        }
      } finally {
        await producer.disconnect();
      }
    };
    await Promise.all([produce("workers-producer-1", 30), produce("workers-producer-2", 30), produce("workers-producer-3", 30)]);
    // Two members per group, consuming at once; each commits its positions when it stops.
    const members = (group: string, props: Record<string, string>) =>
      Promise.all(
        [1, 2].map((i) =>
          consoleConsume(lagEnvoy.bootstrap, topic, 120, {
            group,
            idleTimeoutMs: 8000,
            consumerProps: { "client.id": `${group}-${i}`, ...props },
          }),
        ),
      );
    await members(classic, {});
    await members(kip848, { "group.protocol": "consumer" });
    await produce("workers-producer-4", 5); // new high watermarks after the commits
    await sleep(3000); // every worker has ticked twice: facts published and taken in
    const m = parsePrometheus(await lagEnvoy.prometheus());
    const one = (name: string, labels: Record<string, string>): number | undefined =>
      m.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
    const r = await broker.tool("org.apache.kafka.tools.consumer.group.ConsumerGroupCommand", [
      "--bootstrap-server",
      broker.directBootstrap,
      "--describe",
      "--group",
      classic,
      "--group",
      kip848,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const rows = parseGroupDescribe(r.stdout).filter((row) => row.topic === topic);
    const report: string[] = [];
    let compared = 0;
    for (const row of rows) {
      const labels = { group: row.group, topic, partition: String(row.partition) };
      const hw = one("kscope_partition_high_watermark", { topic, partition: String(row.partition) });
      const committed = one("kscope_group_committed_offset", labels);
      const lag = one("kscope_consumer_lag_records", labels);
      report.push(
        `${row.group} p${row.partition}: broker ${row.currentOffset}/${row.logEndOffset} lag ${row.lag}; kscope ${committed}/${hw} lag ${lag}`,
      );
      assert.equal(hw, row.logEndOffset, `${row.group} p${row.partition} high watermark`);
      if (row.currentOffset === null) continue;
      assert.equal(committed, row.currentOffset, `${row.group} p${row.partition} committed offset`);
      assert.equal(lag, row.lag, `${row.group} p${row.partition} lag`);
      compared++;
    }
    console.log(report.join("\n"));
    assert.ok(compared >= 8, `${compared} partitions with a committed offset compared:\n${report.join("\n")}`);
    await liveMembers(broker, lagEnvoy, topic);
    const stats = await lagEnvoy.admin("/stats?filter=downstream_cx_total");
    const perWorker = [...stats.matchAll(/worker_(\d+)\.downstream_cx_total: (\d+)/g)].filter((x) => Number(x[2]) > 0);
    assert.ok(perWorker.length >= 2, `connections reached ${perWorker.length} worker(s)`);
  } finally {
    await lagEnvoy.stop();
    await broker.stop();
  }
});

/** Members of a group by `kafka-consumer-groups --describe --members` (the broker's truth). */
async function brokerMembers(broker: Broker, group: string): Promise<number> {
  const r = await broker.tool("org.apache.kafka.tools.consumer.group.ConsumerGroupCommand", [
    "--bootstrap-server",
    broker.directBootstrap,
    "--describe",
    "--members",
    "--group",
    group,
  ]);
  return r.stdout.split("\n").filter((l) => l.startsWith(`${group} `)).length;
}

/**
 * Members while they are live: three kafkajs members of a classic group and two Java members of a
 * KIP-848 group, each on its own connections (so on different workers): kscope_group_members
 * equals the broker's count.
 */
async function liveMembers(broker: Broker, envoy: Envoy, topic: string): Promise<void> {
  const classic = "workers-live-classic",
    kip848 = "workers-live-848";
  const consumers: Consumer[] = [];
  const java = [1, 2].map((i) =>
    spawnProc(`live-848-${i}`, kafkaScript, [
      "tool",
      "org.apache.kafka.tools.consumer.ConsoleConsumer",
      "--bootstrap-server",
      envoy.bootstrap,
      "--topic",
      topic,
      "--group",
      kip848,
      "--consumer-property",
      "group.protocol=consumer",
      "--consumer-property",
      `client.id=${kip848}-${i}`,
      "--timeout-ms",
      "600000",
    ]),
  );
  try {
    for (let i = 1; i <= 3; i++) {
      const c = kafkajs(envoy.bootstrap, { clientId: `${classic}-${i}` }).consumer({ groupId: classic, maxWaitTimeInMs: 200 });
      await c.connect();
      await c.subscribe({ topic, fromBeginning: true });
      await c.run({ eachMessage: async () => undefined });
      consumers.push(c);
    }
    const want = { [classic]: 3, [kip848]: 2 };
    for (const [group, n] of Object.entries(want)) {
      const deadline = Date.now() + 60_000;
      while ((await brokerMembers(broker, group)) !== n && Date.now() < deadline) await sleep(1000);
    }
    await sleep(6000); // stable: joins answered, heartbeats seen, every worker ticked
    const m = parsePrometheus(await envoy.prometheus());
    for (const [group, n] of Object.entries(want)) {
      const broker_n = await brokerMembers(broker, group);
      const kscope_n = m.find((s) => s.name === "kscope_group_members" && s.labels.group === group)?.value;
      console.log(`${group}: broker ${broker_n} members, kscope ${kscope_n}`);
      assert.equal(broker_n, n, `${group}: the broker has ${broker_n} members`);
      assert.equal(kscope_n, n, `${group}: kscope_group_members`);
    }
  } finally {
    for (const c of consumers) await c.disconnect();
    for (const p of java) await p.kill("SIGTERM");
  }
}

/**
 * Topic partitions and leaders come from shared data: a topic grows from 2 to 5 partitions
 * (kafka-topics --alter) while Metadata requests arrive on many connections (kcat -L, one process
 * each, so on different workers); afterwards Envoy's gauges (one per proxy, written by every
 * worker) equal the broker's view (kcat -L straight to the broker), and so do `kscope proxy`'s
 * given the same traffic.
 */
test("topic partitions and leaders through 4 Envoy workers equal the broker's view after the topic grows, as in kscope proxy", async () => {
  const [envoyPort, hostPort] = [await freePort(), await freePort()];
  const broker: Broker = await startKafka({ proxyPort: envoyPort, listeners: { HOST: `127.0.0.1:${hostPort}` } });
  const metaEnvoy = await startEnvoy({
    name: "envoy-workers-meta",
    listenPort: envoyPort,
    upstream: broker.proxiedUpstream,
    concurrency: 4,
    wasmPath: process.env.KSCOPE_WASM,
  });
  const host = await startKscope({ upstream: `127.0.0.1:${broker.listenerPorts.HOST}`, listenPort: hostPort });
  const topic = "workers-meta";
  const metadataRounds = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i += 4) {
      await Promise.all(
        [metaEnvoy.bootstrap, `127.0.0.1:${hostPort}`, metaEnvoy.bootstrap, metaEnvoy.bootstrap].map((b) => kcatMetadata(b, topic)),
      );
    }
  };
  try {
    await broker.createTopic(topic, 2);
    await metadataRounds(12);
    const grow = await broker.tool("org.apache.kafka.tools.TopicCommand", [
      "--bootstrap-server",
      broker.directBootstrap,
      "--alter",
      "--topic",
      topic,
      "--partitions",
      "5",
    ]);
    assert.equal(grow.code, 0, grow.stderr);
    let truth = await kcatMetadata(broker.directBootstrap, topic);
    for (let i = 0; i < 30 && truth.topics[0].partitions.length !== 5; i++) {
      await sleep(500);
      truth = await kcatMetadata(broker.directBootstrap, topic);
    }
    const want = new Map(truth.topics[0].partitions.map((p) => [String(p.partition), p.leader]));
    assert.equal(want.size, 5, "the broker has 5 partitions");
    await metadataRounds(12);
    await sleep(2500); // every worker ticks: gauges rewritten from shared data
    const stats = await metaEnvoy.admin("/stats?filter=downstream_cx_total");
    const perWorker = [...stats.matchAll(/worker_(\d+)\.downstream_cx_total: (\d+)/g)].filter((x) => Number(x[2]) > 0);
    assert.ok(perWorker.length >= 2, `connections reached ${perWorker.length} worker(s)`);
    const views: [string, Sample[]][] = [
      ["Envoy", parsePrometheus(await metaEnvoy.prometheus())],
      ["Envoy again", parsePrometheus(await metaEnvoy.prometheus())],
      ["kscope proxy", await host.metrics()],
    ];
    for (const [who, m] of views) {
      const partitions = m.find((s) => s.name === "kscope_topic_partitions" && s.labels.topic === topic)?.value;
      assert.equal(partitions, 5, `${who}: kscope_topic_partitions`);
      const leaders = new Map(
        m.filter((s) => s.name === "kscope_partition_leader" && s.labels.topic === topic).map((s) => [s.labels.partition, s.value]),
      );
      assert.deepEqual(leaders, want, `${who}: kscope_partition_leader`);
    }
  } finally {
    await metaEnvoy.stop();
    await host.stop();
    await broker.stop();
  }
});

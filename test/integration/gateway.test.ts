// kscope as a gateway in front of a real three-broker Kafka 4.1 cluster (KRaft): real clients are
// given only the gateway's bootstrap address, and every byte they exchange with the cluster goes
// through kscope (proved from the brokers' side: every connection to their client listeners is
// the gateway's), counts equal the clients' own, groups work through the coordinator behind it,
// and a broker stopped under load moves leaders without losing an acknowledged record.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Cluster, GatewayProc, startCluster, startGateway, watchBrokerConnections } from "../support/cluster";
import { consoleConsume, consoleProduce, kafkajs, kcatMetadata, kcatProduce, producerPerf } from "../support/clients";
import { kafkajsRoundTrip, kcatCodecRoundTrip } from "../support/workload";
import { Envoy, renderGatewayConfig, startEnvoy } from "../support/envoy";
import { Sample, parseSamples, sum } from "../../host/metrics/scrape";
import { freeRange } from "../support/cluster";

let cluster: Cluster;
let gw: GatewayProc;
let envoy: Envoy | undefined;
let watch: ReturnType<typeof watchBrokerConnections>;
const gateways: number[] = []; // processes allowed to connect to the brokers

before(async () => {
  cluster = await startCluster(3);
  gw = await startGateway(cluster);
  gateways.push(gw.proc.pid);
  watch = watchBrokerConnections(cluster, gateways);
});

after(async () => {
  await envoy?.stop();
  await gw?.stop();
  await cluster?.stop();
});

async function createTopic(topic: string, partitions: number): Promise<void> {
  const admin = kafkajs(gw.bootstrap).admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [{ topic, numPartitions: partitions, replicationFactor: 3 }],
      waitForLeaders: true,
      timeout: 30_000,
    });
  } finally {
    await admin.disconnect();
  }
  await knownEverywhere(topic, partitions);
}

// The controller acknowledges a new topic before every broker has applied it from the metadata
// log; a client whose next Metadata lands on a lagging broker gets UNKNOWN_TOPIC_OR_PARTITION
// (kafkajs does not retry that). Wait until each live broker, asked through its gateway port,
// knows the topic and a leader for every partition.
async function knownEverywhere(topic: string, partitions: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const node of cluster.nodes.filter((x) => !x.stopped)) {
    for (;;) {
      const md = await kcatMetadata(`127.0.0.1:${gw.portBase + node.id}`, topic).catch(() => undefined);
      const t = md?.originating_broker.id === node.id ? md.topics.find((x) => x.topic === topic) : undefined;
      if (t && !t.error && t.partitions.length === partitions && t.partitions.every((p) => p.leader >= 0)) break;
      if (Date.now() > deadline) throw new Error(`node ${node.id} does not know ${topic} after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

const delta =
  (before: Sample[], now: Sample[]) =>
  (name: string, labels: Record<string, string> = {}) =>
    sum(now, name, labels) - sum(before, name, labels);

test("clients see every broker at the gateway: node n at port base + n, leaders spread over all three", async () => {
  await createTopic("gw-spread", 6);
  const md = await kcatMetadata(gw.bootstrap, "gw-spread");
  assert.deepEqual(md.brokers.map((b) => b.name).sort(), cluster.nodes.map((x) => `127.0.0.1:${gw.portBase + x.id}`).sort());
  const leaders = new Set(md.topics[0].partitions.map((p) => p.leader));
  assert.equal(leaders.size, 3, "partitions are led by all three brokers");
  const m = await gw.metrics();
  assert.ok(sum(m, "kscope_gateway_responses_total", { api: "Metadata", result: "rewritten" }) > 0);
});

test("kafkajs: records intact, and the gateway counts exactly the requests kafkajs made (group through the coordinator)", async () => {
  await createTopic("gw-kafkajs", 3);
  const before = await gw.metrics();
  const rt = await kafkajsRoundTrip(gw.bootstrap, "gw-kafkajs", "gw-kafkajs", "gw-kafkajs-group");
  await new Promise((r) => setTimeout(r, 300));
  const d = delta(before, await gw.metrics());
  const key = (b: Buffer): string => b.toString("base64");
  // Each record once at least (a rebalance while the group forms may deliver a few twice).
  assert.deepEqual(
    [...new Set(rt.got.map(key))].sort(),
    rt.sent.map(key).sort(),
    "records consumed through the gateway are byte-identical",
  );
  // With three leaders a send is one Produce per broker it touches: compare with kafkajs' own count.
  assert.ok((rt.completed.get("Produce") ?? 0) >= 20);
  for (const [api, n] of rt.completed) {
    assert.equal(d("kscope_responses_total", { api }), n, `${api} responses seen by kscope = kafkajs' own`);
    if (api !== "Fetch") assert.equal(d("kscope_requests_total", { api }), n, `${api} requests`);
  }
  // A Fetch may still be parked at each broker when the consumer leaves: kafkajs never sees its response.
  const fetchReq = d("kscope_requests_total", { api: "Fetch" }),
    fetchResp = d("kscope_responses_total", { api: "Fetch" });
  assert.ok(fetchReq >= fetchResp && fetchReq <= fetchResp + 3, `Fetch requests ${fetchReq} vs responses ${fetchResp}`);
  assert.equal(
    d("kscope_requests_total", { api: "Produce" }),
    d("kscope_gateway_requests_total", { api: "Produce" }),
    "per-broker counts add up",
  );
});

test("kcat (librdkafka): every codec round-trips byte for byte through the gateway", async () => {
  await createTopic("gw-kcat", 1);
  await kcatCodecRoundTrip(gw.bootstrap, "gw-kcat");
});

test("the Java client: an idempotent acks=all producer and a KIP-848 consumer group, counted record for record", async () => {
  await createTopic("gw-java", 3);
  const before = await gw.metrics();
  const lines = Array.from({ length: 300 }, (_, i) => `java-${i}`);
  await consoleProduce(gw.bootstrap, "gw-java", lines, { producerProps: { acks: "all", "enable.idempotence": true } });
  const got = await consoleConsume(gw.bootstrap, "gw-java", lines.length, {
    group: "gw-848",
    consumerProps: { "group.protocol": "consumer" },
    timeoutMs: 90_000,
  });
  assert.deepEqual([...got.lines].sort(), [...lines].sort());
  const d = delta(before, await gw.metrics());
  assert.equal(d("kscope_produced_records_total", { topic: "gw-java" }), 300, "every produced record seen by kscope");
  assert.ok(d("kscope_fetched_records_total", { topic: "gw-java" }) >= 300, "every consumed record seen by kscope");
  assert.ok(d("kscope_requests_total", { api: "ConsumerGroupHeartbeat" }) > 0, "the KIP-848 group heartbeats through the gateway");
  assert.ok(
    d("kscope_gateway_responses_total", { api: "FindCoordinator", result: "rewritten" }) > 0,
    "the coordinator's address was rewritten",
  );
  assert.ok(d("kscope_gateway_requests_total", { api: "Produce" }) > 0);
});

test("Envoy as the gateway (examples/envoy/gateway.yaml): kcat and the Java client through it, addresses rewritten by kscope.wasm", async () => {
  const base = await freeRange(cluster.nodes.length + 2);
  const live = cluster.nodes.filter((x) => !x.stopped);
  envoy = await startEnvoy({
    name: "envoy-gateway",
    upstream: "",
    listenPort: base,
    render: (_listen, adminPort) =>
      renderGatewayConfig({ adminPort, bootstrapPort: base, portBase: base + 1, brokers: live.map((x) => ({ id: x.id, port: x.port })) }),
  });
  gateways.push(envoy.pid);
  const md = await kcatMetadata(envoy.bootstrap);
  assert.deepEqual(
    md.brokers.map((b) => b.name).sort(),
    live.map((x) => `127.0.0.1:${base + 1 + x.id}`).sort(),
    "live brokers at Envoy's ports",
  );
  await createTopic("gw-envoy", 3);
  await kcatCodecRoundTrip(envoy.bootstrap, "gw-envoy");
  const lines = Array.from({ length: 200 }, (_, i) => `envoy-${i}`);
  await consoleProduce(envoy.bootstrap, "gw-envoy-java", lines, { producerProps: { acks: "all", "enable.idempotence": true } });
  const got = await consoleConsume(envoy.bootstrap, "gw-envoy-java", lines.length, {
    group: "gw-envoy-848",
    consumerProps: { "group.protocol": "consumer" },
    timeoutMs: 90_000,
  });
  assert.deepEqual([...got.lines].sort(), [...lines].sort());
  // Fetch responses of ~256 KiB span several reads: Envoy holds them while the filter pauses and
  // presents them again with the next bytes; they must arrive whole (records intact, none missing).
  await createTopic("gw-envoy-big", 1);
  const big = Array.from({ length: 1500 }, (_, i) => `${i}-`.padEnd(1000, String.fromCharCode(97 + (i % 26))));
  await kcatProduce(envoy.bootstrap, "gw-envoy-big", big, { X: { "batch.size": 100000 } });
  const bigGot = await consoleConsume(envoy.bootstrap, "gw-envoy-big", big.length, {
    consumerProps: { "max.partition.fetch.bytes": 262144 },
    timeoutMs: 90_000,
  });
  assert.deepEqual(bigGot.lines, big, "large held Fetch responses arrive whole through Envoy");
  const m = parseSamples(await envoy.prometheus());
  assert.ok(sum(m, "kscope_gateway_responses_total", { api: "Fetch" }) > 0, "Fetch responses were held and walked");
  assert.ok(sum(m, "kscope_gateway_responses_total", { api: "Metadata", result: "rewritten" }) > 0);
  assert.ok(sum(m, "kscope_gateway_responses_total", { api: "FindCoordinator", result: "rewritten" }) > 0);
  assert.equal(sum(m, "kscope_gateway_responses_total", { result: "malformed" }), 0);
  assert.ok(sum(m, "kscope_gateway_requests_total", { api: "Produce" }) > 0);
  assert.equal(sum(m, "kscope_produced_records_total", { topic: "gw-envoy-java" }), 200, "every produced record seen by kscope in Envoy");
  assert.doesNotMatch(envoy.log(), /wasm.*(error|failed)/i);
});

test("a broker stopped under load: clients follow the new leaders through the gateway, no acknowledged record lost", async (t) => {
  const topic = "gw-move";
  await createTopic(topic, 6);
  const md = await kcatMetadata(gw.bootstrap, topic);
  const victim = md.topics[0].partitions.find((p) => p.partition === 0)!.leader;
  const before = await gw.metrics();
  const records = 60_000; // 20 s at 3000/s: still producing well after the broker is gone
  const perf = producerPerf(gw.bootstrap, topic, records, {
    throughput: 3000,
    recordSize: 100,
    timeoutMs: 180_000,
    producerProps: { acks: "all", "enable.idempotence": true, "delivery.timeout.ms": 120_000, "linger.ms": 5 },
  });
  const produceTo = (m: Sample[], node: number) => sum(m, "kscope_gateway_requests_total", { api: "Produce", node_id: String(node) });
  // Stop the leader of partition 0 once the producer is writing to it (the JVM takes a while to start).
  let mid = await gw.metrics();
  for (let i = 0; i < 300 && produceTo(mid, victim) - produceTo(before, victim) < 10; i++) {
    await new Promise((r) => setTimeout(r, 100));
    mid = await gw.metrics();
  }
  await cluster.stopNode(victim);
  const stoppedAt = await gw.metrics();
  const r = await perf;
  assert.equal(r.records, records, "the producer sent every record");
  await kcatMetadata(gw.bootstrap, topic); // a fresh Metadata response through the gateway
  const after = await gw.metrics();

  // Every record is in the log once: the sum of the partitions' end offsets (the topic was empty).
  const admin = kafkajs(gw.bootstrap).admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  assert.equal(
    offsets.reduce((a, o) => a + Number(o.high), 0),
    records,
    "every acknowledged record is in the log, none twice",
  );

  // Per broker: the stopped node took Produce requests before, none after; the others took over.
  assert.ok(produceTo(mid, victim) - produceTo(before, victim) > 0, `node ${victim} led partition 0 and took Produce requests`);
  assert.equal(produceTo(after, victim), produceTo(stoppedAt, victim), `no Produce request reached node ${victim} once stopped`);
  const others = cluster.nodes.filter((n) => n.id !== victim).map((n) => n.id);
  t.diagnostic(
    `Produce requests per node before the stop / once stopped / at the end: ${cluster.nodes.map((n) => `${n.id}: ${produceTo(mid, n.id)}/${produceTo(stoppedAt, n.id)}/${produceTo(after, n.id)}`).join(", ")}`,
  );
  // kscope's own view of the leaders (from the Metadata responses it saw): partition 0 moved.
  const leader0 = (m: Sample[]) => sum(m, "kscope_partition_leader", { topic, partition: "0" });
  assert.equal(leader0(mid), victim, `kscope saw node ${victim} lead partition 0`);
  assert.ok(others.includes(leader0(after)), `kscope saw partition 0 move to node ${others.join(" or ")} (saw ${leader0(after)})`);
  const d = delta(before, after);
  // KIP-951: a broker that lost leadership answers with the new leader's node_endpoints (rewritten here).
  t.diagnostic(
    `node ${victim} stopped; Produce responses rewritten (node_endpoints): ${d("kscope_gateway_responses_total", { api: "Produce", result: "rewritten" })}, ` +
      `Produce errors: ${JSON.stringify(after.filter((x) => x.name === "kscope_errors_total" && x.labels.api === "Produce").map((x) => `${x.labels.error}=${x.value}`))}`,
  );
  assert.equal(d("kscope_gateway_responses_total", { result: "malformed" }), 0);
  assert.equal(d("kscope_gateway_responses_total", { result: "too_large" }), 0);

  // A consumer reads everything back through the gateway with the node down.
  const got = await consoleConsume(gw.bootstrap, topic, records, {
    group: "gw-move-readers",
    consumerProps: { "group.protocol": "consumer" },
    timeoutMs: 120_000,
  });
  assert.equal(got.lines.length, records);
});

test("no client ever connected to a broker directly: every connection to their client listeners was the gateway's", () => {
  const seen = watch.stop();
  assert.ok(seen.gateway >= 3, `the gateway's own connections to the brokers were seen (${seen.gateway})`);
  assert.deepEqual(seen.others, [], "connections to a broker's client listener from another process");
});

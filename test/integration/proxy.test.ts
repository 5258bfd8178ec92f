// The vertical slice against real software: a Kafka 4.1 broker, `kscope proxy` with the real
// kscope.wasm, and real clients (kafkajs, kcat/librdkafka) that nobody here wrote.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { Broker, startKafka } from "../support/kafka";
import { freePort } from "../support/ports";
import { Kscope, startKscope } from "../support/kscope";
import { kafkajs, kcatConsume, kcatMetadata, kcatProduce } from "../support/clients";
import { sum } from "../../host/metrics/scrape";

// kafkajs names a few APIs differently from Kafka's schemas (which kscope uses).
const KAFKAJS_NAMES: Record<string, string> = { GroupCoordinator: "FindCoordinator" };

let broker: Broker;
let kscope: Kscope;

before(async () => {
  const listenPort = await freePort();
  broker = await startKafka({ proxyPort: listenPort });
  kscope = await startKscope({ upstream: broker.proxiedUpstream, listenPort });
});

after(async () => {
  await kscope?.stop();
  await broker?.stop();
});

test("clients that bootstrap through kscope keep talking through it", async () => {
  const md = await kcatMetadata(kscope.bootstrap);
  assert.deepEqual(md.brokers.map((b) => b.name), [kscope.bootstrap]);
});

test("kafkajs: every record arrives intact, and kscope counts exactly the requests the client made", async () => {
  const topic = "slice-kafkajs";
  await broker.createTopic(topic, 3);
  const seen = new Map<string, number>(); // apiName -> completed requests, from kafkajs' own instrumentation
  const countRequests = (c: { on: (e: any, f: (ev: any) => void) => unknown; events: { REQUEST: any } }) =>
    c.on(c.events.REQUEST, (ev) => {
      const api = KAFKAJS_NAMES[ev.payload.apiName] ?? ev.payload.apiName;
      seen.set(api, (seen.get(api) ?? 0) + 1);
    });
  const before = await kscope.metrics();
  const kafka = kafkajs(kscope.bootstrap, { clientId: "slice-kafkajs" });
  const producer = kafka.producer();
  countRequests(producer);
  await producer.connect();
  const sent: Buffer[] = [];
  for (let i = 0; i < 20; i++) {
    const messages = Array.from({ length: 5 }, () => { const v = randomBytes(1 + (i * 97) % 3000); sent.push(v); return { value: v }; });
    await producer.send({ topic, acks: -1, messages });
  }
  await producer.disconnect();

  const consumer = kafka.consumer({ groupId: "slice-group", maxWaitTimeInMs: 100 });
  countRequests(consumer);
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const got: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`consumed ${got.length}/${sent.length}`)), 30_000);
    consumer.run({ eachMessage: async ({ message }) => { got.push(message.value!); if (got.length === sent.length) { clearTimeout(timer); resolve(); } } });
  });
  await consumer.disconnect();
  const key = (b: Buffer) => b.toString("base64");
  assert.deepEqual(got.map(key).sort(), sent.map(key).sort(), "records consumed through kscope are byte-identical");

  await new Promise((r) => setTimeout(r, 300));
  const m = await kscope.metrics();
  const delta = (name: string, labels: Record<string, string>) => sum(m, name, labels) - sum(before, name, labels);
  assert.equal(seen.get("Produce"), 20);
  assert.equal(delta("kscope_requests_total", { api: "Produce" }), 20, "Produce requests seen by kscope");
  assert.equal(delta("kscope_responses_total", { api: "Produce" }), 20);
  for (const api of ["ApiVersions", "Metadata", "FindCoordinator", "JoinGroup", "SyncGroup", "OffsetFetch", "OffsetCommit", "Heartbeat"]) {
    assert.equal(delta("kscope_responses_total", { api }), seen.get(api) ?? 0, `${api} responses`);
  }
  // A Fetch may still be parked at the broker when the consumer leaves: kafkajs never sees its response.
  const fetchReq = delta("kscope_requests_total", { api: "Fetch" });
  const fetchResp = delta("kscope_responses_total", { api: "Fetch" });
  assert.ok((seen.get("Fetch") ?? 0) > 0);
  assert.equal(fetchResp, seen.get("Fetch"), "Fetch responses");
  assert.ok(fetchReq >= fetchResp && fetchReq <= fetchResp + 2, `Fetch requests ${fetchReq} vs responses ${fetchResp}`);
  assert.ok(delta("kscope_request_duration_microseconds_count", { api: "Produce" }) === 20, "every Produce has a duration");
  assert.ok(delta("kscope_request_bytes_total", { api: "Produce" }) > sent.reduce((a, b) => a + b.length, 0), "Produce bytes cover the payload");
});

test("kcat (librdkafka): all compression codecs round-trip byte for byte", async () => {
  const topic = "slice-kcat";
  await broker.createTopic(topic, 1);
  const records: Buffer[] = [];
  for (const codec of ["none", "gzip", "snappy", "lz4", "zstd"] as const) {
    const batch = Array.from({ length: 50 }, (_, i) => Buffer.concat([Buffer.from(`${codec}-${i}-`), randomBytes(i * 20)]));
    await kcatProduce(kscope.bootstrap, topic, batch, { compression: codec, partition: 0 });
    records.push(...batch);
  }
  const got = await kcatConsume(kscope.bootstrap, topic, records.length);
  assert.equal(got.length, records.length);
  got.forEach((r, i) => assert.ok(r.value!.equals(records[i]), `record ${i} differs`));
});

test("connections balance and nothing is left in flight once clients are gone", async () => {
  await new Promise((r) => setTimeout(r, 500));
  const m = await kscope.metrics();
  assert.ok(sum(m, "kscope_connections_total") >= 5);
  assert.equal(sum(m, "kscope_connections_active"), 0);
  assert.equal(sum(m, "kscope_requests_in_flight"), 0);
  assert.equal(sum(m, "kscope_connections_unparsed_total"), 0);
  assert.equal(sum(m, "kscope_frames_undecoded_total", { reason: "malformed" }), 0);
});

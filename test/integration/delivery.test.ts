// Records the consumer receives (issue 12) and delivery latency (issue 10), against a real Kafka 4.1
// broker through `kscope proxy` with the real kscope.wasm and real clients (kafkajs, kcat).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Broker, startKafka } from "../support/kafka";
import { freePort } from "../support/ports";
import { Kscope, startKscope } from "../support/kscope";
import { kafkajs, kcatConsume } from "../support/clients";
import { sum, type Sample } from "../../host/metrics/scrape";
import { DELIVERY_BUCKETS } from "../../host/metrics/store";

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

/** Produces `n` records in one kafkajs send (one batch: kafkajs sends one batch per partition), stamped `timestamp` (CreateTime). */
async function produceBatch(topic: string, n: number, timestamp: number): Promise<void> {
  const producer = kafkajs(kscope.bootstrap, { clientId: `${topic}-producer` }).producer();
  await producer.connect();
  try {
    await producer.send({ topic, messages: Array.from({ length: n }, (_, i) => ({ value: `record ${i}`, timestamp: String(timestamp) })) });
  } finally {
    await producer.disconnect();
  }
}

/** Observations of kscope_delivery_latency_milliseconds{topic} at or below `le` (cumulative bucket). */
function bucket(m: Sample[], topic: string, le: number | "+Inf"): number {
  return sum(m, "kscope_delivery_latency_milliseconds_bucket", { topic, le: String(le) });
}

test("a consumer that seeks into a batch: fetched records equal what the client received, not the whole resent batch", async () => {
  const topic = "fetch-offset";
  await broker.createTopic(topic, 1);
  await produceBatch(topic, 100, Date.now());

  // kcat asks from offset 37; the broker answers with the whole batch 0..99 and librdkafka drops 0..36.
  const got = await kcatConsume(kscope.bootstrap, topic, 1000, { partition: 0, offset: 37, X: { "client.id": "seek-reader" } });
  assert.equal(got.length, 63, "the client's own count");
  assert.equal(got[0].offset, 37);
  let m = await kscope.metrics();
  assert.equal(sum(m, "kscope_fetched_records_total", { topic, client_id: "seek-reader" }), 63, "fetched records from offset 37");
  assert.ok(sum(m, "kscope_fetched_bytes_total", { topic, client_id: "seek-reader" }) > 0, "wire bytes still counted");

  // A read from the start is counted whole; a read from past the batch's middle again only its tail.
  const all = await kcatConsume(kscope.bootstrap, topic, 1000, { partition: 0, offset: "beginning", X: { "client.id": "full-reader" } });
  assert.equal(all.length, 100);
  const tail = await kcatConsume(kscope.bootstrap, topic, 1000, { partition: 0, offset: 99, X: { "client.id": "tail-reader" } });
  assert.equal(tail.length, 1);
  m = await kscope.metrics();
  assert.equal(sum(m, "kscope_fetched_records_total", { topic, client_id: "full-reader" }), 100);
  assert.equal(sum(m, "kscope_fetched_records_total", { topic, client_id: "tail-reader" }), 1);
});

test("delivery latency: one observation per delivered batch, its age from the batch timestamp, in the host's buckets", async () => {
  const old = "delivery-old",
    fresh = "delivery-fresh";
  await broker.createTopic(old, 1);
  await broker.createTopic(fresh, 1);
  // Stamped two minutes ago (CreateTime is the producer's clock, which the test sets): a consumer catching up.
  await produceBatch(old, 50, Date.now() - 120_000);
  await produceBatch(fresh, 50, Date.now());

  assert.equal((await kcatConsume(kscope.bootstrap, old, 1000, { partition: 0, X: { "client.id": "old-reader" } })).length, 50);
  assert.equal((await kcatConsume(kscope.bootstrap, fresh, 1000, { partition: 0, X: { "client.id": "fresh-reader" } })).length, 50);
  const m = await kscope.metrics();

  const les = m
    .filter((s) => s.name === "kscope_delivery_latency_milliseconds_bucket" && s.labels.topic === old && s.labels.le !== "+Inf")
    .map((s) => Number(s.labels.le));
  assert.deepEqual(les, DELIVERY_BUCKETS, "bucket bounds");
  assert.equal(sum(m, "kscope_delivery_latency_milliseconds_count", { topic: old, group: "" }), 1, "one batch delivered once");
  // 120 s old: above the 60 s bound, within 300 s.
  assert.equal(bucket(m, old, 60_000), 0);
  assert.equal(bucket(m, old, 300_000), 1);
  const ageSum = sum(m, "kscope_delivery_latency_milliseconds_sum", { topic: old });
  assert.ok(ageSum >= 120_000 && ageSum < 180_000, `age ${ageSum} ms`);

  assert.equal(sum(m, "kscope_delivery_latency_milliseconds_count", { topic: fresh }), 1);
  assert.equal(bucket(m, fresh, 60_000), 1, "produced just now: under a minute");
});

// The vertical slice against real software: a Kafka 4.1 broker, `kscope proxy` with the real
// kscope.wasm, and real clients (kafkajs, kcat/librdkafka) that nobody here wrote.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Broker, startKafka } from "../support/kafka";
import { freePort } from "../support/ports";
import { Kscope, startKscope } from "../support/kscope";
import { kcatMetadata } from "../support/clients";
import { assertRoundTrip, kafkajsRoundTrip, kcatCodecRoundTrip } from "../support/workload";
import { sum } from "../../host/metrics/scrape";

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
  assert.deepEqual(
    md.brokers.map((b) => b.name),
    [kscope.bootstrap],
  );
});

test("kafkajs: every record arrives intact, and kscope counts exactly the requests the client made", async () => {
  const topic = "slice-kafkajs";
  await broker.createTopic(topic, 3);
  const before = await kscope.metrics();
  const rt = await kafkajsRoundTrip(kscope.bootstrap, topic, "slice-kafkajs", "slice-group");
  await new Promise((r) => setTimeout(r, 300));
  const m = await kscope.metrics();
  assertRoundTrip(rt, (name, labels = {}) => sum(m, name, labels) - sum(before, name, labels));
});

test("kcat (librdkafka): all compression codecs round-trip byte for byte", async () => {
  const topic = "slice-kcat";
  await broker.createTopic(topic, 1);
  await kcatCodecRoundTrip(kscope.bootstrap, topic);
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

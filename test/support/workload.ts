// The kafkajs workload that both proxies (kscope's host and Envoy) are checked with, and the
// check itself: kscope's per-API counts must equal what kafkajs' own instrumentation saw.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { kafkajs, kcatConsume, kcatProduce } from "./clients";

// kafkajs names a few APIs differently from Kafka's schemas (which kscope uses).
const KAFKAJS_NAMES: Record<string, string> = { GroupCoordinator: "FindCoordinator" };

export interface RoundTrip {
  sent: Buffer[];
  got: Buffer[];
  /** Requests kafkajs completed (got a response to), by Kafka API name. */
  completed: Map<string, number>;
}

/** 20 sends of 5 random records (acks=all), then a consumer group reads them all back. */
export async function kafkajsRoundTrip(bootstrap: string, topic: string, clientId: string, groupId: string): Promise<RoundTrip> {
  const completed = new Map<string, number>();
  const count = (c: { on: (e: any, f: (ev: any) => void) => unknown; events: { REQUEST: any } }) =>
    c.on(c.events.REQUEST, (ev) => {
      const api = KAFKAJS_NAMES[ev.payload.apiName] ?? ev.payload.apiName;
      completed.set(api, (completed.get(api) ?? 0) + 1);
    });
  const kafka = kafkajs(bootstrap, { clientId });
  // Idempotent: a Produce retried on a slow machine is not appended twice (records stay exact).
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  count(producer);
  await producer.connect();
  const sent: Buffer[] = [];
  for (let i = 0; i < 20; i++) {
    const messages = Array.from({ length: 5 }, () => {
      const v = randomBytes(1 + ((i * 97) % 3000));
      sent.push(v);
      return { value: v };
    });
    await producer.send({ topic, acks: -1, messages });
  }
  await producer.disconnect();

  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
  count(consumer);
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const got: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`consumed ${got.length}/${sent.length}`)), 30_000);
    // Until every record arrived once: a group rebalance may deliver some twice (at least once).
    const seen = new Set<string>();
    void consumer.run({
      eachMessage: async ({ message }) => {
        got.push(message.value!);
        seen.add(message.value!.toString("base64"));
        if (seen.size === sent.length) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  return { sent, got, completed };
}

/** Records came back byte-identical, and kscope counted exactly the requests kafkajs made. */
/** `histogram: false` where histograms show only later (Envoy merges them at each stats flush). */
export function assertRoundTrip(
  rt: RoundTrip,
  delta: (name: string, labels?: Record<string, string>) => number,
  opts = { histogram: true },
): void {
  const key = (b: Buffer): string => b.toString("base64");
  assert.deepEqual(rt.got.map(key).sort(), rt.sent.map(key).sort(), "records consumed through the proxy are byte-identical");
  // 20 sends; a send retried after a slow answer is one more request, seen by both sides.
  const produced = rt.completed.get("Produce") ?? 0;
  assert.ok(produced >= 20, `kafkajs completed ${produced} Produce requests`);
  assert.equal(delta("kscope_requests_total", { api: "Produce" }), produced, "Produce requests seen by kscope");
  assert.equal(delta("kscope_responses_total", { api: "Produce" }), produced);
  for (const api of ["ApiVersions", "Metadata", "FindCoordinator", "JoinGroup", "SyncGroup", "OffsetFetch", "OffsetCommit", "Heartbeat"]) {
    assert.equal(delta("kscope_responses_total", { api }), rt.completed.get(api) ?? 0, `${api} responses`);
  }
  // A Fetch may still be parked at the broker when the consumer leaves: kafkajs never sees its response.
  const fetchReq = delta("kscope_requests_total", { api: "Fetch" });
  const fetchResp = delta("kscope_responses_total", { api: "Fetch" });
  assert.ok((rt.completed.get("Fetch") ?? 0) > 0);
  assert.equal(fetchResp, rt.completed.get("Fetch"), "Fetch responses");
  assert.ok(fetchReq >= fetchResp && fetchReq <= fetchResp + 2, `Fetch requests ${fetchReq} vs responses ${fetchResp}`);
  if (opts.histogram)
    assert.equal(delta("kscope_request_duration_microseconds_count", { api: "Produce" }), produced, "every Produce has a duration");
  assert.ok(
    delta("kscope_request_bytes_total", { api: "Produce" }) > rt.sent.reduce((a, b) => a + b.length, 0),
    "Produce bytes cover the payload",
  );
}

/** 50 records in each compression codec through the proxy with kcat, read back byte for byte; returns them. */
export async function kcatCodecRoundTrip(bootstrap: string, topic: string): Promise<Buffer[]> {
  const records: Buffer[] = [];
  for (const codec of ["none", "gzip", "snappy", "lz4", "zstd"] as const) {
    const batch = Array.from({ length: 50 }, (_, i) => Buffer.concat([Buffer.from(`${codec}-${i}-`), randomBytes(i * 20)]));
    await kcatProduce(bootstrap, topic, batch, { compression: codec, partition: 0 });
    records.push(...batch);
  }
  const got = await kcatConsume(bootstrap, topic, records.length);
  assert.equal(got.length, records.length);
  got.forEach((r, i) => assert.ok(r.value!.equals(records[i]), `record ${i} differs`));
  return records;
}

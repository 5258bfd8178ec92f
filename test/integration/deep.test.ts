// Deep decoding (issue 5) verified against real software: a Kafka 4.1 broker, `kscope proxy` with
// the real kscope.wasm, and real clients (kcat/librdkafka, kafkajs, the Java producer/consumer from
// the Kafka jars). kscope's per-topic, per-group and lag metrics are checked against what the clients
// did and against the broker's own view (kafka-consumer-groups --describe, through the DIRECT
// listener, so kscope never sees it).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Broker, parseGroupDescribe, startKafka, type GroupRow } from "../support/kafka";
import { freePort } from "../support/ports";
import { Kscope, startKscope } from "../support/kscope";
import { consoleConsume, consumerPerf, kafkajs, kcatConsume, kcatProduce, producerPerf } from "../support/clients";
import { run } from "../support/procs";
import { parseSamples, sum, type Sample } from "../../host/metrics/scrape";
import { CompressionTypes, type Consumer } from "kafkajs";

let broker: Broker;
let kscope: Kscope;
let listenPort: number;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until `ok` holds; the deadline only bounds a failure, it is not part of any assertion. */
async function until<T>(what: string, probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (ok(v)) return v;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${JSON.stringify(v).slice(0, 1500)}`);
    await sleep(200);
  }
}

/** The value of the single series `name` whose labels include `labels`; undefined when there is none. */
function one(m: Sample[], name: string, labels: Record<string, string>): number | undefined {
  const hits = m.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  assert.ok(hits.length <= 1, `${name}${JSON.stringify(labels)}: ${hits.length} series`);
  return hits[0]?.value;
}

/** Distinct values of `label` among the series named `name`. */
function labelValues(m: Sample[], name: string, label: string): string[] {
  return [...new Set(m.filter((s) => s.name === name && label in s.labels).map((s) => s.labels[label]))].sort();
}

before(async () => {
  listenPort = await freePort();
  broker = await startKafka({ proxyPort: listenPort });
  kscope = await startKscope({ upstream: broker.proxiedUpstream, listenPort });
});

after(async () => {
  await kscope?.stop();
  await broker?.stop();
});

// ------------------------------------------------------------------------------------------------
// 1. Produced and fetched record counts per topic, per client and codec.

test("kcat: produced records per topic and codec equal what was produced, for all five codecs; a full read is fetched exactly once", async () => {
  const topic = "deep-kcat";
  await broker.createTopic(topic, 1);
  const codecs = ["none", "gzip", "snappy", "lz4", "zstd"] as const;
  const perCodec = 50;
  for (const codec of codecs) {
    // Repeated text compresses well: librdkafka keeps a batch uncompressed when the codec doesn't shrink it.
    const records = Array.from(
      { length: perCodec },
      (_, i) => `${codec} record ${i} ` + "the quick brown fox jumps over the lazy dog ".repeat(20),
    );
    await kcatProduce(kscope.bootstrap, topic, records, { compression: codec, partition: 0, X: { "client.id": `deep-kcat-${codec}` } });
  }
  let m = await kscope.metrics();
  for (const codec of codecs) {
    assert.equal(sum(m, "kscope_produced_records_total", { topic, compression: codec }), perCodec, `${codec} records`);
    assert.equal(
      sum(m, "kscope_produced_records_total", { topic, client_id: `deep-kcat-${codec}` }),
      perCodec,
      `${codec} records by client id`,
    );
    assert.ok(sum(m, "kscope_produced_batches_total", { topic, compression: codec }) >= 1, `${codec} batches`);
  }
  assert.equal(sum(m, "kscope_produced_records_total", { topic }), perCodec * codecs.length, "no records under another codec");

  const got = await kcatConsume(kscope.bootstrap, topic, perCodec * codecs.length, { X: { "client.id": "deep-kcat-reader" } });
  assert.equal(got.length, perCodec * codecs.length);
  m = await kscope.metrics();
  assert.equal(sum(m, "kscope_fetched_records_total", { topic }), perCodec * codecs.length, "fetched records");
  assert.equal(sum(m, "kscope_fetched_records_total", { topic, client_id: "deep-kcat-reader", group: "" }), perCodec * codecs.length);
  assert.equal(one(m, "kscope_partition_high_watermark", { topic, partition: "0" }), perCodec * codecs.length);
});

test("kafkajs: produced records per codec (none, gzip) equal what was sent", async () => {
  const topic = "deep-kafkajs";
  await broker.createTopic(topic, 3);
  // Every partition's leader answers through the proxy before the counted sends: a first Produce
  // that meets a leader still being elected is retried, and both requests carry the records.
  const warm = kafkajs(kscope.bootstrap, { clientId: "deep-kafkajs-warmup" }).producer();
  await warm.connect();
  try {
    await warm.send({ topic, messages: [0, 1, 2].map((partition) => ({ partition, value: "warm-up" })) });
  } finally {
    await warm.disconnect();
  }
  const producer = kafkajs(kscope.bootstrap, { clientId: "deep-kafkajs" }).producer();
  await producer.connect();
  let none = 0,
    gzip = 0;
  try {
    for (let i = 0; i < 10; i++) {
      const messages = Array.from({ length: 7 + i }, (_, j) => ({ key: `k${j}`, value: `kafkajs ${i}/${j} ` + "lorem ipsum ".repeat(30) }));
      const compression = i % 2 ? CompressionTypes.GZIP : CompressionTypes.None;
      await producer.send({ topic, messages, compression });
      if (i % 2) gzip += messages.length;
      else none += messages.length;
    }
  } finally {
    await producer.disconnect();
  }
  const m = await kscope.metrics();
  assert.equal(sum(m, "kscope_produced_records_total", { topic, client_id: "deep-kafkajs", compression: "none" }), none);
  assert.equal(sum(m, "kscope_produced_records_total", { topic, client_id: "deep-kafkajs", compression: "gzip" }), gzip);
  assert.equal(sum(m, "kscope_produced_records_total", { topic, client_id: "deep-kafkajs" }), none + gzip);
});

test("Java client: an idempotent and a transactional producer are counted exactly, commits are seen, and a Java consumer's fetches too", async () => {
  const idem = "deep-java-idem",
    txn = "deep-java-txn";
  await broker.createTopic(idem, 2);
  await broker.createTopic(txn, 2);
  const before = await kscope.metrics();
  const n = 3000;
  const p1 = await producerPerf(kscope.bootstrap, idem, n, {
    producerProps: { "enable.idempotence": true, acks: "all", "client.id": "deep-java-idem", "compression.type": "lz4", "linger.ms": 5 },
  });
  assert.equal(p1.records, n);
  // transactional.id set through --producer-props: ProducerPerformance commits every 3 s and at the end.
  const p2 = await producerPerf(kscope.bootstrap, txn, n, {
    producerProps: { "transactional.id": "deep-txn", "client.id": "deep-java-txn", "compression.type": "zstd", "linger.ms": 5 },
  });
  assert.equal(p2.records, n);

  let m = await kscope.metrics();
  const delta = (name: string, labels: Record<string, string>): number => sum(m, name, labels) - sum(before, name, labels);
  assert.equal(sum(m, "kscope_produced_records_total", { topic: idem, client_id: "deep-java-idem", compression: "lz4" }), n);
  assert.equal(sum(m, "kscope_produced_records_total", { topic: idem }), n);
  assert.equal(sum(m, "kscope_produced_records_total", { topic: txn, client_id: "deep-java-txn", compression: "zstd" }), n);
  assert.equal(sum(m, "kscope_produced_records_total", { topic: txn }), n);
  assert.ok(delta("kscope_responses_total", { api: "InitProducerId" }) >= 2, "both producers asked for a producer id");
  // Kafka 4.x clients use transactions v2 (KIP-890): partitions join the transaction through Produce,
  // so no AddPartitionsToTxn is sent; each commit is one EndTxn.
  const commits = sum(m, "kscope_transactions_total", { client_id: "deep-java-txn", result: "commit" });
  assert.ok(commits > 0, `transactions committed: ${commits}`);
  assert.equal(commits, delta("kscope_responses_total", { api: "EndTxn" }), "every EndTxn was a commit");
  assert.equal(sum(m, "kscope_transactions_total", { result: "abort" }), 0);

  // The Java consumer (Fetch v18, topics by id) reads the transactional topic, commit markers included:
  // control batches are not records.
  const c = await consumerPerf(kscope.bootstrap, txn, n, { group: "deep-java-reader" });
  assert.equal(c.messages, n);
  m = await kscope.metrics();
  assert.equal(sum(m, "kscope_fetched_records_total", { topic: txn }), n, "fetched records (Java consumer)");
  assert.equal(sum(m, "kscope_fetched_records_total", { topic: txn, group: "deep-java-reader" }), n, "attributed to its group");
});

// ------------------------------------------------------------------------------------------------
// 2. A consumer group of three members that rebalances when one leaves.

/** #MEMBERS from `kafka-consumer-groups --describe --state` (the broker's view). */
async function brokerMembers(group: string): Promise<number> {
  const r = await broker.tool("org.apache.kafka.tools.consumer.group.ConsumerGroupCommand", [
    "--bootstrap-server",
    broker.directBootstrap,
    "--describe",
    "--group",
    group,
    "--state",
  ]);
  const lines = r.stdout
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  const h = lines.findIndex((l) => l.startsWith("GROUP") && l.includes("#MEMBERS"));
  assert.ok(h >= 0 && h + 1 < lines.length, `describe --state output:\n${r.stdout}\n${r.stderr}`);
  return Number(lines[h + 1].split(/\s+/).pop());
}

test("a group of three kafkajs consumers: members 3 -> 2, generation and rebalances go up when one leaves; fetches are attributed to the group", async () => {
  const topic = "deep-group",
    group = "deep-rebalance";
  await broker.createTopic(topic, 3);
  const consumers: Consumer[] = [];
  const consumed: string[] = [];
  try {
    for (let i = 1; i <= 3; i++) {
      const c = kafkajs(kscope.bootstrap, { clientId: `deep-member-${i}` }).consumer({
        groupId: group,
        heartbeatInterval: 300,
        sessionTimeout: 10_000,
        rebalanceTimeout: 10_000,
        maxWaitTimeInMs: 100,
      });
      consumers.push(c);
      await c.connect();
      await c.subscribe({ topic, fromBeginning: true });
      await c.run({
        eachMessage: async ({ partition, message }) => {
          consumed.push(`${partition}/${message.offset}`);
        },
      });
    }
    const three = await until(
      "kscope_group_members == 3",
      () => kscope.metrics(),
      (m) => one(m, "kscope_group_members", { group }) === 3,
    );
    // Records produced once all three hold a partition are each fetched by exactly one member.
    const producer = kafkajs(kscope.bootstrap, { clientId: "deep-group-producer" }).producer();
    await producer.connect();
    await producer.send({ topic, messages: Array.from({ length: 30 }, (_, i) => ({ partition: i % 3, value: `g${i}` })) });
    await producer.disconnect();
    await until(
      "30 records consumed",
      async () => consumed.length,
      (n) => n >= 30,
    );
    const g3 = one(three, "kscope_group_generation", { group })!;
    assert.ok(g3 >= 1, `generation ${g3}`);

    const m3 = await kscope.metrics();
    assert.equal(one(m3, "kscope_group_generation", { group }), g3, "no rebalance while the three consumed");
    assert.equal(sum(m3, "kscope_fetched_records_total", { topic, group }), 30, "fetched records attributed to the group");
    assert.equal(sum(m3, "kscope_fetched_records_total", { topic }), 30);
    const r3 = sum(m3, "kscope_group_rebalances_total", { group });
    assert.ok(r3 >= 2, `joining three members one by one rebalanced at least twice (saw ${r3})`);
    assert.equal(sum(m3, "kscope_group_joins_total", { group }) >= 3, true);

    await consumers.pop()!.disconnect(); // LeaveGroup, then the other two rejoin
    const m2 = await until(
      "a new generation after the leave",
      () => kscope.metrics(),
      (m) => (one(m, "kscope_group_generation", { group }) ?? 0) > g3 && one(m, "kscope_group_members", { group }) === 2,
    );
    assert.equal(one(m2, "kscope_group_members", { group }), 2);
    assert.ok(sum(m2, "kscope_group_rebalances_total", { group }) > r3, "rebalances went up");
    assert.equal(sum(m2, "kscope_group_leaves_total", { group }), 1);
    assert.equal(await brokerMembers(group), 2, "the broker agrees: two members");
  } finally {
    for (const c of consumers) await c.disconnect();
  }
});

// ------------------------------------------------------------------------------------------------
// 3. Committed offsets and lag per partition equal kafka-consumer-groups --describe.

async function describeGroups(groups: string[]): Promise<GroupRow[]> {
  const r = await broker.tool("org.apache.kafka.tools.consumer.group.ConsumerGroupCommand", [
    "--bootstrap-server",
    broker.directBootstrap,
    "--describe",
    ...groups.flatMap((g) => ["--group", g]),
  ]);
  assert.equal(r.code, 0, r.stderr);
  return parseGroupDescribe(r.stdout);
}

test("committed offsets and lag per partition equal kafka-consumer-groups --describe (kafkajs, Java classic and KIP-848 groups)", async () => {
  const topic = "deep-xcheck",
    jsGroup = "deep-xcheck-kafkajs",
    javaGroup = "deep-xcheck-java",
    newGroup = "deep-xcheck-java-848";
  await broker.createTopic(topic, 3);
  const producer = kafkajs(kscope.bootstrap, { clientId: "deep-xcheck-producer" }).producer();
  await producer.connect();
  const produce = async (perPartition: number, tag: string): Promise<void> => {
    for (let p = 0; p < 3; p++) {
      await producer.send({
        topic,
        acks: -1,
        messages: Array.from({ length: perPartition }, (_, i) => ({ partition: p, value: `${tag}-${p}-${i}` })),
      });
    }
  };
  try {
    await produce(100, "a");
    // kafkajs group: reads part of each partition and commits exactly up to a per-partition target.
    const target = [20, 55, 90];
    const consumer = kafkajs(kscope.bootstrap, { clientId: "deep-xcheck-consumer" }).consumer({ groupId: jsGroup, maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const done = new Set<number>();
    let fail: Error | undefined;
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        if (done.has(partition) || Number(message.offset) + 1 < target[partition]) return;
        done.add(partition);
        consumer.pause([{ topic, partitions: [partition] }]);
        await consumer.commitOffsets([{ topic, partition, offset: String(target[partition]) }]).catch((e: Error) => {
          fail = e;
        });
      },
    });
    await until(
      "kafkajs commits on all partitions",
      async () => done.size,
      (n) => n === 3 || fail !== undefined,
    );
    if (fail) throw fail;
    await consumer.disconnect();
    // Java group: ConsoleConsumer stops after 150 records and commits its positions on close.
    const cc = await consoleConsume(kscope.bootstrap, topic, 150, { group: javaGroup, consumerProps: { "client.id": "deep-xcheck-java" } });
    assert.equal(cc.lines.length, 150);
    // The same with the KIP-848 protocol (ConsumerGroupHeartbeat; OffsetCommit with member epochs).
    const c848 = await consoleConsume(kscope.bootstrap, topic, 200, {
      group: newGroup,
      consumerProps: { "client.id": "deep-xcheck-848", "group.protocol": "consumer" },
    });
    assert.equal(c848.lines.length, 200);
    // More records after the commits, acks=all through kscope: it learns each partition's new
    // high watermark from the Produce responses (base offset + records).
    await produce(10, "b");
  } finally {
    await producer.disconnect();
  }
  await sleep(300); // quiet: nothing is in flight
  const m = await kscope.metrics();
  const rows = await describeGroups([jsGroup, javaGroup, newGroup]);
  const report: string[] = [];
  for (const group of [jsGroup, javaGroup, newGroup]) {
    const gr = rows.filter((r) => r.group === group && r.topic === topic);
    assert.deepEqual(
      gr.map((r) => r.partition),
      [0, 1, 2],
      `${group} rows:\n${JSON.stringify(rows)}`,
    );
    for (const r of gr) {
      const labels = { group, topic, partition: String(r.partition) };
      const committed = one(m, "kscope_group_committed_offset", labels);
      const lag = one(m, "kscope_consumer_lag_records", labels);
      const hw = one(m, "kscope_partition_high_watermark", { topic, partition: String(r.partition) });
      report.push(
        `${group} p${r.partition}: broker ${r.currentOffset}/${r.logEndOffset} lag ${r.lag}; kscope ${committed}/${hw} lag ${lag}`,
      );
      assert.equal(hw, r.logEndOffset, `${group} p${r.partition} high watermark`);
      if (r.currentOffset === null) {
        // The Java consumer may not have reached this partition: then neither side has an offset.
        assert.equal(committed, undefined, `${group} p${r.partition}: no committed offset at the broker`);
        continue;
      }
      assert.equal(committed, r.currentOffset, `${group} p${r.partition} committed offset`);
      assert.equal(lag, r.lag, `${group} p${r.partition} lag`);
    }
  }
  console.log(report.join("\n"));
  // The KIP-848 member heartbeated (epoch >= 1) and left (epoch -1) when the console consumer closed.
  assert.ok((one(m, "kscope_group_generation", { group: newGroup }) ?? 0) >= 1, "KIP-848 member epoch");
  assert.equal(one(m, "kscope_group_members", { group: newGroup }), 0);
  assert.equal(one(m, "kscope_group_leaves_total", { group: newGroup }), 1);
  // The kafkajs group committed exactly the targets; 10 more records per partition followed.
  assert.deepEqual(
    [0, 1, 2].map((p) => one(m, "kscope_consumer_lag_records", { group: jsGroup, topic, partition: String(p) })),
    [90, 55, 20],
  );
});

// ------------------------------------------------------------------------------------------------
// 4. Lag in seconds grows while a consumer is paused and falls to 0 after it catches up.

test("lag in seconds grows while the consumer is paused, and lag seconds and records fall to 0 once it catches up", async () => {
  const topic = "deep-lagsec",
    group = "deep-lagsec";
  await broker.createTopic(topic, 1);
  const labels = { group, topic, partition: "0" };
  const producer = kafkajs(kscope.bootstrap, { clientId: "deep-lagsec-producer" }).producer();
  await producer.connect();
  const consumer = kafkajs(kscope.bootstrap, { clientId: "deep-lagsec-consumer" }).consumer({
    groupId: group,
    maxWaitTimeInMs: 100,
    heartbeatInterval: 500,
  });
  let consumed = 0;
  let ticker: NodeJS.Timeout | undefined;
  try {
    await producer.send({ topic, acks: -1, messages: Array.from({ length: 10 }, (_, i) => ({ value: `before-${i}` })) });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async () => {
        consumed++;
      },
    }); // autoCommit after each batch
    await until(
      "committed offset 10",
      () => kscope.metrics(),
      (m) => one(m, "kscope_group_committed_offset", labels) === 10,
    );
    let m = await kscope.metrics();
    assert.equal(one(m, "kscope_consumer_lag_records", labels), 0);
    assert.equal(one(m, "kscope_consumer_lag_seconds", labels), 0);

    consumer.pause([{ topic }]);
    await sleep(300); // let a fetch already parked at the broker come back (maxWaitTimeInMs 100)
    const consumedAtPause = consumed;
    // Keep producing while paused. Our Node host does not call proxy_on_tick yet, so lag seconds are
    // refreshed on traffic (at most once a second); the producer (and the paused consumer's
    // heartbeats) provide it.
    const pausedAt = Date.now();
    let produced = 0;
    let sending: Promise<unknown> = Promise.resolve();
    ticker = setInterval(() => {
      sending = sending
        .then(() => producer.send({ topic, acks: -1, messages: [{ value: `paused-${produced}` }] }))
        .then(() => {
          produced++;
        });
    }, 200);
    const first = one(
      await until(
        "lag seconds >= 1",
        () => kscope.metrics(),
        (x) => (one(x, "kscope_consumer_lag_seconds", labels) ?? 0) >= 1,
      ),
      "kscope_consumer_lag_seconds",
      labels,
    )!;
    const second = one(
      await until(
        `lag seconds > ${first}`,
        () => kscope.metrics(),
        (x) => (one(x, "kscope_consumer_lag_seconds", labels) ?? 0) > first,
      ),
      "kscope_consumer_lag_seconds",
      labels,
    )!;
    const elapsed = (Date.now() - pausedAt) / 1000;
    assert.ok(second > first && first >= 1, `lag seconds ${first} then ${second}`);
    // kscope started the clock when it saw the first record pass the committed offset, after pausedAt.
    assert.ok(second <= Math.ceil(elapsed), `lag seconds ${second} after ${elapsed.toFixed(1)} s of pause`);
    clearInterval(ticker);
    ticker = undefined;
    await sending;
    assert.equal(consumed, consumedAtPause, "nothing consumed while paused");
    m = await kscope.metrics();
    assert.equal(one(m, "kscope_group_committed_offset", labels), 10, "still committed at 10");
    assert.equal(one(m, "kscope_consumer_lag_records", labels), produced, `lag records = the ${produced} records produced while paused`);
    console.log(`lag seconds while paused: ${first} then ${second} (${elapsed.toFixed(1)} s after the pause); lag records ${produced}`);

    consumer.resume([{ topic }]);
    const caught = await until(
      "lag records 0 after catching up",
      () => kscope.metrics(),
      (x) => one(x, "kscope_consumer_lag_records", labels) === 0,
    );
    assert.equal(consumed, 10 + produced);
    assert.equal(one(caught, "kscope_group_committed_offset", labels), 10 + produced);
    assert.equal(one(caught, "kscope_consumer_lag_seconds", labels), 0);
    assert.equal(one(caught, "kscope_partition_high_watermark", { topic, partition: "0" }), 10 + produced);
  } finally {
    if (ticker) clearInterval(ticker);
    await consumer.disconnect();
    await producer.disconnect();
  }
});

test("every frame of these real clients was decoded: none undecoded, no connection given up, nothing left in flight", async () => {
  await until(
    "no request in flight",
    () => kscope.metrics(),
    (m) => sum(m, "kscope_requests_in_flight") === 0 && sum(m, "kscope_connections_active") === 0,
    10_000,
  );
  const m = await kscope.metrics();
  const undecoded = m.filter((s) => s.name === "kscope_frames_undecoded_total" && s.value > 0);
  assert.deepEqual(undecoded, [], "undecoded frames");
  assert.equal(sum(m, "kscope_connections_unparsed_total"), 0);
  const requests = sum(m, "kscope_requests_total");
  console.log(
    `requests seen: ${requests}; by api: ${[...new Set(m.filter((s) => s.name === "kscope_requests_total").map((s) => `${s.labels.api} v${s.labels.version}`))].join(", ")}`,
  );
  assert.ok(requests > 100, `a real workload went through (${requests} requests)`);
});

// ------------------------------------------------------------------------------------------------
// 5. Client-chosen label values are bounded and escaped. Runs last: it restarts kscope with a
// label budget of 3 on the same port (the broker advertises that port to clients).

// One sample line of the Prometheus text format 0.0.4, strictly.
const LABEL_VALUE = String.raw`"(?:[^"\\\n]|\\[\\"n])*"`;
const SAMPLE_LINE = new RegExp(
  String.raw`^[a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[a-zA-Z_][a-zA-Z0-9_]*=${LABEL_VALUE}(?:,[a-zA-Z_][a-zA-Z0-9_]*=${LABEL_VALUE})*\})? (?:[-+]?[0-9.]+(?:e[-+]?[0-9]+)?|[-+]Inf|NaN)$`,
);

test("label values are bounded (3 topics + __other__, overflow counted) and a hostile client id stays parseable and escaped", async () => {
  await kscope.stop();
  kscope = await startKscope({ upstream: broker.proxiedUpstream, listenPort, config: { max_label_values: 3 } });
  const topics = Array.from({ length: 6 }, (_, i) => `deep-label-${i}`);
  for (const t of topics) await broker.createTopic(t, 1);
  // kafkajs asks Metadata only for the topics it sends to, so kscope sees exactly these six, in order.
  const producer = kafkajs(kscope.bootstrap, { clientId: "deep-labels" }).producer();
  await producer.connect();
  const hostile = 'deep "quoted" \\back;semi\nnewline ü';
  const odd = kafkajs(kscope.bootstrap, { clientId: hostile }).producer();
  try {
    for (const [i, t] of topics.entries())
      await producer.send({ topic: t, messages: Array.from({ length: i + 1 }, () => ({ value: "x" })) });
    await odd.connect();
    await odd.send({ topic: topics[0], messages: [{ value: "odd" }] });
  } finally {
    await producer.disconnect();
    await odd.disconnect();
  }
  const res = await fetch(`${kscope.admin}/metrics`);
  const text = await res.text();
  const m = parseSamples(text);
  assert.deepEqual(labelValues(m, "kscope_produced_records_total", "topic"), [...topics.slice(0, 3), "__other__"].sort());
  assert.equal(one(m, "kscope_label_overflow_total", { label: "topic" }), 3);
  assert.equal(sum(m, "kscope_produced_records_total", { topic: topics[0] }), 1 + 1);
  assert.equal(sum(m, "kscope_produced_records_total", { topic: topics[2] }), 3);
  assert.equal(sum(m, "kscope_produced_records_total", { topic: "__other__" }), 4 + 5 + 6);
  // Every line is a comment or a well-formed sample; promtool (Prometheus' own parser) agrees.
  const bad = text.split("\n").filter((l) => l !== "" && !l.startsWith("#") && !SAMPLE_LINE.test(l));
  assert.deepEqual(bad, [], "malformed exposition lines");
  const lint = await run("promtool", ["check", "metrics"], { input: text, timeoutMs: 15_000 });
  assert.doesNotMatch(lint.stdout + lint.stderr, /error while linting|parsing error|parse error/i, lint.stdout + lint.stderr);
  // ';' and control characters become '_' (the label scheme's separator); '"' and '\' are escaped.
  const expected = 'deep "quoted" \\back_semi_newline ü';
  assert.equal(
    sum(m, "kscope_produced_records_total", { client_id: expected }),
    1,
    `client ids: ${labelValues(m, "kscope_produced_records_total", "client_id").join(" | ")}`,
  );
  assert.ok(text.includes('client_id="deep \\"quoted\\" \\\\back_semi_newline ü"'), "escaped in the text");
});

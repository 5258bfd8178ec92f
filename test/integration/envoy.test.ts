// kscope.wasm inside a real Envoy (1.40, V8) as envoy.filters.network.wasm in front of tcp_proxy,
// with the bootstrap from examples/envoy/envoy.yaml. A real Kafka 4.1 broker behind it; real
// clients (kafkajs, kcat) in front. Checks what Envoy's /stats/prometheus shows, that no byte
// changes, that Envoy logs no Wasm failure, and that garbage is forwarded and counted.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import { Broker, startKafka } from "../support/kafka";
import { freePort } from "../support/ports";
import { kafkajs, kcatConsume } from "../support/clients";
import { assertRoundTrip, kafkajsRoundTrip, kcatCodecRoundTrip } from "../support/workload";
import { request } from "../support/frames";
import { Envoy, defaultWasm, parsePrometheus, repoRoot, startEnvoy, sumSamples, type Sample } from "../support/envoy";
import { DURATION_BUCKETS } from "../../host/metrics/store";
import { startKscope } from "../support/kscope";

const WASM = process.env.KSCOPE_WASM ?? defaultWasm;
const IDENTITY = { workload: "orders-producer", namespace: "shop" };

let broker: Broker;
let envoy: Envoy;
/** A second Envoy whose upstream is a byte recorder instead of the broker (for garbage). */
let sideEnvoy: Envoy;
let recorder: Recorder;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function samples(e: Envoy): Promise<Sample[]> {
  return parsePrometheus(await e.prometheus());
}

/** Upstream stand-in: records every connection's bytes; closes when the client does. */
interface Recorder {
  port: number;
  conns: Buffer[][];
  close(): Promise<void>;
}

async function startRecorder(): Promise<Recorder> {
  const conns: Buffer[][] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    const got: Buffer[] = [];
    conns.push(got);
    sockets.add(s);
    s.on("data", (b) => got.push(b));
    s.on("end", () => s.end());
    s.on("error", () => undefined);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    port: (server.address() as net.AddressInfo).port,
    conns,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Writes `bytes` on a fresh connection, half-closes, and waits until the far side closes. */
function sendRaw(port: number, bytes: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, "127.0.0.1");
    const got: Buffer[] = [];
    const timer = setTimeout(() => {
      s.destroy();
      resolve(Buffer.concat(got));
    }, 10_000);
    s.on("connect", () => s.end(bytes));
    s.on("data", (b) => got.push(b));
    s.on("close", () => {
      clearTimeout(timer);
      resolve(Buffer.concat(got));
    });
    s.on("error", (e: NodeJS.ErrnoException) => (e.code === "ECONNRESET" ? undefined : reject(e)));
  });
}

/** Polls until `check` passes (metrics settle when Envoy closes connections). */
async function eventually(check: () => Promise<void>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await sleep(200);
    }
  }
}

before(async () => {
  assert.ok(fs.existsSync(WASM), `${WASM} missing: build it with npx asc assembly/index.ts --target release`);
  const listenPort = await freePort();
  broker = await startKafka({ proxyPort: listenPort });
  envoy = await startEnvoy({ name: "envoy-kscope", listenPort, upstream: broker.proxiedUpstream, wasmPath: WASM, pluginConfig: IDENTITY });
  recorder = await startRecorder();
  // No workload in the plugin configuration: the identity comes from node metadata, as in Istio.
  sideEnvoy = await startEnvoy({
    name: "envoy-side",
    upstream: `127.0.0.1:${recorder.port}`,
    wasmPath: WASM,
    pluginConfig: {},
    nodeMetadata: { WORKLOAD_NAME: "billing-consumer", NAMESPACE: "payments" },
  });
});

after(async () => {
  await envoy?.stop();
  await sideEnvoy?.stop();
  await recorder?.close();
  await broker?.stop();
});

test("Envoy loads kscope.wasm and exports its metrics with labels from stats_tags", async () => {
  const m = await samples(envoy);
  // Defined at the first connection; nothing yet, so only check the VM is up via Envoy's own stats.
  const stats = await envoy.admin("/stats?filter=wasm");
  assert.match(stats, /wasm\.envoy\.wasm\.runtime\.v8\.active: [1-9]/, `no active V8 VM:\n${stats}`);
  assert.ok(Array.isArray(m));
});

test("kafkajs through Envoy: records intact, kscope counts exactly the requests the client made", async () => {
  const topic = "envoy-kafkajs";
  await broker.createTopic(topic, 3);
  const before = await samples(envoy);
  const rt = await kafkajsRoundTrip(envoy.bootstrap, topic, "envoy-kafkajs", "envoy-group");
  // Counters show at once; Envoy's histograms only after a stats flush (checked in the next test).
  await sleep(300);
  const m = await samples(envoy);
  const delta = (name: string, labels: Record<string, string> = {}): number =>
    sumSamples(m, name, labels) - sumSamples(before, name, labels);
  assertRoundTrip(rt, delta, { histogram: false });
  assert.equal(delta("kscope_requests_total", { api: "Produce", ...IDENTITY }), 20, "Produce requests carry the workload identity");

  // Every kscope series carries the identity labels and a version label where the host has one.
  const ours = m.filter((s) => s.name.startsWith("kscope_"));
  assert.ok(ours.length > 0);
  for (const s of ours) {
    assert.equal(s.labels.workload, IDENTITY.workload, `${s.name} ${JSON.stringify(s.labels)}`);
    assert.equal(s.labels.namespace, IDENTITY.namespace, `${s.name} ${JSON.stringify(s.labels)}`);
    assert.ok(!/[;=]/.test(s.name), `tag not extracted from ${s.name}`);
  }
  for (const s of ours.filter((x) => x.name === "kscope_requests_total")) assert.match(s.labels.version ?? "", /^\d+$/);
});

test("an empty label value (a request with no client id) keeps every other label intact", async () => {
  const frames = Buffer.concat([request(18, 0, 9001, null, false), request(18, 0, 9002, "", false)]);
  await new Promise<void>((resolve, reject) => {
    let got = 0;
    const c = net.connect(envoy.listenPort, "127.0.0.1", () => c.write(frames));
    c.on("data", (d) => {
      got += d.length;
      if (got >= 2 * 14) {
        c.destroy();
        resolve();
      }
    }).on("error", reject);
  });
  await eventually(async () => {
    const m = await samples(envoy);
    assert.ok(sumSamples(m, "kscope_client_requests_total", { api: "ApiVersions", client_id: "" }) >= 2);
    for (const s of m.filter((x) => x.name.startsWith("kscope_"))) {
      for (const v of Object.values(s.labels)) assert.ok(!v.includes(";.;"), `${s.name} ${JSON.stringify(s.labels)}`);
    }
  });
});

test("histogram: kscope_request_duration_microseconds uses the host buckets", async () => {
  // Envoy merges worker histograms into what the admin shows once per stats_flush_interval (5 s).
  await eventually(async () => {
    const text = await envoy.prometheus();
    const m = parsePrometheus(text);
    const shown = text
      .split("\n")
      .filter((l) => l.includes("kscope_request_duration") && l.includes("Produce"))
      .join("\n");
    const buckets = m.filter((s) => s.name === "kscope_request_duration_microseconds_bucket" && s.labels.api === "Produce");
    const les = buckets
      .map((s) => s.labels.le)
      .filter((le) => le !== "+Inf")
      .map(Number)
      .sort((a, b) => a - b);
    assert.deepEqual(les, DURATION_BUCKETS, `bucket bounds:\n${shown}`);
    const produced = sumSamples(m, "kscope_responses_total", { api: "Produce" });
    assert.ok(produced >= 20, `Produce responses: ${produced}`);
    assert.equal(buckets.find((s) => s.labels.le === "+Inf")?.value, produced, shown);
    assert.equal(sumSamples(m, "kscope_request_duration_microseconds_count", { api: "Produce" }), produced, shown);
    assert.ok(sumSamples(m, "kscope_request_duration_microseconds_sum", { api: "Produce" }) > 0, shown);
  }, 15_000);
});

test("kcat (librdkafka) through Envoy: compression codecs round-trip byte for byte", async () => {
  const topic = "envoy-kcat";
  await broker.createTopic(topic, 1);
  const before = await samples(envoy);
  const records = await kcatCodecRoundTrip(envoy.bootstrap, topic);
  // The same records read around Envoy (DIRECT listener) are the same too.
  const direct = await kcatConsume(broker.directBootstrap, topic, records.length);
  direct.forEach((r, i) => assert.ok(r.value!.equals(records[i]), `record ${i} differs on the direct path`));
  const m = await samples(envoy);
  const produced =
    sumSamples(m, "kscope_requests_total", { api: "Produce" }) - sumSamples(before, "kscope_requests_total", { api: "Produce" });
  assert.ok(produced >= 5, `kcat Produce requests counted: ${produced}`);
});

const GARBAGE: { reason: string; bytes: Buffer }[] = [
  { reason: "http", bytes: Buffer.from("GET / HTTP/1.1\r\nHost: kafka\r\nUser-Agent: curl\r\n\r\n") },
  // A TLS 1.2 ClientHello record header and the start of its handshake body.
  { reason: "tls", bytes: Buffer.from("16030100c4010000c00303" + "ab".repeat(32) + "000004130113020100", "hex") },
  // 0xdeadbeef as a frame size is negative: not Kafka.
  { reason: "frame_size", bytes: Buffer.concat([Buffer.from("deadbeef", "hex"), randomBytes(2000)]) },
];

test("garbage is forwarded unchanged, counted by reason, and the VM keeps serving", async () => {
  // Byte-exactness: through the side Envoy to a recorder.
  for (const g of GARBAGE) {
    const n = recorder.conns.length;
    await sendRaw(sideEnvoy.listenPort, g.bytes);
    await eventually(async () => {
      assert.ok(recorder.conns.length > n, "the recorder saw the connection");
      assert.ok(Buffer.concat(recorder.conns[n]).equals(g.bytes), `${g.reason}: upstream received different bytes`);
    });
  }
  await eventually(async () => {
    const m = await samples(sideEnvoy);
    for (const g of GARBAGE) {
      assert.equal(sumSamples(m, "kscope_connections_unparsed_total", { reason: g.reason }), 1, `unparsed ${g.reason} (side)`);
    }
  });
  // Against the real broker, which just closes: counted there too, and Kafka keeps working.
  const before = await samples(envoy);
  for (const g of GARBAGE) await sendRaw(envoy.listenPort, g.bytes);
  await eventually(async () => {
    const m = await samples(envoy);
    for (const g of GARBAGE) {
      const d =
        sumSamples(m, "kscope_connections_unparsed_total", { reason: g.reason }) -
        sumSamples(before, "kscope_connections_unparsed_total", { reason: g.reason });
      assert.equal(d, 1, `unparsed ${g.reason}`);
    }
  });
  const topic = "envoy-after-garbage";
  await broker.createTopic(topic, 1);
  const producer = kafkajs(envoy.bootstrap, { clientId: "after-garbage" }).producer();
  await producer.connect();
  await producer.send({ topic, acks: -1, messages: [{ value: "still here" }] });
  await producer.disconnect();
  const got = await kcatConsume(envoy.bootstrap, topic, 1);
  assert.equal(got[0]?.value?.toString(), "still here");
});

test("workload identity from node metadata when the plugin configuration has none", async () => {
  const m = await samples(sideEnvoy);
  const conns = m.filter((s) => s.name === "kscope_connections_total");
  assert.ok(conns.length > 0);
  for (const s of conns) assert.deepEqual([s.labels.workload, s.labels.namespace], ["billing-consumer", "payments"]);
});

test("gauges go back to zero (Envoy accepts negative gauge increments) and Envoy logs no Wasm failure", async () => {
  await eventually(async () => {
    const m = await samples(envoy);
    assert.ok(sumSamples(m, "kscope_connections_total") >= 10);
    assert.equal(sumSamples(m, "kscope_connections_active"), 0, "connections active");
    assert.equal(sumSamples(m, "kscope_requests_in_flight"), 0, "requests in flight");
    assert.equal(sumSamples(m, "kscope_frames_undecoded_total", { reason: "malformed" }), 0);
  });
  const stats = await envoy.admin("/stats?filter=wasm");
  for (const line of stats.split("\n")) {
    // Envoy's own Wasm stats (wasm.*: vm_reload_failure, remote_load_fetch_failures, ...) must show
    // no failure; kscope's own series (wasmcustom.*) may count Kafka errors.
    if (line.startsWith("wasmcustom.")) continue;
    if (/fail|crash|error/i.test(line)) assert.match(line, /: 0$/, `Envoy Wasm failure stat: ${line}`);
  }
  for (const e of [envoy, sideEnvoy]) {
    const bad = e
      .log()
      .split("\n")
      .filter((l) => /wasm/i.test(l) && /\[(error|critical|warning)\]|Function: .* failed|Uncaught|panic|abort/i.test(l));
    assert.deepEqual(bad, [], `Wasm problems in ${path.basename(e.proc.logFile)}`);
  }
  assert.ok(fs.existsSync(path.join(repoRoot, "examples", "envoy", "envoy.yaml")));
});

test("the same traffic through kscope's host and through Envoy gives the same series and counts", async () => {
  await eventually(async () => assert.equal(sumSamples(await samples(envoy), "kscope_connections_active"), 0));
  // The broker advertises Envoy's address; kafkajs' socketFactory sends every connection to the
  // proxy under test instead, so one broker serves both paths with identical client behaviour.
  const host = await startKscope({ upstream: broker.proxiedUpstream, config: IDENTITY, listenPort: await freePort() });
  try {
    const topic = "envoy-vs-host";
    await broker.createTopic(topic, 1);
    const drive = async (port: number): Promise<void> => {
      const kafka = kafkajs(envoy.bootstrap, {
        clientId: "envoy-vs-host",
        socketFactory: ({ onConnect }) => net.connect({ host: "127.0.0.1", port }, onConnect),
      });
      const producer = kafka.producer();
      await producer.connect();
      for (let i = 0; i < 10; i++) await producer.send({ topic, acks: -1, messages: [{ value: `record ${i}` }] });
      await producer.disconnect();
    };
    const e0 = await samples(envoy);
    const h0 = await host.metrics();
    await drive(host.listenPort);
    await drive(envoy.listenPort);
    const apis = ["Produce", "ApiVersions", "Metadata"];
    const key = (x: { name: string; labels: Record<string, string> }): string =>
      `${x.name}{${Object.entries(x.labels)
        .filter(([k]) => k !== "le")
        .sort()
        .map(([k, v]) => `${k}=${v}`)
        .join(",")}}`;
    await eventually(async () => {
      const e1 = await samples(envoy);
      const h1 = await host.metrics();
      const diff = (a: Sample[], b: Sample[]): Map<string, number> => {
        const m = new Map<string, number>();
        for (const x of a) {
          // Every kscope counter; durations differ by nature and Envoy's histograms lag (flush interval).
          if (!x.name.startsWith("kscope_") || !x.name.endsWith("_total")) continue;
          if (x.labels.api !== undefined && !apis.includes(x.labels.api)) continue;
          const before = b.find((y) => key(y) === key(x))?.value ?? 0;
          if (x.value - before !== 0) m.set(key(x), x.value - before);
        }
        return m;
      };
      const fromHost = diff(h1, h0);
      const fromEnvoy = diff(e1, e0);
      const produced = [...fromHost].filter(([k]) => k.startsWith("kscope_requests_total{api=Produce,")).reduce((a, [, v]) => a + v, 0);
      assert.equal(produced, 10, "the host counted the 10 Produce requests");
      assert.deepEqual(
        Object.fromEntries([...fromEnvoy].sort()),
        Object.fromEntries([...fromHost].sort()),
        "Envoy and host: same series, same increments",
      );
      // Histograms: same label sets and bucket bounds on both sides.
      const hb = (xs: Sample[]): string[] =>
        xs
          .filter(
            (x) =>
              (x.name === "kscope_request_duration_microseconds_bucket" && x.labels.api === "Produce") ||
              (x.name === "kscope_client_request_duration_microseconds_bucket" && x.labels.client_id === "envoy-vs-host"),
          )
          .map((x) => `${key(x)} le=${Number(x.labels.le)}`)
          .sort();
      assert.deepEqual(hb(e1), hb(h1), "histogram series and buckets");
    }, 15_000);
  } finally {
    await host.stop();
  }
});

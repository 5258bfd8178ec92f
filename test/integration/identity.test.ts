// Naming workloads on a proxy that serves many clients (issue 10): a real Envoy terminating mTLS
// in front of a real Kafka 4.1 broker, with client certificates carrying SPIFFE ids (made here with
// openssl, as a mesh issues them), and kscope's "clients" configuration. Real kcat (librdkafka)
// clients speak TLS to Envoy; kscope names each connection from its peer certificate.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Broker, startKafka } from "../support/kafka";
import { freePort } from "../support/ports";
import { kcatConsume, kcatMetadata, kcatProduce } from "../support/clients";
import { Envoy, parsePrometheus, startEnvoy, sumSamples, type Sample } from "../support/envoy";
import { kcatTls, makePki, type Pki } from "../support/tls";
import { tempDir } from "../support/procs";
import { DELIVERY_BUCKETS } from "../../host/metrics/store";

const ORDERS = "spiffe://cluster.local/ns/shop/sa/orders";
const BILLING = "spiffe://cluster.local/ns/shop/sa/billing";

let broker: Broker;
let envoy: Envoy;
let pki: Pki;

before(async () => {
  pki = await makePki(tempDir("pki"), [ORDERS, BILLING]);
  const envoyPort = await freePort();
  broker = await startKafka({ proxyPort: envoyPort });
  envoy = await startEnvoy({
    name: "envoy-mtls",
    listenPort: envoyPort,
    upstream: broker.proxiedUpstream,
    // The broker's inbound sidecar: the node is the broker, the clients are named per connection.
    nodeMetadata: { WORKLOAD_NAME: "kafka", NAMESPACE: "data" },
    pluginConfig: { clients: { rules: [{ client_id_prefix: "never-", workload: "not-this" }] } },
    downstreamTls: { cert: pki.serverCert, key: pki.serverKey, ca: pki.ca },
  });
});

after(async () => {
  await envoy?.stop();
  await broker?.stop();
});

async function samples(): Promise<Sample[]> {
  return parsePrometheus(await envoy.prometheus());
}

test("mTLS in Envoy: each connection is named by its peer certificate's SPIFFE id (workload = service account, namespace)", async () => {
  const topic = "mtls-orders";
  await broker.createTopic(topic, 1);
  const records = Array.from({ length: 30 }, (_, i) => `order ${i}`);
  await kcatProduce(envoy.bootstrap, topic, records, { partition: 0, X: { ...kcatTls(pki, ORDERS), "client.id": "never-orders" } });
  const got = await kcatConsume(envoy.bootstrap, topic, 1000, {
    partition: 0,
    X: { ...kcatTls(pki, BILLING), "client.id": "billing-reader" },
  });
  assert.equal(got.length, 30);
  assert.deepEqual(
    got.map((r) => r.value?.toString()),
    records,
    "records intact through TLS termination",
  );

  const m = await samples();
  const shown = m
    .filter((s) => s.name === "kscope_produced_records_total" || s.name === "kscope_connections_total")
    .map((s) => `${s.name}${JSON.stringify(s.labels)} ${s.value}`)
    .join("\n");
  // The certificate wins over a matching client-id rule.
  assert.equal(sumSamples(m, "kscope_produced_records_total", { topic, workload: "orders", namespace: "shop" }), 30, shown);
  assert.equal(sumSamples(m, "kscope_fetched_records_total", { topic, workload: "billing", namespace: "shop" }), 30);
  assert.equal(sumSamples(m, "kscope_produced_records_total", { topic }), 30, "no produce under another workload");
  assert.equal(sumSamples(m, "kscope_fetched_records_total", { topic }), 30, "no fetch under another workload");
  // Never the proxy's own (the broker's) identity, never unknown: every connection had a certificate.
  const ours = m.filter((s) => s.name.startsWith("kscope_") && s.name !== "kscope_label_overflow_total");
  const workloads = [...new Set(ours.map((s) => `${s.labels.namespace}/${s.labels.workload}`))].sort();
  assert.deepEqual(workloads, ["shop/billing", "shop/orders"]);
  assert.ok(sumSamples(m, "kscope_connections_total", { workload: "orders" }) >= 1);
  assert.ok(sumSamples(m, "kscope_connections_total", { workload: "billing" }) >= 1);

  // Delivery latency in Envoy: the host's buckets (histogram_bucket_settings), one observation per
  // delivered batch, under the consumer's workload. Envoy merges histograms once per stats flush (5 s).
  for (let i = 0; ; i++) {
    const h = await samples();
    const count = sumSamples(h, "kscope_delivery_latency_milliseconds_count", { topic, workload: "billing" });
    if (count > 0) {
      const les = h
        .filter((s) => s.name === "kscope_delivery_latency_milliseconds_bucket" && s.labels.topic === topic && s.labels.le !== "+Inf")
        .map((s) => Number(s.labels.le));
      assert.deepEqual(les, DELIVERY_BUCKETS);
      const batches = sumSamples(m, "kscope_produced_batches_total", { topic });
      assert.equal(count, batches, "one observation per batch produced and delivered once");
      assert.equal(sumSamples(h, "kscope_delivery_latency_milliseconds_bucket", { topic, le: "60000" }), count, "produced moments ago");
      break;
    }
    assert.ok(i < 60, "no delivery latency in Envoy");
    await new Promise((r) => setTimeout(r, 250));
  }
});

test("no certificate: the peer address rule names the connection in Envoy (source.address)", async () => {
  const plain = await startEnvoy({
    name: "envoy-rules",
    upstream: broker.proxiedUpstream,
    pluginConfig: {
      clients: {
        rules: [
          { client_id_prefix: "orders-", workload: "orders" },
          { peer: "127.0.0.0/8", workload: "loopback-clients", namespace: "local" },
        ],
      },
    },
  });
  try {
    // Only the bootstrap connection goes through this Envoy: kcat -L asks it for metadata.
    await kcatMetadata(plain.bootstrap);
    const m = parsePrometheus(await plain.prometheus());
    assert.ok(sumSamples(m, "kscope_client_requests_total", { api: "Metadata", workload: "loopback-clients", namespace: "local" }) >= 1);
    assert.equal(sumSamples(m, "kscope_client_requests_total", { workload: "orders" }), 0);
  } finally {
    await plain.stop();
  }
});

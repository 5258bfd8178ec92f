// Naming workloads on a proxy that serves many clients (issue 10): a real Envoy terminating mTLS
// in front of a real Kafka 4.1 broker, with client certificates carrying SPIFFE ids (made here with
// openssl, as a mesh issues them), and kscope's "clients" configuration. Real kcat (librdkafka)
// clients speak TLS to Envoy; kscope names each connection from its peer certificate.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Broker, startKafka } from '../support/kafka';
import { freePort } from '../support/ports';
import { kcatConsume, kcatProduce } from '../support/clients';
import { Envoy, parsePrometheus, startEnvoy, sumSamples, type Sample } from '../support/envoy';
import { kcatTls, makePki, type Pki } from '../support/tls';
import { tempDir } from '../support/procs';

const ORDERS = 'spiffe://cluster.local/ns/shop/sa/orders';
const BILLING = 'spiffe://cluster.local/ns/shop/sa/billing';

let broker: Broker;
let envoy: Envoy;
let pki: Pki;

before(async () => {
  pki = await makePki(tempDir('pki'), [ORDERS, BILLING]);
  const envoyPort = await freePort();
  broker = await startKafka({ proxyPort: envoyPort });
  envoy = await startEnvoy({
    name: 'envoy-mtls', listenPort: envoyPort, upstream: broker.proxiedUpstream,
    // The broker's inbound sidecar: the node is the broker, the clients are named per connection.
    nodeMetadata: { WORKLOAD_NAME: 'kafka', NAMESPACE: 'data' },
    pluginConfig: { clients: { rules: [{ client_id_prefix: 'never-', workload: 'not-this' }] } },
    downstreamTls: { cert: pki.serverCert, key: pki.serverKey, ca: pki.ca },
  });
});

after(async () => {
  await envoy?.stop();
  await broker?.stop();
});

async function samples(): Promise<Sample[]> { return parsePrometheus(await envoy.prometheus()); }

test('mTLS in Envoy: each connection is named by its peer certificate\'s SPIFFE id (workload = service account, namespace)', async () => {
  const topic = 'mtls-orders';
  await broker.createTopic(topic, 1);
  const records = Array.from({ length: 30 }, (_, i) => `order ${i}`);
  await kcatProduce(envoy.bootstrap, topic, records, { partition: 0, X: { ...kcatTls(pki, ORDERS), 'client.id': 'never-orders' } });
  const got = await kcatConsume(envoy.bootstrap, topic, 1000, { partition: 0, X: { ...kcatTls(pki, BILLING), 'client.id': 'billing-reader' } });
  assert.equal(got.length, 30);
  assert.deepEqual(got.map((r) => r.value?.toString()), records, 'records intact through TLS termination');

  const m = await samples();
  const shown = m.filter((s) => s.name === 'kscope_produced_records_total' || s.name === 'kscope_connections_total').map((s) => `${s.name}${JSON.stringify(s.labels)} ${s.value}`).join('\n');
  // The certificate wins over a matching client-id rule.
  assert.equal(sumSamples(m, 'kscope_produced_records_total', { topic, workload: 'orders', namespace: 'shop' }), 30, shown);
  assert.equal(sumSamples(m, 'kscope_fetched_records_total', { topic, workload: 'billing', namespace: 'shop' }), 30);
  assert.equal(sumSamples(m, 'kscope_produced_records_total', { topic }), 30, 'no produce under another workload');
  assert.equal(sumSamples(m, 'kscope_fetched_records_total', { topic }), 30, 'no fetch under another workload');
  // Never the proxy's own (the broker's) identity, never unknown: every connection had a certificate.
  const ours = m.filter((s) => s.name.startsWith('kscope_') && s.name !== 'kscope_label_overflow_total');
  const workloads = [...new Set(ours.map((s) => `${s.labels.namespace}/${s.labels.workload}`))].sort();
  assert.deepEqual(workloads, ['shop/billing', 'shop/orders']);
  assert.ok(sumSamples(m, 'kscope_connections_total', { workload: 'orders' }) >= 1);
  assert.ok(sumSamples(m, 'kscope_connections_total', { workload: 'billing' }) >= 1);
});

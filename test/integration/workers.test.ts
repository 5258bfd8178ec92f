// Envoy with several workers (--concurrency 4: one kscope VM per worker thread): a label budget
// holds for the whole proxy. 3,000 connections with distinct client ids are spread over the
// workers by the kernel; Envoy must show at most max_label_values client_id values, like
// `kscope proxy` given the same traffic. (Before the budgets moved to shared data, 2 workers
// gave 399 values for a budget of 200.) The upstream is a sink: only the requests matter here.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { startEnvoy, parsePrometheus, type Envoy, type Sample } from '../support/envoy';
import { startKscope, type Kscope } from '../support/kscope';
import { request } from '../support/frames';

const BUDGET = 200;
const CLIENTS = 3000;

let sink: net.Server;
let sinkPort: number;
let envoy: Envoy;
let kscope: Kscope;

before(async () => {
  sink = net.createServer((s) => { s.on('data', () => undefined); s.on('error', () => undefined); s.on('end', () => s.end()); });
  await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
  sinkPort = (sink.address() as net.AddressInfo).port;
  const config = { max_label_values: BUDGET };
  envoy = await startEnvoy({ name: 'envoy-workers', upstream: `127.0.0.1:${sinkPort}`, concurrency: 4, pluginConfig: config, wasmPath: process.env.KSCOPE_WASM });
  kscope = await startKscope({ upstream: `127.0.0.1:${sinkPort}`, config });
});

after(async () => {
  await envoy?.stop();
  await kscope?.stop();
  sink?.close();
});

/** One connection per client id: an ApiVersions v0 request, then close. */
async function clients(port: number, n: number): Promise<void> {
  const one = (i: number): Promise<void> => new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.end(request(18, 0, i, `worker-client-${i}`, false)));
    s.on('close', () => resolve());
    s.on('error', reject);
    s.resume();
  });
  for (let i = 0; i < n; i += 50) await Promise.all(Array.from({ length: Math.min(50, n - i) }, (_, j) => one(i + j)));
}

function clientIds(samples: Sample[]): Set<string> {
  const out = new Set<string>();
  for (const s of samples) if (s.labels.client_id !== undefined && s.labels.client_id !== '__other__') out.add(s.labels.client_id);
  return out;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test(`a label budget of ${BUDGET} holds across 4 Envoy workers for ${CLIENTS} client ids, as in kscope proxy`, async () => {
  await clients(envoy.listenPort, CLIENTS);
  await clients(kscope.listenPort, CLIENTS);
  await sleep(500);
  const stats = await envoy.admin('/stats?filter=downstream_cx_total');
  const perWorker = [...stats.matchAll(/worker_(\d+)\.downstream_cx_total: (\d+)/g)].filter((m) => Number(m[2]) > 0);
  assert.ok(perWorker.length >= 2, `connections reached ${perWorker.length} worker(s):\n${stats}`);
  const viaEnvoy = clientIds(parsePrometheus(await envoy.prometheus()));
  const viaHost = clientIds(await kscope.metrics());
  assert.ok(viaEnvoy.size <= BUDGET, `Envoy shows ${viaEnvoy.size} client ids for a budget of ${BUDGET}`);
  assert.ok(viaEnvoy.size >= BUDGET - 5, `Envoy admitted only ${viaEnvoy.size}`);
  assert.equal(viaHost.size, BUDGET);
});

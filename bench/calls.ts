// Host calls the filter makes on the benchmark's load (ProducerPerformance + ConsumerPerformance
// through kscope's host, in process), per data callback and per million records. Not a test.
//   node dist/bench/calls.js [records]     env: CALLS_RATE (records/s; default unthrottled), KSCOPE_WASM
import path from "node:path";
import { startKafka } from "../test/support/kafka";
import { freePort } from "../test/support/ports";
import { consumerPerf, producerPerf } from "../test/support/clients";
import { startProxy } from "../host/proxy";
import { ProxyWasmVm } from "../host/wasm/vm";

async function main(): Promise<void> {
  const records = Number(process.argv[2] ?? 100_000);
  const port = await freePort();
  const broker = await startKafka({ proxyPort: port });
  const wasmPath = process.env.KSCOPE_WASM ?? path.join(__dirname, "..", "..", "build", "kscope.wasm");
  const vm = new ProxyWasmVm({ wasmPath, configuration: "{}" });
  const [host, p] = broker.proxiedUpstream.split(":");
  const proxy = await startProxy({ listen: { host: "127.0.0.1", port }, upstream: { host, port: Number(p) }, vm });
  try {
    const bootstrap = `127.0.0.1:${port}`;
    await broker.createTopic("calls", 3);
    const props = { acks: 1, "linger.ms": 5, "batch.size": 65536 };
    await producerPerf(bootstrap, "calls", 10_000, { recordSize: 1024, producerProps: props });
    vm.countCalls = true;
    vm.calls.clear();
    const throughput = Number(process.env.CALLS_RATE ?? -1); // records/s, -1 unthrottled
    await producerPerf(bootstrap, "calls", records, { recordSize: 1024, throughput, producerProps: props, timeoutMs: 300_000 });
    const produced = new Map(vm.calls);
    vm.calls.clear();
    await consumerPerf(bootstrap, "calls", records + 10_000, { timeoutMs: 300_000 });
    const consumed = new Map(vm.calls);
    for (const [name, m, n] of [
      ["produce", produced, records],
      ["consume", consumed, records + 10_000],
    ] as const) {
      console.log(`${name}: per million records`);
      for (const [k, v] of [...m].sort((a, b) => b[1] - a[1])) console.log(`  ${k.padEnd(40)} ${Math.round((v / n) * 1e6)}`);
    }
  } finally {
    await proxy.close();
    await broker.stop();
  }
}
main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);

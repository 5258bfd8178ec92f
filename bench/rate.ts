// Envoy's CPU per 1,000 records at a fixed rate, builds side by side: the load of many small
// frames (ProducerPerformance at 8,000 records/s, linger 5 ms, then ConsumerPerformance) where a
// filter's cost per frame shows, unlike the unthrottled load of run.ts. Used to bisect kscope's
// cost in Envoy with builds that each leave one part out (bench/RESULTS.md). Not a test.
//   node dist/bench/rate.js tcp noop=build/noop.wasm kscope=build/kscope.wasm [name=file.wasm ...]   env: ROUNDS (3)
import * as path from "node:path";
import { startKafka } from "../test/support/kafka";
import { freePort } from "../test/support/ports";
import { startEnvoy } from "../test/support/envoy";
import { producerPerf, consumerPerf } from "../test/support/clients";
import { median } from "./stats";

async function main(): Promise<void> {
  const variants = process.argv.slice(2); // name=file.wasm, or tcp (no filter)
  const port = await freePort();
  const broker = await startKafka({ proxyPort: port });
  const res = new Map<string, number[]>();
  try {
    for (let round = 0; round < Number(process.env.ROUNDS ?? 3); round++) {
      for (const v of variants) {
        const [name, file] = v.split("=");
        const e = await startEnvoy({
          upstream: broker.proxiedUpstream,
          listenPort: port,
          withWasm: name !== "tcp",
          wasmPath: file ? path.resolve(file) : undefined,
          logLevel: "warning",
        });
        try {
          const topic = `ab-${round}-${name}`;
          await broker.createTopic(topic, 3);
          const props = { acks: 1, "linger.ms": 5, "batch.size": 65536 };
          await producerPerf(e.bootstrap, topic, 5_000, { recordSize: 1024, throughput: 5000, producerProps: props });
          const c0 = e.cpuSeconds();
          await producerPerf(e.bootstrap, topic, 40_000, { recordSize: 1024, throughput: 8000, producerProps: props, timeoutMs: 120_000 });
          await consumerPerf(e.bootstrap, topic, 45_000, { timeoutMs: 120_000 });
          const ms = ((e.cpuSeconds() - c0) * 1000) / 85;
          (res.get(name) ?? res.set(name, []).get(name)!).push(ms);
          console.error(`round ${round} ${name}: ${ms.toFixed(2)} CPU ms per 1k records`);
        } finally {
          await e.stop();
        }
      }
    }
  } finally {
    await broker.stop();
  }
  for (const [k, xs] of res) console.log(`${k}: median ${median(xs).toFixed(2)} (${xs.map((x) => x.toFixed(2)).join(", ")})`);
}
main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);

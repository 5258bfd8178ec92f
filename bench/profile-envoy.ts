// Where a warmed Envoy spends its CPU under Kafka load: `perf record` on the Envoy process
// while ProducerPerformance and ConsumerPerformance run through it, then `perf report` by
// shared object (the Envoy wheel is stripped and V8 writes no perf map, so the split is:
// Envoy's C++, V8's JIT code (the Wasm module and its trampolines), libc, the kernel). Not a test.
//   node dist/bench/profile-envoy.js [tcp|noop|kscope|FILE.wasm] ...   env: PROFILE_RECORDS (200000)
import { execFileSync, spawn } from "node:child_process";
import * as path from "node:path";
import { startKafka } from "../test/support/kafka";
import { freePort } from "../test/support/ports";
import { startEnvoy, repoRoot } from "../test/support/envoy";
import { consumerPerf, producerPerf } from "../test/support/clients";
import { tempDir } from "../test/support/procs";

const RECORDS = Number(process.env.PROFILE_RECORDS ?? 200_000);
const wasmOf = (v: string): string | undefined =>
  v === "tcp" ? undefined : v === "noop" ? path.join(repoRoot, "build", "noop.wasm") : v === "kscope" ? undefined : path.resolve(v);

async function main(): Promise<void> {
  const variants = process.argv.slice(2).length ? process.argv.slice(2) : ["tcp", "noop", "kscope"];
  const port = await freePort();
  const broker = await startKafka({ proxyPort: port });
  try {
    for (const v of variants) {
      const e = await startEnvoy({
        upstream: broker.proxiedUpstream,
        listenPort: port,
        withWasm: v !== "tcp",
        wasmPath: wasmOf(v),
        logLevel: "warning",
      });
      try {
        const topic = `profile-${v.replace(/\W+/g, "-")}`;
        await broker.createTopic(topic, 3);
        const props = { acks: 1, "linger.ms": 5, "batch.size": 65536 };
        await producerPerf(e.bootstrap, topic, 20_000, { recordSize: 1024, throughput: -1, producerProps: props, timeoutMs: 120_000 });
        const data = path.join(tempDir("perf"), "perf.data");
        const perf = spawn("perf", ["record", "-F", "4999", "-g", "-o", data, "-p", String(e.pid)], { stdio: "ignore" });
        const cpu0 = e.cpuSeconds();
        await producerPerf(e.bootstrap, topic, RECORDS, { recordSize: 1024, throughput: -1, producerProps: props, timeoutMs: 300_000 });
        await consumerPerf(e.bootstrap, topic, RECORDS + 20_000, { timeoutMs: 300_000 });
        const cpu = e.cpuSeconds() - cpu0;
        perf.kill("SIGINT");
        await new Promise((r) => perf.once("exit", r));
        const report = execFileSync("perf", ["report", "-i", data, "--no-children", "--sort", "dso", "--stdio", "-g", "none"], {
          encoding: "utf8",
          maxBuffer: 1 << 26,
        });
        console.log(`== ${v}: ${((cpu / (2 * RECORDS + 20_000)) * 1e6).toFixed(2)} CPU s / M records`);
        console.log(
          report
            .split("\n")
            .filter((l) => /%/.test(l) && !l.startsWith("#"))
            .slice(0, 12)
            .join("\n"),
        );
        const syms = execFileSync("perf", ["report", "-i", data, "--no-children", "--sort", "dso,sym", "--stdio", "-g", "none"], {
          encoding: "utf8",
          maxBuffer: 1 << 26,
        });
        console.log(
          syms
            .split("\n")
            .filter((l) => /%/.test(l) && !l.startsWith("#"))
            .slice(0, 25)
            .join("\n"),
        );
      } finally {
        await e.stop();
      }
    }
  } finally {
    await broker.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

// The gateway benchmark: the same Kafka load against a three-broker cluster, direct (clients
// follow the brokers' own addresses) and through `kscope gateway` (every broker behind it,
// addresses rewritten), and through Envoy with examples/envoy/gateway.yaml; interleaved round
// by round, reported as ratios to direct (medians). Not a test.
//   node dist/bench/gateway.js        env: BENCH_ROUNDS (3), BENCH_RECORDS (200000), BENCH_PATHS
import os from "node:os";
import { Cluster, freeRange, startCluster, startGateway } from "../test/support/cluster";
import { freePorts } from "../test/support/ports";
import { procCpuSeconds, renderGatewayConfig, startEnvoy } from "../test/support/envoy";
import { consumerPerf, kafkajs, producerPerf } from "../test/support/clients";
import { median } from "./stats";

interface Running {
  bootstrap: string;
  pid?: number;
  stop(): Promise<void>;
}
interface Path {
  name: string;
  start(c: Cluster): Promise<Running>;
}

const PATHS: Path[] = [
  { name: "direct", start: async (c) => ({ bootstrap: c.nodes.map((n) => `127.0.0.1:${n.port}`).join(","), stop: async () => {} }) },
  {
    name: "kscope gateway",
    start: async (c) => {
      const g = await startGateway(c);
      return { bootstrap: g.bootstrap, pid: g.proc.pid, stop: () => g.stop() };
    },
  },
  {
    name: "envoy + kscope.wasm gateway",
    start: async (c) => {
      const base = await freeRange(c.nodes.length + 2);
      const [adminPort] = await freePorts(1);
      const e = await startEnvoy({
        name: "envoy-gateway-bench",
        upstream: "",
        listenPort: base,
        adminPort,
        logLevel: "warning",
        render: (_listen, admin) =>
          renderGatewayConfig({
            adminPort: admin,
            bootstrapPort: base,
            portBase: base + 1,
            brokers: c.nodes.map((n) => ({ id: n.id, port: n.port })),
          }),
      });
      return { bootstrap: e.bootstrap, pid: e.pid, stop: () => e.stop() };
    },
  },
];

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const RECORDS = Number(process.env.BENCH_RECORDS ?? 200_000);
const WARMUP = 20_000;
const RECORD_SIZE = 1024;

interface Figures {
  produce: number;
  consume: number;
  cpuPerM: number;
}

async function createTopic(bootstrap: string, topic: string): Promise<void> {
  const admin = kafkajs(bootstrap.split(",")[0]).admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 6, replicationFactor: 3 }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

async function measure(p: Path, c: Cluster, round: number): Promise<Figures> {
  const r = await p.start(c);
  try {
    const topic = `gwbench-${round}-${p.name.replace(/\W+/g, "-")}`;
    await createTopic(r.bootstrap, topic);
    const props = { acks: "all", "linger.ms": 5, "batch.size": 65536 };
    await producerPerf(r.bootstrap, topic, WARMUP, { recordSize: RECORD_SIZE, producerProps: props, timeoutMs: 120_000 });
    await consumerPerf(r.bootstrap, topic, WARMUP, { timeoutMs: 120_000 });
    const cpu0 = r.pid ? procCpuSeconds(r.pid) : 0;
    const prod = await producerPerf(r.bootstrap, topic, RECORDS, { recordSize: RECORD_SIZE, producerProps: props, timeoutMs: 600_000 });
    const cons = await consumerPerf(r.bootstrap, topic, RECORDS + WARMUP, { timeoutMs: 600_000 });
    const cpu = r.pid ? procCpuSeconds(r.pid) - cpu0 : NaN;
    return { produce: prod.recordsPerSec, consume: cons.msgPerSec, cpuPerM: (cpu / (RECORDS * 2 + WARMUP)) * 1e6 };
  } finally {
    await r.stop();
  }
}

async function main(): Promise<void> {
  const only = process.env.BENCH_PATHS?.split(",");
  const paths = PATHS.filter((p) => !only || only.includes(p.name));
  const cluster = await startCluster(3);
  const results = new Map<string, Figures[]>(paths.map((p) => [p.name, []]));
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const p of paths.map((_, i) => paths[(i + round) % paths.length])) {
        const f = await measure(p, cluster, round);
        results.get(p.name)!.push(f);
        console.error(
          `round ${round + 1}/${ROUNDS} ${p.name}: ${Math.round(f.produce)} rec/s produce, ${Math.round(f.consume)} rec/s consume, ${f.cpuPerM.toFixed(2)} CPU s/M records`,
        );
      }
    }
  } finally {
    await cluster.stop();
  }
  const med = (name: string, k: keyof Figures) => median(results.get(name)!.map((f) => f[k]));
  const base = paths[0].name;
  console.log(
    [
      `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, load average ${os.loadavg()[0].toFixed(1)}; ${ROUNDS} interleaved rounds, medians.`,
      `Cluster: 3 brokers (KRaft), topics of 6 partitions, replication 3. Per path, after ${WARMUP} warm-up records: ProducerPerformance ${RECORDS} × ${RECORD_SIZE} B unthrottled (acks=all, linger 5 ms); ConsumerPerformance of the topic.`,
      "",
      `| path | produce × ${base} | consume × ${base} | gateway CPU s / M records |`,
      "|---|---|---|---|",
      ...paths.map(
        (p) =>
          `| ${p.name} | ${(med(p.name, "produce") / med(base, "produce")).toFixed(2)} | ${(med(p.name, "consume") / med(base, "consume")).toFixed(2)} | ${Number.isNaN(med(p.name, "cpuPerM")) ? "–" : med(p.name, "cpuPerM").toFixed(2)} |`,
      ),
    ].join("\n"),
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

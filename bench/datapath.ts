// The proxies' data path without Kafka: a source streams bytes through each path to a sink, in
// one direction at a time (broker side to client, as Fetch responses travel; client to broker
// side, as Produce requests do), and the sink checks the bytes (every 61st: a chunk moved,
// dropped or read into twice shows). Reports throughput against direct and the proxy's CPU
// seconds per GiB, medians of interleaved rounds. Not a test.
//   node dist/bench/datapath.js [MiB per transfer (1024)]     env: ROUNDS (3)
import net from "node:net";
import { startKscope } from "../test/support/kscope";
import { procCpuSeconds, startEnvoy } from "../test/support/envoy";
import { median } from "./stats";

const MIB = Number(process.argv[2] ?? 1024);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const CHUNK = Buffer.alloc(1 << 20);
for (let i = 0; i < CHUNK.length; i++) CHUNK[i] = i & 255; // byte n of a transfer is n & 255

/** Writes MIB MiB to a socket, respecting backpressure, then ends it. */
function send(s: net.Socket): void {
  let sent = 0;
  const pump = (): void => {
    while (sent < MIB) {
      sent++;
      if (!s.write(CHUNK)) {
        s.once("drain", pump);
        return;
      }
    }
    s.end();
  };
  pump();
}

/** Reads a socket to its end; throws if a byte is not the one sent there. */
function receive(s: net.Socket): Promise<number> {
  return new Promise((resolve, reject) => {
    let got = 0;
    s.on("data", (d: Buffer) => {
      for (let j = 0; j < d.length; j += 61)
        // every 61st byte: a sink that looks at each would be the bottleneck
        if (d[j] !== ((got + j) & 255)) {
          reject(new Error(`byte ${got + j} changed on the way`));
          s.destroy();
          return;
        }
      got += d.length;
    });
    s.on("end", () => resolve(got));
    s.on("error", reject);
  });
}

type Direction = "to client" | "to broker side";
interface Path {
  name: string;
  /** Starts a proxy to `upstream`; returns where clients connect and the proxy's pid (0: none). */
  start(upstream: number): Promise<{ port: number; pid: number; stop(): Promise<void> }>;
}

const PATHS: Path[] = [
  { name: "direct", start: async (upstream) => ({ port: upstream, pid: 0, stop: async () => {} }) },
  {
    name: "kscope host, no filter",
    start: async (upstream) => {
      const k = await startKscope({ upstream: `127.0.0.1:${upstream}`, filter: false });
      return { port: k.listenPort, pid: k.proc.pid, stop: () => k.stop() };
    },
  },
  {
    name: "envoy tcp_proxy",
    start: async (upstream) => {
      const e = await startEnvoy({ upstream: `127.0.0.1:${upstream}`, withWasm: false, logLevel: "warning" });
      return { port: e.listenPort, pid: e.pid, stop: () => e.stop() };
    },
  },
];

/** One transfer of MIB MiB through a path: MiB/s and the proxy's CPU seconds per GiB. */
async function transfer(path: Path, dir: Direction): Promise<{ mibps: number; cpuPerGiB: number }> {
  const server = net.createServer((s) => {
    s.on("error", () => {});
    if (dir === "to client") send(s);
    else
      receive(s).then(
        () => s.end(),
        () => s.destroy(),
      );
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const proxy = await path.start((server.address() as net.AddressInfo).port);
  try {
    const c = net.connect(proxy.port, "127.0.0.1");
    await new Promise((r) => c.once("connect", r));
    const cpu0 = proxy.pid ? procCpuSeconds(proxy.pid) : 0;
    const t0 = process.hrtime.bigint();
    if (dir === "to client") {
      const got = await receive(c);
      if (got !== MIB << 20) throw new Error(`${got} bytes of ${MIB << 20} arrived`);
    } else {
      send(c);
      await new Promise((r) => c.once("end", r)); // the server ends once it has checked every byte
    }
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = proxy.pid ? procCpuSeconds(proxy.pid) - cpu0 : 0;
    c.destroy();
    return { mibps: MIB / secs, cpuPerGiB: cpu / (MIB / 1024) };
  } finally {
    await proxy.stop();
    server.close();
  }
}

async function main(): Promise<void> {
  console.log(`${MIB} MiB per transfer, ${ROUNDS} interleaved rounds, medians`);
  for (const dir of ["to client", "to broker side"] as Direction[]) {
    const res = new Map<string, { mibps: number[]; cpu: number[] }>();
    for (let r = 0; r < ROUNDS; r++)
      for (const p of PATHS) {
        const f = await transfer(p, dir);
        const e = res.get(p.name) ?? res.set(p.name, { mibps: [], cpu: [] }).get(p.name)!;
        e.mibps.push(f.mibps);
        e.cpu.push(f.cpuPerGiB);
      }
    const direct = median(res.get("direct")!.mibps);
    console.log(`\n${dir}:`);
    console.log(`| path | MiB/s | × direct | proxy CPU s / GiB |\n|---|---|---|---|`);
    for (const [name, e] of res) {
      const m = median(e.mibps);
      console.log(`| ${name} | ${m.toFixed(0)} | ${(m / direct).toFixed(2)} | ${name === "direct" ? "–" : median(e.cpu).toFixed(2)} |`);
    }
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

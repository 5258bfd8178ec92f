// A three-broker Kafka 4.1 cluster (KRaft, each node broker+controller) for gateway tests, started
// by `scripts/kafka.sh cluster`; `kscope gateway` in front of it (the real CLI); and a check, from
// the kernel's socket table, that every client connection to a broker comes from the gateway.
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { kafkaScript } from "./kafka";
import { freePorts } from "./ports";
import { onCleanup, Proc, run, spawnProc, tempDir } from "./procs";
import { CLI } from "./kscope";
import { Sample, scrape } from "../../host/metrics/scrape";

export interface ClusterNode {
  id: number;
  port: number;
  pid: number;
  dir: string;
  stopped: boolean;
}

export interface Cluster {
  dir: string;
  nodes: ClusterNode[];
  /** Stops one broker (SIGTERM: a controlled shutdown moves its leaderships first). */
  stopNode(id: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startCluster(n = 3, timeoutMs = 180_000): Promise<Cluster> {
  let lastError = "";
  for (let attempt = 1; attempt <= 3; attempt++) {
    const ports = await freePorts(3 * n);
    const dir = tempDir("kafka-cluster");
    const [client, internal, controller] = [0, 1, 2].map((k) => ports.slice(k * n, (k + 1) * n).join(","));
    const r = await run(
      kafkaScript,
      [
        "cluster",
        dir,
        "--client-ports",
        client,
        "--internal-ports",
        internal,
        "--controller-ports",
        controller,
        "--owner-pid",
        String(process.pid),
        "--owner-cleanup",
        "--timeout",
        String(Math.ceil(timeoutMs / 1000)),
      ],
      { timeoutMs: timeoutMs + 60_000 },
    );
    const nodes: ClusterNode[] = [];
    for (let i = 1; i <= n; i++) {
      const pidFile = path.join(dir, `node-${i}`, "pid");
      const pid = fs.existsSync(pidFile) ? Number(fs.readFileSync(pidFile, "utf8").trim()) : -1;
      nodes.push({ id: i, port: ports[i - 1], pid, dir: path.join(dir, `node-${i}`), stopped: false });
    }
    const stopNode = async (id: number) => {
      const node = nodes[id - 1];
      if (node.stopped) return;
      node.stopped = true;
      await run(kafkaScript, ["stop", node.dir], { timeoutMs: 60_000 });
    };
    // The whole cluster at once: no controlled shutdown (it waits for a quorum that is leaving too).
    const stopAll = async () => {
      for (const x of nodes)
        if (!x.stopped && x.pid > 0) {
          x.stopped = true;
          try {
            process.kill(x.pid, "SIGKILL");
          } catch {
            /* gone */
          }
        }
      await new Promise((r) => setTimeout(r, 300));
      fs.rmSync(dir, { recursive: true, force: true });
    };
    if (r.code !== 0) {
      await stopAll();
      lastError = `scripts/kafka.sh cluster failed (exit ${r.code}):\n${r.stderr.slice(-4000)}`;
      if (/Address already in use|BindException/.test(r.stderr)) continue;
      throw new Error(lastError);
    }
    const unregister = onCleanup(() => {
      for (const x of nodes)
        try {
          process.kill(x.pid, "SIGTERM");
        } catch {
          /* gone */
        }
    });
    return {
      dir,
      nodes,
      stopNode,
      stop: async () => {
        await stopAll();
        unregister();
      },
    };
  }
  throw new Error(`could not start the cluster after 3 attempts:\n${lastError}`);
}

/** `count` consecutive free ports (the gateway's bootstrap and broker ports). */
export async function freeRange(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20000 + Math.floor(Math.random() * 30000);
    const servers: net.Server[] = [];
    let ok = true;
    for (let p = base; p < base + count && ok; p++) {
      const s = net.createServer();
      ok = await new Promise<boolean>((resolve) => {
        s.once("error", () => resolve(false));
        s.listen({ port: p, host: "127.0.0.1", exclusive: true }, () => resolve(true));
      });
      if (ok) servers.push(s);
    }
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    if (ok) return base;
  }
  throw new Error("no free port range");
}

export interface GatewayProc {
  proc: Proc;
  bootstrap: string;
  /** Broker n is at 127.0.0.1:portBase + n. */
  portBase: number;
  admin: string;
  metrics(): Promise<Sample[]>;
  stop(): Promise<void>;
}

/** `kscope gateway` in front of the cluster: bootstrap at B, node n at B + 1 + n. */
export async function startGateway(cluster: Cluster, extra: string[] = []): Promise<GatewayProc> {
  const base = await freeRange(cluster.nodes.length + 2);
  const [adminPort] = await freePorts(1);
  const upstream = cluster.nodes.map((x) => `127.0.0.1:${x.port}`).join(",");
  const proc = spawnProc("kscope-gateway", process.execPath, [
    CLI,
    "gateway",
    "--upstream",
    upstream,
    "--bootstrap",
    `127.0.0.1:${base}`,
    "--admin",
    `127.0.0.1:${adminPort}`,
    "--refresh",
    "1",
    ...extra,
  ]);
  await proc.waitForPort(adminPort, 15_000);
  for (const x of cluster.nodes) await proc.waitForPort(base + 1 + x.id, 15_000);
  const admin = `http://127.0.0.1:${adminPort}`;
  return {
    proc,
    bootstrap: `127.0.0.1:${base}`,
    portBase: base + 1,
    admin,
    metrics: () => scrape(`${admin}/metrics`),
    stop: async () => {
      await proc.kill("SIGTERM");
    },
  };
}

/** Socket inodes a process holds (from /proc/PID/fd). */
function socketInodes(pid: number): Set<string> {
  const out = new Set<string>();
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) out.add(m[1]);
    } catch {
      /* closed meanwhile */
    }
  }
  return out;
}

/** The process holding a socket (with its command line), or undefined once it is closed. */
function ownerOf(inode: string): string | undefined {
  for (const pid of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (socketInodes(Number(pid)).has(inode))
        return `${pid} ${fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ").slice(0, 160)}`;
    } catch {
      /* not ours to read, or gone */
    }
  }
  return undefined;
}

/** Established TCP connections whose remote port is one of `ports`, with the local socket's inode. */
function connectionsTo(ports: Set<number>): Array<{ inode: string; local: string; remotePort: number }> {
  const out: Array<{ inode: string; local: string; remotePort: number }> = [];
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = fs.readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== "01") continue; // 01: ESTABLISHED
      const remotePort = parseInt(f[2].split(":")[1], 16);
      if (ports.has(remotePort)) out.push({ inode: f[9], local: f[1], remotePort });
    }
  }
  return out;
}

/**
 * Watches, from the brokers' side, who is connected to their client listeners: every connection
 * must belong to a gateway process (`gateways`, read at each sample: one may be added later).
 * Samples every 50 ms until stopped.
 */
export function watchBrokerConnections(cluster: Cluster, gateways: number[]): { stop(): { gateway: number; others: string[] } } {
  const ports = new Set(cluster.nodes.map((x) => x.port));
  const seen = new Set<string>();
  const others: string[] = [];
  const sample = () => {
    const conns = connectionsTo(ports);
    if (conns.length === 0) return;
    const mineNow = () => new Set(gateways.flatMap((pid) => [...socketInodes(pid)]));
    const mine = mineNow();
    for (const c of conns) {
      if (c.inode === "0") continue; // closing: no owner any more
      if (mine.has(c.inode)) seen.add(c.inode);
      else if (!mineNow().has(c.inode)) {
        const owner = ownerOf(c.inode);
        if (owner !== undefined) others.push(`${c.local} -> :${c.remotePort} (pid ${owner})`);
      }
    }
  };
  const timer = setInterval(sample, 50);
  return {
    stop: () => {
      clearInterval(timer);
      sample();
      return { gateway: seen.size, others };
    },
  };
}

// A real single-node Kafka 4.1 (KRaft) per test suite, driven through scripts/kafka.sh.
import * as fs from "node:fs";
import * as path from "node:path";
import { Kafka, logLevel, type ITopicConfig } from "kafkajs";
import { freePorts } from "./ports";
import { onCleanup, run, tempDir, type RunResult } from "./procs";

function findRepoRoot(): string {
  if (process.env.KSCOPE_ROOT) return path.resolve(process.env.KSCOPE_ROOT);
  // Works from test/support (ts) and dist/test/support (compiled js).
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "scripts", "kafka.sh"))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`scripts/kafka.sh not found above ${__dirname}; set KSCOPE_ROOT`);
  }
}

export const repoRoot: string = findRepoRoot();
export const kafkaScript: string = path.join(repoRoot, "scripts", "kafka.sh");

export interface ToolResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface ToolOptions {
  /** Written to the tool's stdin (e.g. ConsoleProducer input). */
  input?: string | Buffer;
  /** Default 120 s. */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

/**
 * Runs a Kafka tool class (e.g. 'org.apache.kafka.tools.ProducerPerformance') through
 * `scripts/kafka.sh tool`. Tool logging (WARN+) goes to stderr; stdout is the tool's output.
 */
export async function runTool(className: string, args: readonly string[], opts: ToolOptions = {}): Promise<ToolResult> {
  const r = await run(kafkaScript, ["tool", className, ...args], {
    input: opts.input,
    timeoutMs: opts.timeoutMs ?? 120_000,
    env: opts.env,
  });
  if (r.timedOut) throw new Error(`${className} timed out after ${opts.timeoutMs ?? 120_000} ms\n${r.stderr.slice(-4000)}`);
  return { code: r.code, stdout: r.stdout, stderr: r.stderr };
}

/** One row of `kafka-consumer-groups --describe --group G`. '-' columns are null. */
export interface GroupRow {
  group: string;
  topic: string;
  partition: number;
  currentOffset: number | null;
  logEndOffset: number | null;
  lag: number | null;
  consumerId: string | null;
  host: string | null;
  clientId: string | null;
}

/** Parses ConsumerGroupCommand --describe (offsets view) output; tolerant of notes and blank lines. */
export function parseGroupDescribe(stdout: string): GroupRow[] {
  const rows: GroupRow[] = [];
  let header: string[] | null = null;
  for (const line of stdout.split("\n")) {
    const cols = line.trim().split(/\s+/);
    if (cols[0] === "GROUP") {
      header = cols;
      continue;
    }
    if (!header || line.trim() === "" || cols.length < header.length) continue;
    const get = (name: string): string | null => {
      const i = header!.indexOf(name);
      return i < 0 || cols[i] === "-" ? null : cols[i];
    };
    const num = (name: string): number | null => {
      const v = get(name);
      return v === null ? null : Number(v);
    };
    rows.push({
      group: cols[0],
      topic: get("TOPIC") ?? "",
      partition: num("PARTITION") ?? -1,
      currentOffset: num("CURRENT-OFFSET"),
      logEndOffset: num("LOG-END-OFFSET"),
      lag: num("LAG"),
      consumerId: get("CONSUMER-ID"),
      host: get("HOST"),
      clientId: get("CLIENT-ID"),
    });
  }
  return rows.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
}

export interface StartKafkaOptions {
  /** HOST:PORT advertised for the PROXIED listener, i.e. where the proxy will listen. */
  proxyAdvertised?: string;
  /** Shorthand for proxyAdvertised = 127.0.0.1:proxyPort. */
  proxyPort?: number;
  /** Extra server.properties entries. */
  serverProps?: Record<string, string | number | boolean>;
  /**
   * More plaintext listeners, NAME -> the address advertised for it (a proxy in front of it):
   * one per proxy when several proxies front one broker, or clients of one would be sent to
   * another after bootstrap. Each binds a free loopback port (Broker.listenerPorts).
   */
  listeners?: Record<string, string>;
  /** Start-up timeout, default 90 s. */
  timeoutMs?: number;
  /** Keep the temp dir after stop() (also KSCOPE_KEEP_KAFKA=1). */
  keepDir?: boolean;
}

export interface Broker {
  dir: string;
  pid: number;
  logFile: string;
  /** 127.0.0.1:D, advertised as itself: clients bypass the proxy. */
  directBootstrap: string;
  directPort: number;
  /** Port of the PROXIED listener on 127.0.0.1: the proxy's upstream. */
  proxiedPort: number;
  /** 127.0.0.1:proxiedPort, for configuring the proxy's upstream cluster. */
  proxiedUpstream: string;
  /** The advertised address of the PROXIED listener (the proxy): clients bootstrap here. */
  proxiedBootstrap: string;
  controllerPort: number;
  /** Port of each extra listener (StartKafkaOptions.listeners), by name: that proxy's upstream. */
  listenerPorts: Record<string, number>;
  /** Milliseconds `scripts/kafka.sh start` took. */
  startupMs: number;
  /** Stops the broker (SIGTERM, then SIGKILL after 30 s) and removes its dir. Idempotent. */
  stop(): Promise<void>;
  /** Kills the broker (SIGKILL: a crash) or stops it, then starts it on the same data and ports. */
  restart(opts?: { kill?: boolean; downMs?: number }): Promise<void>;
  tool(className: string, args: readonly string[], opts?: ToolOptions): Promise<ToolResult>;
  /** Creates a topic through the DIRECT listener and waits for leaders. No-op if it exists. */
  createTopic(name: string, partitions?: number, config?: Record<string, string>): Promise<void>;
  /** `kafka-consumer-groups --describe --group` through DIRECT; [] if the group does not exist. */
  describeGroup(group: string): Promise<GroupRow[]>;
  /** The broker log so far. */
  log(): string;
}

function startError(r: RunResult): string {
  return `scripts/kafka.sh start failed (${r.timedOut ? "timed out" : `exit ${r.code ?? r.signal}`}):\n${r.stderr.slice(-6000)}`;
}

/**
 * Starts a broker with PROXIED, DIRECT and CONTROLLER listeners on free loopback ports in a
 * fresh temp dir. Pick the proxy's port first (freePort) and pass it as proxyPort/proxyAdvertised,
 * since the PROXIED listener advertises the proxy's address. Retries on port clashes.
 */
export async function startKafka(opts: StartKafkaOptions = {}): Promise<Broker> {
  const timeoutMs = opts.timeoutMs ?? 90_000;
  const keep = opts.keepDir ?? process.env.KSCOPE_KEEP_KAFKA === "1";
  let lastError = "";
  for (let attempt = 1; attempt <= 3; attempt++) {
    const extra = Object.entries(opts.listeners ?? {});
    const [proxiedPort, directPort, controllerPort, ...extraPorts] = await freePorts(3 + extra.length);
    const listenerPorts = Object.fromEntries(extra.map(([name], i) => [name, extraPorts[i]]));
    const proxiedBootstrap = opts.proxyAdvertised ?? `127.0.0.1:${opts.proxyPort ?? proxiedPort}`;
    const dir = tempDir("kafka");
    const args = [
      "start",
      dir,
      "--proxied-port",
      String(proxiedPort),
      "--direct-port",
      String(directPort),
      "--controller-port",
      String(controllerPort),
      "--proxy-advertised",
      proxiedBootstrap,
      "--owner-pid",
      String(process.pid),
      ...(keep ? [] : ["--owner-cleanup"]),
      "--timeout",
      String(Math.ceil(timeoutMs / 1000)),
    ];
    if (extra.length) {
      // scripts/kafka.sh writes PROXIED, DIRECT and CONTROLLER; later --set lines win.
      const bind = extra.map(([name], i) => `${name}://127.0.0.1:${extraPorts[i]}`).join(",");
      const adv = extra.map(([name, address]) => `${name}://${address}`).join(",");
      args.push(
        "--set",
        `listeners=PROXIED://127.0.0.1:${proxiedPort},DIRECT://127.0.0.1:${directPort},CONTROLLER://127.0.0.1:${controllerPort},${bind}`,
      );
      args.push("--set", `advertised.listeners=PROXIED://${proxiedBootstrap},DIRECT://127.0.0.1:${directPort},${adv}`);
      args.push(
        "--set",
        `listener.security.protocol.map=PROXIED:PLAINTEXT,DIRECT:PLAINTEXT,CONTROLLER:PLAINTEXT,${extra.map(([name]) => `${name}:PLAINTEXT`).join(",")}`,
      );
    }
    for (const [k, v] of Object.entries(opts.serverProps ?? {})) args.push("--set", `${k}=${v}`);
    const t0 = Date.now();
    const r = await run(kafkaScript, args, { timeoutMs: timeoutMs + 30_000 });
    const startupMs = Date.now() - t0;
    const pidFile = path.join(dir, "pid");
    const pid = fs.existsSync(pidFile) ? Number(fs.readFileSync(pidFile, "utf8").trim()) : -1;
    if (r.code !== 0) {
      if (pid > 0) await run(kafkaScript, ["stop", dir], { timeoutMs: 60_000 });
      lastError = startError(r);
      const log = fs.existsSync(path.join(dir, "kafka.log")) ? fs.readFileSync(path.join(dir, "kafka.log"), "utf8") : "";
      if (!keep) fs.rmSync(dir, { recursive: true, force: true });
      if (/Address already in use|BindException/.test(log + r.stderr)) continue;
      throw new Error(lastError);
    }
    const unregister = onCleanup(() => {
      // Synchronous exit path: the broker shuts itself down; kafka.sh's watchdog SIGKILLs it if needed.
      try {
        process.kill(broker.pid, "SIGTERM");
      } catch {
        // gone already
      }
    });
    const directBootstrap = `127.0.0.1:${directPort}`;
    const logFile = path.join(dir, "kafka.log");
    let stopping: Promise<void> | undefined;
    const broker: Broker = {
      dir,
      pid,
      logFile,
      directBootstrap,
      directPort,
      proxiedPort,
      proxiedUpstream: `127.0.0.1:${proxiedPort}`,
      proxiedBootstrap,
      controllerPort,
      listenerPorts,
      startupMs,
      stop() {
        stopping ??= (async () => {
          const s = await run(kafkaScript, ["stop", dir], { timeoutMs: 60_000 });
          unregister();
          if (s.code !== 0) throw new Error(`scripts/kafka.sh stop failed: ${s.stderr}`);
          if (!keep) fs.rmSync(dir, { recursive: true, force: true });
        })();
        return stopping;
      },
      async restart({ kill = true, downMs = 0 } = {}) {
        if (downMs > 0) {
          // down for a while: stop (or kill) now, start again later
          if (kill) process.kill(broker.pid, "SIGKILL");
          else await run(kafkaScript, ["stop", dir], { timeoutMs: 60_000 });
          await new Promise((r) => setTimeout(r, downMs));
        }
        const r = await run(kafkaScript, ["restart", dir, ...(kill ? ["--kill"] : [])], { timeoutMs: 150_000 });
        if (r.code !== 0) throw new Error(`scripts/kafka.sh restart failed: ${r.stderr.slice(-4000)}`);
        broker.pid = Number(fs.readFileSync(pidFile, "utf8").trim());
      },
      tool: runTool,
      async createTopic(name, partitions = 1, config = {}) {
        const admin = new Kafka({ brokers: [directBootstrap], clientId: "kscope-test-admin", logLevel: logLevel.NOTHING }).admin();
        await admin.connect();
        try {
          const topic: ITopicConfig = {
            topic: name,
            numPartitions: partitions,
            replicationFactor: 1,
            configEntries: Object.entries(config).map(([k, v]) => ({ name: k, value: v })),
          };
          await admin.createTopics({ topics: [topic], waitForLeaders: true, timeout: 30_000 });
        } finally {
          await admin.disconnect();
        }
      },
      async describeGroup(group) {
        const r = await runTool("org.apache.kafka.tools.consumer.group.ConsumerGroupCommand", [
          "--bootstrap-server",
          directBootstrap,
          "--describe",
          "--group",
          group,
        ]);
        // The tool exits 0 even for errors; a missing group is an empty result.
        if (/GroupIdNotFoundException|does not exist/.test(r.stderr)) return [];
        if (r.code !== 0 || /^Error:/m.test(r.stderr)) throw new Error(`describe group ${group} failed (exit ${r.code}):\n${r.stderr}`);
        return parseGroupDescribe(r.stdout);
      },
      log() {
        try {
          return fs.readFileSync(logFile, "utf8");
        } catch {
          return "";
        }
      },
    };
    return broker;
  }
  throw new Error(`could not start Kafka after 3 attempts (port clashes):\n${lastError}`);
}

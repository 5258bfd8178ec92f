// `kscope proxy`: a standalone Kafka proxy running kscope.wasm, with an admin endpoint; with
// --http, an HTTP/1.1 proxy running the module's HTTP filter root (kscope_http) instead.
import { Command } from "commander";
import path from "node:path";
import { parseAddress } from "../address";
import { ADMIN_TOKEN_ENV, startAdmin } from "../admin/server";
import { localRoutes } from "../admin/local";
import { assets } from "../admin/assets";
import { startProxy } from "../proxy";
import { startHttpProxy } from "../http-proxy";
import { ProxyWasmVm } from "../wasm/vm";
import { MetricStore } from "../metrics/store";
import { History } from "../history";
import { UpstreamHealth } from "../upstream";

/** A listener that could not bind says which option to change. */
async function bound<T>(option: string, address: string, listening: Promise<T>): Promise<T> {
  try {
    return await listening;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE")
      throw new Error(`${option} ${address}: address already in use (another kscope proxy or service is listening there)`, { cause: e });
    if (code === "EACCES" || code === "EADDRNOTAVAIL") throw new Error(`${option} ${address}: cannot listen there (${code})`, { cause: e });
    throw e;
  }
}

export const DEFAULT_WASM = path.join(__dirname, "..", "..", "..", "build", "kscope.wasm");

/** What commander parses from the options below (`--no-filter` sets filter to false). */
interface ProxyCommandOptions {
  upstream: string;
  listen?: string; // no default: it depends on --http
  http?: boolean;
  admin: string;
  adminToken?: string;
  wasm: string;
  config: string;
  filter: boolean;
  probeInterval: string;
}

export function proxyCommand(): Command {
  return new Command("proxy")
    .description("run a Kafka (or, with --http, an HTTP) proxy that observes traffic with the kscope filter")
    .requiredOption("--upstream <host:port>", "the Kafka broker (or HTTP service) to forward to")
    .option("--listen <host:port>", "where clients connect (default 127.0.0.1:19092, with --http 127.0.0.1:18080)")
    .option("--http", "proxy HTTP/1.1 and run the HTTP filter (root kscope_http): requests by workload, method, status")
    .option("--admin <host:port>", "admin endpoint (dashboard, /metrics, /healthz, the CLI's API); loopback by default", "127.0.0.1:9990")
    .option("--admin-token <token>", `require this bearer token on the admin endpoint (all but /healthz); default $${ADMIN_TOKEN_ENV}`)
    .option("--wasm <file>", "the filter module", DEFAULT_WASM)
    .option("--config <json>", 'plugin configuration for the filter, e.g. \'{"workload":"orders"}\'', "{}")
    .option("--no-filter", "forward bytes without the filter (for comparison)")
    .option("--probe-interval <seconds>", "how often the upstream is probed for /healthz and the log", "5")
    .addHelpText(
      "after",
      `
Examples:
  kscope proxy --upstream 127.0.0.1:9092
  kscope proxy --listen 0.0.0.0:19092 --upstream kafka:9092 --admin 127.0.0.1:9990 --config '{"workload":"gateway"}'
  kscope proxy --http --listen 127.0.0.1:18080 --upstream 127.0.0.1:8080 --config '{"workload":"payments","namespace":"shop"}'
  ${ADMIN_TOKEN_ENV}=s3cret kscope proxy --upstream kafka:9092 --admin 0.0.0.0:9990   # open /?token=s3cret once in a browser

The broker must advertise the proxy's address (advertised.listeners), or clients will
bypass the proxy after their first Metadata request.`,
    )
    .action(async (o: ProxyCommandOptions) => {
      const metrics = new MetricStore();
      const rootId = o.http ? "kscope_http" : "kscope";
      const vm = o.filter ? new ProxyWasmVm({ wasmPath: o.wasm, configuration: o.config, metrics, rootId }) : undefined;
      o.listen ??= o.http ? "127.0.0.1:18080" : "127.0.0.1:19092";
      const listen = parseAddress(o.listen);
      const admin = parseAddress(o.admin);
      const upstream = parseAddress(o.upstream);
      const history = new History(metrics).start(); // snapshots for `kscope stat` (/api/history)
      const token: string | undefined = o.adminToken ?? (process.env[ADMIN_TOKEN_ENV] || undefined);
      const upstreamHealth = new UpstreamHealth(upstream.host, upstream.port).watch(Number(o.probeInterval) * 1000);
      const routes = localRoutes({ metrics, history, vm, listen: o.listen, upstream, health: () => upstreamHealth.health() });
      const adminServer = await bound("--admin", o.admin, startAdmin({ ...admin, token, routes, fallback: assets() }));
      const onError = (e: Error) => console.error(`kscope: filter error: ${e.message}`);
      const proxy: { close(): Promise<void> } = o.http
        ? await bound("--listen", o.listen, startHttpProxy({ listen, upstream, vm, onError }))
        : await bound("--listen", o.listen, startProxy({ listen, upstream, vm, upstreamHealth, onError }));
      console.log(
        `kscope proxy: ${o.listen} -> ${o.upstream}${vm ? "" : " (no filter)"}; dashboard http://${o.admin}/ metrics http://${o.admin}/metrics`,
      );
      const stop = () =>
        void proxy.close().then(() => {
          adminServer.close();
          process.exit(0);
        });
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);
    });
}

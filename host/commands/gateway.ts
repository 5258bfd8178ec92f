// `kscope gateway`: kscope in front of a whole Kafka cluster, one port per broker, with the
// filter rewriting broker addresses so that clients only ever talk to the gateway.
import { Command } from "commander";
import { parseAddress } from "../address";
import { ADMIN_TOKEN_ENV, startAdmin } from "../admin/server";
import { localRoutes } from "../admin/local";
import { assets } from "../admin/assets";
import { gatewayConfig, startGateway } from "../gateway/gateway";
import { History } from "../history";
import { MetricStore } from "../metrics/store";
import { ProxyWasmVm } from "../wasm/vm";
import { DEFAULT_WASM } from "./proxy";

export function gatewayCommand(): Command {
  return new Command("gateway")
    .description("run kscope in front of a Kafka cluster: one bootstrap port, one port per broker, broker addresses rewritten")
    .requiredOption("--upstream <host:port,...>", "brokers to discover the cluster from")
    .option(
      "--bootstrap <host:port>",
      "where the gateway listens for clients (and node n at port-base + n on the same host)",
      "127.0.0.1:9192",
    )
    .option("--advertised-host <host>", "the host clients use to reach every broker (default: the bootstrap host)")
    .option("--port-base <port>", "broker n is reached at this port + n (default: bootstrap port + 1)")
    .option("--max-held-bytes <n>", "largest response held for rewriting; bigger ones pass unchanged and are counted", "1048576")
    .option("--admin <host:port>", "admin endpoint (GET /metrics, /healthz); loopback by default", "127.0.0.1:9990")
    .option("--wasm <file>", "the filter module", DEFAULT_WASM)
    .option("--config <json>", 'further plugin configuration for the filter, e.g. \'{"workload":"gateway"}\'', "{}")
    .option("--refresh <seconds>", "how often to look for new brokers", "5")
    .addHelpText(
      "after",
      `
Examples:
  kscope gateway --upstream kafka-1:9092,kafka-2:9092 --bootstrap 127.0.0.1:9192
      clients bootstrap at 127.0.0.1:9192; node 1 at 127.0.0.1:9194, node 2 at :9195, ...
  kscope gateway --upstream kafka-1:9092 --bootstrap 0.0.0.0:9192 --advertised-host kafka-gw.example.com

Ports: node n listens at port-base + n, so node ids must keep port-base + n <= 65535.`,
    )
    .action(
      async (o: {
        upstream: string;
        bootstrap: string;
        advertisedHost?: string;
        portBase?: string;
        maxHeldBytes: string;
        admin: string;
        wasm: string;
        config: string;
        refresh: string;
      }) => {
        const bootstrap = parseAddress(o.bootstrap);
        const portBase = o.portBase !== undefined ? Number(o.portBase) : bootstrap.port + 1;
        if (!Number.isInteger(portBase) || portBase < 1 || portBase > 65535) throw new Error(`--port-base: not a port: ${o.portBase}`);
        const metrics = new MetricStore();
        const advertised = o.advertisedHost ?? bootstrap.host;
        if (advertised === "0.0.0.0" || advertised === "::")
          throw new Error("--advertised-host: clients cannot connect to a wildcard address; give the gateway's name");
        const configuration = gatewayConfig(o.config, advertised, portBase, Number(o.maxHeldBytes));
        const vm = new ProxyWasmVm({ wasmPath: o.wasm, configuration, metrics });
        const upstream = o.upstream.split(",").map((a) => parseAddress(a.trim()));
        const gw = await startGateway({
          bootstrap,
          portBase,
          upstream,
          vm,
          refreshMs: Number(o.refresh) * 1000,
          log: (m) => console.log(`kscope gateway: ${m}`),
          onError: (e) => console.error(`kscope gateway: ${e.message}`),
        });
        const history = new History(metrics).start();
        const routes = localRoutes({ metrics, history, vm, listen: o.bootstrap, upstream: upstream[0] });
        const admin = parseAddress(o.admin);
        const token = process.env[ADMIN_TOKEN_ENV] || undefined;
        const adminServer = await startAdmin({ ...admin, token, routes, fallback: assets() });
        console.log(
          `kscope gateway: bootstrap ${o.bootstrap}, node n at ${advertised}:${portBase}+n, ${gw.brokers.size} brokers; admin http://${o.admin}/metrics`,
        );
        const stop = async () => {
          await gw.close();
          adminServer.close();
          process.exit(0);
        };
        process.on("SIGINT", () => void stop());
        process.on("SIGTERM", () => void stop());
      },
    );
}

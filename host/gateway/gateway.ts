// The host as a gateway in front of a whole cluster ("port identifies node", as in Kroxylicious):
// clients bootstrap at one port; broker n is reached at portBase + n. Each listener forwards to
// its broker through the filter, which rewrites the broker addresses in responses (Metadata,
// FindCoordinator, DescribeCluster, KIP-951 node_endpoints) to those ports, so clients never
// leave the gateway. Brokers are discovered from the cluster's Metadata, at start and every
// `refreshMs`; a listener opens when a broker appears.
import { startProxy } from "../proxy";
import { ProxyWasmVm } from "../wasm/vm";
import { Broker, fetchBrokers } from "./metadata";

export interface Address {
  host: string;
  port: number;
}

export interface GatewayOptions {
  /** Where clients bootstrap; the broker listeners bind the same host. */
  bootstrap: Address;
  /** Broker n listens at portBase + n (default bootstrap port + 1). */
  portBase: number;
  /** Brokers to ask for Metadata first (later also every broker discovered). */
  upstream: Address[];
  vm?: ProxyWasmVm;
  refreshMs?: number;
  log?: (msg: string) => void;
  onError?: (err: Error) => void;
}

/** The plugin configuration keys that turn the filter's rewriting on for this gateway. */
export function gatewayConfig(base: string, advertisedHost: string, portBase: number, maxHeldBytes?: number): string {
  const cfg = JSON.parse(base || "{}") as Record<string, unknown>;
  cfg.gateway = { host: advertisedHost, port_base: portBase, ...(maxHeldBytes !== undefined ? { max_held_bytes: maxHeldBytes } : {}) };
  return JSON.stringify(cfg);
}

export interface Gateway {
  /** Node id -> the broker's own address, for every broker with a listener. */
  readonly brokers: Map<number, Broker>;
  /** Runs discovery now (also on a timer). */
  refresh(): Promise<void>;
  close(): Promise<void>;
}

export async function startGateway(o: GatewayOptions): Promise<Gateway> {
  const log = o.log ?? (() => undefined);
  const brokers = new Map<number, Broker>();
  const closers: Array<() => Promise<void>> = [];
  let live: Address = o.upstream[0];
  const candidates = (): Address[] => [live, ...o.upstream, ...[...brokers.values()].map((b) => ({ host: b.host, port: b.port }))];

  const bootstrap = await startProxy({ listen: o.bootstrap, upstream: () => live, vm: o.vm, destination: "listener", onError: o.onError });
  closers.push(() => bootstrap.close());

  const open = async (b: Broker) => {
    const port = o.portBase + b.nodeId;
    if (b.nodeId < 0 || port > 65535) {
      o.onError?.(new Error(`node ${b.nodeId}: no port for it (port base ${o.portBase})`));
      return;
    }
    brokers.set(b.nodeId, b);
    const target = { host: b.host, port: b.port };
    const p = await startProxy({
      listen: { host: o.bootstrap.host, port },
      upstream: () => brokers.get(b.nodeId) ?? target,
      vm: o.vm,
      destination: "listener",
      onError: o.onError,
    });
    closers.push(() => p.close());
    log(`node ${b.nodeId}: ${o.bootstrap.host}:${port} -> ${b.host}:${b.port}`);
  };

  let refreshing: Promise<void> | undefined;
  const discover = async () => {
    let lastErr: Error | undefined;
    for (const c of candidates()) {
      try {
        const found = await fetchBrokers(c.host, c.port);
        live = c;
        for (const b of found) {
          const known = brokers.get(b.nodeId);
          if (!known) await open(b);
          else if (known.host !== b.host || known.port !== b.port) {
            brokers.set(b.nodeId, b);
            log(`node ${b.nodeId} moved to ${b.host}:${b.port}`);
          }
        }
        return;
      } catch (err) {
        lastErr = err as Error;
      }
    }
    o.onError?.(new Error(`no broker answered Metadata: ${lastErr?.message ?? "no candidates"}`));
  };
  const refresh = () =>
    (refreshing ??= discover().finally(() => {
      refreshing = undefined;
    }));

  await refresh();
  const timer = setInterval(() => void refresh(), o.refreshMs ?? 5000);
  timer.unref();
  return {
    brokers,
    refresh,
    close: async () => {
      clearInterval(timer);
      await Promise.all(closers.map((c) => c()));
    },
  };
}

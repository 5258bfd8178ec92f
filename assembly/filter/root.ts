// The plugin's root context: reads the configuration, owns the metric observers (one per
// workload the connections resolve to, see identity.ts), and creates a KafkaConnection per connection.
import { Context, RootContext } from "../abi/context";
import { property, propertyPath, setTickPeriod } from "../abi/host";
import { Gateway, GatewayShared } from "../gateway/gateway";
import { GatewayMetrics } from "../metrics/gateway";
import { ApiMetrics, ConnectionMetrics, setLabelLimit } from "../metrics/kafka";
import { setCommonLabels, setSeriesLimit } from "../metrics/registry";
import { ConnectionObserver, Observers } from "./client";
import { Config, readConfig } from "./config";
import { KafkaConnection } from "./connection";
import { Identity, IdentityResolver, workloadLabels } from "./identity";
import { MetricsObserver } from "./observer";

/** Envoy's attributes (path segments): the first URI SAN of the peer's certificate (mTLS, e.g. a SPIFFE id), the peer's address. */
const PEER_URI_SAN = ["connection", "uri_san_peer_certificate"];
const PEER_ADDRESS = ["source", "address"];

class RootObservers extends Observers {
  own: Identity = new Identity("", "");
  resolver: IdentityResolver | null = null;
  private byLabels: Map<string, MetricsObserver> = new Map();
  private list: MetricsObserver[] = [];

  fixed(): MetricsObserver | null {
    return this.resolver == null ? this.observer(this.own) : null;
  }

  forClient(clientId: string): MetricsObserver {
    const r = this.resolver;
    if (r == null) return this.observer(this.own);
    return this.observer(r.resolve(propertyPath(PEER_URI_SAN), propertyPath(PEER_ADDRESS), clientId));
  }

  private observer(id: Identity): MetricsObserver {
    const l = id.labels;
    if (this.byLabels.has(l)) return this.byLabels.get(l);
    setCommonLabels(l);
    const o = new MetricsObserver(l, new ConnectionMetrics(), new ApiMetrics());
    this.byLabels.set(l, o);
    this.list.push(o);
    return o;
  }

  tick(): void {
    for (let i = 0; i < this.list.length; i++) {
      const o = unchecked(this.list[i]);
      setCommonLabels(o.labels);
      o.tick();
    }
  }
}

export class KscopeRoot extends RootContext {
  config: Config = new Config();
  private observers: RootObservers = new RootObservers();
  private gateway: GatewayShared | null = null;

  onConfigure(size: usize): bool {
    const config = readConfig(size);
    if (config == null) return false;
    this.config = config;
    this.observers.own = new Identity(this.config.workload, this.config.namespace);
    this.observers.resolver = this.config.resolver;
    setLabelLimit(this.config.maxLabelValues);
    setSeriesLimit(this.config.maxSeriesPerMetric);
    workloadLabels.limit = this.config.maxLabelValues;
    setTickPeriod(1000); // lag in seconds grows while no traffic flows
    return true;
  }

  onTick(): void {
    this.observers.tick();
  }

  createContext(id: u32): Context {
    let gw: Gateway | null = null;
    const cfg = this.config.gateway;
    if (cfg != null) {
      if (this.gateway == null) this.gateway = new GatewayShared(cfg, new GatewayMetrics());
      gw = new Gateway(this.gateway!, listenerPort());
    }
    return new KafkaConnection(id, this, new ConnectionObserver(this.observers), gw);
  }
}

/** The port clients connected to (Envoy: destination.address, the listener's address); -1 if unknown. */
function listenerPort(): i32 {
  const a = property("destination.address");
  const i = a.lastIndexOf(":");
  if (i < 0) return -1;
  const p = I32.parseInt(a.substring(i + 1));
  return p > 0 && p <= 65535 ? p : -1;
}

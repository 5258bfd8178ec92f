// The plugin's root context: reads the configuration, owns the metric observers (one per
// workload the connections resolve to, see identity.ts), and creates a KafkaConnection per connection.
import { BufferType } from "../abi/enums";
import { Context, RootContext } from "../abi/context";
import { bufferString, property, setTickPeriod } from "../abi/host";
import { ApiMetrics, ConnectionMetrics, setLabelLimit } from "../metrics/kafka";
import { setCommonLabels } from "../metrics/registry";
import { ConnectionObserver, Observers } from "./client";
import { Config, parseConfig, resolveIdentity } from "./config";
import { KafkaConnection } from "./connection";
import { Identity, IdentityResolver, workloadLabels } from "./identity";
import { MetricsObserver } from "./observer";

/** Envoy's CEL attribute: the first URI SAN of the peer's certificate (mTLS), e.g. a SPIFFE id. */
const PEER_URI_SAN = "connection.uri_san_peer_certificate";
const PEER_ADDRESS = "source.address";

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
    return this.observer(r.resolve(property(PEER_URI_SAN), property(PEER_ADDRESS), clientId));
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

  onConfigure(size: usize): bool {
    this.config = parseConfig(bufferString(BufferType.PluginConfiguration, <i32>size));
    resolveIdentity(this.config);
    this.observers.own = new Identity(this.config.workload, this.config.namespace);
    this.observers.resolver = this.config.resolver;
    setLabelLimit(this.config.maxLabelValues);
    workloadLabels.limit = this.config.maxLabelValues;
    setTickPeriod(1000); // lag in seconds grows while no traffic flows
    return true;
  }

  onTick(): void { this.observers.tick(); }

  createContext(id: u32): Context {
    return new KafkaConnection(id, this, new ConnectionObserver(this.observers));
  }
}

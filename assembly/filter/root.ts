// The plugin's root context: reads the configuration, owns the shared metric families,
// and creates a KafkaConnection per connection.
import { BufferType } from "../abi/enums";
import { Context, RootContext } from "../abi/context";
import { bufferString, property, setTickPeriod } from "../abi/host";
import { GatewayConfig, parseGatewayConfig } from "../gateway/config";
import { Gateway, GatewayShared } from "../gateway/gateway";
import { GatewayMetrics } from "../metrics/gateway";
import { ApiMetrics, ConnectionMetrics, setLabelLimit } from "../metrics/kafka";
import { label, setCommonLabels } from "../metrics/registry";
import { Config, parseConfig, resolveIdentity } from "./config";
import { KafkaConnection } from "./connection";
import { MetricsObserver } from "./observer";

export class KscopeRoot extends RootContext {
  config: Config = new Config();
  private conn: ConnectionMetrics | null = null;
  private observer: MetricsObserver | null = null;
  private gatewayConfig: GatewayConfig = new GatewayConfig();
  private gateway: GatewayShared | null = null;

  onConfigure(size: usize): bool {
    const text = bufferString(BufferType.PluginConfiguration, <i32>size);
    this.config = parseConfig(text);
    this.gatewayConfig = parseGatewayConfig(text);
    resolveIdentity(this.config);
    let common = "";
    if (this.config.workload.length) common += label("workload", this.config.workload);
    if (this.config.namespace.length) common += label("namespace", this.config.namespace);
    setCommonLabels(common);
    setLabelLimit(this.config.maxLabelValues);
    setTickPeriod(1000); // lag in seconds grows while no traffic flows
    return true;
  }

  onTick(): void {
    if (this.observer != null) this.observer!.tick();
  }

  createContext(id: u32): Context {
    if (this.observer == null) {
      const conn = new ConnectionMetrics();
      this.conn = conn;
      this.observer = new MetricsObserver(conn, new ApiMetrics());
    }
    let gw: Gateway | null = null;
    if (this.gatewayConfig.enabled) {
      if (this.gateway == null) this.gateway = new GatewayShared(this.gatewayConfig, new GatewayMetrics());
      gw = new Gateway(this.gateway!, listenerPort());
    }
    return new KafkaConnection(id, this, this.conn!, this.observer!, gw);
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

// The plugin's root context: reads the configuration, owns the shared metric families,
// and creates a KafkaConnection per connection.
import { BufferType, LogLevel } from "../abi/enums";
import { Context, RootContext } from "../abi/context";
import { bufferString, log, setTickPeriod } from "../abi/host";
import { ApiMetrics, ConnectionMetrics, setLabelLimit } from "../metrics/kafka";
import { label, setCommonLabels } from "../metrics/registry";
import { Config, parseConfig, resolveIdentity } from "./config";
import { KafkaConnection } from "./connection";
import { MetricsObserver } from "./observer";

export class KscopeRoot extends RootContext {
  config: Config = new Config();
  private conn: ConnectionMetrics | null = null;
  private observer: MetricsObserver | null = null;

  onConfigure(size: usize): bool {
    const parsed = parseConfig(bufferString(BufferType.PluginConfiguration, <i32>size));
    if (parsed.error.length) {
      // Refusing makes Envoy reject the filter (and its listener) and the host refuse to start.
      log(LogLevel.Error, "invalid plugin configuration: " + parsed.error);
      return false;
    }
    this.config = parsed.config;
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
    return new KafkaConnection(id, this, this.conn!, this.observer!);
  }
}

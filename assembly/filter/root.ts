// The plugin's root context: reads the configuration, owns the shared metric families,
// and creates a KafkaConnection per connection.
import { BufferType } from "../abi/enums";
import { Context, RootContext } from "../abi/context";
import { bufferString, setTickPeriod } from "../abi/host";
import { ApiMetrics, ConnectionMetrics, setLabelLimit } from "../metrics/kafka";
import { label, setCommonLabels } from "../metrics/registry";
import * as L from "../../vocabulary/labels";
import { Config, parseConfig, resolveIdentity } from "./config";
import { KafkaConnection } from "./connection";
import { MetricsObserver } from "./observer";

export class KscopeRoot extends RootContext {
  config: Config = new Config();
  private conn: ConnectionMetrics | null = null;
  private observer: MetricsObserver | null = null;

  onConfigure(size: usize): bool {
    this.config = parseConfig(bufferString(BufferType.PluginConfiguration, <i32>size));
    resolveIdentity(this.config);
    let common = "";
    if (this.config.workload.length) common += label(L.workload, this.config.workload);
    if (this.config.namespace.length) common += label(L.namespace, this.config.namespace);
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

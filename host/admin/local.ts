// The admin routes of a process that runs the filter itself (`kscope proxy`, `kscope gateway`):
// its metrics, its history as the dashboard's source, and its tap.
import { History } from "../history";
import { MetricStore } from "../metrics/store";
import { TapHub } from "../tap";
import { ProxyWasmVm } from "../wasm/vm";
import { WindowSource } from "../cli/admin-source";
import { DashboardData } from "./data";
import { proxyInfo } from "./info";
import { adminRoutes } from "./routes";
import { Handler } from "./server";

export interface LocalAdmin {
  metrics: MetricStore;
  history: History;
  vm?: ProxyWasmVm;
  listen: string;
  upstream: { host: string; port: number };
  health?: () => { ok: boolean; text: string };
}

export function localRoutes(o: LocalAdmin): Record<string, Handler> {
  const tap = new TapHub(o.vm);
  const info = proxyInfo({ history: o.history, metrics: o.metrics, tap, filter: !!o.vm, vm: o.vm, listen: o.listen, upstream: o.upstream });
  const source = (window: number, at?: number) =>
    new WindowSource("admin (this proxy)", window, () => Promise.resolve(o.history.window(window, at)));
  const data = new DashboardData(source, `kscope ${o.listen}`, o.history.retentionMs / 1000);
  return adminRoutes({ metrics: o.metrics, info, data, history: o.history, tap, health: o.health });
}

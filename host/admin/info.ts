// GET /api/info: what this proxy is (version, filter loaded, upstream reachable), for `kscope check`,
// `kscope top` and the dashboard's header.
import { History } from "../history";
import { MetricStore } from "../metrics/store";
import { TapHub } from "../tap";
import { reachable } from "../upstream";
import { VERSION } from "../version";
import { ProxyWasmVm } from "../wasm/vm";

/** The process's memory (bytes, from process.memoryUsage()) and the filter's Wasm memory (64 KiB pages). */
export interface MemoryInfo {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  wasmPages?: number;
}

export interface ProxyInfo {
  version: string;
  filter: boolean;
  listen: string;
  upstream: string;
  upstreamReachable: boolean;
  upstreamError?: string;
  uptimeSeconds: number;
  series: number;
  history: { intervalSeconds: number; retentionSeconds: number };
  /** The filter can stream tap events (GET /api/tap). */
  tap: boolean;
  /** Clients streaming /api/tap now (0: the filter writes no tap events). */
  tapping: number;
  /** Memory now (the soak samples it: bench/soak.ts). */
  memory: MemoryInfo;
}

/** GET /api/info of `kscope dashboard`: the dashboard over a Prometheus server. */
export interface DashboardInfo {
  version: string;
  source: string;
}

export interface InfoParts {
  history: History;
  metrics: MetricStore;
  tap: TapHub;
  filter: boolean;
  listen: string;
  upstream: { host: string; port: number };
  vm?: ProxyWasmVm;
}

/** A function answering the proxy's info now (the upstream is probed on each call). */
export function proxyInfo(o: InfoParts): () => Promise<ProxyInfo> {
  const started = Date.now();
  return async () => {
    const err = await reachable(o.upstream.host, o.upstream.port);
    return {
      version: VERSION,
      filter: o.filter,
      listen: o.listen,
      upstream: `${o.upstream.host}:${o.upstream.port}`,
      upstreamReachable: err === undefined,
      ...(err ? { upstreamError: err } : {}),
      uptimeSeconds: (Date.now() - started) / 1000,
      series: o.metrics.series().length,
      history: { intervalSeconds: o.history.intervalMs / 1000, retentionSeconds: o.history.retentionMs / 1000 },
      tap: o.tap.supported,
      tapping: o.tap.subscribers,
      memory: { ...process.memoryUsage(), wasmPages: o.vm?.memoryPages() },
    };
  };
}

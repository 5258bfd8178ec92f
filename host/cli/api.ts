// The admin routes the CLI reads from a `kscope proxy` (mounted through AdminOptions.routes):
//   GET /api/history?window=S  rates over a window (see host/history.ts)
//   GET /api/info              what this proxy is: version, filter loaded, upstream reachable
//   GET /api/topology?window=S the topology graph over a window (host/topology/route.ts)
//   GET /api/tap               live NDJSON stream of decoded requests and responses (host/tap.ts)
import http from "node:http";
import { History } from "../history";
import { MetricStore } from "../metrics/store";
import { TapHub } from "../tap";
import { topologyRoute } from "../topology/route";
import { reachable } from "../upstream";
import { VERSION } from "../version";

export type Route = (req: http.IncomingMessage, res: http.ServerResponse) => void;

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
}

export function cliRoutes(o: { history: History; metrics: MetricStore; tap: TapHub; filter: boolean; listen: string; upstream: { host: string; port: number } }): Record<string, Route> {
  const started = Date.now();
  return {
    "/api/history": o.history.route(),
    "/api/tap": o.tap.route(),
    "/api/topology": topologyRoute(o.history),
    "/api/info": (_req, res) => {
      void reachable(o.upstream.host, o.upstream.port).then((err) => {
        const info: ProxyInfo = {
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
        };
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(info));
      });
    },
  };
}

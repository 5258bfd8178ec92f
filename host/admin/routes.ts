// Every route of the admin server, in one table:
//   GET /metrics, /healthz                  Prometheus text format (a proxy's); 200 ok or 503 with the upstream down (never needs the token)
//   GET /api/info                           what this proxy is (host/admin/info.ts)
//   GET /api/history?window=S[&at=MS]       two snapshots of every series (host/history.ts), for the CLI
//   GET /api/tap?topic=&group=&client=&api= live NDJSON of decoded requests and responses (host/tap.ts)
//   GET /api/views/<resource>?window=S&…    the CLI's `stat` rows as JSON (topics, groups, clients, apis, brokers, partitions)
//   GET /api/series/<resource>?range=S&step=S&…  the same rows at moments over a range, for charts
//   GET /api/topic|group|client?name=N&window=S   a detail page's data
//   GET /api/topology?window=S[&namespace=&workload=&topic=&group=]  the graph of `kscope topology` (host/topology/)
//   GET /api/top?window=S&…                  `kscope top`'s flows from metrics
//   anything else                            the dashboard's assets (host/admin/assets.ts)
import http from "node:http";
import { History } from "../history";
import { MetricStore } from "../metrics/store";
import { TapFilter, TapHub } from "../tap";
import { Filters } from "../cli/model";
import { Handler } from "./server";
import { DashboardData, RESOURCES } from "./data";
import { DashboardInfo, ProxyInfo } from "./info";

/** Per-subscriber buffered bytes beyond which tap events are dropped (a slow reader never blocks the proxy). */
const MAX_TAP_BUFFERED = 4 * 1024 * 1024;

export interface RouteParts {
  /** A proxy's own metrics; absent when the dashboard runs over Prometheus (`kscope dashboard`). */
  metrics?: MetricStore;
  info: () => Promise<ProxyInfo | DashboardInfo>;
  data: DashboardData;
  /** What /healthz answers (a proxy: 503 while its upstream is unreachable); default always ok. */
  health?: () => { ok: boolean; text: string };
  /** A proxy's own history and tap; absent over Prometheus. */
  history?: History;
  tap?: TapHub;
}

class BadRequest extends Error {}

const json = (res: http.ServerResponse, body: unknown) =>
  res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" }).end(JSON.stringify(body));

function seconds(url: URL, name: string, fallback: number): number {
  const raw = url.searchParams.get(name);
  const v = raw === null ? fallback : Number(raw);
  if (!(v > 0) || !Number.isFinite(v)) throw new BadRequest(`${name} must be a positive number of seconds`);
  return v;
}

function filters(url: URL): Filters {
  const f: Filters = {};
  for (const k of ["topic", "group", "client", "api"] as const) {
    const v = url.searchParams.get(k);
    if (v !== null && v !== "") f[k] = v;
  }
  return f;
}

function name(url: URL): string {
  const n = url.searchParams.get("name");
  if (n === null) throw new BadRequest("name is required");
  return n;
}

/** Wraps a JSON handler: a BadRequest answers 400 with its message. */
const api =
  (fn: (url: URL) => unknown): Handler =>
  async (_req, res, url) => {
    try {
      json(res, await fn(url));
    } catch (e) {
      if (!(e instanceof BadRequest)) throw e;
      res.writeHead(400, { "content-type": "text/plain" }).end(`${e.message}\n`);
    }
  };

function tapRoute(tap: TapHub): Handler {
  return (req, res, url) => {
    const filter: TapFilter = {};
    for (const k of ["topic", "group", "client", "api"] as const) {
      const v = url.searchParams.get(k);
      if (v) filter[k] = v;
    }
    res.writeHead(200, { "content-type": "application/x-ndjson", "cache-control": "no-cache" });
    res.write(JSON.stringify({ ev: "hello", supported: tap.supported, filter: tap.filter }) + "\n");
    const unsubscribe = tap.subscribe(filter, (line) => {
      if (res.writableLength > MAX_TAP_BUFFERED) return false;
      res.write(line);
      return true;
    });
    req.on("close", unsubscribe);
    res.on("close", unsubscribe);
  };
}

export function adminRoutes(p: RouteParts): Record<string, Handler> {
  const d = p.data;
  const window = (url: URL) => seconds(url, "window", 60);
  const routes: Record<string, Handler> = {
    "/healthz": (_req, res) => {
      const h = p.health?.() ?? { ok: true, text: "ok" };
      res.writeHead(h.ok ? 200 : 503, { "content-type": "text/plain" }).end(`${h.text}\n`);
    },
    "/api/info": api(() => p.info()),
    "/api/topic": api((url) => d.topic(name(url), window(url))),
    "/api/group": api((url) => d.group(name(url), window(url))),
    "/api/client": api((url) => d.client(name(url), window(url))),
    "/api/topology": api((url) => {
      const f: Record<string, string> = {};
      for (const k of ["namespace", "workload", "topic", "group"]) {
        const v = url.searchParams.get(k);
        if (v) f[k] = v;
      }
      return d.topology(window(url), f);
    }),
    "/api/top": api((url) => d.top(window(url), filters(url))),
  };
  for (const r of RESOURCES) {
    routes[`/api/views/${r}`] = api((url) => d.view(r, window(url), filters(url)));
    routes[`/api/series/${r}`] = api((url) => {
      const range = seconds(url, "range", Math.min(600, d.retentionSeconds));
      return d.series(r, range, seconds(url, "step", Math.max(10, range / 60)), filters(url));
    });
  }
  if (p.history) {
    const history = p.history;
    routes["/api/history"] = api((url) => {
      const at = url.searchParams.get("at");
      return {
        intervalSeconds: history.intervalMs / 1000,
        retentionSeconds: history.retentionMs / 1000,
        ...history.window(window(url), at === null ? undefined : Number(at)),
      };
    });
  }
  if (p.tap) routes["/api/tap"] = tapRoute(p.tap);
  if (p.metrics) {
    const metrics = p.metrics;
    routes["/metrics"] = (_req, res) => {
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" }).end(metrics.render());
    };
  }
  return routes;
}

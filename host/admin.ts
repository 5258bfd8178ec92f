// The admin server: Prometheus metrics and health, on loopback unless told otherwise.
import http from "node:http";
import { MetricStore } from "./metrics/store";

export interface AdminOptions {
  host: string;
  port: number;
  metrics: MetricStore;
  /** What /healthz answers: 200 with `text` when ok, else 503 (default: always ok). */
  health?: () => { ok: boolean; text: string };
  /** Extra routes (e.g. the CLI's API), tried before 404. */
  routes?: Record<string, (req: http.IncomingMessage, res: http.ServerResponse) => void>;
}

export function startAdmin(opts: AdminOptions): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET") { res.writeHead(405).end(); return; }
    if (path === "/metrics") {
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" }).end(opts.metrics.render());
    } else if (path === "/healthz") {
      const h = opts.health?.() ?? { ok: true, text: "ok" };
      res.writeHead(h.ok ? 200 : 503, { "content-type": "text/plain" }).end(`${h.text}\n`);
    } else if (opts.routes?.[path]) {
      opts.routes[path](req, res);
    } else {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
    }
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => resolve(server));
  });
}

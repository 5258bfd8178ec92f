// GET /api/topology?window=<seconds>: the graph over this proxy's own history (the same builder
// and JSON as `kscope topology -o json`), for the dashboard.
import http from "node:http";
import { WindowSource } from "../cli/admin-source";
import { History } from "../history";
import { buildTopology } from "./build";

export function topologyRoute(history: History): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  return (req, res) => {
    const q = new URL(req.url ?? "/", "http://x").searchParams;
    const w = Number(q.get("window") ?? "60");
    if (!(w > 0)) { res.writeHead(400, { "content-type": "text/plain" }).end("window must be a positive number of seconds\n"); return; }
    const src = new WindowSource(history.window(w), w, `admin http://${req.headers.host ?? "localhost"}`);
    const filters = { namespace: q.get("namespace") ?? undefined, workload: q.get("workload") ?? undefined, topic: q.get("topic") ?? undefined, group: q.get("group") ?? undefined };
    buildTopology(src, filters).then(
      (g) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(g)),
      (e: Error) => res.writeHead(500, { "content-type": "text/plain" }).end(`${e.message}\n`),
    );
  };
}

// The admin HTTP server: one route table (host/admin/routes.ts), a bearer token in front of
// everything but /healthz when one is set, loopback unless told otherwise.
import crypto from "node:crypto";
import http from "node:http";

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => void | Promise<void>;

export interface AdminOptions {
  host: string;
  port: number;
  /** Exact paths first; `fallback` (the UI's assets) for the rest. */
  routes: Record<string, Handler>;
  fallback?: Handler;
  /** Required on every route but /healthz: `Authorization: Bearer <token>`, or the cookie a browser gets from `/?token=<token>`. */
  token?: string;
  /** Start-up warnings (default: stderr). */
  warn?: (message: string) => void;
}

export const ADMIN_TOKEN_ENV = "KSCOPE_ADMIN_TOKEN";
const COOKIE = "kscope_token";
const OPEN = new Set(["/healthz"]);

export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\./.test(host);
}

const same = (a: string, b: string) => {
  const x = crypto.createHash("sha256").update(a).digest(),
    y = crypto.createHash("sha256").update(b).digest();
  return crypto.timingSafeEqual(x, y);
};

function presented(req: http.IncomingMessage): string | undefined {
  const auth = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? "");
  if (auth) return auth[1].trim();
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const [k, ...v] = part.trim().split("=");
    if (k === COOKIE) return decodeURIComponent(v.join("="));
  }
  return undefined;
}

/** Whether the request may pass; answers 401 (or the cookie's redirect) itself when not. */
function authorised(token: string, req: http.IncomingMessage, res: http.ServerResponse, url: URL): boolean {
  if (OPEN.has(url.pathname)) return true;
  const given = presented(req);
  if (given !== undefined && same(given, token)) return true;
  // A browser cannot send a header on navigation: `/?token=…` sets an HttpOnly cookie once and drops it from the URL.
  const q = url.searchParams.get("token");
  if (q !== null && same(q, token)) {
    url.searchParams.delete("token");
    res
      .writeHead(303, {
        location: url.pathname + (url.search || ""),
        "set-cookie": `${COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`,
      })
      .end();
    return false;
  }
  res
    .writeHead(401, { "content-type": "text/plain", "www-authenticate": 'Bearer realm="kscope"' })
    .end(
      `admin token required: send "Authorization: Bearer <token>" (the CLI reads ${ADMIN_TOKEN_ENV}), or open /?token=<token> in a browser\n`,
    );
  return false;
}

export function startAdmin(opts: AdminOptions): Promise<http.Server> {
  const warn = opts.warn ?? ((m: string) => console.error(m));
  if (!isLoopback(opts.host) && !opts.token) {
    warn(
      `kscope: warning: the admin endpoint listens on ${opts.host}, not loopback, without a token: anyone who reaches it sees metrics, the dashboard and the live tap. Set --admin-token or ${ADMIN_TOKEN_ENV}.`,
    );
  }
  const server = http.createServer((req, res) => {
    let url: URL;
    try {
      url = new URL(req.url ?? "/", "http://admin");
    } catch {
      res.writeHead(400).end();
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET" }).end();
      return;
    }
    if (opts.token && !authorised(opts.token, req, res, url)) return;
    const handler = opts.routes[url.pathname] ?? opts.fallback;
    if (!handler) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
      return;
    }
    // A handler that throws (synchronously or not) answers 500; it never takes the proxy down.
    Promise.resolve()
      .then(() => handler(req, res, url))
      .catch((e: Error) => {
        if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
        res.end(`error: ${e.message}\n`);
      });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => resolve(server));
  });
}

// An HTTP/1.1 reverse proxy (Node's http) that runs every request through the filter's HTTP root
// (kscope_http): request headers, response headers, trailers, then the end of the stream, as
// Envoy's HTTP connection manager does. Bodies stream through untouched, with backpressure; the
// filter may only add headers (kscope adds its documented x-kscope-* ones). An unreachable
// upstream gets a 502 local reply, which the filter sees like any response.
import http from "node:http";
import { HeaderPairs, HttpStream, ProxyWasmVm } from "./wasm/vm";

export interface HttpProxyOptions {
  listen: { host: string; port: number };
  upstream: { host: string; port: number };
  vm?: ProxyWasmVm;
  onError?: (err: Error) => void;
}

/** Connection-specific headers (RFC 9110 7.6.1): never forwarded by a proxy. */
const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade"]);

/** rawHeaders (name, value, name, value, ...) as lower-case pairs without hop-by-hop headers. */
function pairs(raw: string[]): HeaderPairs {
  const out: HeaderPairs = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const k = raw[i].toLowerCase();
    if (!HOP_BY_HOP.has(k)) out.push([k, raw[i + 1]]);
  }
  return out;
}

/** Pairs (pseudo-headers left out) as Node's outgoing headers; repeated names keep every value. */
function outgoing(p: HeaderPairs): http.OutgoingHttpHeaders {
  const h: Record<string, string | string[]> = {};
  for (const [k, v] of p) {
    if (k.startsWith(":")) continue;
    const cur = h[k];
    h[k] = cur === undefined ? v : Array.isArray(cur) ? [...cur, v] : [cur, v];
  }
  return h;
}

export function startHttpProxy(opts: HttpProxyOptions): Promise<{ server: http.Server; close(): Promise<void> }> {
  const agent = new http.Agent({ keepAlive: true });
  const server = http.createServer((req, res) => {
    const info = {
      source: `${req.socket.remoteAddress}:${req.socket.remotePort}`,
      destination: `${opts.upstream.host}:${opts.upstream.port}`,
    };
    let stream: HttpStream | undefined;
    // The VM contains the filter's traps; this only keeps a host bug from stopping traffic.
    const filter = (f: (s: HttpStream) => void) => {
      if (!stream) return;
      try {
        f(stream);
      } catch (err) {
        opts.onError?.(err as Error);
        stream = undefined;
      }
    };
    try {
      stream = opts.vm?.stream(info);
    } catch (err) {
      opts.onError?.(err as Error);
    }
    const reqHeaders: HeaderPairs = [
      [":method", req.method ?? "GET"],
      [":path", req.url ?? "/"],
      [":authority", req.headers.host ?? ""],
      ...pairs(req.rawHeaders),
    ];
    filter((s) => s.requestHeaders(reqHeaders, false));
    res.on("close", () => filter((s) => s.end()));

    const up = http.request(
      { host: opts.upstream.host, port: opts.upstream.port, method: req.method, path: req.url, headers: outgoing(reqHeaders), agent },
      (ures) => {
        const respHeaders: HeaderPairs = [[":status", String(ures.statusCode ?? 502)], ...pairs(ures.rawHeaders)];
        filter((s) => s.responseHeaders(respHeaders, false));
        res.writeHead(ures.statusCode ?? 502, ures.statusMessage, outgoing(respHeaders));
        ures.pipe(res, { end: false });
        ures.on("end", () => {
          const trailers = pairs(ures.rawTrailers);
          if (trailers.length) {
            filter((s) => s.responseTrailers(trailers));
            res.addTrailers(outgoing(trailers));
          }
          res.end();
        });
      },
    );
    up.on("error", (err) => {
      if (res.headersSent) {
        res.destroy(err);
        return;
      }
      const local: HeaderPairs = [
        [":status", "502"],
        ["content-type", "text/plain"],
      ];
      filter((s) => s.responseHeaders(local, false));
      res.writeHead(502, outgoing(local));
      res.end(`kscope: upstream ${info.destination}: ${err.message}\n`);
    });
    req.pipe(up);
    req.on("aborted", () => up.destroy());
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.listen.port, opts.listen.host, () => {
      resolve({
        server,
        close: () =>
          new Promise<void>((r) => {
            server.closeAllConnections();
            agent.destroy();
            server.close(() => r());
          }),
      });
    });
  });
}

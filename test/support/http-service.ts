// A small real HTTP service for HTTP filter tests (Node's http): GET/POST /status/<code> answers
// that status; /grpc/<n> answers 200 with grpc-status <n> in the headers (a gRPC trailers-only
// response). It keeps the headers of every request it served.
import * as http from "node:http";
import type { AddressInfo } from "node:net";

export interface HttpService {
  port: number;
  address: string;
  seen: http.IncomingHttpHeaders[];
  close(): Promise<void>;
}

export async function startHttpService(): Promise<HttpService> {
  const seen: http.IncomingHttpHeaders[] = [];
  const server = http.createServer((req, res) => {
    seen.push(req.headers);
    req.resume();
    req.on("end", () => {
      const [, kind, arg] = (req.url ?? "/").split("/");
      if (kind === "grpc") {
        res.writeHead(200, { "content-type": "application/grpc", "grpc-status": arg });
        res.end();
        return;
      }
      const code = kind === "status" ? Number(arg) : 200;
      res.writeHead(code, { "content-type": "text/plain" });
      res.end(`status ${code}\n`);
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    address: `127.0.0.1:${port}`,
    seen,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Sends one request; resolves with the status and the response headers. */
export function send(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, method, path, headers, agent: false }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on("error", reject);
    req.end(method === "POST" ? "body" : undefined);
  });
}

/** The traffic the HTTP tests drive: [method, path, how many]. */
export const HTTP_PLAN: [string, string, number][] = [
  ["GET", "/status/200", 7],
  ["POST", "/status/201", 2],
  ["GET", "/status/302", 1],
  ["GET", "/status/404", 3],
  ["GET", "/status/503", 2],
  ["POST", "/grpc/14", 1],
];

export async function drive(port: number): Promise<void> {
  for (const [method, path, n] of HTTP_PLAN) for (let i = 0; i < n; i++) await send(port, method, path);
}

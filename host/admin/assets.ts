// The dashboard's built assets (ui/, bundled by esbuild into dist/ui/ by `npm run build`), served
// with a strict Content-Security-Policy: no inline or foreign script, so a client-chosen string
// that slipped into the page as HTML still could not run.
import fs from "node:fs";
import path from "node:path";
import { Handler } from "./server";

export const UI_DIR = path.join(__dirname, "..", "..", "ui");

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".map": "application/json",
};

const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

export function assets(dir = UI_DIR): Handler {
  return (_req, res, url) => {
    let rel: string;
    try {
      rel = url.pathname === "/" ? "index.html" : decodeURIComponent(url.pathname).replace(/^\/+/, "");
    } catch {
      res.writeHead(400, { "content-type": "text/plain" }).end("bad path\n");
      return;
    }
    const file = path.resolve(dir, rel);
    if (!file.startsWith(path.resolve(dir) + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res
        .writeHead(404, { "content-type": "text/plain" })
        .end(rel === "index.html" ? "dashboard not built: run `make build`\n" : "not found\n");
      return;
    }
    res.writeHead(200, {
      "content-type": TYPES[path.extname(file)] ?? "application/octet-stream",
      "content-security-policy": CSP,
      "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer",
      "cache-control": "no-cache",
    });
    fs.createReadStream(file).pipe(res);
  };
}

// The fuzzer's seeds: the streams recorded from real clients and Kafka 4.1 (test/fixtures/*.txt),
// cut into frames (4-byte length + body) per direction.
import fs from "node:fs";
import path from "node:path";

export interface SeedConn {
  /** fixture/connection, e.g. "kcat-produce-zstd/003". */
  name: string;
  requests: Buffer[];
  responses: Buffer[];
}

export const FIXTURES = path.join(__dirname, "..", "..", "..", "test", "fixtures");

/** Whole frames of a recorded stream (a trailing partial frame is dropped). */
export function frames(stream: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let p = 0; p + 4 <= stream.length;) {
    const end = p + 4 + stream.readInt32BE(p);
    if (end > stream.length || end < p + 4) break;
    out.push(stream.subarray(p, end));
    p = end;
  }
  return out;
}

export function loadCorpus(dir = FIXTURES): SeedConn[] {
  const conns: SeedConn[] = [];
  for (const f of fs
    .readdirSync(dir)
    .filter((n) => n.endsWith(".txt"))
    .sort()) {
    let name = f.slice(0, -4);
    let req: Buffer | null = null;
    for (const line of fs.readFileSync(path.join(dir, f), "utf8").split("\n")) {
      if (line.startsWith("conn ")) name = `${f.slice(0, -4)}/${line.slice(5)}`;
      else if (line.startsWith("> ")) req = Buffer.from(line.slice(2), "base64");
      else if (line.startsWith("< ") && req) {
        conns.push({ name, requests: frames(req), responses: frames(Buffer.from(line.slice(2), "base64")) });
        req = null;
      }
    }
  }
  return conns.filter((c) => c.requests.length > 0);
}

// The recorded client/broker streams in test/fixtures/*.txt (one "conn" per TCP connection:
// "> " the client's bytes, "< " the broker's, base64), for host tests, the fuzzer and benchmarks.
import fs from "node:fs";
import path from "node:path";

const FIXTURES = path.join(__dirname, "..", "..", "..", "test", "fixtures");

export interface Conn {
  name: string;
  req: Buffer;
  resp: Buffer;
  frames: number;
}

function countFrames(b: Buffer): number {
  let n = 0;
  for (let p = 0; p + 4 <= b.length; p += 4 + b.readInt32BE(p)) n++;
  return n;
}

export function loadFixtures(): Conn[] {
  const conns: Conn[] = [];
  for (const f of fs
    .readdirSync(FIXTURES)
    .filter((n) => n.endsWith(".txt"))
    .sort()) {
    let req: Buffer | null = null,
      name = f;
    for (const line of fs.readFileSync(path.join(FIXTURES, f), "utf8").split("\n")) {
      if (line.startsWith("conn ")) name = `${f.slice(0, -4)}/${line.slice(5)}`;
      else if (line.startsWith("> ")) req = Buffer.from(line.slice(2), "base64");
      else if (line.startsWith("< ") && req) {
        const resp = Buffer.from(line.slice(2), "base64");
        conns.push({ name, req, resp, frames: countFrames(req) + countFrames(resp) });
      }
    }
  }
  return conns;
}

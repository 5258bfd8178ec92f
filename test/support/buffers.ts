// The cases of test/wasm/buffers.ts (pausing and proxy_set_buffer_bytes on upstream data), run
// the same way against kscope's host and against Envoy: a client sends a mode letter through the
// proxy; a scripted upstream answers with fixed chunks; the client reads what the proxy forwarded.
import net from "node:net";

export interface BufferCase {
  mode: string;
  /** What the upstream sends, chunk by chunk (100 ms apart), before closing. */
  chunks: string[];
  /** What the client must receive. */
  expected: string;
  /** proxy_set_buffer_bytes' status (buffers_test_status): 0 Ok, 2 BadArgument. */
  status: number;
}

export const BUFFER_CASES: BufferCase[] = [
  { mode: "P", chunks: ["Phello", "world", "."], expected: "<Phelloworld.>", status: 0 }, // held twice, then replaced from 0
  { mode: "A", chunks: ["Ahello"], expected: "Ahello+tail", status: 0 }, // start = length: appended
  { mode: "M", chunks: ["Mhello"], expected: "Mhello", status: 2 }, // start inside the buffer: refused
  { mode: "D", chunks: ["Dhello"], expected: "ello", status: 0 }, // start 0, no data: bytes dropped
];

/** The scripted upstream: reads a mode letter, answers with that case's chunks, then ends. */
export async function scriptedUpstream(): Promise<{ port: number; close(): void }> {
  const server = net.createServer((s) => {
    s.once("data", (d: Buffer) => {
      const c = BUFFER_CASES.find((x) => x.mode === d.toString("latin1", 0, 1));
      if (!c) {
        s.destroy();
        return;
      }
      c.chunks.forEach((chunk, i) => setTimeout(() => s.write(chunk), 100 * i));
      setTimeout(() => s.end(), 100 * c.chunks.length + 100);
    });
    s.on("error", () => s.destroy());
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { port: (server.address() as net.AddressInfo).port, close: () => server.close() };
}

/** Sends the mode through the proxy at `port` and returns everything forwarded back until the end. */
export function runCase(port: number, c: BufferCase): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: "127.0.0.1", port }, () => s.write(c.mode));
    const got: Buffer[] = [];
    s.on("data", (d: Buffer) => got.push(d));
    s.on("end", () => {
      s.destroy();
      resolve(Buffer.concat(got).toString("latin1"));
    });
    s.on("error", reject);
    s.setTimeout(10_000, () => {
      s.destroy();
      reject(new Error(`case ${c.mode}: no end within 10 s, got ${JSON.stringify(Buffer.concat(got).toString("latin1"))}`));
    });
  });
}

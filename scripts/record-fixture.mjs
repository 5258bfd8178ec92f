#!/usr/bin/env node
// Records a client fixture (test/fixtures/*.txt): a TCP relay between a Kafka client and a broker
// that keeps every byte of each connection and, on Ctrl-C (or SIGTERM), writes the file:
//   # <what ran>            comment lines: the client, its version, what it did
//   conn 001                one block per TCP connection, in the order they opened
//   > <base64>              everything the client sent
//   < <base64>              everything the broker sent
// The broker must advertise the relay's address (scripts/kafka.sh start --proxy-advertised
// HOST:PORT, then point the relay at the PROXIED port), or clients bypass it after Metadata.
//   node scripts/record-fixture.mjs --listen 127.0.0.1:29092 --upstream 127.0.0.1:PROXIED \
//        --out test/fixtures/NAME.txt --note "kcat 1.7.1 (librdkafka) -P 20 records, -X compression.codec=zstd"
// Then: node test/fixtures/to-assembly.mjs (regenerates test/assembly/fixtures.generated.ts).
import { writeFileSync } from "node:fs";
import net from "node:net";
import { parseArgs } from "node:util";

const { values: o } = parseArgs({
  options: {
    listen: { type: "string", default: "127.0.0.1:29092" },
    upstream: { type: "string" },
    out: { type: "string" },
    note: { type: "string", default: "" },
  },
});
if (!o.upstream || !o.out) {
  console.error("usage: record-fixture.mjs --upstream HOST:PORT --out FILE [--listen HOST:PORT] [--note TEXT]");
  process.exit(1);
}
const split = (a) => {
  const i = a.lastIndexOf(":");
  return { host: a.slice(0, i), port: Number(a.slice(i + 1)) };
};

const conns = []; // { id, sent: Buffer[], received: Buffer[] }
const server = net.createServer((client) => {
  const c = { id: String(conns.length + 1).padStart(3, "0"), sent: [], received: [] };
  conns.push(c);
  const broker = net.connect(split(o.upstream));
  client.on("data", (d) => c.sent.push(d));
  broker.on("data", (d) => c.received.push(d));
  client.pipe(broker).on("error", () => client.destroy());
  broker.pipe(client).on("error", () => broker.destroy());
  client.on("error", () => broker.destroy());
  broker.on("error", () => client.destroy());
});
server.listen(split(o.listen), () => console.error(`record-fixture: relaying ${o.listen} -> ${o.upstream}; Ctrl-C writes ${o.out}`));

function write() {
  const lines = [
    ...(o.note ? [`# ${o.note}`] : []),
    '# Captured by scripts/record-fixture.mjs; one "conn" per TCP connection:',
    '# ">" the client\'s bytes, "<" the broker\'s, base64 of the whole stream.',
    ...conns.flatMap((c) => [
      `conn ${c.id}`,
      `> ${Buffer.concat(c.sent).toString("base64")}`,
      `< ${Buffer.concat(c.received).toString("base64")}`,
    ]),
  ];
  writeFileSync(o.out, lines.join("\n") + "\n");
  console.error(`record-fixture: ${conns.length} connections written to ${o.out}`);
  process.exit(0);
}
process.on("SIGINT", write);
process.on("SIGTERM", write);

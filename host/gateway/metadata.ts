// The gateway's own view of the cluster: one Metadata request (v4: fixed-width, no topics) to a
// broker, answered with the brokers' node ids and advertised addresses.
import net from "node:net";

export interface Broker {
  nodeId: number;
  host: string;
  port: number;
}

const METADATA = 3;
const VERSION = 4;
const CLIENT_ID = Buffer.from("kscope-gateway");

function request(correlationId: number): Buffer {
  const body = Buffer.alloc(2 + 2 + 4 + 2 + CLIENT_ID.length + 4 + 1);
  let o = body.writeInt16BE(METADATA, 0);
  o = body.writeInt16BE(VERSION, o);
  o = body.writeInt32BE(correlationId, o);
  o = body.writeInt16BE(CLIENT_ID.length, o);
  o += CLIENT_ID.copy(body, o);
  o = body.writeInt32BE(0, o); // topics: none (the brokers are all we need)
  body.writeInt8(0, o); // allow_auto_topic_creation
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

/** Parses the brokers of a Metadata v4 response frame (size prefix excluded). */
export function parseBrokers(frame: Buffer, correlationId: number): Broker[] {
  let o = 0;
  const need = (n: number) => {
    if (o + n > frame.length) throw new Error("short Metadata response");
  };
  const i32 = () => {
    need(4);
    const v = frame.readInt32BE(o);
    o += 4;
    return v;
  };
  const str = () => {
    need(2);
    const n = frame.readInt16BE(o);
    o += 2;
    if (n < 0) return "";
    need(n);
    const s = frame.toString("utf8", o, o + n);
    o += n;
    return s;
  };
  if (i32() !== correlationId) throw new Error("Metadata response with another correlation id");
  i32(); // throttle_time_ms
  const count = i32();
  if (count < 0 || count > 100000) throw new Error("bad broker count");
  const brokers: Broker[] = [];
  for (let i = 0; i < count; i++) {
    const nodeId = i32(),
      host = str(),
      port = i32();
    str(); // rack
    brokers.push({ nodeId, host, port });
  }
  return brokers;
}

let nextCorrelation = 1;

/** Asks one broker for the cluster's brokers. */
export function fetchBrokers(host: string, port: number, timeoutMs = 5000): Promise<Broker[]> {
  const corr = nextCorrelation++;
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port });
    let buf = Buffer.alloc(0);
    const fail = (err: Error) => {
      s.destroy();
      reject(err);
    };
    s.setTimeout(timeoutMs, () => fail(new Error(`no Metadata answer from ${host}:${port} within ${timeoutMs} ms`)));
    s.once("error", fail);
    s.once("connect", () => s.write(request(corr)));
    s.on("data", (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length < 4 || buf.length < 4 + buf.readInt32BE(0)) return;
      s.destroy();
      try {
        resolve(parseBrokers(buf.subarray(4, 4 + buf.readInt32BE(0)), corr));
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
    s.once("end", () => fail(new Error(`${host}:${port} closed before answering Metadata`)));
  });
}

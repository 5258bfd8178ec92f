// What every demo service shares: its settings from the environment, a kafkajs client that
// talks to the broker through the service's own kscope proxy, and a status line on stdout.
import { Kafka, logLevel } from "kafkajs";

process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= "1";

export function env(name: string, fallback?: string): string {
  const v = process.env[name] ?? fallback;
  if (v === undefined) throw new Error(`${name} is not set`);
  return v;
}

/** The broker, as the service's Kafka proxy offers it (KAFKA=host:port). */
export function kafka(clientId: string): Kafka {
  return new Kafka({ clientId, brokers: [env("KAFKA")], logLevel: logLevel.ERROR, retry: { retries: 8, initialRetryTime: 200 } });
}

/** One JSON line on stdout (the demo and its test read them): `STATUS {...}`. */
export function status(fields: Record<string, unknown>): void {
  process.stdout.write(`STATUS ${JSON.stringify({ service: env("SERVICE"), t: Date.now(), ...fields })}\n`);
}

/** Stops cleanly on SIGTERM/SIGINT (consumers leave their group and commit). */
export function onStop(fn: () => Promise<void>): void {
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    fn().then(
      () => process.exit(0),
      (e: Error) => {
        console.error(e.message);
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

/** What a record on `orders` carries: an id and the producer's send time (ms since the epoch). */
export interface Order {
  id: number;
  sentAt: number;
}

export async function post(url: string, body: unknown): Promise<number> {
  const res = await fetch(url, {
    method: "POST",
    body: JSON.stringify(body),
    headers: { "content-type": "application/json" },
    signal: AbortSignal.timeout(5000),
  });
  await res.arrayBuffer();
  return res.status;
}

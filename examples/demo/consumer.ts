// A consumer-group member: `billing` (pays each order through the HTTP service PAYMENTS) or
// `audit` (reads slowly: DELAY_MS per record, so it lags). Each measures its own delivery
// latency (receive time − the send time in the record) and reports it on the status line.
import { env, kafka, onStop, Order, post, status } from "./service";

async function main(): Promise<void> {
  const group = env("GROUP");
  const payments = process.env.PAYMENTS;
  const delayMs = Number(env("DELAY_MS", "0"));
  // audit fetches little at a time (MAX_BYTES), so its slowness shows as lag, not as a big buffer.
  const maxBytes = process.env.MAX_BYTES ? Number(process.env.MAX_BYTES) : undefined;
  const consumer = kafka(env("CLIENT_ID", group)).consumer({
    groupId: group,
    sessionTimeout: 10_000,
    heartbeatInterval: 1000,
    ...(maxBytes ? { maxBytes, maxBytesPerPartition: maxBytes } : {}),
  });
  await consumer.connect();
  await consumer.subscribe({ topic: env("TOPIC", "orders"), fromBeginning: true });
  let received = 0,
    paid = 0,
    payFailed = 0;
  let latencies: number[] = []; // since the last status line
  await consumer.run({
    autoCommitInterval: 1000,
    eachMessage: async ({ message }) => {
      const order = JSON.parse(message.value!.toString()) as Order;
      latencies.push(Date.now() - order.sentAt);
      received++;
      if (payments) {
        const code = await post(payments, { order: order.id }).catch(() => 0);
        if (code === 200) paid++;
        else payFailed++;
      }
      if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
    },
  });
  const report = () => {
    status({ group, received, paid, payFailed, latencies });
    latencies = [];
  };
  const timer = setInterval(report, 1000);
  onStop(async () => {
    clearInterval(timer);
    await consumer.disconnect();
    report();
  });
}

void main();

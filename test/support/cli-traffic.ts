// Known Kafka traffic for the CLI tests and demos: two topics at fixed produce rates, two
// consumer groups, one of which stops (pauses) after it has consumed a little.
import { Consumer, Producer } from "kafkajs";
import { kafkajs } from "./clients";
import { Broker } from "./kafka";

export interface TrafficPlan {
  prefix: string;
  /** records/s for each topic */
  ordersRate: number;
  paymentsRate: number;
}

export interface Traffic {
  plan: TrafficPlan;
  topics: { orders: string; payments: string };
  clients: { ordersProducer: string; paymentsProducer: string; billing: string; audit: string };
  groups: { billing: string; audit: string };
  /** Resolves when the audit group has consumed and paused. */
  auditPaused: Promise<void>;
  produced: { orders: number; payments: number };
  consumed: { billing: number; audit: number };
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** broker.createTopic, retried: kafkajs' wait for leaders can fail with UNKNOWN_TOPIC_OR_PARTITION on a busy machine. */
async function createTopic(broker: Broker, name: string, partitions: number): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await broker.createTopic(name, partitions);
    } catch (e) {
      if (attempt >= 5) throw e;
      await sleep(500 * attempt);
    }
  }
}

export async function startTraffic(broker: Broker, bootstrap: string, plan: TrafficPlan): Promise<Traffic> {
  const p = plan.prefix;
  const topics = { orders: `${p}-orders`, payments: `${p}-payments` };
  const clients = {
    ordersProducer: `${p}-orders-producer`,
    paymentsProducer: `${p}-payments-producer`,
    billing: `${p}-billing-consumer`,
    audit: `${p}-audit-consumer`,
  };
  const groups = { billing: `${p}-billing`, audit: `${p}-audit` };
  await createTopic(broker, topics.orders, 3);
  await createTopic(broker, topics.payments, 1);
  const produced = { orders: 0, payments: 0 };
  const consumed = { billing: 0, audit: 0 };
  let running = true;
  const producers: Producer[] = [];
  const loops: Promise<void>[] = [];

  const produce = async (clientId: string, topic: string, rate: number, key: "orders" | "payments") => {
    const producer = kafkajs(bootstrap, { clientId }).producer();
    producers.push(producer);
    await producer.connect();
    const t0 = Date.now();
    loops.push(
      (async () => {
        while (running) {
          const due = Math.floor(((Date.now() - t0) / 1000) * rate) - produced[key];
          if (due > 0) {
            await producer.send({
              topic,
              acks: -1,
              messages: Array.from({ length: due }, (_, i) => ({
                key: String((produced[key] + i) % 7),
                value: `${key}-${produced[key] + i}-${"x".repeat(100)}`,
              })),
            });
            produced[key] += due;
          }
          await sleep(100);
        }
      })(),
    );
  };

  const consumers: Consumer[] = [];
  const consume = async (clientId: string, groupId: string, subscribe: string[], pauseAfter?: number) => {
    const consumer = kafkajs(bootstrap, { clientId }).consumer({ groupId, maxWaitTimeInMs: 100, heartbeatInterval: 1000 });
    consumers.push(consumer);
    await consumer.connect();
    for (const topic of subscribe) await consumer.subscribe({ topic, fromBeginning: true });
    let resolvePaused: () => void = () => {};
    const paused = new Promise<void>((r) => (resolvePaused = r));
    const which = groupId === groups.billing ? "billing" : "audit";
    await consumer.run({
      eachMessage: async ({ topic }) => {
        consumed[which]++;
        if (pauseAfter !== undefined && consumed[which] >= pauseAfter) {
          consumer.pause([{ topic }]);
          resolvePaused();
        }
      },
    });
    return { paused };
  };

  await produce(clients.ordersProducer, topics.orders, plan.ordersRate, "orders");
  await produce(clients.paymentsProducer, topics.payments, plan.paymentsRate, "payments");
  await consume(clients.billing, groups.billing, [topics.orders, topics.payments]);
  const auditPaused = (await consume(clients.audit, groups.audit, [topics.orders], 30)).paused;
  return {
    plan,
    topics,
    clients,
    groups,
    auditPaused,
    produced,
    consumed,
    async stop() {
      running = false;
      await Promise.all(loops);
      await Promise.all([...producers.map((x) => x.disconnect()), ...consumers.map((x) => x.disconnect())]);
    },
  };
}

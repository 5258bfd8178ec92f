// `web`: an HTTP service; each POST /orders becomes one record on the topic `orders`, stamped
// with its send time. Answers 201 once the broker acknowledged the record.
import http from "node:http";
import { env, kafka, onStop, Order, status } from "./service";

async function main(): Promise<void> {
  const producer = kafka("web").producer({ allowAutoTopicCreation: false });
  await producer.connect();
  let next = 0,
    produced = 0,
    failed = 0;
  const server = http.createServer((req, res) => {
    if (req.method !== "POST" || req.url !== "/orders") {
      res.writeHead(404).end();
      return;
    }
    req.resume();
    req.on("end", () => {
      const order: Order = { id: ++next, sentAt: Date.now() };
      producer.send({ topic: env("TOPIC", "orders"), messages: [{ key: String(order.id), value: JSON.stringify(order) }] }).then(
        () => {
          produced++;
          res.writeHead(201, { "content-type": "application/json" }).end(JSON.stringify(order));
        },
        (e: Error) => {
          failed++;
          res.writeHead(503).end(e.message);
        },
      );
    });
  });
  server.listen(Number(env("PORT")), "127.0.0.1");
  const timer = setInterval(() => status({ produced, failed }), 1000);
  onStop(async () => {
    clearInterval(timer);
    server.close();
    await producer.disconnect();
    status({ produced, failed });
  });
}

void main();

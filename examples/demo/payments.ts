// `payments`: an HTTP service billing calls once per order. Every FAIL_EVERY-th request
// answers 503 (0: never), so the graph has an error rate to show.
import http from "node:http";
import { env, onStop, status } from "./service";

const failEvery = Number(env("FAIL_EVERY", "0"));
let requests = 0,
  failed = 0;
const server = http.createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    requests++;
    if (failEvery > 0 && requests % failEvery === 0) {
      failed++;
      res.writeHead(503).end("try later\n");
      return;
    }
    res.writeHead(200, { "content-type": "application/json" }).end('{"paid":true}\n');
  });
});
server.listen(Number(env("PORT")), "127.0.0.1");
const timer = setInterval(() => status({ requests, failed }), 1000);
onStop(async () => {
  clearInterval(timer);
  server.close();
  status({ requests, failed });
});

// The 60-second soak CI runs (bench/soak.ts; the 30-minute one is a command, see README): the
// soak's steady mix with connection churn through `kscope proxy` (30 s) and Envoy (30 s), with a
// label budget of 3 and 4 topics so that every label combination is seen within the warm-up (the
// first half); after it, RSS, Wasm memory and the series count stay within the soak's tolerances
// and CPU per record does not grow.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Broker, startKafka } from "../support/kafka";
import { freePort } from "../support/ports";
import { soak } from "../../bench/soak";

let broker: Broker;
let listenPort: number;

before(async () => {
  listenPort = await freePort();
  broker = await startKafka({ proxyPort: listenPort, serverProps: { "auto.create.topics.enable": true } });
});

after(async () => {
  await broker?.stop();
});

for (const proxy of ["host", "envoy"] as const) {
  test(`soak through ${proxy === "host" ? "kscope proxy" : "Envoy"} for 30 s: memory, series and CPU per record flat`, async () => {
    const r = await soak({
      broker,
      listenPort,
      proxy,
      seconds: 30,
      sampleSeconds: 3,
      budget: 3,
      topics: 4,
      warmup: 0.5,
      log: (l) => console.log(l),
    });
    assert.ok(r.samples.length >= 6, `${r.samples.length} samples`);
    assert.ok(r.samples[r.samples.length - 1].records > 200, "traffic flowed");
    assert.ok(r.clientIds > 20, `${r.clientIds} client ids`);
    assert.deepEqual(r.flat, []);
  });
}

// The cases of test/unit/buffers.test.ts in a real Envoy (1.40, V8) with the same module
// (test/wasm/buffers.ts): what kscope's host does with a Pause and proxy_set_buffer_bytes on
// upstream data is what Envoy does.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { Envoy, parsePrometheus, startEnvoy } from "../support/envoy";
import { BUFFER_CASES, runCase, scriptedUpstream } from "../support/buffers";
import { sum } from "../../host/metrics/scrape";

const WASM = path.join(__dirname, "..", "..", "..", "build", "buffers.wasm");
let envoy: Envoy;
let upstream: Awaited<ReturnType<typeof scriptedUpstream>>;

before(async () => {
  upstream = await scriptedUpstream();
  envoy = await startEnvoy({
    name: "envoy-buffers",
    upstream: `127.0.0.1:${upstream.port}`,
    wasmPath: WASM,
    pluginConfig: "{}",
    logLevel: "warning",
  });
});

after(async () => {
  await envoy?.stop();
  upstream?.close();
});

for (const c of BUFFER_CASES) {
  test(`Envoy: upstream case ${c.mode} forwards ${JSON.stringify(c.expected)} (set_buffer_bytes status ${c.status})`, async () => {
    assert.equal(await runCase(envoy.listenPort, c), c.expected);
    // Gauges reach /stats after Envoy's stats flush; wait for it.
    let status = -1;
    for (let i = 0; i < 60 && status !== c.status; i++) {
      status = sum(parsePrometheus(await envoy.prometheus()), "buffers_test_status");
      if (status !== c.status) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(status, c.status);
  });
}

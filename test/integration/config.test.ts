// An invalid plugin configuration in the real Envoy: the filter logs what is wrong and where,
// refuses to configure, and Envoy rejects the filter and so its listener (with the listener in
// the bootstrap, Envoy does not start). No broker is needed: Envoy never gets to forward.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startEnvoy } from "../support/envoy";

test("Envoy refuses a listener whose kscope configuration is invalid, with the reason in its log", async () => {
  let failure = "";
  try {
    const envoy = await startEnvoy({
      upstream: "127.0.0.1:9",
      name: "envoy-badconfig",
      pluginConfig: '{"workload":"orders","max_lable_values":5}',
    });
    await envoy.stop();
  } catch (e) {
    failure = (e as Error).message;
  }
  assert.match(failure, /envoy exited during start-up/);
  assert.match(failure, /invalid plugin configuration: unknown key "max_lable_values" at line 1, column 22/);
});

test("Envoy starts with a valid configuration", async () => {
  const envoy = await startEnvoy({
    upstream: "127.0.0.1:9",
    name: "envoy-goodconfig",
    pluginConfig: { workload: "orders", max_label_values: 5 },
  });
  try {
    assert.doesNotMatch(envoy.log(), /invalid plugin configuration/);
  } finally {
    await envoy.stop();
  }
});

// Pausing and proxy_set_buffer_bytes in kscope's host, with a module that uses them on purpose
// (test/wasm/buffers.ts). test/integration/envoy-buffers.test.ts runs the same cases in Envoy.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { ProxyWasmVm } from "../../host/wasm/vm";
import { startProxy } from "../../host/proxy";
import { freePort } from "../support/ports";
import { BUFFER_CASES, runCase, scriptedUpstream } from "../support/buffers";

const WASM = path.join(__dirname, "..", "..", "..", "build", "buffers.wasm");

for (const c of BUFFER_CASES) {
  test(`host: upstream case ${c.mode} forwards ${JSON.stringify(c.expected)} (set_buffer_bytes status ${c.status})`, async () => {
    const upstream = await scriptedUpstream();
    const vm = new ProxyWasmVm({ wasmPath: WASM, log: () => {} });
    const port = await freePort();
    const proxy = await startProxy({ listen: { host: "127.0.0.1", port }, upstream: { host: "127.0.0.1", port: upstream.port }, vm });
    try {
      assert.equal(await runCase(port, c), c.expected);
      const status = vm.metrics.series().find((m) => m.name === "buffers_test_status");
      assert.equal(status?.value, c.status);
    } finally {
      await proxy.close();
      upstream.close();
    }
  });
}

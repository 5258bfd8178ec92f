// The plugin configuration through the host: the VM refuses a bad one with the filter's own
// explanation, and `kscope proxy` (the real CLI) exits non-zero with it before listening.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { ProxyWasmVm } from "../../host/wasm/vm";

const ROOT = path.join(__dirname, "..", "..", "..");
const WASM = path.join(ROOT, "build", "kscope.wasm");
const CLI = path.join(ROOT, "dist", "host", "cli.js");

test("the host VM takes a valid configuration and refuses an invalid one, saying why", () => {
  const logs: string[] = [];
  const vm = new ProxyWasmVm({
    wasmPath: WASM,
    configuration: '{"workload":"orders","max_label_values":5}',
    log: (l, m) => logs.push(`${l} ${m}`),
  });
  vm.dispose();
  assert.deepEqual(
    logs.filter((l) => l.startsWith("error")),
    [],
  );
  const cases: [string, RegExp][] = [
    ['{"workload":"orders","max_lable_values":5}', /unknown key "max_lable_values" at line 1, column 22/],
    ['{"max_label_values":"5"}', /"max_label_values" at line 1, column 21 must be a number, found a string/],
    ['{"workload":"orders",}', /invalid JSON at line 1, column 22: expected a member name/],
    ["[]", /expected a JSON object/],
  ];
  for (const [config, want] of cases) {
    assert.throws(
      () => new ProxyWasmVm({ wasmPath: WASM, configuration: config, log: () => undefined }),
      (e: Error) => /filter rejected its configuration/.test(e.message) && want.test(e.message),
      config,
    );
  }
});

test("kscope proxy with an invalid --config exits 1 with the reason", () => {
  const r = spawnSync(
    process.execPath,
    [
      CLI,
      "proxy",
      "--upstream",
      "127.0.0.1:1",
      "--listen",
      "127.0.0.1:0",
      "--admin",
      "127.0.0.1:0",
      "--config",
      '{\n  "workload": "orders",\n  "namespace": 3\n}',
    ],
    { encoding: "utf8", timeout: 20_000 },
  );
  assert.equal(r.status, 1, r.stderr);
  assert.match(
    r.stderr,
    /kscope: filter rejected its configuration \(proxy_on_configure\): invalid plugin configuration: "namespace" at line 3, column 16 must be a string, found a number/,
  );
  assert.doesNotMatch(r.stdout, /kscope proxy:/); // never started listening
});

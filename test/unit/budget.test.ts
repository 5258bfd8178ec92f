// Label budgets hold for the whole proxy, not per VM: two filter VMs sharing one SharedState (as
// Envoy's worker VMs share proxy-wasm shared data) admit at most max_label_values client ids
// between them; with separate states each VM would admit its own max_label_values.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { ProxyWasmVm } from "../../host/wasm/vm";
import { MetricStore } from "../../host/metrics/store";
import { SharedState } from "../../host/wasm/shared";
import { request } from "../support/frames";

const WASM = path.join(__dirname, "..", "..", "..", "build", "kscope.wasm");

/** Distinct client_id label values in the store's series (without "__other__"). */
function clientIds(m: MetricStore): Set<string> {
  const out = new Set<string>();
  for (const line of m.render().split("\n")) {
    const v = /client_id="([^"]*)"/.exec(line)?.[1];
    if (v !== undefined && v !== "__other__") out.add(v);
  }
  return out;
}

function run(sharedAcrossVms: boolean): Set<string> {
  const metrics = new MetricStore();
  const shared = new SharedState();
  const vms = [0, 1].map(() => new ProxyWasmVm({
    wasmPath: WASM, configuration: '{"max_label_values":20}', metrics, shared: sharedAcrossVms ? shared : new SharedState(), log: () => undefined,
  }));
  for (let i = 0; i < 300; i++) {
    const c = vms[i % 2].connect({ source: `10.0.0.1:${1000 + i}`, destination: "127.0.0.1:9092" });
    c.downstream(request(18, 0, i, `client-${i}`, false)); // ApiVersions v0
    c.close();
  }
  for (const vm of vms) vm.dispose();
  return clientIds(metrics);
}

test("a label budget holds across VMs that share data, and only then", () => {
  assert.equal(run(true).size, 20);
  assert.equal(run(false).size, 40); // per-VM budgets: what several Envoy workers did before
});

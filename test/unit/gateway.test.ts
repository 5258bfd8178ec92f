// The gateway in the host, with Envoy's semantics: a response that may name brokers is held
// (Pause; the held bytes come back with the next ones) until complete, then replaced through
// proxy_set_buffer_bytes. Frames are the schema-encoded ones of test/fixtures/gateway-frames.json.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { FilterConnection, ProxyWasmVm } from "../../host/wasm/vm";
import { Action } from "../../host/wasm/abi";
import { startProxy } from "../../host/proxy";
import { chunks, request, response } from "../support/frames";
import { freePort } from "../support/ports";

const ROOT = path.join(__dirname, "..", "..", "..");
const WASM = path.join(ROOT, "build", "kscope.wasm");
interface Frame {
  api: string;
  key: number;
  version: number;
  input: string;
  expected: string;
}
const FIXTURE = JSON.parse(fs.readFileSync(path.join(ROOT, "test", "fixtures", "gateway-frames.json"), "utf8")) as {
  host: string;
  portBase: number;
  frames: Frame[];
};
const frameOf = (api: string, version: number): Frame => FIXTURE.frames.find((f) => f.api === api && f.version === version)!;

function vmWith(extra: Record<string, unknown> = {}): ProxyWasmVm {
  return new ProxyWasmVm({
    wasmPath: WASM,
    log: () => {},
    configuration: JSON.stringify({ gateway: { host: FIXTURE.host, port_base: FIXTURE.portBase, ...extra } }),
  });
}

function value(vm: ProxyWasmVm, name: string, labels: Record<string, string> = {}): number {
  return vm.metrics
    .series()
    .filter((m) => m.name === name && Object.entries(labels).every(([k, v]) => m.labels[k] === v))
    .reduce((a, m) => a + m.value, 0);
}

/** Delivers upstream chunks the way Envoy does: on Pause the bytes stay and come again with the next chunk. */
function deliver(c: FilterConnection, parts: Buffer[], eos = false): { out: Buffer; pauses: number } {
  let held: Buffer | null = null;
  const out: Buffer[] = [];
  let pauses = 0;
  parts.forEach((ch, i) => {
    const a = c.upstream(held ? Buffer.concat([held, ch]) : ch, eos && i === parts.length - 1);
    if (a === Action.Pause) {
      held = c.output;
      pauses++;
    } else {
      out.push(c.output);
      held = null;
    }
  });
  if (held) out.push(held);
  return { out: Buffer.concat(out), pauses };
}

/** A request frame for (key, version, correlation id): the gateway reads its header only. */
function requestFor(f: Frame): Buffer {
  return request(f.key, f.version, 1000 + f.version, "gw-test", true, Buffer.from([0]));
}

for (const size of [1, 5, 64, 100000]) {
  test(`a Metadata v12 response in ${size}-byte chunks is held until complete, then rewritten`, () => {
    const vm = vmWith();
    const c = vm.connect({ source: "127.0.0.1:1", destination: "127.0.0.1:19192" });
    const f = frameOf("Metadata", 12);
    assert.equal(c.downstream(requestFor(f)), Action.Continue);
    const input = Buffer.from(f.input, "base64");
    const parts = chunks(input, size);
    const { out, pauses } = deliver(c, parts);
    assert.equal(pauses, parts.length - 1, "every chunk but the last is held");
    assert.deepEqual(out, Buffer.from(f.expected, "base64"));
    assert.equal(value(vm, "kscope_gateway_responses_total", { api: "Metadata", result: "rewritten" }), 1);
    assert.equal(value(vm, "kscope_gateway_addresses_rewritten_total"), 3);
    assert.equal(value(vm, "kscope_responses_total", { api: "Metadata" }), 1, "observed once, although presented again while held");
  });
}

test("Produce v11 with node_endpoints: rewritten; a pipelined response behind it passes as it came", () => {
  const vm = vmWith();
  const c = vm.connect({ source: "127.0.0.1:1", destination: "127.0.0.1:19202" });
  const f = frameOf("Produce", 11);
  c.downstream(Buffer.concat([requestFor(f), request(18, 3, 7, "gw-test", true, Buffer.from([0, 0, 0]))]));
  const tail = response(7, false, Buffer.from([0, 0, 0, 0, 0, 0, 0]));
  // Split inside the second frame's body: its header (size, correlation id) says it names no broker.
  const { out, pauses } = deliver(c, [Buffer.concat([Buffer.from(f.input, "base64"), tail.subarray(0, 9)]), tail.subarray(9)]);
  assert.equal(pauses, 0, "a frame that names no broker is not held once its header is known");
  assert.deepEqual(out, Buffer.concat([Buffer.from(f.expected, "base64"), tail]));
  assert.equal(value(vm, "kscope_gateway_requests_total", { node_id: "2", api: "Produce" }), 1, "the listener port names the node");
});

test("a response larger than gateway.max_held_bytes passes unchanged, and is counted", () => {
  const vm = vmWith({ max_held_bytes: 100 });
  const c = vm.connect({ source: "127.0.0.1:1", destination: "127.0.0.1:19192" });
  const f = frameOf("Metadata", 12);
  c.downstream(requestFor(f));
  const input = Buffer.from(f.input, "base64");
  assert.ok(input.length > 100);
  const { out, pauses } = deliver(c, chunks(input, 40));
  assert.deepEqual(out, input);
  assert.ok(pauses <= 2, "held only while it could still fit");
  assert.equal(value(vm, "kscope_gateway_responses_total", { api: "Metadata", result: "too_large" }), 1);
});

test("a connection that ends inside a held response gets its bytes unchanged", () => {
  const vm = vmWith();
  const c = vm.connect({ source: "127.0.0.1:1", destination: "127.0.0.1:19192" });
  const f = frameOf("Metadata", 9);
  c.downstream(requestFor(f));
  const input = Buffer.from(f.input, "base64").subarray(0, 50);
  const { out } = deliver(c, chunks(input, 20), true);
  assert.deepEqual(out, input);
  assert.equal(value(vm, "kscope_gateway_responses_total", { api: "Metadata", result: "cut" }), 1);
});

test("without gateway configuration the filter never holds or changes a byte", () => {
  const vm = new ProxyWasmVm({ wasmPath: WASM, log: () => {} });
  const c = vm.connect({ source: "127.0.0.1:1", destination: "127.0.0.1:19192" });
  const f = frameOf("Metadata", 12);
  c.downstream(requestFor(f));
  const input = Buffer.from(f.input, "base64");
  const { out, pauses } = deliver(c, chunks(input, 7));
  assert.equal(pauses, 0);
  assert.deepEqual(out, input);
});

test("kscope's proxy holds and forwards the rewritten bytes (a broker stand-in answering Metadata v12)", async () => {
  const f = frameOf("Metadata", 12);
  const input = Buffer.from(f.input, "base64");
  const broker = net.createServer((s) => {
    s.once("data", () => {
      // answer in three pieces, like a slow network
      s.write(input.subarray(0, 10));
      setTimeout(() => s.write(input.subarray(10, 60)), 20);
      setTimeout(() => s.write(input.subarray(60)), 40);
    });
  });
  await new Promise<void>((r) => broker.listen(0, "127.0.0.1", r));
  const port = await freePort();
  const proxy = await startProxy({
    listen: { host: "127.0.0.1", port },
    upstream: { host: "127.0.0.1", port: (broker.address() as net.AddressInfo).port },
    vm: vmWith(),
    destination: "listener",
  });
  try {
    const got = await new Promise<Buffer>((resolve, reject) => {
      const s = net.connect({ host: "127.0.0.1", port }, () => s.write(requestFor(f)));
      let buf = Buffer.alloc(0);
      s.on("data", (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        if (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
          s.destroy();
          resolve(buf);
        }
      });
      s.on("error", reject);
    });
    assert.deepEqual(got, Buffer.from(f.expected, "base64"));
  } finally {
    await proxy.close();
    broker.close();
  }
});

// The filter's own cost, without sockets: replays the recorded client/broker streams in
// test/fixtures/ through kscope.wasm (and the no-op filter, as the floor) in kscope's host, in
// 1 KiB chunks, and reports µs per Kafka frame and host calls per frame. Same V8 engine as Envoy.
//   node dist/bench/codec.js [iterations]
import fs from "node:fs";
import path from "node:path";
import { ProxyWasmVm } from "../host/wasm/vm";

const ROOT = path.join(__dirname, "..", "..");
const FIXTURES = path.join(ROOT, "test", "fixtures");

interface Conn { req: Buffer; resp: Buffer; frames: number; }

function countFrames(b: Buffer): number {
  let n = 0;
  for (let p = 0; p + 4 <= b.length; p += 4 + b.readInt32BE(p)) n++;
  return n;
}

export function loadFixtures(): Conn[] {
  const conns: Conn[] = [];
  for (const f of fs.readdirSync(FIXTURES).filter((n) => n.endsWith(".txt")).sort()) {
    let req: Buffer | null = null;
    for (const line of fs.readFileSync(path.join(FIXTURES, f), "utf8").split("\n")) {
      if (line.startsWith("> ")) req = Buffer.from(line.slice(2), "base64");
      else if (line.startsWith("< ") && req) {
        const resp = Buffer.from(line.slice(2), "base64");
        conns.push({ req, resp, frames: countFrames(req) + countFrames(resp) });
      }
    }
  }
  return conns;
}

function replay(vm: ProxyWasmVm, conns: Conn[], chunk: number): void {
  for (const c of conns) {
    const fc = vm.connect({ source: "127.0.0.1:1", destination: "127.0.0.1:2" });
    for (let i = 0; i < c.req.length; i += chunk) fc.downstream(c.req.subarray(i, i + chunk));
    for (let i = 0; i < c.resp.length; i += chunk) fc.upstream(c.resp.subarray(i, i + chunk));
    fc.close();
  }
}

function run(wasm: string, conns: Conn[], iterations: number): { usPerFrame: number; calls: Map<string, number> } {
  const vm = new ProxyWasmVm({ wasmPath: wasm, log: () => {} });
  for (let i = 0; i < 20; i++) replay(vm, conns, 1024); // warm up the JIT
  const frames = conns.reduce((a, c) => a + c.frames, 0) * iterations;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) replay(vm, conns, 1024);
  const us = Number(process.hrtime.bigint() - t0) / 1000;
  vm.countCalls = true;
  replay(vm, conns, 1024);
  const perFrame = new Map([...vm.calls].map(([k, v]) => [k, v / (frames / iterations)]));
  return { usPerFrame: us / frames, calls: perFrame };
}

const iterations = Number(process.argv[2] ?? 200);
const conns = loadFixtures();
const bytes = conns.reduce((a, c) => a + c.req.length + c.resp.length, 0);
const kscope = run(process.env.KSCOPE_WASM ?? path.join(ROOT, "build", "kscope.wasm"), conns, iterations);
const noop = run(path.join(ROOT, "build", "noop.wasm"), conns, iterations);
console.log(`${conns.length} recorded connections, ${conns.reduce((a, c) => a + c.frames, 0)} frames, ${bytes} bytes, replayed ${iterations}× in 1 KiB chunks`);
console.log(`kscope.wasm: ${kscope.usPerFrame.toFixed(2)} µs/frame; no-op filter: ${noop.usPerFrame.toFixed(2)} µs/frame; ratio ${(kscope.usPerFrame / noop.usPerFrame).toFixed(2)}`);
console.log(`host calls per frame: ${[...kscope.calls].map(([k, v]) => `${k} ${v.toFixed(2)}`).join(", ")}`);

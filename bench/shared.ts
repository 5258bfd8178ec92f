// What cross-worker state costs (issue 12): how many shared-data calls kscope makes per Kafka
// frame, and what one call costs in Envoy and in kscope's host, next to a shared-queue enqueue.
//   npm run build:bench-shared && node dist/bench/shared.js      env: BENCH_ROUNDS (default 3)
// Calls per frame: the recorded real-client connections (test/fixtures) replayed twice through
// kscope.wasm in the host VM with call counting; the second pass is the steady state (labels
// admitted, series defined). Price per call: bench/wasm/shared.ts, timed inside the VM when it
// configures, in a real Envoy (one worker) and in the host, rounds interleaved.
import os from "node:os";
import path from "node:path";
import { ProxyWasmVm } from "../host/wasm/vm";
import { SharedState } from "../host/wasm/shared";
import { MetricStore } from "../host/metrics/store";
import { loadCorpus } from "../test/fuzz/corpus";
import { startEnvoy } from "../test/support/envoy";
import { median } from "./stats";

const ROOT = path.join(__dirname, "..", "..");
const KSCOPE = path.join(ROOT, "build", "kscope.wasm");
const BENCH = path.join(ROOT, "build", "bench-shared.wasm");
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SHARED_CALLS = ["proxy_get_shared_data", "proxy_set_shared_data", "proxy_enqueue_shared_queue"];

type Figures = Record<string, number>;

function parse(line: string): Figures {
  const out: Figures = {};
  for (const m of line.matchAll(/(\w+)=([\d.]+)/g)) out[m[1]] = Number(m[2]);
  return out;
}

/** Shared-data calls per frame in the steady state, and frames per pass. */
function callsPerFrame(): { perFrame: Record<string, number>; frames: number } {
  const vm = new ProxyWasmVm({ wasmPath: KSCOPE, metrics: new MetricStore(), shared: new SharedState(), log: () => undefined });
  vm.countCalls = true;
  const corpus = loadCorpus();
  let frames = 0;
  for (let pass = 0; pass < 2; pass++) {
    if (pass === 1) vm.calls.clear();
    corpus.forEach((conn, i) => {
      const c = vm.connect({ source: `10.0.0.9:${3000 + i}`, destination: "127.0.0.1:9092" });
      for (let k = 0; k < Math.max(conn.requests.length, conn.responses.length); k++) {
        if (k < conn.requests.length) c.downstream(conn.requests[k]);
        if (k < conn.responses.length) c.upstream(conn.responses[k]);
      }
      c.close();
      if (pass === 1) frames += conn.requests.length + conn.responses.length;
    });
  }
  const perFrame: Record<string, number> = {};
  for (const name of SHARED_CALLS) perFrame[name] = (vm.calls.get(name) ?? 0) / frames;
  vm.dispose();
  return { perFrame, frames };
}

function inHost(): Figures {
  let line = "";
  const vm = new ProxyWasmVm({
    wasmPath: BENCH,
    metrics: new MetricStore(),
    shared: new SharedState(),
    log: (_l, msg) => {
      if (msg.includes("shared-bench")) line = msg;
    },
  });
  vm.dispose();
  return parse(line);
}

async function inEnvoy(): Promise<Figures> {
  const envoy = await startEnvoy({ name: "envoy-bench-shared", upstream: "127.0.0.1:9", wasmPath: BENCH, concurrency: 1 });
  try {
    for (let i = 0; i < 100; i++) {
      const m = /shared-bench[^\n]*/.exec(envoy.log());
      if (m) return parse(m[0]);
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`no shared-bench line in Envoy's log:\n${envoy.log().slice(-3000)}`);
  } finally {
    await envoy.stop();
  }
}

async function main(): Promise<void> {
  console.log(
    `load average ${os
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(" ")}; ${os.cpus().length} CPUs; ${ROUNDS} rounds`,
  );
  const { perFrame, frames } = callsPerFrame();
  console.log(`calls per frame (steady state, ${frames} recorded frames): ${JSON.stringify(perFrame)}`);
  const rounds: { host: Figures; envoy: Figures }[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const envoy = await inEnvoy();
    const host = inHost();
    rounds.push({ host, envoy });
    console.log(`round ${r + 1}: envoy ${JSON.stringify(envoy)}; host ${JSON.stringify(host)}`);
  }
  const ops = ["clock", "get", "set", "get_cas_set", "enqueue"];
  console.log("\nns per call (median of rounds)   envoy    host");
  for (const op of ops)
    console.log(
      `${op.padEnd(30)} ${median(rounds.map((x) => x.envoy[op]))
        .toFixed(0)
        .padStart(7)} ${median(rounds.map((x) => x.host[op]))
        .toFixed(0)
        .padStart(7)}`,
    );
  const get = perFrame.proxy_get_shared_data,
    set = perFrame.proxy_set_shared_data;
  for (const who of ["envoy", "host"] as const) {
    const g = median(rounds.map((x) => x[who].get)),
      s = median(rounds.map((x) => x[who].set));
    const usPerMillion = ((get * g + set * s) * 1e6) / 1e3;
    console.log(
      `${who}: shared data per million frames ${usPerMillion.toFixed(0)} µs (${((get * g + set * s) / 1e3).toFixed(4)} µs per frame)`,
    );
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

// The price of cross-worker state, measured inside a host: a root context that, when it
// configures, times the calls kscope makes for shared state (bench/shared.ts runs it in Envoy
// and in kscope's host). Each figure includes the UTF-8 encoding of key and value, as kscope
// pays it (assembly/abi/host.ts). Logged as one line: "shared-bench op=ns/call ...".
export * from "../../assembly/abi/exports";
import "../../assembly/abi/abort";
import { LogLevel } from "../../assembly/abi/enums";
import { enqueue, getShared, log, nowNanos, registerQueue, setShared } from "../../assembly/abi/host";
import { RootContext, registerRootContext } from "../../assembly/abi/context";

const N: i32 = 20000;
const KEY = "kscope.hw\nbench-topic\n3"; // the shape of kscope's keys (metrics/shared.ts)

class Bench extends RootContext {
  onConfigure(size: usize): bool {
    setShared(KEY, "1000", 0);
    const q = registerQueue("kscope-bench-" + this.id.toString());
    let t0 = nowNanos();
    let sink: u64 = 0;
    for (let i = 0; i < N; i++) sink += nowNanos(); // the cheapest host call: the floor
    const clock = nowNanos() - t0;
    t0 = nowNanos();
    for (let i = 0; i < N; i++) sink += <u64>getShared(KEY).cas;
    const get = nowNanos() - t0;
    t0 = nowNanos();
    for (let i = 0; i < N; i++) setShared(KEY, (1000 + i).toString(), 0);
    const set = nowNanos() - t0;
    t0 = nowNanos();
    for (let i = 0; i < N; i++) {
      // what publishHw and claim do: read, then compare-and-swap
      const e = getShared(KEY);
      setShared(KEY, (I64.parseInt(e.value) + 1).toString(), e.cas);
    }
    const cas = nowNanos() - t0;
    let queued = 0;
    t0 = nowNanos();
    if (q != u32.MAX_VALUE) for (let i = 0; i < N; i++) if (enqueue(q, "bench-topic\n3\n" + (1000 + i).toString())) queued++;
    const enq = nowNanos() - t0;
    const per = (ns: u64): string => (<f64>ns / <f64>N).toString();
    log(
      LogLevel.Info,
      "shared-bench calls=" +
        N.toString() +
        " clock=" +
        per(clock) +
        " get=" +
        per(get) +
        " set=" +
        per(set) +
        " get_cas_set=" +
        per(cas) +
        " enqueue=" +
        (queued == N ? per(enq) : "unavailable") +
        " sink=" +
        (sink & 1).toString(),
    );
    return true;
  }
}

registerRootContext((id: u32) => new Bench(id));

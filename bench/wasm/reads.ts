// A proxy-wasm network filter that only reads: each data callback calls proxy_get_buffer_bytes
// `reads` times for `size` bytes (0: the whole chunk) and does nothing else. bench/crossings.ts
// runs it in Envoy to price one host call and one copied byte, apart from any decoding.
// Plugin configuration: "READS SIZE [WORK]", e.g. "4 8". WORK: iterations of a loop of loads,
// branches and stores over 4 KiB of the module's memory per callback (what a decoder's code does),
// so the same module prices pure Wasm execution in Envoy's V8 and in Node's.
export * from "../../assembly/abi/exports";
import "../../assembly/abi/abort";
import { Action, BufferType, MetricType } from "../../assembly/abi/enums";
import { Context, RootContext, registerRootContext } from "../../assembly/abi/context";
import { bufferString, copyBuffer, defineMetric, incrementMetric } from "../../assembly/abi/host";

let reads: i32 = 0;
let size: i32 = 0;
let work: i32 = 0;
const SCRATCH: usize = heap.alloc(4096);
const DEST: usize = heap.alloc(1 << 20);
/** Data callbacks seen (one increment each, in every variant): the bench divides by it. */
let callbacks: u32 = u32.MAX_VALUE;

class ReadsRoot extends RootContext {
  onConfigure(n: usize): bool {
    const parts = bufferString(BufferType.PluginConfiguration, <i32>n).split(" ");
    reads = parts.length > 0 ? I32.parseInt(parts[0]) : 0;
    size = parts.length > 1 ? I32.parseInt(parts[1]) : 0;
    work = parts.length > 2 ? I32.parseInt(parts[2]) : 0;
    callbacks = defineMetric(MetricType.Counter, "reads_callbacks");
    return true;
  }
  createContext(id: u32): Context {
    return new Reader(id, this);
  }
}

class Reader extends Context {
  onDownstreamData(n: usize, eos: bool): Action {
    read(BufferType.DownstreamData, <i32>n);
    return Action.Continue;
  }
  onUpstreamData(n: usize, eos: bool): Action {
    read(BufferType.UpstreamData, <i32>n);
    return Action.Continue;
  }
}

function read(buffer: BufferType, n: i32): void {
  incrementMetric(callbacks, 1);
  const len = min(size > 0 ? size : n, 1 << 20);
  // Spread small reads over the chunk, as a decoder reading frame heads would.
  const step = reads > 0 ? n / reads : 0;
  for (let i = 0; i < reads; i++) copyBuffer(buffer, min(i * step, max(n - len, 0)), len, DEST);
  if (work > 0) spin(work);
}

/** WORK iterations of xorshift-driven loads and stores; the result lands in memory, so none is optimised away. */
function spin(n: i32): void {
  let x: u32 = 2463534242;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    const at = SCRATCH + <usize>(x & 4092);
    const v = load<u32>(at);
    store<u32>(at, v & 1 ? v + x : v ^ x);
  }
}

registerRootContext((id: u32) => new ReadsRoot(id));

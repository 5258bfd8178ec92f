// A network filter that exercises pausing and proxy_set_buffer_bytes on upstream data, so the
// same module shows what kscope's host and Envoy do (test/unit/buffers.test.ts,
// test/integration/envoy.test.ts). The first byte of the upstream stream picks the case:
//   P  Pause until a '.' has arrived, then replace everything held with "<" + bytes + ">"
//   A  append "+tail" (start = buffer length)
//   M  set at start 1 (inside the buffer): refused; the status is recorded, bytes pass as they came
//   D  drop the first 2 bytes (start 0, size 2, no data)
// buffers_test_status (gauge) holds the last status proxy_set_buffer_bytes returned;
// buffers_test_calls (counter) counts upstream data calls.
export * from "../../assembly/abi/exports";
import "../../assembly/abi/abort";
import { Action, BufferType, MetricType } from "../../assembly/abi/enums";
import { Context, RootContext, registerRootContext } from "../../assembly/abi/context";
import { copyBuffer, defineMetric, incrementMetric, recordMetric } from "../../assembly/abi/host";
import { proxy_set_buffer_bytes } from "../../assembly/abi/imports";

let status: u32 = 0,
  calls: u32 = 0;
const scratch: usize = heap.alloc(65536);

function set(start: i32, size: i32, text: string): void {
  const b = String.UTF8.encode(text);
  recordMetric(status, proxy_set_buffer_bytes(BufferType.UpstreamData, start, size, changetype<usize>(b), b.byteLength));
}

class BufferConnection extends Context {
  onUpstreamData(size: usize, endOfStream: bool): Action {
    incrementMetric(calls, 1);
    const n = copyBuffer(BufferType.UpstreamData, 0, min(<i32>size, 65535), scratch);
    if (n == 0) return Action.Continue;
    const mode = load<u8>(scratch);
    if (mode == 0x50) {
      // P
      let dot = false;
      for (let i = 0; i < n; i++) if (load<u8>(scratch + <usize>i) == 0x2e) dot = true;
      if (!dot && !endOfStream) return Action.Pause;
      set(0, n, "<" + String.UTF8.decodeUnsafe(scratch, n) + ">");
    } else if (mode == 0x41)
      set(n, 0, "+tail"); // A
    else if (mode == 0x4d)
      set(1, 1, "x"); // M
    else if (mode == 0x44) set(0, 2, ""); // D
    return Action.Continue;
  }
}

class BufferRoot extends RootContext {
  onConfigure(size: usize): bool {
    status = defineMetric(MetricType.Gauge, "buffers_test_status");
    calls = defineMetric(MetricType.Counter, "buffers_test_calls");
    return true;
  }
  createContext(id: u32): Context {
    return new BufferConnection(id, this);
  }
}

registerRootContext((id: u32) => new BufferRoot(id));

// A network filter that traps on purpose, for the host's trap handling tests: a connection
// whose first downstream byte is 0xEE hits `unreachable`, 0xEF hands the host a log message
// outside the module's memory; others count their chunks.
export * from "../../assembly/abi/exports";
import "../../assembly/abi/abort";
import { Action, BufferType, MetricType } from "../../assembly/abi/enums";
import { Context, RootContext, registerRootContext } from "../../assembly/abi/context";
import { copyBuffer, defineMetric, incrementMetric } from "../../assembly/abi/host";
import { proxy_log } from "../../assembly/abi/imports";

let chunks: u32 = 0,
  active: u32 = 0;
const byte: usize = memory.data(1);

class TrapConnection extends Context {
  onNewConnection(): Action {
    incrementMetric(active, 1);
    return Action.Continue;
  }
  onDownstreamData(size: usize, endOfStream: bool): Action {
    if (size == 0) return Action.Continue;
    if (copyBuffer(BufferType.DownstreamData, 0, 1, byte) == 1 && load<u8>(byte) == 0xee) unreachable();
    if (load<u8>(byte) == 0xef) proxy_log(2, <usize>(memory.size() << 16) - 8, 64); // runs 56 bytes past the end
    incrementMetric(chunks, 1);
    return Action.Continue;
  }
  onDone(): bool {
    incrementMetric(active, -1);
    return true;
  }
}

class TrapRoot extends RootContext {
  onConfigure(size: usize): bool {
    chunks = defineMetric(MetricType.Counter, "trap_test_chunks_total");
    active = defineMetric(MetricType.Gauge, "trap_test_connections_active");
    return true;
  }
  createContext(id: u32): Context {
    return new TrapConnection(id, this);
  }
}

registerRootContext((id: u32) => new TrapRoot(id));

// A proxy-wasm network filter that does nothing, on kscope's own ABI layer: the benchmark's
// floor for what any Wasm filter costs in a host (callbacks per chunk), apart from kscope's work.
export * from "../../assembly/abi/exports";
import "../../assembly/abi/abort";
import { RootContext, registerRootContext } from "../../assembly/abi/context";

registerRootContext((id: u32) => new RootContext(id));

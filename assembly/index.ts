// kscope: a proxy-wasm (ABI 0.2.1) network filter that understands the Kafka protocol.
export * from "./abi/exports";
import "./abi/abort"; // the runtime's abort() handler (see asconfig.json "use")
import { registerRootContext } from "./abi/context";
import { KscopeRoot } from "./filter/root";

registerRootContext((id: u32) => new KscopeRoot(id));

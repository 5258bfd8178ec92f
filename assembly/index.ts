// kscope: a proxy-wasm (ABI 0.2.1) module with two filters: the Kafka network filter (the
// default root, root_id "kscope") and the HTTP filter (root_id "kscope_http").
export * from "./abi/exports";
import "./abi/abort"; // the runtime's abort() handler (see asconfig.json "use")
import { registerRootContext } from "./abi/context";
import { KscopeRoot } from "./filter/root";
import { HttpRoot } from "./filter/http";

registerRootContext((id: u32) => new KscopeRoot(id));
registerRootContext((id: u32) => new HttpRoot(id), "kscope_http");

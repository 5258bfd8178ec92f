// The module's proxy-wasm ABI 0.2.1 exports: each looks up a context and calls it.
// Unknown context ids are ignored rather than trapping: a trap would take the VM down.
// Callbacks that run the filter's code begin with enter() and end with collectIfDue() (./gc.ts):
// a collection is safe only when nothing of the module's is left on the stack.
import { Action, PeerType } from "./enums";
import { addContext, context, contexts, createRoot, removeContext, roots } from "./context";
import { collectIfDue, enter } from "./gc";
import { allocate } from "./host";

export function proxy_abi_version_0_2_1(): void {}

export function proxy_on_memory_allocate(size: usize): usize {
  return allocate(size);
}

export function proxy_on_vm_start(rootId: u32, size: usize): bool {
  enter();
  const root = roots.has(rootId) ? roots.get(rootId) : createRoot(rootId);
  const result = root != null ? root.onVmStart(size) : false;
  collectIfDue();
  return result;
}

export function proxy_on_configure(rootId: u32, size: usize): bool {
  enter();
  const root = roots.has(rootId) ? roots.get(rootId) : createRoot(rootId);
  const result = root != null ? root.onConfigure(size) : false;
  collectIfDue();
  return result;
}

export function proxy_on_context_create(id: u32, parentId: u32): void {
  enter();
  if (parentId == 0) {
    if (!roots.has(id)) createRoot(id);
  } else if (roots.has(parentId)) {
    addContext(id, roots.get(parentId).createContext(id));
  }
  collectIfDue();
}

export function proxy_on_new_connection(id: u32): Action {
  enter();
  const a = contexts.has(id) ? contexts.get(id).onNewConnection() : Action.Continue;
  collectIfDue();
  return a;
}

export function proxy_on_downstream_data(id: u32, size: usize, eos: bool): Action {
  enter(true);
  const c = context(id);
  const a = c != null ? c.onDownstreamData(size, eos) : Action.Continue;
  collectIfDue();
  return a;
}

export function proxy_on_upstream_data(id: u32, size: usize, eos: bool): Action {
  enter(true);
  const c = context(id);
  const a = c != null ? c.onUpstreamData(size, eos) : Action.Continue;
  collectIfDue();
  return a;
}

export function proxy_on_downstream_connection_close(id: u32, peer: PeerType): void {
  enter();
  if (contexts.has(id)) contexts.get(id).onDownstreamConnectionClose(peer);
  collectIfDue();
}

export function proxy_on_upstream_connection_close(id: u32, peer: PeerType): void {
  enter();
  if (contexts.has(id)) contexts.get(id).onUpstreamConnectionClose(peer);
  collectIfDue();
}

export function proxy_on_request_headers(id: u32, headers: u32, eos: bool): Action {
  enter();
  const a = contexts.has(id) ? contexts.get(id).onRequestHeaders(headers, eos) : Action.Continue;
  collectIfDue();
  return a;
}

export function proxy_on_response_headers(id: u32, headers: u32, eos: bool): Action {
  enter();
  const a = contexts.has(id) ? contexts.get(id).onResponseHeaders(headers, eos) : Action.Continue;
  collectIfDue();
  return a;
}

export function proxy_on_response_trailers(id: u32, trailers: u32): Action {
  enter();
  const a = contexts.has(id) ? contexts.get(id).onResponseTrailers(trailers) : Action.Continue;
  collectIfDue();
  return a;
}

export function proxy_on_tick(rootId: u32): void {
  enter();
  if (roots.has(rootId)) roots.get(rootId).onTick();
  collectIfDue();
}

export function proxy_on_done(id: u32): bool {
  enter();
  const done = contexts.has(id) ? contexts.get(id).onDone() : roots.has(id) ? roots.get(id).onDone() : true;
  collectIfDue();
  return done;
}

export function proxy_on_log(id: u32): void {
  enter();
  if (contexts.has(id)) contexts.get(id).onLog();
  collectIfDue();
}

export function proxy_on_delete(id: u32): void {
  enter();
  if (contexts.has(id)) {
    contexts.get(id).onDelete();
    removeContext(id);
  } else if (roots.has(id)) {
    roots.get(id).onDelete();
    roots.delete(id);
  }
  collectIfDue();
}

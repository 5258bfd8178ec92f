// The RootContext / Context shape of @solo-io/proxy-runtime, for network filters.
// A filter subclasses these; the default callbacks do nothing.
import { Action, PeerType } from "./enums";

export class BaseContext {
  constructor(readonly id: u32) {}
  onDone(): bool { return true; }
  onLog(): void {}
  onDelete(): void {}
}

/** One per plugin (per VM and configuration); creates the per-connection contexts. */
export class RootContext extends BaseContext {
  onVmStart(vmConfigurationSize: usize): bool { return true; }
  onConfigure(pluginConfigurationSize: usize): bool { return true; }
  onTick(): void {}
  /** Called for every new connection: return the filter's per-connection context. */
  createContext(id: u32): Context { return new Context(id, this); }
}

/** One per downstream connection; downstream and upstream data share it. */
export class Context extends BaseContext {
  constructor(id: u32, readonly root: RootContext) { super(id); }
  onNewConnection(): Action { return Action.Continue; }
  onDownstreamData(size: usize, endOfStream: bool): Action { return Action.Continue; }
  onUpstreamData(size: usize, endOfStream: bool): Action { return Action.Continue; }
  onDownstreamConnectionClose(peer: PeerType): void {}
  onUpstreamConnectionClose(peer: PeerType): void {}
}

type RootFactory = (id: u32) => RootContext;
let rootFactory: RootFactory | null = null;

/** Registers the filter: called once from the module's top level. */
export function registerRootContext(factory: RootFactory): void {
  rootFactory = factory;
}

export const roots = new Map<u32, RootContext>();
export const contexts = new Map<u32, Context>();

export function createRoot(id: u32): RootContext | null {
  const f = rootFactory;
  if (f == null) return null;
  const root = f(id);
  roots.set(id, root);
  return root;
}

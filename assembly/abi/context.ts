// The RootContext / Context shape of @solo-io/proxy-runtime, for network and HTTP filters.
// A filter subclasses these; the default callbacks do nothing.
import { Action, PeerType } from "./enums";
import { property } from "./host";

export class BaseContext {
  constructor(readonly id: u32) {}
  onDone(): bool {
    return true;
  }
  onLog(): void {}
  onDelete(): void {}
}

/** One per plugin (per VM and configuration); creates the per-connection contexts. */
export class RootContext extends BaseContext {
  onVmStart(vmConfigurationSize: usize): bool {
    return true;
  }
  onConfigure(pluginConfigurationSize: usize): bool {
    return true;
  }
  onTick(): void {}
  /** Called for every new connection: return the filter's per-connection context. */
  createContext(id: u32): Context {
    return new Context(id, this);
  }
}

/** One per downstream connection; downstream and upstream data share it. */
export class Context extends BaseContext {
  constructor(
    id: u32,
    readonly root: RootContext,
  ) {
    super(id);
  }
  onNewConnection(): Action {
    return Action.Continue;
  }
  onDownstreamData(size: usize, endOfStream: bool): Action {
    return Action.Continue;
  }
  onUpstreamData(size: usize, endOfStream: bool): Action {
    return Action.Continue;
  }
  onDownstreamConnectionClose(peer: PeerType): void {}
  onUpstreamConnectionClose(peer: PeerType): void {}
  // HTTP streams (a context per request)
  onRequestHeaders(headers: u32, endOfStream: bool): Action {
    return Action.Continue;
  }
  onResponseHeaders(headers: u32, endOfStream: bool): Action {
    return Action.Continue;
  }
  onResponseTrailers(trailers: u32): Action {
    return Action.Continue;
  }
}

type RootFactory = (id: u32) => RootContext;
let rootFactory: RootFactory | null = null;
const namedFactories = new Map<string, RootFactory>();

/**
 * Registers a root context: `rootId` "" is the default; another name is the plugin's root_id
 * (Envoy's config.root_id), so one module holds several filters. Called from the module's top level.
 */
export function registerRootContext(factory: RootFactory, rootId: string = ""): void {
  if (rootId.length) namedFactories.set(rootId, factory);
  else rootFactory = factory;
}

export const roots = new Map<u32, RootContext>();
export const contexts = new Map<u32, Context>();

// The context looked up last: a connection's data callbacks come in runs, so most lookups are one
// comparison instead of two hash lookups (has, then get).
let lastId: u32 = 0;
let last: Context | null = null;

/** The context `id`, or null. */
export function context(id: u32): Context | null {
  if (id == lastId && last != null) return last;
  if (!contexts.has(id)) return null;
  last = contexts.get(id);
  lastId = id;
  return last;
}

export function addContext(id: u32, c: Context): void {
  contexts.set(id, c);
  if (id == lastId) last = null;
}

export function removeContext(id: u32): void {
  contexts.delete(id);
  if (id == lastId) last = null;
}

export function createRoot(id: u32): RootContext | null {
  const name = namedFactories.size ? property("plugin_root_id") : "";
  const f = namedFactories.has(name) ? namedFactories.get(name) : rootFactory;
  if (f == null) return null;
  const root = f(id);
  roots.set(id, root);
  return root;
}

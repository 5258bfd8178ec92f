// A proxy-wasm ABI 0.2.1 host for network filters: one VM (one module instance), one root
// context, one context per connection — the way Envoy runs a filter. Only the imports a
// network filter needs are real; the rest answer UNIMPLEMENTED instead of trapping.
import { readFileSync } from "node:fs";
import * as M from "../../vocabulary/metrics";
import { Action, BufferType, LOG_LEVELS, MapType, PeerType, Status } from "./abi";
import { MetricStore, MetricType } from "../metrics/store";
import { SharedState } from "./shared";
import { HeaderPairs, HttpStream, headerMapImports } from "./http";

export { HeaderPairs, HttpStream };

export interface Exports {
  memory: WebAssembly.Memory;
  proxy_on_memory_allocate?: (size: number) => number;
  malloc?: (size: number) => number;
  proxy_on_context_create(id: number, parent: number): void;
  proxy_on_vm_start(id: number, size: number): number;
  proxy_on_configure(id: number, size: number): number;
  proxy_on_new_connection(id: number): number;
  proxy_on_downstream_data(id: number, size: number, eos: number): number;
  proxy_on_upstream_data(id: number, size: number, eos: number): number;
  proxy_on_downstream_connection_close(id: number, peer: number): void;
  proxy_on_upstream_connection_close(id: number, peer: number): void;
  proxy_on_done(id: number): number;
  proxy_on_delete(id: number): void;
  proxy_on_tick?: (id: number) => void;
  // HTTP streams (the kscope_http root)
  proxy_on_request_headers?: (id: number, headers: number, eos: number) => number;
  proxy_on_response_headers?: (id: number, headers: number, eos: number) => number;
  proxy_on_response_trailers?: (id: number, trailers: number) => number;
  proxy_on_log?: (id: number) => void;
}

/** Wall-clock nanoseconds that never go backwards: the epoch read once, advanced by the
 *  monotonic clock. (Date.now() plus hrtime's sub-millisecond digits could step back by up to
 *  1 ms, so a fast exchange measured as receivedAt <= sentAt, latency 0.) */
const EPOCH_NS = BigInt(Date.now()) * 1000000n - process.hrtime.bigint();
export const nowNanos = (): bigint => EPOCH_NS + process.hrtime.bigint();

export interface VmOptions {
  wasmPath: string;
  /** The plugin configuration string (Envoy: configuration of the plugin). */
  configuration?: string;
  rootId?: string;
  metrics?: MetricStore;
  log?: (level: string, msg: string) => void;
  /** Shared data and queues (tap); one per host, like Envoy's. */
  shared?: SharedState;
}

/** Connection properties, as Envoy exposes them to filters. */
export interface ConnectionInfo {
  source: string;
  destination: string;
}

/**
 * After a trap the module is instantiated anew for a later connection, at most this often
 * (Envoy's FAIL_RELOAD backoff base); until then new connections are forwarded unobserved.
 */
export const RELOAD_BACKOFF_MS = 1000;
/** Host counter of filter traps (each instance that trapped counts once). */
export const TRAPS_METRIC = M.wasmTraps;

export class ProxyWasmVm {
  readonly metrics: MetricStore;
  readonly shared: SharedState;
  /** Host imports the module declares (e.g. whether it can tap: proxy_enqueue_shared_queue). */
  readonly moduleImports: Set<string>;
  private currentId?: number;
  private ex!: Exports;
  private readonly module: WebAssembly.Module;
  /** The current instance; contexts of an earlier (trapped) one are never called again. */
  private generation = 0;
  /** When the current instance trapped (undefined: healthy). */
  private failedAt?: number;
  private readonly trapsId: number;
  private nextId = 2;
  private tick?: NodeJS.Timeout;
  private readonly rootContextId = 1;
  private buffers = new Map<number, Buffer>(); // BufferType -> bytes of the current callback
  /** The data buffer as the last data callback left it (proxy_set_buffer_bytes may replace it). */
  output: Buffer = Buffer.alloc(0);
  private current?: ConnectionInfo;
  /** The header maps of the HTTP callback running now (MapType -> pairs, changed in place). */
  private maps = new Map<number, HeaderPairs>();
  private readonly config: Buffer;
  private readonly rootId: string;
  private readonly logger: (level: string, msg: string) => void;
  /** Set while the filter configures: the errors it logs (they explain a refusal). */
  private configureErrors?: string[];
  /** Host calls the filter made, by import name (for benchmarks and tests). */
  readonly calls = new Map<string, number>();
  countCalls = false;

  constructor(opts: VmOptions) {
    this.metrics = opts.metrics ?? new MetricStore();
    this.shared = opts.shared ?? new SharedState();
    this.config = Buffer.from(opts.configuration ?? "");
    this.rootId = opts.rootId ?? "kscope";
    const log =
      opts.log ??
      ((level, msg) => {
        if (level !== "trace" && level !== "debug") console.error(`[wasm ${level}] ${msg}`);
      });
    // Errors the filter logs while it configures explain a refusal: kept for the thrown error.
    this.logger = (level, msg) => {
      if (this.configureErrors && (level === "error" || level === "critical")) this.configureErrors.push(msg);
      else log(level, msg);
    };
    this.module = new WebAssembly.Module(readFileSync(opts.wasmPath));
    this.moduleImports = new Set(WebAssembly.Module.imports(this.module).map((i) => i.name));
    this.trapsId = this.metrics.define(MetricType.Counter, TRAPS_METRIC);
    this.instantiate();
  }

  /** A fresh instance of the module, started and configured; throws if the filter refuses. */
  private instantiate(): void {
    const instance = new WebAssembly.Instance(this.module, { env: this.imports(), wasi_snapshot_preview1: this.wasi() });
    this.ex = instance.exports as unknown as Exports;
    this.generation++;
    this.ex.proxy_on_context_create(this.rootContextId, 0);
    if (!this.ex.proxy_on_vm_start(this.rootContextId, 0)) throw new Error("filter refused to start (proxy_on_vm_start)");
    this.buffers.set(BufferType.PluginConfiguration, this.config);
    this.configureErrors = [];
    const ok = this.ex.proxy_on_configure(this.rootContextId, this.config.length);
    const errors = this.configureErrors;
    this.configureErrors = undefined;
    this.buffers.delete(BufferType.PluginConfiguration);
    if (!ok) throw new Error(`filter rejected its configuration (proxy_on_configure)${errors.map((m) => `: ${m}`).join("")}`);
    for (const m of errors) this.logger("error", m);
  }

  /** Whether the current instance trapped (connections are forwarded unobserved until a reload). */
  get failed(): boolean {
    return this.failedAt !== undefined;
  }

  /**
   * The module trapped (an `unreachable`, an out-of-bounds access, a host import that threw):
   * its state can no longer be trusted, so none of its contexts is called again. Logged and
   * counted once per instance; gauges it moved (active connections, in flight, lag) are zeroed,
   * since the next instance starts from nothing.
   */
  private trapped(err: unknown, where: string, info?: ConnectionInfo): void {
    if (this.failedAt !== undefined) return;
    this.failedAt = Date.now();
    this.metrics.increment(this.trapsId, 1);
    this.metrics.resetGauges();
    const conn = info ? ` on connection ${info.source} -> ${info.destination}` : "";
    this.logger(
      "critical",
      `filter trapped in ${where}${conn}: ${(err as Error)?.message ?? String(err)}; ` +
        `its connections are forwarded unobserved, a new instance serves connections from ${RELOAD_BACKOFF_MS} ms on`,
    );
  }

  /** Runs a call into the module; a trap marks the instance failed and yields `fallback`. */
  private guard<T>(fallback: T, where: string, info: ConnectionInfo | undefined, fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      this.trapped(err, where, info);
      return fallback;
    }
  }

  /** Instantiates the module again once the backoff has passed; false while it may not (or cannot). */
  private reload(): boolean {
    if (this.failedAt === undefined) return true;
    if (Date.now() - this.failedAt < RELOAD_BACKOFF_MS) return false;
    try {
      this.instantiate();
      this.failedAt = undefined;
      this.logger("info", "filter reloaded after a trap");
      return true;
    } catch (err) {
      this.failedAt = Date.now();
      this.logger("critical", `filter reload failed: ${(err as Error).message}`);
      return false;
    }
  }

  /** A new downstream connection: creates its context and returns its handle (a no-op one while the filter is down). */
  connect(info: ConnectionInfo): FilterConnection {
    if (!this.reload()) return new FilterConnection(this, 0, info, 0);
    const id = this.nextId++;
    this.current = info;
    this.guard(undefined, "proxy_on_new_connection", info, () => {
      this.ex.proxy_on_context_create(id, this.rootContextId);
      this.ex.proxy_on_new_connection(id);
    });
    this.current = undefined;
    return new FilterConnection(this, id, info, this.generation);
  }

  /** A new HTTP stream (one request and its response) for the HTTP root: creates its context. */
  stream(info: ConnectionInfo): HttpStream {
    if (!this.reload()) return new HttpStream(this, 0, info, 0);
    const id = this.nextId++;
    this.guard(undefined, "proxy_on_context_create", info, () => this.ex.proxy_on_context_create(id, this.rootContextId));
    return new HttpStream(this, id, info, this.generation);
  }

  /** @internal An HTTP callback with these header maps current (the filter may change them in place). */
  http(
    id: number,
    generation: number,
    info: ConnectionInfo,
    maps: [MapType, HeaderPairs][],
    where: string,
    call: (ex: Exports) => unknown,
  ): void {
    if (!this.live(generation)) return;
    for (const [t, pairs] of maps) this.maps.set(t, pairs);
    this.current = info;
    this.currentId = id;
    try {
      this.guard(undefined, where, info, () => call(this.ex));
    } finally {
      this.maps.clear();
      this.current = undefined;
      this.currentId = undefined;
    }
  }

  /** Whether a context of instance `generation` may still be called. */
  private live(generation: number): boolean {
    return generation === this.generation && this.failedAt === undefined;
  }

  /** @internal */
  data(id: number, generation: number, type: BufferType, chunk: Buffer, eos: boolean, info: ConnectionInfo): Action {
    this.output = chunk;
    if (!this.live(generation)) return Action.Continue;
    this.buffers.set(type, chunk);
    this.current = info;
    this.currentId = id;
    try {
      const down = type === BufferType.DownstreamData;
      let trapped = true;
      if (this.countCalls) {
        const cb = down ? "proxy_on_downstream_data" : "proxy_on_upstream_data";
        this.calls.set(cb, (this.calls.get(cb) ?? 0) + 1);
      }
      const action = this.guard(Action.Continue, down ? "proxy_on_downstream_data" : "proxy_on_upstream_data", info, () => {
        const r = down
          ? this.ex.proxy_on_downstream_data(id, chunk.length, eos ? 1 : 0)
          : this.ex.proxy_on_upstream_data(id, chunk.length, eos ? 1 : 0);
        trapped = false;
        return r;
      });
      // After a trap the bytes pass as they came (a rewrite the filter began is dropped).
      this.output = trapped ? chunk : (this.buffers.get(type) ?? chunk);
      return action;
    } finally {
      this.buffers.delete(type);
      this.current = undefined;
      this.currentId = undefined;
    }
  }

  /** @internal Envoy's order on close: connection close callbacks, then done, then delete. */
  close(id: number, generation: number, peer: PeerType, info: ConnectionInfo): void {
    if (!this.live(generation)) return;
    this.guard(undefined, "connection close", info, () => {
      this.ex.proxy_on_downstream_connection_close(id, peer);
      this.ex.proxy_on_upstream_connection_close(id, peer);
      this.ex.proxy_on_done(id);
      this.ex.proxy_on_delete(id);
    });
  }

  /** Wasm memory of the current instance, in 64 KiB pages (tests check it stays flat). */
  memoryPages(): number {
    return this.ex.memory.buffer.byteLength / 65536;
  }

  /** A global the module exports (a measuring build's counters, e.g. `allocs`), or undefined. */
  exportedGlobal(name: string): number | undefined {
    const g = (this.ex as unknown as Record<string, unknown>)[name];
    return g instanceof WebAssembly.Global ? Number(g.value) : undefined;
  }

  /** proxy_on_tick every `ms` for the root context, as Envoy does (0 stops it). */
  private setTickPeriod(ms: number): void {
    if (this.tick) clearInterval(this.tick);
    this.tick = undefined;
    if (ms <= 0) return;
    this.tick = setInterval(() => {
      if (this.failedAt === undefined) this.guard(undefined, "proxy_on_tick", undefined, () => this.ex.proxy_on_tick?.(this.rootContextId));
    }, ms).unref();
  }

  /** Stops the VM's timer; the module is garbage once unreferenced. */
  dispose(): void {
    this.setTickPeriod(0);
  }

  // Views of the module's memory, made again only when it changes (it grew, or a new instance):
  // a host call then costs no allocation for them.
  private memBuffer?: ArrayBuffer;
  private memView!: DataView;
  private memBytes!: Buffer;
  private memory(): void {
    const b = this.ex.memory.buffer;
    if (b === this.memBuffer) return;
    this.memBuffer = b;
    this.memView = new DataView(b);
    this.memBytes = Buffer.from(b);
  }

  private view(): DataView {
    this.memory();
    return this.memView;
  }

  /** The module's bytes [ptr, ptr+len); a range outside its memory throws (the call traps, as before). */
  private bytes(ptr: number, len: number): Buffer {
    this.memory();
    if (ptr < 0 || len < 0 || ptr + len > this.memBytes.length) throw new RangeError(`memory access out of bounds: ${ptr}+${len}`);
    return this.memBytes.subarray(ptr, ptr + len);
  }

  /** Copies data[start, end) into memory the module allocates, and writes its address and length. */
  private give(data: Buffer, ptrOut: number, lenOut: number, start = 0, end = data.length): Status {
    const alloc = this.ex.proxy_on_memory_allocate ?? this.ex.malloc;
    if (!alloc) return Status.InvalidMemoryAccess;
    const len = Math.max(0, end - start); // a negative length (a u32 past 2^31 seen as i32) gives nothing
    const p = len ? alloc(len) : 0;
    if (len && !p) return Status.InvalidMemoryAccess;
    const v = this.view(); // after alloc, which may grow the memory
    if (len) data.copy(this.memBytes, p, start, end);
    v.setUint32(ptrOut, p, true);
    v.setUint32(lenOut, len, true);
    return Status.Ok;
  }

  private property(path: string[]): Buffer | undefined {
    const key = path.join(".");
    switch (key) {
      case "plugin_root_id":
        return Buffer.from(this.rootId);
      case "plugin_name":
        return Buffer.from(this.rootId);
      case "source.address":
        return this.current && Buffer.from(this.current.source);
      case "destination.address":
        return this.current && Buffer.from(this.current.destination);
      default:
        return undefined;
    }
  }

  private imports(): WebAssembly.ModuleImports {
    const count = (name: string) => {
      if (this.countCalls) this.calls.set(name, (this.calls.get(name) ?? 0) + 1);
    };
    const imp: Record<string, (...a: never[]) => unknown> = {
      proxy_log: (level: number, ptr: number, len: number) => {
        this.logger(LOG_LEVELS[level] ?? "info", this.bytes(ptr, len).toString("utf8"));
        return Status.Ok;
      },
      proxy_get_log_level: (out: number) => {
        this.view().setUint32(out, 2, true);
        return Status.Ok;
      },
      proxy_get_buffer_bytes: (type: number, start: number, max: number, ptrOut: number, lenOut: number) => {
        count("proxy_get_buffer_bytes");
        const buf = this.buffers.get(type);
        if (!buf) return Status.NotFound;
        if (start > buf.length) return Status.BadArgument;
        return this.give(buf, ptrOut, lenOut, start, Math.min(buf.length, start + max));
      },
      proxy_get_buffer_status: (type: number, lenOut: number, flagsOut: number) => {
        const buf = this.buffers.get(type);
        if (!buf) return Status.NotFound;
        const v = this.view();
        v.setUint32(lenOut, buf.length, true);
        v.setUint32(flagsOut, 0, true);
        return Status.Ok;
      },
      // Envoy's semantics (Buffer::copyFrom in source/extensions/common/wasm/context.cc): start 0
      // drops `size` bytes and prepends the data; start >= length appends; anything else is refused.
      proxy_set_buffer_bytes: (type: BufferType, start: number, size: number, ptr: number, len: number) => {
        count("proxy_set_buffer_bytes");
        const buf = this.buffers.get(type);
        if (!buf || type === BufferType.PluginConfiguration) return Status.NotFound;
        const data = Buffer.from(this.bytes(ptr, len));
        if (start === 0) this.buffers.set(type, Buffer.concat([data, buf.subarray(Math.min(size, buf.length))]));
        else if (start >= buf.length) this.buffers.set(type, Buffer.concat([buf, data]));
        else return Status.BadArgument;
        return Status.Ok;
      },
      proxy_define_metric: (type: MetricType, ptr: number, len: number, out: number) => {
        if (type > MetricType.Histogram) return Status.BadArgument;
        const id = this.metrics.define(type, this.bytes(ptr, len).toString("utf8"));
        this.view().setUint32(out, id, true);
        return Status.Ok;
      },
      proxy_increment_metric: (id: number, by: bigint) => {
        count("proxy_increment_metric");
        return this.metrics.increment(id, Number(by)) ? Status.Ok : Status.BadArgument;
      },
      proxy_record_metric: (id: number, v: bigint) => {
        count("proxy_record_metric");
        const n = Number(v); // the u64 arrives as a signed i64
        return this.metrics.record(id, n < 0 ? n + 2 ** 64 : n) ? Status.Ok : Status.BadArgument;
      },
      proxy_get_metric: (id: number, out: number) => {
        const v = this.metrics.get(id);
        if (v === undefined) return Status.BadArgument;
        this.view().setBigUint64(out, BigInt(v), true);
        return Status.Ok;
      },
      proxy_get_current_time_nanoseconds: (out: number) => {
        count("proxy_get_current_time_nanoseconds");
        this.view().setBigUint64(out, nowNanos(), true);
        return Status.Ok;
      },
      proxy_get_property: (ptr: number, len: number, ptrOut: number, lenOut: number) => {
        const path = this.bytes(ptr, len)
          .toString("utf8")
          .split("\0")
          .filter((s) => s.length);
        const v = this.property(path);
        return v ? this.give(v, ptrOut, lenOut) : Status.NotFound;
      },
      proxy_set_tick_period_milliseconds: (ms: number) => {
        this.setTickPeriod(ms);
        return Status.Ok;
      },
      ...headerMapImports(
        this.maps,
        (ptr, len) => this.bytes(ptr, len),
        (data, ptrOut, lenOut) => this.give(data, ptrOut, lenOut),
      ),
      proxy_set_effective_context: () => Status.Ok,
      proxy_continue_stream: () => {
        count("proxy_continue_stream");
        return Status.Unimplemented;
      },
      proxy_close_stream: () => {
        count("proxy_close_stream");
        return Status.Unimplemented;
      },
      proxy_done: () => Status.Ok,
      // Shared data and queues (host/wasm/shared.ts); kscope's tap uses them.
      proxy_get_shared_data: (kp: number, kl: number, vpOut: number, vlOut: number, casOut: number) => {
        count("proxy_get_shared_data");
        const e = this.shared.get(this.bytes(kp, kl).toString("utf8"));
        if (!e) return Status.NotFound;
        if (casOut) this.view().setUint32(casOut, e.cas, true);
        return this.give(e.value, vpOut, vlOut);
      },
      proxy_set_shared_data: (kp: number, kl: number, vp: number, vl: number, cas: number) =>
        this.shared.set(this.bytes(kp, kl).toString("utf8"), Buffer.from(this.bytes(vp, vl)), cas),
      proxy_register_shared_queue: (np: number, nl: number, idOut: number) => {
        this.view().setUint32(idOut, this.shared.register(this.bytes(np, nl).toString("utf8")), true);
        return Status.Ok;
      },
      proxy_resolve_shared_queue: (_vp: number, _vl: number, np: number, nl: number, idOut: number) => {
        const id = this.shared.resolve(this.bytes(np, nl).toString("utf8"));
        if (id === undefined) return Status.NotFound;
        this.view().setUint32(idOut, id, true);
        return Status.Ok;
      },
      proxy_enqueue_shared_queue: (id: number, vp: number, vl: number) => {
        count("proxy_enqueue_shared_queue");
        return this.shared.enqueue(id, Buffer.from(this.bytes(vp, vl)), { contextId: this.currentId, connection: this.current });
      },
      proxy_dequeue_shared_queue: (id: number, vpOut: number, vlOut: number) => {
        const item = this.shared.dequeue(id);
        if (item === null) return Status.NotFound;
        if (item === undefined) return Status.Empty;
        return this.give(item, vpOut, vlOut);
      },
    };
    return new Proxy(imp, {
      get: (t, name: string) => t[name] ?? (() => Status.Unimplemented),
    });
  }

  private wasi(): WebAssembly.ModuleImports {
    return {
      proc_exit: (code: number) => {
        throw new Error(`filter called proc_exit(${code})`);
      },
      fd_write: () => 52, // ENOSYS
      clock_time_get: (_id: number, _prec: bigint, out: number) => {
        this.view().setBigUint64(out, process.hrtime.bigint(), true);
        return 0;
      },
      random_get: () => 52,
    };
  }
}

/**
 * The filter's view of one proxied connection. After each data call, `output` holds the bytes to
 * forward (the filter may have replaced them); on Pause the proxy keeps them and presents them
 * again, followed by the next bytes, as Envoy does.
 */
export class FilterConnection {
  private closed = false;
  /** `generation` 0: made while the filter was down; the connection is forwarded unobserved. */
  constructor(
    private vm: ProxyWasmVm,
    readonly id: number,
    readonly info: ConnectionInfo,
    private readonly generation: number,
  ) {}
  get output(): Buffer {
    return this.vm.output;
  }
  downstream(chunk: Buffer, eos = false): Action {
    return this.vm.data(this.id, this.generation, BufferType.DownstreamData, chunk, eos, this.info);
  }
  upstream(chunk: Buffer, eos = false): Action {
    return this.vm.data(this.id, this.generation, BufferType.UpstreamData, chunk, eos, this.info);
  }
  close(peer: PeerType = PeerType.Unknown): void {
    if (this.closed) return;
    this.closed = true;
    this.vm.close(this.id, this.generation, peer, this.info);
  }
}

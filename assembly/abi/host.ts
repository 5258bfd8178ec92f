// Typed wrappers over the raw imports: the only place that handles host pointers.
import * as imp from "./imports";
import { BufferType, LogLevel, MapType, MetricType, Status } from "./enums";

// Two words the host writes results into (pointer + length, or a u64).
const OUT: usize = memory.data(16);

// A host returns bytes in memory it gets from proxy_on_memory_allocate. copyBuffer lends its
// destination for that one allocation, so the host writes the bytes where they are wanted: no
// second copy, no allocation.
let landing: usize = 0;
let landingSize: usize = 0;

/** proxy_on_memory_allocate: the lent destination if one is waiting and large enough, else the heap. */
export function allocate(size: usize): usize {
  if (landing != 0 && size <= landingSize) {
    const p = landing;
    landing = 0;
    return p;
  }
  return heap.alloc(size);
}

/** Copies bytes [start, start+len) of a host buffer to `dest`; returns bytes copied. */
export function copyBuffer(buffer: BufferType, start: i32, len: i32, dest: usize): i32 {
  if (len <= 0) return 0;
  landing = dest;
  landingSize = <usize>len;
  const status = imp.proxy_get_buffer_bytes(buffer, start, len, OUT, OUT + 4);
  landing = 0;
  if (status != Status.Ok) return 0;
  const ptr = load<u32>(OUT) as usize;
  const got = <i32>min(load<u32>(OUT + 4), <u32>len); // never more than asked, whatever the host says
  if (ptr == 0) return 0;
  if (ptr != dest) {
    memory.copy(dest, ptr, got);
    heap.free(ptr);
  }
  return got;
}

/**
 * Replaces bytes [start, start+size) of a host buffer with len bytes at ptr. Envoy accepts only
 * start 0 (drop `size` bytes, then prepend) or start >= the buffer's length (append).
 */
export function setBuffer(buffer: BufferType, start: i32, size: i32, ptr: usize, len: i32): bool {
  return imp.proxy_set_buffer_bytes(buffer, start, size, ptr, len) == Status.Ok;
}

/** The string the host just returned in OUT (pointer, length); frees the host's copy. */
function takeString(status: u32): string {
  if (status != Status.Ok) return "";
  const ptr = load<u32>(OUT) as usize;
  if (ptr == 0) return "";
  const s = String.UTF8.decodeUnsafe(ptr, load<u32>(OUT + 4));
  heap.free(ptr);
  return s;
}

/** A whole host buffer (plugin configuration) as a string; "" when absent. */
export function bufferString(buffer: BufferType, len: i32): string {
  return len > 0 ? takeString(imp.proxy_get_buffer_bytes(buffer, 0, len, OUT, OUT + 4)) : "";
}

/** A host property (e.g. "plugin_root_id", "source.address") as a string; "" when absent. */
export function property(path: string): string {
  const p = String.UTF8.encode(path);
  return takeString(imp.proxy_get_property(changetype<usize>(p), p.byteLength, OUT, OUT + 4));
}

/**
 * A host property addressed by path segments, e.g. ["node", "metadata", "WORKLOAD_NAME"].
 * proxy_get_property takes the segments joined by NUL bytes (Envoy's Context::getProperty).
 */
export function propertyPath(segments: string[]): string {
  return property(segments.join("\0"));
}

/** An integer property (Envoy answers int attributes as 8 little-endian bytes); -1 when absent. */
export function propertyInt(segments: string[]): i64 {
  const p = String.UTF8.encode(segments.join("\0"));
  if (imp.proxy_get_property(changetype<usize>(p), p.byteLength, OUT, OUT + 4) != Status.Ok) return -1;
  const ptr = load<u32>(OUT) as usize,
    len = load<u32>(OUT + 4);
  if (ptr == 0) return -1;
  const v = len == 8 ? load<i64>(ptr) : -1;
  heap.free(ptr);
  return v;
}

export function nowNanos(): u64 {
  imp.proxy_get_current_time_nanoseconds(OUT);
  return load<u64>(OUT);
}

export function log(level: LogLevel, msg: string): void {
  const b = String.UTF8.encode(msg);
  imp.proxy_log(level, changetype<usize>(b), b.byteLength);
}

/** Defines a metric; returns its id, or u32.MAX_VALUE if the host refused. */
export function defineMetric(type: MetricType, name: string): u32 {
  const b = String.UTF8.encode(name);
  if (imp.proxy_define_metric(type, changetype<usize>(b), b.byteLength, OUT) != Status.Ok) return u32.MAX_VALUE;
  return load<u32>(OUT);
}

export function incrementMetric(id: u32, by: i64): void {
  if (id != u32.MAX_VALUE && by != 0) imp.proxy_increment_metric(id, by);
}

export function recordMetric(id: u32, value: u64): void {
  if (id != u32.MAX_VALUE) imp.proxy_record_metric(id, value);
}

export function setTickPeriod(ms: u32): void {
  imp.proxy_set_tick_period_milliseconds(ms);
}

/** A shared-data value (shared by every VM of the host) as a string; "" when absent. */
export function sharedData(key: ArrayBuffer): string {
  return takeString(imp.proxy_get_shared_data(changetype<usize>(key), key.byteLength, OUT, OUT + 4, OUT + 8));
}

/** A shared-data entry as read: the host's status (Ok, NotFound, ...), value and CAS version. */
export class SharedEntry {
  constructor(
    readonly status: u32,
    readonly value: string,
    readonly cas: u32,
  ) {}
}

export function getShared(key: string): SharedEntry {
  const k = String.UTF8.encode(key);
  const st = imp.proxy_get_shared_data(changetype<usize>(k), k.byteLength, OUT, OUT + 4, OUT + 8);
  if (st != Status.Ok) return new SharedEntry(st, "", 0);
  const cas = load<u32>(OUT + 8);
  return new SharedEntry(st, takeString(st), cas);
}

/** Sets a shared-data entry; with cas != 0 only if it is still at that version (else CasMismatch). */
export function setShared(key: string, value: string, cas: u32): u32 {
  const k = String.UTF8.encode(key),
    v = String.UTF8.encode(value);
  return imp.proxy_set_shared_data(changetype<usize>(k), k.byteLength, changetype<usize>(v), v.byteLength, cas);
}

/** Registers a shared queue this VM writes to; u32.MAX_VALUE if the host has none. */
export function registerQueue(name: string): u32 {
  const b = String.UTF8.encode(name);
  return imp.proxy_register_shared_queue(changetype<usize>(b), b.byteLength, OUT) == Status.Ok ? load<u32>(OUT) : u32.MAX_VALUE;
}

export function enqueue(queue: u32, message: string): bool {
  const b = String.UTF8.encode(message);
  return imp.proxy_enqueue_shared_queue(queue, changetype<usize>(b), b.byteLength) == Status.Ok;
}

/** A header's value (e.g. ":status", "grpc-status"); "" when absent. */
export function header(map: MapType, name: string): string {
  const k = String.UTF8.encode(name);
  return takeString(imp.proxy_get_header_map_value(map, changetype<usize>(k), k.byteLength, OUT, OUT + 4));
}

/** Adds a header (a new entry; the caller checks that none is there). */
export function addHeader(map: MapType, name: string, value: string): void {
  const k = String.UTF8.encode(name),
    v = String.UTF8.encode(value);
  imp.proxy_add_header_map_value(map, changetype<usize>(k), k.byteLength, changetype<usize>(v), v.byteLength);
}

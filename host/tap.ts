// The host side of `kscope tap`. While at least one client streams GET /api/tap, the shared
// flag "kscope.tap" is "1" and the filter enqueues one JSON event per request and response on
// the shared queue "kscope.tap" (assembly/filter/tap.ts); each event is stamped with time and
// connection, filtered per subscriber, and written as one NDJSON line. No subscriber: flag "0",
// and the filter writes nothing.
import { ProxyWasmVm } from "./wasm/vm";
import { EnqueueOrigin } from "./wasm/shared";

export const TAP_KEY = "kscope.tap";
export const TAP_QUEUE = "kscope.tap";

export interface TapEvent {
  ev: "req" | "rsp";
  id: number;
  client: string;
  api: string;
  version: number;
  topics: string[];
  partitions: number;
  records: number;
  bytes: number;
  group?: string;
  error?: string;
  errors?: number;
  latencyUs?: number;
  noResponse?: boolean;
  /** Added by the host: milliseconds since the epoch, connection id and client address. */
  ts: number;
  conn?: number;
  src?: string;
}

export interface TapFilter {
  topic?: string;
  group?: string;
  client?: string;
  api?: string;
}

export function tapMatches(e: TapEvent, f: TapFilter): boolean {
  if (f.topic && !e.topics.includes(f.topic)) return false;
  if (f.client && e.client !== f.client) return false;
  if (f.api && e.api.toLowerCase() !== f.api.toLowerCase()) return false;
  if (f.group && e.group !== f.group) return false;
  return true;
}

interface Subscriber {
  filter: TapFilter;
  write(line: string): boolean;
}

export class TapHub {
  private subs = new Set<Subscriber>();
  dropped = 0;
  /** Whether the loaded filter can tap at all (it imports the shared-queue calls). */
  readonly supported: boolean;

  constructor(private vm: ProxyWasmVm | undefined) {
    this.supported = !!vm && vm.moduleImports.has("proxy_enqueue_shared_queue") && vm.moduleImports.has("proxy_get_shared_data");
    vm?.shared.set(TAP_KEY, Buffer.from("0"));
    vm?.shared.listen(TAP_QUEUE, (data, origin) => this.publish(data, origin));
  }

  get subscribers(): number {
    return this.subs.size;
  }

  /** Whether a VM (filter) is loaded at all. */
  get filter(): boolean {
    return !!this.vm;
  }

  subscribe(filter: TapFilter, write: (line: string) => boolean): () => void {
    const s: Subscriber = { filter, write };
    this.subs.add(s);
    this.vm?.shared.set(TAP_KEY, Buffer.from("1"));
    return () => {
      this.subs.delete(s);
      if (this.subs.size === 0) this.vm?.shared.set(TAP_KEY, Buffer.from("0"));
    };
  }

  private publish(data: Buffer, origin: EnqueueOrigin): void {
    if (this.subs.size === 0) return;
    let e: TapEvent;
    try {
      e = JSON.parse(data.toString("utf8")) as TapEvent;
    } catch {
      this.dropped++;
      return;
    }
    e.ts = Date.now();
    if (origin.contextId !== undefined) e.conn = origin.contextId;
    if (origin.connection) e.src = origin.connection.source;
    const line = JSON.stringify(e) + "\n";
    for (const s of this.subs) if (tapMatches(e, s.filter) && !s.write(line)) this.dropped++;
  }
}

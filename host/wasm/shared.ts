// proxy-wasm shared data and shared queues (ABI 0.2.1), as Envoy keeps them per host: a
// key-value map with compare-and-swap counters, and named queues. kscope uses them for tap
// (host/tap.ts): the host sets the flag "kscope.tap", the filter enqueues events.
import { Status } from "./abi";
import { ConnectionInfo } from "./vm";

/** Who enqueued: the context of the callback in progress, when there is one. */
export interface EnqueueOrigin {
  contextId?: number;
  connection?: ConnectionInfo;
}

interface Queue {
  id: number;
  name: string;
  items: Buffer[];
  listener?: (data: Buffer, origin: EnqueueOrigin) => void;
}

const MAX_QUEUED = 10_000;

export class SharedState {
  private data = new Map<string, { value: Buffer; cas: number }>();
  private queues = new Map<number, Queue>();
  private byName = new Map<string, Queue>();
  private nextQueue = 1;

  get(key: string): { value: Buffer; cas: number } | undefined {
    return this.data.get(key);
  }

  set(key: string, value: Buffer, cas = 0): Status {
    const cur = this.data.get(key);
    if (cas !== 0 && cur && cur.cas !== cas) return Status.CasMismatch;
    this.data.set(key, { value, cas: (cur?.cas ?? 0) + 1 });
    return Status.Ok;
  }

  register(name: string): number {
    let q = this.byName.get(name);
    if (!q) {
      q = { id: this.nextQueue++, name, items: [] };
      this.queues.set(q.id, q);
      this.byName.set(name, q);
    }
    return q.id;
  }

  resolve(name: string): number | undefined {
    return this.byName.get(name)?.id;
  }

  /** A listener takes each item as it is enqueued (nothing is kept); otherwise items wait, bounded. */
  listen(name: string, fn: ((data: Buffer, origin: EnqueueOrigin) => void) | undefined): void {
    this.queues.get(this.register(name))!.listener = fn;
  }

  enqueue(id: number, data: Buffer, origin: EnqueueOrigin): Status {
    const q = this.queues.get(id);
    if (!q) return Status.NotFound;
    if (q.listener) {
      q.listener(data, origin);
      return Status.Ok;
    }
    if (q.items.length >= MAX_QUEUED) q.items.shift();
    q.items.push(data);
    return Status.Ok;
  }

  dequeue(id: number): Buffer | undefined | null {
    const q = this.queues.get(id);
    if (!q) return null;
    return q.items.shift();
  }
}

// Requests awaiting their response on one connection. Kafka answers in request order, so the
// match is almost always the oldest entry; older entries skipped over never got a response.

export class InFlight {
  correlationId: i32 = 0;
  apiKey: i16 = 0;
  apiVersion: i16 = 0;
  /** Host time (ns) when the request's last byte passed. */
  sentAt: u64 = 0;
}

export class InFlightQueue<T extends InFlight> {
  private items: Array<T> = [];
  private head: i32 = 0;

  get size(): i32 {
    return this.items.length - this.head;
  }

  push(e: T): void {
    if (this.head > 32 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    this.items.push(e);
  }

  has(correlationId: i32): bool {
    for (let i = this.head; i < this.items.length; i++) {
      if (unchecked(this.items[i]).correlationId == correlationId) return true;
    }
    return false;
  }

  /** Removes the oldest entry; only call when size > 0. */
  shift(): T {
    const e = this.items[this.head++];
    if (this.head == this.items.length) {
      this.items.length = 0;
      this.head = 0;
    }
    return e;
  }
}

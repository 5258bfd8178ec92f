// One connection's view of the metrics: which workload's series its events go to. The identity is
// resolved once, when the first event needs it (a per-client proxy names the client by its
// certificate, its peer address, or the client id of its first request); every event then sets
// that workload's labels and goes to its MetricsObserver.
import { busy } from "../abi/gc";
import { nowNanos } from "../abi/host";
import { GiveUp } from "../kafka/framer";
import { Exchange, SessionObserver, Undecoded } from "../kafka/session";
import { inc, setCommonLabels } from "../metrics/registry";
import { MetricsObserver } from "./observer";

/** What a connection needs from the root: the observer of the workload a connection resolves to. */
export abstract class Observers {
  /** The proxy's own workload names every connection (no per-client naming). */
  abstract fixed(): MetricsObserver | null;
  /** The observer for a client, from its connection's properties and first client id. */
  abstract forClient(clientId: string): MetricsObserver;
}

export class ConnectionObserver extends SessionObserver {
  private target: MetricsObserver | null = null;
  private closed: bool = false;

  constructor(private observers: Observers) {
    super();
    const f = observers.fixed();
    if (f != null) this.bind(f);
  }

  now(): u64 {
    return nowNanos();
  }
  get recyclesExchanges(): bool {
    return true;
  }

  private bind(o: MetricsObserver): void {
    this.target = o;
    setCommonLabels(o.labels);
    inc(o.conn.total);
    inc(o.conn.active, 1);
  }

  /** The workload's observer, its labels current for the series defined during the event. */
  @inline private to(clientId: string): MetricsObserver {
    busy(); // an event may allocate: the callback counts towards a collection (../abi/gc.ts)
    let o = this.target;
    if (o == null) {
      o = this.observers.forClient(clientId);
      this.bind(o);
    } else setCommonLabels(o.labels);
    return o;
  }

  request(ex: Exchange): void {
    this.to(ex.clientId).request(ex);
  }
  response(ex: Exchange): void {
    this.to(ex.clientId).response(ex);
  }
  abandoned(ex: Exchange): void {
    this.to(ex.clientId).abandoned(ex);
  }
  undecoded(response: bool, reason: Undecoded): void {
    this.to("").undecoded(response, reason);
  }
  gaveUp(reason: GiveUp): void {
    this.to("").gaveUp(reason);
  }

  /** The connection ended (a connection that never spoke is named without a client id). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const o = this.to("");
    inc(o.conn.active, -1);
  }
}

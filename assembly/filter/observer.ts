// Turns what a session sees into metrics. The only place that maps Kafka events to series.
import { nowNanos } from "../abi/host";
import { GiveUp } from "../kafka/framer";
import { Exchange, SessionObserver, Undecoded } from "../kafka/session";
import { ApiMetrics, ConnectionMetrics, apiVersionIndex } from "../metrics/kafka";
import { inc, observe } from "../metrics/registry";

export class MetricsObserver extends SessionObserver {
  constructor(readonly conn: ConnectionMetrics, readonly api: ApiMetrics) { super(); }

  now(): u64 { return nowNanos(); }

  request(ex: Exchange): void {
    inc(this.api.requests.id(apiVersionIndex(ex.apiKey, ex.apiVersion)));
    inc(this.api.requestBytes.id(ex.apiKey), ex.requestBytes);
    if (ex.expectsResponse) inc(this.conn.inFlight, 1);
  }

  response(ex: Exchange): void {
    inc(this.conn.inFlight, -1);
    inc(this.api.responses.id(apiVersionIndex(ex.apiKey, ex.apiVersion)));
    inc(this.api.responseBytes.id(ex.apiKey), ex.responseBytes);
    const micros = ex.receivedAt > ex.sentAt ? (ex.receivedAt - ex.sentAt) / 1000 : 0;
    observe(this.api.duration.id(ex.apiKey), micros);
  }

  abandoned(ex: Exchange): void { inc(this.conn.inFlight, -1); }

  undecoded(response: bool, reason: Undecoded): void {
    inc(this.api.undecoded.id((<i32>reason << 1) | (response ? 1 : 0)));
  }

  gaveUp(reason: GiveUp): void { inc(this.conn.unparsed.id(reason)); }
}

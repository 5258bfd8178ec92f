// The HTTP filter root (root_id "kscope_http", same module): one context per request; counts it
// with both ends named, when the stream ends (proxy_on_log).
//
// How each end is known (a metadata exchange in the spirit of Istio's, with plain headers):
// - The caller's proxy (reporter "source") is the source. It adds `x-kscope-workload` and
//   `x-kscope-namespace` naming itself to the request, unless the request has them already (then
//   the application's value is kept). The destination is what the callee's proxy answers in the
//   same response headers, else the configured "destination", else "unknown".
// - The callee's proxy (reporter "destination") is the destination. The source is the request's
//   x-kscope-* headers, else the peer certificate's SPIFFE id or the "clients" rules (as for Kafka,
//   identity.ts), else "unknown". It adds its own name to the response unless already there.
// The reporter is configured ("reporter"), else Envoy's listener direction (OUTBOUND: source),
// else "destination". Header values come from clients: they are bounded by the workload budget.
import { Action, MapType } from "../abi/enums";
import { Context, RootContext } from "../abi/context";
import { addHeader, header, nowNanos, propertyInt, propertyPath } from "../abi/host";
import { HttpRequest, codeLabel, grpcLabel, httpDurationId, httpRequestsId, methodLabel } from "../metrics/http";
import { inc, observe } from "../metrics/registry";
import { Config, readConfig } from "./config";
import { Identity, UNKNOWN, bounded, workloadLabels } from "./identity";
import * as L from "../../vocabulary/labels";

export const WORKLOAD_HEADER = "x-kscope-workload";
export const NAMESPACE_HEADER = "x-kscope-namespace";
/** Envoy's xds.listener_direction value for an outbound listener (envoy.config.core.v3.TrafficDirection). */
const OUTBOUND: i64 = 2;

export class HttpRoot extends RootContext {
  config: Config = new Config();
  own: Identity = new Identity(UNKNOWN, UNKNOWN);
  /** The configured reporter; when none, each stream's listener direction decides. */
  private fixedSource: i32 = -1;

  onConfigure(size: usize): bool {
    const config = readConfig(size);
    if (config == null) return false;
    this.config = config;
    const c = this.config;
    this.own = new Identity(c.workload.length ? c.workload : UNKNOWN, c.namespace.length ? c.namespace : UNKNOWN);
    workloadLabels.limit = c.maxLabelValues;
    this.fixedSource = c.reporter.length ? (c.reporter == L.REPORTER_SOURCE ? 1 : 0) : -1;
    return true;
  }

  /** Whether this stream's proxy is the caller's (reporter "source"): configured, else the listener's direction. */
  isSource(): bool {
    return this.fixedSource >= 0 ? this.fixedSource == 1 : listenerDirection() == OUTBOUND;
  }

  createContext(id: u32): Context {
    return new HttpStream(id, this);
  }
}

/** Envoy's listener direction (envoy.config.core.v3.TrafficDirection) of the current stream; -1 when the host has none. */
function listenerDirection(): i64 {
  return propertyInt(["xds", "listener_direction"]);
}

class HttpStream extends Context {
  private req: HttpRequest = new HttpRequest();
  private start: u64 = 0;
  private done: bool = false;
  private http: HttpRoot;
  private source: bool = false;

  constructor(id: u32, root: HttpRoot) {
    super(id, root);
    this.http = root;
  }

  onRequestHeaders(headers: u32, endOfStream: bool): Action {
    const root = this.http,
      r = this.req;
    this.start = nowNanos();
    this.source = root.isSource();
    r.method = methodLabel(header(MapType.RequestHeaders, ":method"));
    const w = header(MapType.RequestHeaders, WORKLOAD_HEADER);
    if (this.source) {
      r.reporter = L.REPORTER_SOURCE;
      this.set(true, root.own);
      if (w.length == 0) {
        addHeader(MapType.RequestHeaders, WORKLOAD_HEADER, root.own.workload);
        if (header(MapType.RequestHeaders, NAMESPACE_HEADER).length == 0)
          addHeader(MapType.RequestHeaders, NAMESPACE_HEADER, root.own.namespace);
      }
    } else {
      r.reporter = L.REPORTER_DESTINATION;
      this.set(false, root.own);
      let src: Identity;
      if (w.length) src = bounded(new Identity(w, orUnknown(header(MapType.RequestHeaders, NAMESPACE_HEADER))));
      else {
        const resolver = root.config.resolver;
        src =
          resolver != null
            ? resolver.resolve(propertyPath(["connection", "uri_san_peer_certificate"]), propertyPath(["source", "address"]), "")
            : new Identity(UNKNOWN, UNKNOWN);
      }
      this.set(true, src);
    }
    return Action.Continue;
  }

  onResponseHeaders(headers: u32, endOfStream: bool): Action {
    const root = this.http,
      r = this.req;
    r.code = codeLabel(header(MapType.ResponseHeaders, ":status"));
    const g = grpcLabel(header(MapType.ResponseHeaders, "grpc-status")); // trailers-only gRPC responses
    if (g.length) r.grpc = g;
    const w = header(MapType.ResponseHeaders, WORKLOAD_HEADER);
    if (this.source) {
      const d = root.config.destination;
      if (w.length) this.set(false, bounded(new Identity(w, orUnknown(header(MapType.ResponseHeaders, NAMESPACE_HEADER)))));
      else this.set(false, d != null ? d : new Identity(UNKNOWN, UNKNOWN));
    } else if (w.length == 0) {
      addHeader(MapType.ResponseHeaders, WORKLOAD_HEADER, root.own.workload);
      if (header(MapType.ResponseHeaders, NAMESPACE_HEADER).length == 0)
        addHeader(MapType.ResponseHeaders, NAMESPACE_HEADER, root.own.namespace);
    }
    return Action.Continue;
  }

  onResponseTrailers(trailers: u32): Action {
    const g = grpcLabel(header(MapType.ResponseTrailers, "grpc-status"));
    if (g.length) this.req.grpc = g;
    return Action.Continue;
  }

  /** The stream is over (Envoy: access-log time): count it once. */
  onLog(): void {
    if (this.done || this.start == 0) return;
    this.done = true;
    const r = this.req;
    if (r.sourceWorkload.length == 0) this.set(true, new Identity(UNKNOWN, UNKNOWN));
    if (r.destinationWorkload.length == 0)
      this.set(
        false,
        this.source
          ? this.http.config.destination != null
            ? this.http.config.destination!
            : new Identity(UNKNOWN, UNKNOWN)
          : this.http.own,
      );
    inc(httpRequestsId(r));
    const now = nowNanos();
    observe(httpDurationId(r), now > this.start ? (now - this.start) / 1000 : 0);
  }

  private set(source: bool, id: Identity): void {
    const r = this.req;
    if (source) {
      r.sourceWorkload = id.workload;
      r.sourceNamespace = orUnknown(id.namespace);
    } else {
      r.destinationWorkload = id.workload;
      r.destinationNamespace = orUnknown(id.namespace);
    }
  }
}

function orUnknown(v: string): string {
  return v.length ? v : UNKNOWN;
}

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
import { Action, LogLevel, MapType } from "../abi/enums";
import { Context, RootContext } from "../abi/context";
import { addHeader, bufferString, header, log, nowNanos, propertyPath } from "../abi/host";
import { BufferType } from "../abi/enums";
import { HttpRequest, codeLabel, grpcLabel, httpDurationId, httpRequestsId, methodLabel } from "../metrics/http";
import { inc, observe } from "../metrics/registry";
import { Config, parseConfig, resolveIdentity } from "./config";
import { Identity, UNKNOWN, bounded, workloadLabels } from "./identity";
import * as L from "../../vocabulary/labels";

export const WORKLOAD_HEADER = "x-kscope-workload";
export const NAMESPACE_HEADER = "x-kscope-namespace";
/** Envoy's xds.listener_direction value for an outbound listener (envoy.config.core.v3.TrafficDirection). */
const OUTBOUND = "2";

export class HttpRoot extends RootContext {
  config: Config = new Config();
  own: Identity = new Identity(UNKNOWN, UNKNOWN);
  source: bool = false;

  onConfigure(size: usize): bool {
    const parsed = parseConfig(bufferString(BufferType.PluginConfiguration, <i32>size));
    if (parsed.error.length) {
      log(LogLevel.Error, "invalid plugin configuration: " + parsed.error);
      return false;
    }
    this.config = parsed.config;
    resolveIdentity(this.config);
    const c = this.config;
    this.own = new Identity(c.workload.length ? c.workload : UNKNOWN, c.namespace.length ? c.namespace : UNKNOWN);
    workloadLabels.limit = c.maxLabelValues;
    if (c.reporter.length) this.source = c.reporter == L.REPORTER_SOURCE;
    else this.source = listenerDirection() == OUTBOUND;
    return true;
  }

  createContext(id: u32): Context { return new HttpStream(id, this); }
}

/** Envoy's listener direction as a decimal string ("" when the host has none); the value is an int64. */
function listenerDirection(): string {
  const v = propertyPath(["xds", "listener_direction"]);
  if (v.length == 8) return (<u64>v.charCodeAt(0)).toString(); // raw little-endian int64: the low byte is the enum
  return v;
}

class HttpStream extends Context {
  private req: HttpRequest = new HttpRequest();
  private start: u64 = 0;
  private done: bool = false;
  private http: HttpRoot;

  constructor(id: u32, root: HttpRoot) { super(id, root); this.http = root; }

  onRequestHeaders(headers: u32, endOfStream: bool): Action {
    const root = this.http, r = this.req;
    this.start = nowNanos();
    r.method = methodLabel(header(MapType.RequestHeaders, ":method"));
    const w = header(MapType.RequestHeaders, WORKLOAD_HEADER);
    if (root.source) {
      r.reporter = L.REPORTER_SOURCE;
      this.set(true, root.own);
      if (w.length == 0) {
        addHeader(MapType.RequestHeaders, WORKLOAD_HEADER, root.own.workload);
        if (header(MapType.RequestHeaders, NAMESPACE_HEADER).length == 0) addHeader(MapType.RequestHeaders, NAMESPACE_HEADER, root.own.namespace);
      }
    } else {
      r.reporter = L.REPORTER_DESTINATION;
      this.set(false, root.own);
      let src: Identity;
      if (w.length) src = bounded(new Identity(w, orUnknown(header(MapType.RequestHeaders, NAMESPACE_HEADER))));
      else {
        const resolver = root.config.resolver;
        src = resolver != null
          ? resolver.resolve(propertyPath(["connection", "uri_san_peer_certificate"]), propertyPath(["source", "address"]), "")
          : new Identity(UNKNOWN, UNKNOWN);
      }
      this.set(true, src);
    }
    return Action.Continue;
  }

  onResponseHeaders(headers: u32, endOfStream: bool): Action {
    const root = this.http, r = this.req;
    r.code = codeLabel(header(MapType.ResponseHeaders, ":status"));
    const g = grpcLabel(header(MapType.ResponseHeaders, "grpc-status")); // trailers-only gRPC responses
    if (g.length) r.grpc = g;
    const w = header(MapType.ResponseHeaders, WORKLOAD_HEADER);
    if (root.source) {
      const d = root.config.destination;
      if (w.length) this.set(false, bounded(new Identity(w, orUnknown(header(MapType.ResponseHeaders, NAMESPACE_HEADER)))));
      else this.set(false, d != null ? d : new Identity(UNKNOWN, UNKNOWN));
    } else if (w.length == 0) {
      addHeader(MapType.ResponseHeaders, WORKLOAD_HEADER, root.own.workload);
      if (header(MapType.ResponseHeaders, NAMESPACE_HEADER).length == 0) addHeader(MapType.ResponseHeaders, NAMESPACE_HEADER, root.own.namespace);
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
    if (r.destinationWorkload.length == 0) this.set(false, this.http.source ? (this.http.config.destination != null ? this.http.config.destination! : new Identity(UNKNOWN, UNKNOWN)) : this.http.own);
    inc(httpRequestsId(r));
    const now = nowNanos();
    observe(httpDurationId(r), now > this.start ? (now - this.start) / 1000 : 0);
  }

  private set(source: bool, id: Identity): void {
    const r = this.req;
    if (source) { r.sourceWorkload = id.workload; r.sourceNamespace = orUnknown(id.namespace); }
    else { r.destinationWorkload = id.workload; r.destinationNamespace = orUnknown(id.namespace); }
  }
}

function orUnknown(v: string): string { return v.length ? v : UNKNOWN; }

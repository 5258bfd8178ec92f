// HTTP series of the HTTP filter root, with Istio's label names where the meaning is the same
// (istio_requests_total): reporter, source_/destination_workload(_namespace), method,
// response_code, response_class, grpc_status. Every label value is bounded: workloads by the
// workload label budget (filter/identity.ts), methods to the standard ones, codes to numbers.
import { MetricType } from "../abi/enums";
import { label, series, setCommonLabels } from "./registry";
import * as M from "../../vocabulary/metrics";
import * as L from "../../vocabulary/labels";

const METHODS: StaticArray<string> = ["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"];

/** The method, or "other" for one HTTP does not define (the value is client-chosen). */
export function methodLabel(m: string): string {
  for (let i = 0; i < METHODS.length; i++) if (unchecked(METHODS[i]) == m) return m;
  return "other";
}

/** ":status" as a code label: 100..599, else "0" (no response, or not a status). */
export function codeLabel(status: string): string {
  if (status.length != 3) return "0";
  for (let i = 0; i < 3; i++) {
    const c = status.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return "0";
  }
  const n = I32.parseInt(status);
  return n >= 100 && n <= 599 ? status : "0";
}

/** "2xx" for "200"; "0" stays "0" (Istio's value for a request that got no response). */
export function classLabel(code: string): string {
  return code == "0" ? "0" : code.charAt(0) + "xx";
}

/** grpc-status 0..16 as given; another value "other"; "" when absent. */
export function grpcLabel(v: string): string {
  if (v.length == 0) return "";
  if (v.length > 2) return "other";
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return "other";
  }
  return I32.parseInt(v) <= 16 ? v : "other";
}

/** One finished request, as its labels. */
export class HttpRequest {
  reporter: string = "";
  sourceWorkload: string = "";
  sourceNamespace: string = "";
  destinationWorkload: string = "";
  destinationNamespace: string = "";
  method: string = "";
  code: string = "0";
  grpc: string = "";
}

function id(type: MetricType, name: string, labels: string): u32 {
  setCommonLabels(""); // HTTP labels name both ends; the Kafka root's workload labels do not apply
  return series(type, name, labels);
}

/** kscope_http_requests_total and kscope_http_request_duration_microseconds ids of a request. */
export function httpRequestsId(r: HttpRequest): u32 {
  let l = peers(r) + label(L.method, r.method) + label(L.responseCode, r.code) + label(L.responseClass, classLabel(r.code));
  if (r.grpc.length) l += label(L.grpcStatus, r.grpc);
  return id(MetricType.Counter, M.httpRequests, l);
}

export function httpDurationId(r: HttpRequest): u32 {
  return id(MetricType.Histogram, M.httpDuration, peers(r));
}

function peers(r: HttpRequest): string {
  return (
    label(L.reporter, r.reporter) +
    label(L.sourceWorkload, r.sourceWorkload) +
    label(L.sourceNamespace, r.sourceNamespace) +
    label(L.destinationWorkload, r.destinationWorkload) +
    label(L.destinationNamespace, r.destinationNamespace)
  );
}

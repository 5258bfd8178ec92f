// kscope's metric vocabulary: every series the filter emits is named here, nowhere else.
// The README's metric table mirrors this file.
import { MetricType } from "../abi/enums";
import { API_KEY_COUNT } from "../kafka/generated/apis";
import { apiName } from "../kafka/header";
import { GIVE_UP_REASONS } from "../kafka/framer";
import { IndexedFamily, label, series } from "./registry";

export const VERSION_SLOTS: i32 = 32;

function apiLabel(i: i32): string { return label("api", apiName(<i16>i)); }
function apiVersionLabels(i: i32): string {
  return label("api", apiName(<i16>(i / VERSION_SLOTS))) + label("version", (i % VERSION_SLOTS).toString());
}
function reasonLabel(i: i32): string { return label("reason", GIVE_UP_REASONS[i]); }

export const UNDECODED_REASONS: StaticArray<string> = ["unknown_version", "malformed", "unmatched"];
export const enum Undecoded { UnknownVersion = 0, Malformed = 1, Unmatched = 2 }
function undecodedLabel(i: i32): string {
  return label("direction", i & 1 ? "response" : "request") + label("reason", UNDECODED_REASONS[i >> 1]);
}

/** Index of an (api, version) pair in the per-version families. */
export function apiVersionIndex(key: i16, version: i16): i32 {
  return <i32>key * VERSION_SLOTS + min(max(<i32>version, 0), VERSION_SLOTS - 1);
}

export class ConnectionMetrics {
  readonly total: u32 = series(MetricType.Counter, "kscope_connections_total", "");
  readonly active: u32 = series(MetricType.Gauge, "kscope_connections_active", "");
  readonly unparsed: IndexedFamily = new IndexedFamily(MetricType.Counter, "kscope_connections_unparsed_total", GIVE_UP_REASONS.length, reasonLabel);
  readonly inFlight: u32 = series(MetricType.Gauge, "kscope_requests_in_flight", "");
}

export class ApiMetrics {
  readonly requests: IndexedFamily = new IndexedFamily(MetricType.Counter, "kscope_requests_total", API_KEY_COUNT * VERSION_SLOTS, apiVersionLabels);
  readonly responses: IndexedFamily = new IndexedFamily(MetricType.Counter, "kscope_responses_total", API_KEY_COUNT * VERSION_SLOTS, apiVersionLabels);
  readonly requestBytes: IndexedFamily = new IndexedFamily(MetricType.Counter, "kscope_request_bytes_total", API_KEY_COUNT, apiLabel);
  readonly responseBytes: IndexedFamily = new IndexedFamily(MetricType.Counter, "kscope_response_bytes_total", API_KEY_COUNT, apiLabel);
  /** Microseconds: proxy-wasm histograms take integers and Envoy exports them unscaled. */
  readonly duration: IndexedFamily = new IndexedFamily(MetricType.Histogram, "kscope_request_duration_microseconds", API_KEY_COUNT, apiLabel);
  readonly undecoded: IndexedFamily = new IndexedFamily(MetricType.Counter, "kscope_frames_undecoded_total", UNDECODED_REASONS.length * 2, undecodedLabel);
}

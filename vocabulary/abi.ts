// proxy-wasm ABI 0.2.1's numeric values (the spec, and Envoy's): the one definition shared by the
// filter (asc, through assembly/abi/enums.ts) and kscope's host (tsc, through host/wasm/abi.ts).

export const enum Action {
  Continue = 0,
  Pause = 1,
}
export const enum BufferType {
  DownstreamData = 2,
  UpstreamData = 3,
  VmConfiguration = 6,
  PluginConfiguration = 7,
}
export const enum MetricType {
  Counter = 0,
  Gauge = 1,
  Histogram = 2,
}
export const enum LogLevel {
  Trace = 0,
  Debug = 1,
  Info = 2,
  Warn = 3,
  Error = 4,
  Critical = 5,
}
export const enum PeerType {
  Unknown = 0,
  Local = 1,
  Remote = 2,
}
export const enum Status {
  Ok = 0,
  NotFound = 1,
  BadArgument = 2,
  InvalidMemoryAccess = 6,
  Empty = 7,
  CasMismatch = 8,
  Unimplemented = 12,
}
export const enum MapType {
  RequestHeaders = 0,
  RequestTrailers = 1,
  ResponseHeaders = 2,
  ResponseTrailers = 3,
}

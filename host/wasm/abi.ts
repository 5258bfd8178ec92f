// proxy-wasm ABI 0.2.1 constants, as in the spec and in Envoy.
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
export const enum Status {
  Ok = 0,
  NotFound = 1,
  BadArgument = 2,
  InvalidMemoryAccess = 6,
  Empty = 7,
  Unimplemented = 12,
}
export const enum PeerType {
  Unknown = 0,
  Local = 1,
  Remote = 2,
}
export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "critical"];
export const enum MapType {
  RequestHeaders = 0,
  RequestTrailers = 1,
  ResponseHeaders = 2,
  ResponseTrailers = 3,
}

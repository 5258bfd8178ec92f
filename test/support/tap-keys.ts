// What a tap event may carry: names, counts, sizes and where it came from. Written out here, not
// taken from the code, so a field added to the events (a payload, a token) fails the tests.
export const TAP_EVENT_KEYS: ReadonlySet<string> = new Set([
  "ev",
  "id",
  "client",
  "api",
  "version",
  "topics",
  "partitions",
  "records",
  "bytes",
  "group",
  "error",
  "errors",
  "latencyUs",
  "noResponse",
  "ts",
  "conn",
  "src",
]);

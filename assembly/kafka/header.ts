// Request and response headers. Header version follows from the API's flexible versions:
// request header v1 (+ client_id) or v2 (+ tags); response header v0 or v1 (+ tags), except
// ApiVersions responses, which always use v0 (KIP-511). client_id keeps an int16 length even in v2.
import { Cursor } from "./cursor";
import { API_FLEX_REQUEST, API_FLEX_RESPONSE, API_KEY_COUNT, API_MAX_VERSION, API_MIN_VERSION, API_NAMES } from "./generated/apis";

export const API_VERSIONS: i16 = 18;
export const MAX_CLIENT_ID: i32 = 256;

export function knownApi(key: i16): bool {
  return key >= 0 && <i32>key < API_KEY_COUNT && API_NAMES[key].length > 0;
}

export function knownVersion(key: i16, version: i16): bool {
  return knownApi(key) && version >= API_MIN_VERSION[key] && version <= API_MAX_VERSION[key];
}

export function apiName(key: i16): string {
  return knownApi(key) ? API_NAMES[key] : "unknown";
}

export function flexibleRequest(key: i16, version: i16): bool {
  const f = API_FLEX_REQUEST[key];
  return f >= 0 && version >= f;
}

export function flexibleResponse(key: i16, version: i16): bool {
  if (key == API_VERSIONS) return false;
  const f = API_FLEX_RESPONSE[key];
  return f >= 0 && version >= f;
}

export class RequestHeader {
  apiKey: i16 = -1;
  apiVersion: i16 = -1;
  correlationId: i32 = 0;
  /** Where the client id sits in the kept bytes (-1: null). */
  clientIdAt: i32 = -1;
  clientIdLen: i32 = 0;
  flexible: bool = false;
}

/** Reads a request header; false when the bytes are not a Kafka request header. */
export function readRequestHeader(c: Cursor, h: RequestHeader): bool {
  h.apiKey = c.i16();
  h.apiVersion = c.i16();
  h.correlationId = c.i32();
  if (!c.ok) return true; // short: the caller asks for more
  if (!knownApi(h.apiKey) || h.apiVersion < 0) return false;
  const n = c.strLen(false);
  h.clientIdAt = n >= 0 ? c.pos : -1;
  h.clientIdLen = max(n, 0);
  if (n > 0) c.skip(n);
  h.flexible = knownVersion(h.apiKey, h.apiVersion) && flexibleRequest(h.apiKey, h.apiVersion);
  if (h.flexible) c.skipTags();
  return c.ok || c.short;
}

// Tap: one event per request and per response for `kscope tap`, written only while someone taps.
//
// Off by default, and an idle tap costs one integer comparison per exchange: the flag is the
// shared-data key "kscope.tap" ("1" = on), re-read through proxy_get_shared_data at most every
// POLL_NS of traffic. Events are one JSON object each, enqueued on the shared queue "kscope.tap"
// (proxy_register_shared_queue / proxy_enqueue_shared_queue): standard ABI 0.2.1 calls, so any
// host that implements shared data and queues can serve them. Events carry names, counts and
// sizes only: never record payloads, keys, headers or SASL tokens.
//
// Wiring (filter/observer.ts): tapRequest(ex) at the start of request(), tapResponse(ex) at the
// start of response(); both return at once unless a tap is active.
import { apiName } from "../kafka/header";
import { Exchange } from "../kafka/session";
import { Message } from "../kafka/messages/index";
import { errorName } from "../metrics/kafka";
import { enqueue, registerQueue, sharedData } from "../abi/host";

export const TAP_KEY = "kscope.tap";
export const TAP_QUEUE = "kscope.tap";
/** How often (ns of traffic time) the flag is re-read. */
const POLL_NS: u64 = 500_000_000;
const MAX_TOPICS: i32 = 8;
const NO_QUEUE: u32 = u32.MAX_VALUE;

const KEY: ArrayBuffer = String.UTF8.encode(TAP_KEY);
let active = false;
let polledAt: u64 = 0;
let queue: u32 = NO_QUEUE;

/** Whether a tap is active; reads the shared flag at most every POLL_NS. */
export function tapActive(now: u64): bool {
  if (now >= polledAt && now - polledAt < POLL_NS) return active;
  polledAt = now;
  active = sharedData(KEY) == "1";
  return active;
}

function emit(json: string): void {
  if (queue == NO_QUEUE) queue = registerQueue(TAP_QUEUE);
  if (queue == NO_QUEUE || !enqueue(queue, json)) active = false;
}

/** Longest string an event carries, in UTF-16 units (client ids, topics, groups); longer ones end in "…". */
export const MAX_TAP_STRING: i32 = 256;

@inline function escapedLength(c: i32): i32 {
  return c == 0x22 || c == 0x5c ? 2 : c < 0x20 ? 6 : 1;
}
@inline function hexDigit(d: i32): u16 {
  return <u16>(d < 10 ? 0x30 + d : 0x57 + d);
}

/** A JSON string literal of s, bounded by MAX_TAP_STRING: one pass to size it, one to write it. */
export function str(s: string): string {
  let n = min(s.length, MAX_TAP_STRING);
  const cut = n < s.length;
  if (cut && n > 0 && (s.charCodeAt(n - 1) & 0xfc00) == 0xd800) n--; // never split a surrogate pair
  let size = 2 + (cut ? 1 : 0);
  for (let i = 0; i < n; i++) size += escapedLength(s.charCodeAt(i));
  const out = changetype<string>(__new((<usize>size) << 1, idof<string>()));
  let p = changetype<usize>(out);
  store<u16>(p, 0x22);
  p += 2;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c == 0x22 || c == 0x5c) {
      store<u16>(p, 0x5c);
      store<u16>(p, <u16>c, 2);
      p += 4;
    } else if (c < 0x20) {
      store<u16>(p, 0x5c);
      store<u16>(p, 0x75, 2);
      store<u16>(p, 0x30, 4);
      store<u16>(p, 0x30, 6);
      store<u16>(p, hexDigit(c >> 4), 8);
      store<u16>(p, hexDigit(c & 15), 10);
      p += 12;
    } else {
      store<u16>(p, <u16>c);
      p += 2;
    }
  }
  if (cut) {
    store<u16>(p, 0x2026);
    p += 2;
  }
  store<u16>(p, 0x22);
  return out;
}

/** "topics":[…],"partitions":N,"records":N of a message (records only where batches were read). */
function parts(m: Message | null): string {
  if (m == null) return '"topics":[],"partitions":0,"records":0';
  const topics: string[] = [];
  let records: i64 = 0;
  for (let i = 0; i < m.nParts; i++) {
    const p = m.part_(i);
    if (p.topic.length && topics.length < MAX_TOPICS && !topics.includes(p.topic)) topics.push(p.topic);
    const r = p.records;
    if (r != null) records += r.records;
  }
  let t = "";
  for (let i = 0; i < topics.length; i++) t += (i ? "," : "") + str(topics[i]);
  return '"topics":[' + t + '],"partitions":' + m.nParts.toString() + ',"records":' + records.toString();
}

function head(kind: string, ex: Exchange): string {
  return (
    '{"ev":"' +
    kind +
    '","id":' +
    ex.correlationId.toString() +
    ',"client":' +
    str(ex.clientId) +
    ',"api":' +
    str(apiName(ex.apiKey)) +
    ',"version":' +
    ex.apiVersion.toString()
  );
}

/** A request passed (call first thing in MetricsObserver.request). */
export function tapRequest(ex: Exchange): void {
  if (!tapActive(ex.sentAt)) return;
  const req = ex.request;
  let s = head("req", ex) + "," + parts(req) + ',"bytes":' + ex.requestBytes.toString();
  if (req != null && req.groupId.length) s += ',"group":' + str(req.groupId);
  if (!ex.expectsResponse) s += ',"noResponse":true';
  emit(s + "}");
}

/** A response passed (call first thing in MetricsObserver.response). */
export function tapResponse(ex: Exchange): void {
  if (!tapActive(ex.receivedAt)) return;
  const resp = ex.response,
    req = ex.request;
  let s = head("rsp", ex) + ",";
  // Topics named by the response, else by the request (Fetch v13+ responses name topics by id).
  s += parts(resp != null && resp.nParts > 0 ? resp : req);
  s += ',"bytes":' + ex.responseBytes.toString();
  let first: i16 = 0;
  let errors: i32 = 0;
  if (resp != null) {
    errors = resp.errors.length;
    first = resp.error != 0 ? resp.error : errors > 0 ? resp.errors[0] : 0;
  }
  s += ',"error":' + str(first == 0 ? "NONE" : errorName(first)) + ',"errors":' + errors.toString();
  if (req != null && req.groupId.length) s += ',"group":' + str(req.groupId);
  const micros = ex.receivedAt > ex.sentAt ? (ex.receivedAt - ex.sentAt) / 1000 : 0;
  emit(s + ',"latencyUs":' + micros.toString() + "}");
}

// One Kafka connection as seen by a proxy: request and response framing, headers, and the
// correlation of each response with its request. What the exchange means is left to an
// observer (metrics, tap), so this file knows nothing about the ABI or metric names.
import { ByteBuffer, ByteSource } from "./bytes";
import { Cursor } from "./cursor";
import { Frame, FrameSink, Framer, GiveUp, MAX_REQUEST, MAX_RESPONSE, Verdict } from "./framer";
import { RequestHeader, flexibleResponse, knownVersion, readRequestHeader } from "./header";
import { InFlight, InFlightQueue } from "./inflight";
import { RequestBody, ResponseBody, decodeRequestBody, decodeResponseBody } from "./messages/index";

export const enum Undecoded { UnknownVersion = 0, Malformed = 1, Unmatched = 2 }

/** A request and, once it arrives, its response. */
export class Exchange extends InFlight {
  clientId: string = "";
  requestBytes: i32 = 0;
  responseBytes: i32 = 0;
  receivedAt: u64 = 0;
  /** False for requests the broker does not answer (Produce with acks=0). */
  expectsResponse: bool = true;
  /** The version is one the codec knows; bodies are decoded only then. */
  decodable: bool = false;
  request: RequestBody | null = null;
  response: ResponseBody | null = null;
}

export abstract class SessionObserver {
  abstract now(): u64;
  /** A request's last byte passed (it is in flight if ex.expectsResponse). */
  abstract request(ex: Exchange): void;
  /** The response to ex passed. */
  abstract response(ex: Exchange): void;
  /** A request that got no response (acks=0 mismatch, or the connection closed). */
  abstract abandoned(ex: Exchange): void;
  /** A frame that was framed and forwarded but not decoded. */
  abstract undecoded(response: bool, reason: Undecoded): void;
  /** The connection is not (or no longer) parseable Kafka; it is still forwarded. */
  abstract gaveUp(reason: GiveUp): void;
}

/** Asks for the bytes a short cursor needs, growing geometrically to bound restarts. */
function more(f: Frame, c: Cursor): Verdict {
  if (!c.short) return Verdict.Bad;
  f.want = max(c.need, min(f.keepLimit, f.kept.len * 2));
  return Verdict.More;
}

class RequestSink extends FrameSink {
  private c: Cursor = new Cursor(0, 0);
  private h: RequestHeader = new RequestHeader();
  private ex: Exchange | null = null;
  private lastClientId: string = "";
  private lastBytes: ByteBuffer = new ByteBuffer();
  s!: KafkaSession;

  begin(f: Frame): void {
    f.want = min(f.size, 64);
    this.ex = null;
  }

  decode(f: Frame): Verdict {
    const c = this.c, h = this.h;
    c.reset(f.kept.ptr, f.kept.len, f.keepLimit);
    if (!readRequestHeader(c, h)) { this.s.stop(GiveUp.Header); return Verdict.Bad; }
    if (!c.ok) return more(f, c);
    let ex = this.ex;
    if (ex == null) {
      ex = new Exchange();
      ex.correlationId = h.correlationId;
      ex.apiKey = h.apiKey;
      ex.apiVersion = h.apiVersion;
      ex.clientId = this.clientId(f, h);
      ex.decodable = knownVersion(h.apiKey, h.apiVersion);
      this.ex = ex;
    }
    if (!ex.decodable) return Verdict.Done;
    const v = decodeRequestBody(c, f, ex);
    return v == Verdict.More ? more(f, c) : v;
  }

  end(f: Frame): void {
    const ex = this.ex;
    if (ex == null) { this.s.obs.undecoded(false, Undecoded.Malformed); return; }
    if (!ex.decodable) this.s.obs.undecoded(false, Undecoded.UnknownVersion);
    else if (f.bad) this.s.obs.undecoded(false, Undecoded.Malformed);
    ex.requestBytes = f.size + 4;
    ex.sentAt = this.s.obs.now();
    if (ex.expectsResponse) this.s.inflight.push(ex);
    this.s.obs.request(ex);
  }

  giveUp(reason: GiveUp): void { this.s.stop(reason); }

  /** Clients keep one id per connection: decode it once, compare bytes after that. */
  private clientId(f: Frame, h: RequestHeader): string {
    if (h.clientIdAt < 0 || h.clientIdLen == 0) return "";
    const at = f.kept.ptr + <usize>h.clientIdAt;
    const last = this.lastBytes;
    if (last.len == h.clientIdLen && memory.compare(last.ptr, at, h.clientIdLen) == 0) return this.lastClientId;
    last.len = 0;
    last.reserve(h.clientIdLen);
    memory.copy(last.ptr, at, h.clientIdLen);
    last.len = h.clientIdLen;
    this.lastClientId = String.UTF8.decodeUnsafe(at, h.clientIdLen);
    return this.lastClientId;
  }
}

class ResponseSink extends FrameSink {
  private c: Cursor = new Cursor(0, 0);
  private ex: Exchange | null = null;
  private matched: bool = false;
  s!: KafkaSession;

  begin(f: Frame): void {
    f.want = min(f.size, 64);
    this.ex = null;
    this.matched = false;
  }

  decode(f: Frame): Verdict {
    const c = this.c;
    c.reset(f.kept.ptr, f.kept.len, f.keepLimit);
    const corr = c.i32();
    if (!c.ok) return more(f, c);
    if (!this.matched) {
      this.matched = true;
      this.ex = this.s.take(corr);
    }
    const ex = this.ex;
    if (ex == null || !ex.decodable) return Verdict.Done;
    if (flexibleResponse(ex.apiKey, ex.apiVersion)) c.skipTags();
    if (!c.ok) return more(f, c);
    const v = decodeResponseBody(c, f, ex);
    return v == Verdict.More ? more(f, c) : v;
  }

  end(f: Frame): void {
    const ex = this.ex;
    if (ex == null) { this.s.obs.undecoded(true, Undecoded.Unmatched); return; }
    if (f.bad) this.s.obs.undecoded(true, Undecoded.Malformed);
    ex.responseBytes = f.size + 4;
    ex.receivedAt = this.s.obs.now();
    this.s.obs.response(ex);
  }

  giveUp(reason: GiveUp): void { this.s.stop(reason); }
}

export class KafkaSession {
  readonly inflight: InFlightQueue<Exchange> = new InFlightQueue<Exchange>();
  readonly requests: Framer;
  readonly responses: Framer;
  private stopped: bool = false;

  constructor(readonly obs: SessionObserver) {
    const req = new RequestSink(), resp = new ResponseSink();
    this.requests = new Framer(req, MAX_REQUEST);
    this.responses = new Framer(resp, MAX_RESPONSE);
    req.s = this;
    resp.s = this;
  }

  get parsing(): bool { return !this.stopped; }

  feedRequests(src: ByteSource): void { if (!this.stopped) this.requests.feed(src); }
  feedResponses(src: ByteSource): void { if (!this.stopped) this.responses.feed(src); }

  /** The request this response answers; older requests passed over never got one. */
  take(correlationId: i32): Exchange | null {
    const q = this.inflight;
    if (!q.has(correlationId)) return null;
    while (true) {
      const ex = q.shift();
      if (ex.correlationId == correlationId) return ex;
      this.obs.abandoned(ex);
    }
  }

  /** Stops parsing both directions: one side not being Kafka means neither is. */
  stop(reason: GiveUp): void {
    if (this.stopped) return;
    this.stopped = true;
    this.requests.stop(reason);
    this.responses.stop(reason);
    this.obs.gaveUp(reason);
    this.close();
  }

  /** The connection ended: requests still waiting are abandoned. */
  close(): void {
    while (this.inflight.size > 0) this.obs.abandoned(this.inflight.shift());
  }

  dispose(): void {
    this.close();
    this.requests.dispose();
    this.responses.dispose();
  }
}

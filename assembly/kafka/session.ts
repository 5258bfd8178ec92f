// One Kafka connection as seen by a proxy: request and response framing, headers, and the
// correlation of each response with its request. What the exchange means is left to an
// observer (metrics, tap), so this file knows nothing about the ABI or metric names.
import { ByteBuffer, ByteSource } from "./bytes";
import { Cursor } from "./cursor";
import { Frame, FrameSink, Framer, GiveUp, MAX_REQUEST, MAX_RESPONSE, Verdict } from "./framer";
import { RequestHeader, flexibleResponse, knownVersion, readRequestHeader } from "./header";
import { intern } from "./messages/names";
import { InFlight, InFlightQueue } from "./inflight";
import { RequestBody, ResponseBody, Walker, decodeRequestBody, decodeResponseBody } from "./messages/index";

export const enum Undecoded {
  UnknownVersion = 0,
  Malformed = 1,
  Unmatched = 2,
  Oversize = 3,
}

const SASL_HANDSHAKE: i16 = 17;

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
  /** Bodies of this exchange's previous use (see KafkaSession.recycle), reused by the decoders. */
  spareRequest: RequestBody | null = null;
  spareResponse: ResponseBody | null = null;

  /** Clears the exchange for its next request, keeping its bodies' memory. */
  reset(): void {
    this.correlationId = 0;
    this.apiKey = 0;
    this.apiVersion = 0;
    this.sentAt = 0;
    this.clientId = "";
    this.requestBytes = 0;
    this.responseBytes = 0;
    this.receivedAt = 0;
    this.expectsResponse = true;
    this.decodable = false;
    if (this.request) {
      this.spareRequest = this.request;
      this.request = null;
    }
    if (this.response) {
      this.spareResponse = this.response;
      this.response = null;
    }
  }
}

export abstract class SessionObserver {
  abstract now(): u64;
  /**
   * Whether the session may reuse an exchange once response() or abandoned() returned (or
   * request(), for one that expects no response): the observer keeps no reference to it or its bodies.
   */
  get recyclesExchanges(): bool {
    return false;
  }
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

/**
 * Bytes asked for first, and at least when a decode falls short: most frames are smaller, so
 * they decode in one call.
 */
const MIN_WANT: i32 = 1024;

/**
 * Asks for the bytes a short cursor needs, and up to MIN_WANT more. The walk resumes, so asking
 * ahead only saves calls; and no more than that: bytes of a records blob kept ahead of the walk
 * are moved when the blob is cut out, which a growing read-ahead would make quadratic.
 */
function more(f: Frame, c: Cursor): Verdict {
  if (!c.short) return Verdict.Bad;
  f.want = max(c.need, min(f.keepLimit, f.kept.len + MIN_WANT));
  return Verdict.More;
}

class RequestSink extends FrameSink {
  private c: Cursor = new Cursor(0, 0);
  private h: RequestHeader = new RequestHeader();
  private ex: Exchange | null = null;
  private lastClientId: string = "";
  private lastBytes: ByteBuffer = new ByteBuffer();
  private w: Walker = new Walker();
  s!: KafkaSession;

  begin(f: Frame): void {
    f.want = min(f.size, MIN_WANT);
    this.ex = null;
    this.w.clear();
  }

  decode(f: Frame): Verdict {
    const c = this.c,
      h = this.h;
    c.reset(f.kept.ptr, f.kept.len, f.keepLimit);
    const w = this.w;
    if (w.active) {
      // the header was read by an earlier call: resume the body's walk
      const v = decodeRequestBody(w, c, f, this.ex!);
      return v == Verdict.More ? more(f, c) : v;
    }
    if (!readRequestHeader(c, h)) {
      this.s.stop(this.s.saslV0 ? GiveUp.Sasl : GiveUp.Header);
      return Verdict.Bad;
    }
    if (!c.ok) return more(f, c);
    let ex = this.ex;
    if (ex == null) {
      ex = this.s.exchange();
      ex.correlationId = h.correlationId;
      ex.apiKey = h.apiKey;
      ex.apiVersion = h.apiVersion;
      ex.clientId = this.clientId(f, h);
      ex.decodable = knownVersion(h.apiKey, h.apiVersion);
      this.ex = ex;
    }
    if (!ex.decodable) return Verdict.Done;
    const v = decodeRequestBody(w, c, f, ex);
    return v == Verdict.More ? more(f, c) : v;
  }

  end(f: Frame): void {
    const ex = this.ex;
    if (ex == null) {
      this.s.obs.undecoded(false, Undecoded.Malformed);
      return;
    }
    if (!ex.decodable) this.s.obs.undecoded(false, Undecoded.UnknownVersion);
    else if (f.bad) this.s.obs.undecoded(false, f.oversize ? Undecoded.Oversize : Undecoded.Malformed);
    ex.requestBytes = f.size + 4;
    ex.sentAt = this.s.now();
    if (ex.apiKey == SASL_HANDSHAKE && ex.apiVersion == 0) this.s.saslV0 = true;
    this.ex = null;
    if (ex.expectsResponse) this.s.inflight.push(ex);
    this.s.obs.request(ex);
    if (!ex.expectsResponse) this.s.recycle(ex);
  }

  giveUp(reason: GiveUp): void {
    this.s.stop(reason);
  }

  dispose(): void {
    this.lastBytes.free();
  }

  /** Clients keep one id per connection: look it up once, compare bytes after that. */
  private clientId(f: Frame, h: RequestHeader): string {
    if (h.clientIdAt < 0 || h.clientIdLen == 0) return "";
    const at = f.kept.ptr + <usize>h.clientIdAt;
    const last = this.lastBytes;
    if (last.len == h.clientIdLen && memory.compare(last.ptr, at, h.clientIdLen) == 0) return this.lastClientId;
    last.len = 0;
    last.reserve(h.clientIdLen);
    memory.copy(last.ptr, at, h.clientIdLen);
    last.len = h.clientIdLen;
    this.lastClientId = intern(at, h.clientIdLen);
    return this.lastClientId;
  }
}

class ResponseSink extends FrameSink {
  private c: Cursor = new Cursor(0, 0);
  private ex: Exchange | null = null;
  private matched: bool = false;
  private w: Walker = new Walker();
  s!: KafkaSession;

  begin(f: Frame): void {
    f.want = min(f.size, MIN_WANT);
    this.ex = null;
    this.matched = false;
    this.w.clear();
  }

  decode(f: Frame): Verdict {
    const c = this.c;
    c.reset(f.kept.ptr, f.kept.len, f.keepLimit);
    const w = this.w;
    if (w.active) {
      // the header was read by an earlier call: resume the body's walk
      const v = decodeResponseBody(w, c, f, this.ex!);
      return v == Verdict.More ? more(f, c) : v;
    }
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
    const v = decodeResponseBody(w, c, f, ex);
    return v == Verdict.More ? more(f, c) : v;
  }

  end(f: Frame): void {
    const ex = this.ex;
    if (ex == null) {
      this.s.obs.undecoded(true, Undecoded.Unmatched);
      return;
    }
    if (f.bad) this.s.obs.undecoded(true, f.oversize ? Undecoded.Oversize : Undecoded.Malformed);
    ex.responseBytes = f.size + 4;
    ex.receivedAt = this.s.now();
    this.ex = null;
    this.s.obs.response(ex);
    const saslV0 = ex.apiKey == SASL_HANDSHAKE && ex.apiVersion == 0;
    this.s.recycle(ex);
    if (saslV0) this.s.stop(GiveUp.Sasl);
  }

  giveUp(reason: GiveUp): void {
    this.s.stop(reason);
  }

  /**
   * The request whose response is passing: it left the in-flight queue when the response's
   * header was matched, so a close before the response's last byte must abandon it here.
   */
  takePending(): Exchange | null {
    const ex = this.ex;
    this.ex = null;
    return ex;
  }
}

/**
 * Finished exchanges (and their bodies) reused for the next requests, by every session of the VM:
 * saves allocation and GC per frame. Bounded: about the requests in flight at once.
 */
const spare: Array<Exchange> = [];
const MAX_SPARE: i32 = 64;

export class KafkaSession {
  readonly inflight: InFlightQueue<Exchange> = new InFlightQueue<Exchange>();
  readonly requests: Framer;
  readonly responses: Framer;
  private readonly reqSink: RequestSink;
  private readonly respSink: ResponseSink;
  private stopped: bool = false;
  /**
   * A SaslHandshake v0 was sent: raw SASL tokens without Kafka headers follow (and are answered
   * without one), so parsing stops at its response, or at the first headerless frame.
   */
  saslV0: bool = false;
  /** Host time of the chunk being fed (0: not read yet); frames ending in one chunk share it. */
  private chunkTime: u64 = 0;

  constructor(readonly obs: SessionObserver) {
    const req = new RequestSink(),
      resp = new ResponseSink();
    this.reqSink = req;
    this.respSink = resp;
    this.requests = new Framer(req, MAX_REQUEST);
    this.responses = new Framer(resp, MAX_RESPONSE);
    req.s = this;
    resp.s = this;
  }

  get parsing(): bool {
    return !this.stopped;
  }

  feedRequests(src: ByteSource): void {
    this.chunkTime = 0;
    if (!this.stopped) this.requests.feed(src);
  }
  feedResponses(src: ByteSource): void {
    this.chunkTime = 0;
    if (!this.stopped) this.responses.feed(src);
  }

  /** When the current chunk arrived: one host clock read per chunk, not per frame. */
  now(): u64 {
    if (this.chunkTime == 0) this.chunkTime = this.obs.now();
    return this.chunkTime;
  }

  /** A new exchange, reusing a finished one when there is one. */
  exchange(): Exchange {
    return spare.length ? spare.pop() : new Exchange();
  }

  /** The exchange is finished and the observer is done with it. */
  recycle(ex: Exchange): void {
    if (!this.obs.recyclesExchanges || spare.length >= MAX_SPARE) return;
    ex.reset();
    spare.push(ex);
  }

  /** The request this response answers; older requests passed over never got one. */
  take(correlationId: i32): Exchange | null {
    const q = this.inflight;
    if (!q.has(correlationId)) return null;
    while (true) {
      const ex = q.shift();
      if (ex.correlationId == correlationId) return ex;
      this.obs.abandoned(ex);
      this.recycle(ex);
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

  /**
   * The connection ended (or stopped being parsed): every request still owed a response is
   * abandoned exactly once, the one whose response was passing included.
   */
  close(): void {
    const pending = this.respSink.takePending();
    if (pending != null) {
      this.obs.abandoned(pending);
      this.recycle(pending);
    }
    while (this.inflight.size > 0) {
      const ex = this.inflight.shift();
      this.obs.abandoned(ex);
      this.recycle(ex);
    }
  }

  /** Frees everything the connection owns; nothing is parsed after this. */
  dispose(): void {
    this.close();
    this.stopped = true;
    this.requests.dispose();
    this.responses.dispose();
    this.reqSink.dispose();
  }
}

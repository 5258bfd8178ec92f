// One connection through the gateway. Requests are followed only as far as their headers, to
// know which responses may name brokers; those responses are held until complete (the filter
// returns Pause, and the host presents the held bytes again with the next ones, as Envoy does),
// rewritten, and put back with proxy_set_buffer_bytes. Everything else passes as it came.
// Holding is bounded: a response that would need more than maxHeld bytes held passes unchanged.
import { Action, BufferType } from "../abi/enums";
import { setBuffer } from "../abi/host";
import { ByteBuffer, ByteSource, MemorySource } from "../kafka/bytes";
import { MAX_REQUEST, MAX_RESPONSE } from "../kafka/framer";
import { GatewayMetrics, GatewayResult } from "../metrics/gateway";
import { inc } from "../metrics/registry";
import { GatewayConfig } from "./config";
import { addressOps } from "./generated/addresses";
import { AddressMap, Rewrite, Rewriter } from "./rewrite";

/** Requests awaiting a response that may carry addresses, at most this many per connection. */
const MAX_PENDING: i32 = 1024;

/** What every gateway connection of a VM shares: the rewriter and its buffers (one callback runs at a time). */
export class GatewayShared {
  readonly rewriter: Rewriter;
  readonly frame: ByteBuffer = new ByteBuffer();
  readonly out: ByteBuffer = new ByteBuffer();
  readonly mem: MemorySource = new MemorySource(0, 0);
  constructor(
    readonly config: GatewayConfig,
    readonly metrics: GatewayMetrics,
  ) {
    this.rewriter = new Rewriter(new AddressMap(config.host, config.portBase));
  }
}

export class Gateway {
  /** The broker this connection addresses, as a label: a node id, or "bootstrap". */
  readonly node: string;
  // Requests: the 12 header bytes (size, api key, version, correlation id) of the current frame.
  private reqHdr: usize = heap.alloc(12);
  private reqHave: i32 = 0;
  private reqLeft: i32 = 0;
  private pendingCorr: Array<i32> = [];
  private pendingApi: Array<i32> = []; // key << 16 | version
  private pendingHead: i32 = 0;
  // Responses, over the bytes the host holds for us: [0, held) were seen in earlier calls.
  held: i32 = 0;
  private hdr: usize = heap.alloc(8);
  private hdrHave: i32 = 0;
  private frameStart: i32 = -1; // in the current buffer; -1: the frame began in bytes already passed on
  private frameTotal: i32 = 0;
  private frameSeen: i32 = 0;
  private target: i32 = -1; // key << 16 | version of the current frame if it may carry addresses
  private tStart: Array<i32> = [];
  private tLen: Array<i32> = [];
  private tApi: Array<i32> = [];
  private dead: bool = false;

  constructor(
    private shared: GatewayShared,
    destinationPort: i32,
  ) {
    const n = destinationPort - shared.config.portBase;
    this.node = destinationPort >= 0 && n >= 0 ? n.toString() : "bootstrap";
  }

  /** Downstream bytes [0, n): notes the requests whose responses may name brokers. */
  requests(src: ByteSource, n: i32): void {
    let p = 0;
    while (p < n && !this.dead) {
      if (this.reqHave < 12) {
        const k = src.copy(p, min(12 - this.reqHave, n - p), this.reqHdr + <usize>this.reqHave);
        this.reqHave += k;
        p += k;
        if (k == 0 || this.reqHave < 12) break;
        const size = <i32>bswap<u32>(load<u32>(this.reqHdr));
        if (size < 8 || size > MAX_REQUEST) {
          this.dead = true;
          break;
        } // not Kafka: nothing to rewrite
        const key = <i16>bswap<u16>(load<u16>(this.reqHdr + 4));
        const version = <i16>bswap<u16>(load<u16>(this.reqHdr + 6));
        inc(this.shared.metrics.request(this.node, key));
        if (addressOps(key, version) != null) this.expect(<i32>bswap<u32>(load<u32>(this.reqHdr + 8)), key, version);
        this.reqLeft = size + 4 - 12;
      }
      const k = min(this.reqLeft, n - p);
      this.reqLeft -= k;
      p += k;
      if (this.reqLeft == 0) this.reqHave = 0;
    }
  }

  private expect(corr: i32, key: i16, version: i16): void {
    if (this.pendingCorr.length - this.pendingHead >= MAX_PENDING) this.pendingHead++;
    if (this.pendingHead > 64 && this.pendingHead * 2 > this.pendingCorr.length) {
      this.pendingCorr = this.pendingCorr.slice(this.pendingHead);
      this.pendingApi = this.pendingApi.slice(this.pendingHead);
      this.pendingHead = 0;
    }
    this.pendingCorr.push(corr);
    this.pendingApi.push(((<i32>key) << 16) | ((<i32>version) & 0xffff));
  }

  /** The pending request a response answers (older ones got none: acks=0), or -1. */
  private take(corr: i32): i32 {
    for (let i = this.pendingHead; i < this.pendingCorr.length; i++) {
      if (unchecked(this.pendingCorr[i]) != corr) continue;
      this.pendingHead = i + 1;
      return unchecked(this.pendingApi[i]);
    }
    return -1;
  }

  /** Upstream bytes: [0, held) already seen, [held, n) new. Pause to hold, or Continue (after rewriting). */
  responses(src: ByteSource, n: i32, eos: bool): Action {
    if (this.dead) {
      this.held = 0;
      return Action.Continue;
    }
    this.scan(src, this.held, n);
    if (!this.dead && this.hdrHave > 0 && this.frameStart >= 0 && (this.hdrHave < 8 || this.target >= 0)) {
      const end = this.frameStart + (this.hdrHave < 8 ? 8 : this.frameTotal);
      if (!eos && end <= this.shared.config.maxHeld) {
        this.held = n;
        return Action.Pause;
      }
      if (this.target >= 0) this.count(this.target, eos ? GatewayResult.Cut : GatewayResult.TooLarge);
      this.target = -1;
    }
    this.flush(src);
    this.held = 0;
    this.frameStart = -1; // the frame in progress, if any, is passed on now
    return Action.Continue;
  }

  private scan(src: ByteSource, from: i32, n: i32): void {
    let p = from;
    while (p < n && !this.dead) {
      if (this.hdrHave < 8) {
        if (this.hdrHave == 0) this.frameStart = p;
        const k = src.copy(p, min(8 - this.hdrHave, n - p), this.hdr + <usize>this.hdrHave);
        this.hdrHave += k;
        p += k;
        if (k == 0 || this.hdrHave < 8) break;
        const size = <i32>bswap<u32>(load<u32>(this.hdr));
        if (size < 4 || size > MAX_RESPONSE) {
          this.dead = true;
          break;
        }
        this.frameTotal = size + 4;
        this.frameSeen = 8;
        this.target = this.take(<i32>bswap<u32>(load<u32>(this.hdr + 4)));
        if (this.target >= 0 && this.frameStart < 0) {
          this.count(this.target, GatewayResult.Cut);
          this.target = -1;
        }
      } else {
        const k = min(this.frameTotal - this.frameSeen, n - p);
        this.frameSeen += k;
        p += k;
      }
      if (this.frameSeen == this.frameTotal) {
        if (this.target >= 0) {
          this.tStart.push(this.frameStart);
          this.tLen.push(this.frameTotal);
          this.tApi.push(this.target);
        }
        this.hdrHave = 0;
        this.frameSeen = 0;
        this.target = -1;
      }
    }
  }

  /** Rewrites the complete frames noted in the held bytes and replaces the bytes up to the last one rewritten. */
  private flush(src: ByteSource): void {
    if (this.tStart.length == 0) return;
    const sh = this.shared,
      frame = sh.frame,
      out = sh.out,
      rw = sh.rewriter;
    out.len = 0;
    let upTo = 0;
    let rewritten = 0;
    for (let i = 0; i < this.tStart.length; i++) {
      const start = unchecked(this.tStart[i]),
        len = unchecked(this.tLen[i]),
        api = unchecked(this.tApi[i]);
      const key = <i16>(api >> 16),
        version = <i16>(api & 0xffff);
      frame.len = 0;
      if (frame.append(src, start, len) != len) {
        this.count(api, GatewayResult.Malformed);
        continue;
      }
      const r = rw.rewrite(frame.ptr, len, key, version);
      if (rw.unmapped > 0) inc(sh.metrics.unmapped, rw.unmapped);
      if (r == Rewrite.Malformed) {
        this.count(api, GatewayResult.Malformed);
        continue;
      }
      if (r == Rewrite.Unchanged) {
        this.count(api, GatewayResult.Unchanged);
        continue;
      }
      out.append(src, upTo, start - upTo);
      sh.mem.ptr = rw.out.ptr;
      sh.mem.len = rw.out.len;
      out.append(sh.mem, 0, rw.out.len);
      upTo = start + len;
      inc(sh.metrics.addresses, rw.addresses);
      this.tApi[rewritten++] = api; // reuses the slots already walked
    }
    // If the host refused the new bytes, the original ones pass: counted as cut.
    const ok = upTo == 0 || setBuffer(BufferType.UpstreamData, 0, upTo, out.ptr, out.len);
    for (let i = 0; i < rewritten; i++) this.count(unchecked(this.tApi[i]), ok ? GatewayResult.Rewritten : GatewayResult.Cut);
    this.tStart.length = 0;
    this.tLen.length = 0;
    this.tApi.length = 0;
    frame.clear();
    out.clear();
    rw.out.clear();
  }

  private count(api: i32, r: GatewayResult): void {
    inc(this.shared.metrics.response(<i16>(api >> 16), r));
  }

  dispose(): void {
    heap.free(this.reqHdr);
    heap.free(this.hdr);
  }
}

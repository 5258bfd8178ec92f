// Streaming Kafka framing for one direction of one connection. TCP chunks arrive split
// anywhere; the framer keeps only the bytes a decoder asks for and skips the rest of each
// frame without copying it. `records` blobs are summarised from batch headers as they stream by.
//
// The decoder is incremental: each call says Done, More (keep `want` bytes, then call again),
// Records (a records blob starts at `recordsAt` in the kept bytes) or Bad, and the next call
// resumes where it stopped. A summarised blob is cut out of the kept bytes, so the bytes after
// it follow at `recordsAt`, and its summary waits in `blob` for the decoder's next call.
// The summary is reused blob after blob: a decoder copies what it keeps.
import { ByteBuffer, ByteSource, MemorySource } from "./bytes";
import { BatchScanner, BlobStats } from "./batches";

export const enum Verdict {
  Done,
  More,
  Records,
  Bad,
}

/** Why a connection stopped being parsed; index into GIVE_UP_REASONS. */
export const enum GiveUp {
  FrameSize = 0,
  Tls = 1,
  Http = 2,
  Header = 3,
  Sasl = 4,
}
export const GIVE_UP_REASONS: StaticArray<string> = ["frame_size", "tls", "http", "bad_header", "sasl_v0"];

export class Frame {
  size: i32 = 0;
  seen: i32 = 0;
  kept: ByteBuffer = new ByteBuffer();
  want: i32 = 0;
  /** The decoder has finished with this frame (Done or Bad); the rest is skipped. */
  settled: bool = false;
  bad: bool = false;
  /** Bad because decoding it would keep more than MAX_KEEP bytes. */
  oversize: bool = false;
  /** Bytes of records blobs cut out of `kept`. */
  cut: i32 = 0;
  recordsAt: i32 = 0;
  recordsLen: i32 = 0;
  /** The summary of the last records blob (reused blob after blob: the decoder copies it on its next call). */
  blob: BlobStats = new BlobStats();
  /** Records blobs summarised so far in this frame. */
  nBlobs: i32 = 0;
  /** Bytes of the records blob still streaming past. */
  blobLeft: i32 = 0;

  /** Most bytes `kept` can ever hold for this frame. */
  get keepLimit(): i32 {
    return this.size - this.cut;
  }
  get complete(): bool {
    return this.seen == this.size;
  }

  reset(size: i32): void {
    this.size = size;
    this.seen = 0;
    this.want = 0;
    this.settled = false;
    this.bad = false;
    this.oversize = false;
    this.cut = 0;
    this.recordsAt = 0;
    this.recordsLen = 0;
    this.blobLeft = 0;
    this.kept.clear();
    this.nBlobs = 0;
  }
}

export abstract class FrameSink {
  /** A frame of f.size bytes starts; set f.want (0 to keep nothing). */
  abstract begin(f: Frame): void;
  /** Decode f.kept; see the file comment. Called when f.want bytes are kept, after a blob, and at the end. */
  abstract decode(f: Frame): Verdict;
  /** The frame's last byte has passed. */
  abstract end(f: Frame): void;
  /** The stream is not parseable Kafka; nothing more will be delivered. */
  abstract giveUp(reason: GiveUp): void;
}

/** Largest frame accepted; requests use Kafka's socket.request.max.bytes default (100 MiB). */
export const MAX_REQUEST: i32 = 100 * 1024 * 1024;
export const MAX_RESPONSE: i32 = 1024 * 1024 * 1024;
/**
 * Most bytes kept for one frame's decode (records blobs are never kept). A frame needing more
 * (e.g. a huge tagged field) is forwarded undecoded and counted, so no connection can make the
 * filter hold megabytes of Wasm memory.
 */
export const MAX_KEEP: i32 = 8 * 1024 * 1024;

export class Framer {
  private sizeBuf: usize = heap.alloc(4);
  private sizeHave: i32 = 0;
  private inFrame: bool = false;
  private started: bool = false;
  dead: bool = false;
  readonly frame: Frame = new Frame();
  private scanner: BatchScanner = new BatchScanner();
  private keptSource: MemorySource = new MemorySource(0, 0);

  constructor(
    private sink: FrameSink,
    private maxSize: i32,
  ) {}

  feed(src: ByteSource): void {
    const n = src.length;
    const f = this.frame;
    let p = 0;
    while (p < n && !this.dead) {
      if (!this.inFrame) {
        const k = src.copy(p, min(4 - this.sizeHave, n - p), this.sizeBuf + <usize>this.sizeHave);
        this.sizeHave += k;
        p += k;
        if (this.sizeHave < 4) break;
        this.sizeHave = 0;
        const size = <i32>bswap<u32>(load<u32>(this.sizeBuf));
        if (size < 4 || size > this.maxSize) {
          this.die(this.sniff());
          break;
        }
        this.started = true;
        this.inFrame = true;
        f.reset(size);
        this.sink.begin(f);
      } else if (f.blobLeft > 0) {
        const k = min(f.blobLeft, n - p);
        this.scanner.feed(src, p, k);
        f.blobLeft -= k;
        f.seen += k;
        p += k;
        if (f.blobLeft == 0) {
          this.scanner.finish();
          f.nBlobs++;
          this.decode();
        }
      } else if (!f.settled && f.kept.len < f.want) {
        const k = f.kept.append(src, p, min(f.want - f.kept.len, min(n - p, f.size - f.seen)));
        f.seen += k;
        p += k;
        if (f.kept.len >= f.want || f.complete) this.decode();
      } else {
        const k = min(f.size - f.seen, n - p);
        f.seen += k;
        p += k;
      }
      if (this.inFrame && f.complete && f.blobLeft == 0 && !this.dead) {
        if (!f.settled) this.decode();
        if (!f.settled) {
          f.bad = true;
          f.settled = true;
        }
        this.inFrame = false;
        this.sink.end(f);
      }
    }
  }

  /** Runs the decoder until it needs bytes that have not arrived. */
  private decode(): void {
    const f = this.frame;
    while (!f.settled && !this.dead) {
      const v = this.sink.decode(f);
      if (v == Verdict.Done || v == Verdict.Bad) {
        f.settled = true;
        f.bad = v == Verdict.Bad;
        return;
      }
      if (v == Verdict.More) {
        // Wanting bytes the frame does not have means the frame is malformed.
        if (f.want > f.keepLimit) f.want = f.keepLimit;
        if (f.want <= f.kept.len) {
          f.settled = true;
          f.bad = true;
        } else if (f.want > MAX_KEEP) {
          f.settled = true;
          f.bad = true;
          f.oversize = true;
        }
        return;
      }
      // Records: summarise the part already kept, cut it out, stream the rest.
      const at = f.recordsAt,
        len = f.recordsLen;
      const inKept = min(len, f.kept.len - at);
      if (at < 0 || inKept < 0 || len < 0) {
        f.settled = true;
        f.bad = true;
        return;
      }
      this.scanner.start(f.blob);
      this.keptSource.ptr = f.kept.ptr;
      this.keptSource.len = f.kept.len;
      this.scanner.feed(this.keptSource, at, inKept);
      f.kept.cut(at, inKept);
      f.cut += len;
      f.blobLeft = len - inKept;
      if (f.blobLeft > 0) return;
      this.scanner.finish();
      f.nBlobs++;
    }
  }

  private die(reason: GiveUp): void {
    this.dead = true;
    this.frame.kept.free();
    this.sink.giveUp(reason);
  }

  /** Names what the first bytes of a stream that is not Kafka look like. */
  private sniff(): GiveUp {
    if (this.started) return GiveUp.FrameSize;
    const b0 = load<u8>(this.sizeBuf),
      b1 = load<u8>(this.sizeBuf + 1);
    if (b0 == 0x16 && b1 == 0x03) return GiveUp.Tls;
    const w = load<u32>(this.sizeBuf);
    // "GET ", "POST", "PUT ", "HEAD", "PRI " (HTTP/2 preface) in memory order
    if (w == 0x20544547 || w == 0x54534f50 || w == 0x20545550 || w == 0x44414548 || w == 0x20495250) return GiveUp.Http;
    return GiveUp.FrameSize;
  }

  /** Stops parsing (the sink decided the stream is not Kafka). */
  stop(reason: GiveUp): void {
    if (!this.dead) this.die(reason);
  }

  dispose(): void {
    this.frame.kept.free();
    this.scanner.dispose();
    if (this.sizeBuf) heap.free(this.sizeBuf);
    this.sizeBuf = 0;
  }
}

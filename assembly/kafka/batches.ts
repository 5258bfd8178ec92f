// Summarises a `records` blob (Produce request, Fetch response) from its batch headers alone:
// the payload is skipped, never copied or decompressed. RecordBatch v2 layout, offsets from
// the batch start: baseOffset i64 @0, batchLength i32 @8 (total = 12 + batchLength), magic i8 @16,
// attributes i16 @21, lastOffsetDelta i32 @23, baseTimestamp i64 @27, maxTimestamp i64 @35,
// producerId i64 @43, recordsCount i32 @57, records @61. Legacy message sets (magic 0/1) share @0, @8 and @16 and keep attributes @17.
import { ByteSource } from "./bytes";

const HEADER: i32 = 61;
const LEGACY_HEADER: i32 = 18; // through the legacy attributes byte @17
/** Batch timestamps kept per blob (delivery latency samples); later batches of the blob are not sampled. */
export const MAX_TIMES: i32 = 64;
const LOG_APPEND_TIME: i32 = 0x08;

/**
 * The time (ms) a batch's records stand for: LogAppendTime batches carry the broker's append time
 * in maxTimestamp (every record has it); CreateTime batches span the producer's baseTimestamp (first
 * record) .. maxTimestamp, and the middle of that span stands for the records without reading
 * (possibly compressed) per-record deltas. -1: the batch has no timestamp.
 */
@inline function batchTime(attrs: i32, base: i64, maxTs: i64): i64 {
  if (attrs & LOG_APPEND_TIME || base < 0) return maxTs;
  if (maxTs < base) return base;
  return base + (maxTs - base) / 2;
}

export class BlobStats {
  batches: i32 = 0;
  records: i64 = 0;
  bytes: i64 = 0;
  /** Bit (1 << codec) for each compression codec seen: 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd, 5 any other (see codecOf). */
  codecs: i32 = 0;
  transactional: bool = false;
  control: i32 = 0;
  producerId: i64 = -1;
  firstOffset: i64 = -1;
  /** One past the last offset of the last complete batch. */
  nextOffset: i64 = -1;
  maxTimestamp: i64 = -1;
  /** The first data batch (not control): its base offset, last offset and records. */
  headBase: i64 = -1;
  headLast: i64 = -1;
  headRecords: i32 = 0;
  /** batchTime() of the first data batches (MAX_TIMES at most); times[0] is the head batch's. Grows as needed, reused. */
  times: Array<i64> = [];
  /** A trailing batch cut short (normal at the end of a Fetch response). */
  partial: bool = false;
  /** Bytes that are not a batch header (corrupt blob). */
  corrupt: bool = false;

  reset(): void {
    this.batches = 0;
    this.records = 0;
    this.bytes = 0;
    this.codecs = 0;
    this.transactional = false;
    this.control = 0;
    this.producerId = -1;
    this.firstOffset = -1;
    this.nextOffset = -1;
    this.maxTimestamp = -1;
    this.headBase = -1;
    this.headLast = -1;
    this.headRecords = 0;
    this.times.length = 0;
    this.partial = false;
    this.corrupt = false;
  }

  /**
   * Records at or past `fetchOffset` (-1: all): what a consumer that asked from there receives.
   * A broker answers from the start of the batch holding the fetch offset, so only the head batch
   * can hold records below it; within it, offsets are taken as dense (a compacted batch with gaps
   * is counted as if none of its holes were below the fetch offset).
   */
  deliveredRecords(fetchOffset: i64): i64 {
    return this.records - this.headRecords + this.headDelivered(fetchOffset);
  }

  /** Records of the head batch at or past `fetchOffset`. */
  headDelivered(fetchOffset: i64): i64 {
    if (fetchOffset <= this.headBase) return this.headRecords;
    return min(max(this.headLast - fetchOffset + 1, 0), <i64>this.headRecords);
  }

  /** Keeps a data batch's time (-1: none), in batch order. */
  addTime(t: i64): void {
    if (this.times.length < MAX_TIMES) this.times.push(t);
  }

  copyFrom(s: BlobStats): void {
    this.batches = s.batches;
    this.records = s.records;
    this.bytes = s.bytes;
    this.codecs = s.codecs;
    this.transactional = s.transactional;
    this.control = s.control;
    this.producerId = s.producerId;
    this.firstOffset = s.firstOffset;
    this.nextOffset = s.nextOffset;
    this.maxTimestamp = s.maxTimestamp;
    this.headBase = s.headBase;
    this.headLast = s.headLast;
    this.headRecords = s.headRecords;
    const from = s.times,
      to = this.times;
    to.length = from.length;
    for (let i = 0; i < from.length; i++) unchecked((to[i] = unchecked(from[i])));
    this.partial = s.partial;
    this.corrupt = s.corrupt;
  }
}

/** Kafka defines codecs 0-4 in the attributes' three low bits; 5, 6 and 7 all mean "unknown". */
export const UNKNOWN_CODEC: i32 = 5;
@inline function codecOf(attrs: i32): i32 {
  return min(attrs & 7, UNKNOWN_CODEC);
}

/** What a scanner summarises into until start() names the caller's summary (one for every scanner: connections stay small). */
const NO_STATS = new BlobStats();

export class BatchScanner {
  private hdr: usize = heap.alloc(HEADER);
  private have: i32 = 0;
  private left: i32 = 0; // bytes of the current batch after what `hdr` holds
  private want: i32 = LEGACY_HEADER;
  private total: i32 = 0;
  stats: BlobStats = NO_STATS;

  /** Starts a blob, summarised into `into` (reset here). */
  start(into: BlobStats): void {
    into.reset();
    this.stats = into;
    this.have = 0;
    this.left = 0;
    this.want = LEGACY_HEADER;
    this.total = 0;
  }

  /** Feeds len bytes of the blob from src at start. */
  feed(src: ByteSource, start: i32, len: i32): void {
    let p = start;
    const end = start + len;
    while (p < end) {
      if (this.left > 0) {
        const k = min(this.left, end - p);
        this.left -= k;
        p += k;
        if (this.left == 0) this.complete();
        continue;
      }
      const k = min(this.want - this.have, end - p);
      src.copy(p, k, this.hdr + <usize>this.have);
      this.have += k;
      p += k;
      if (this.have < this.want) continue;
      if (this.want == LEGACY_HEADER) {
        this.total = 12 + <i32>bswap<u32>(load<u32>(this.hdr + 8));
        const magic = load<u8>(this.hdr + 16);
        if (this.total < LEGACY_HEADER || magic > 2) {
          this.stats.corrupt = true;
          this.left = i32.MAX_VALUE;
          continue;
        }
        if (magic == 2) {
          if (this.total < HEADER) {
            this.stats.corrupt = true;
            this.left = i32.MAX_VALUE;
            continue;
          }
          this.want = HEADER;
          continue;
        }
      }
      this.left = this.total - this.have;
      if (this.left == 0) this.complete();
    }
  }

  /** Frees the header buffer (the connection is gone). */
  dispose(): void {
    if (this.hdr) heap.free(this.hdr);
    this.hdr = 0;
  }

  /** The blob ended; a batch still open was cut short. */
  finish(): BlobStats {
    if (this.have > 0 && !this.stats.corrupt) this.stats.partial = true;
    return this.stats;
  }

  private complete(): void {
    const h = this.hdr;
    const s = this.stats;
    const base = <i64>bswap<u64>(load<u64>(h));
    s.batches++;
    s.bytes += this.total;
    if (s.firstOffset < 0) s.firstOffset = base;
    if (this.want == HEADER) {
      const attrs = <i32>bswap<u16>(load<u16>(h + 21));
      const lastDelta = <i32>bswap<u32>(load<u32>(h + 23));
      s.codecs |= 1 << codecOf(attrs);
      if (attrs & 0x10) s.transactional = true;
      s.nextOffset = base + lastDelta + 1;
      const maxTs = <i64>bswap<u64>(load<u64>(h + 35));
      s.maxTimestamp = max(s.maxTimestamp, maxTs);
      s.producerId = <i64>bswap<u64>(load<u64>(h + 43));
      if (attrs & 0x20) s.control++;
      else {
        const n = <i32>bswap<u32>(load<u32>(h + 57));
        s.records += n;
        if (s.headBase < 0) {
          s.headBase = base;
          s.headLast = base + lastDelta;
          s.headRecords = n;
        }
        s.addTime(batchTime(attrs, <i64>bswap<u64>(load<u64>(h + 27)), maxTs));
      }
    } else {
      // Legacy message set entry: one (possibly compressed wrapper) message.
      const attrs = load<u8>(h + 17); // a local: TypeScript's parser (Prettier) misreads `1 << f(load<u8>(`
      s.codecs |= 1 << codecOf(attrs);
      s.records += 1;
      s.nextOffset = base + 1;
      if (s.headBase < 0) {
        s.headBase = base;
        s.headLast = base;
        s.headRecords = 1;
      }
      s.addTime(-1);
    }
    this.have = 0;
    this.want = LEGACY_HEADER;
    this.total = 0;
  }
}

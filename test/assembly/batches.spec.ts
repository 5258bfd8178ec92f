// Batch headers of a records blob: head batch, delivered records from a fetch offset, batch times.
import { BatchScanner, BlobStats, MAX_TIMES } from "../../assembly/kafka/batches";
import { MemorySource } from "../../assembly/kafka/bytes";

/** A RecordBatch v2 header (61 bytes) plus `payload` bytes, big-endian like the wire. */
function batch(base: i64, lastDelta: i32, records: i32, attrs: i16, baseTs: i64, maxTs: i64, payload: i32 = 3): Uint8Array {
  const total = 61 + payload;
  const b = new Uint8Array(total);
  const p = b.dataStart;
  store<u64>(p, bswap<u64>(<u64>base));
  store<u32>(p + 8, bswap<u32>(<u32>(total - 12)));
  store<u8>(p + 16, 2);
  store<u16>(p + 21, bswap<u16>(<u16>attrs));
  store<u32>(p + 23, bswap<u32>(<u32>lastDelta));
  store<u64>(p + 27, bswap<u64>(<u64>baseTs));
  store<u64>(p + 35, bswap<u64>(<u64>maxTs));
  store<u64>(p + 43, bswap<u64>(<u64>-1));
  store<u32>(p + 57, bswap<u32>(<u32>records));
  return b;
}

function scan(parts: Uint8Array[], chunk: i32 = 1 << 30): BlobStats {
  let n = 0;
  for (let i = 0; i < parts.length; i++) n += parts[i].length;
  const all = new Uint8Array(n);
  let o = 0;
  for (let i = 0; i < parts.length; i++) {
    all.set(parts[i], o);
    o += parts[i].length;
  }
  const sc = new BatchScanner();
  const s = new BlobStats();
  sc.start(s);
  const src = new MemorySource(all.dataStart, n);
  for (let p = 0; p < n; p += chunk) sc.feed(src, p, min(chunk, n - p));
  return sc.finish();
}

describe("batch headers", () => {
  it("keeps the head batch and counts only records at or past the fetch offset", () => {
    // offsets 100..109 (10 records), 110..119, 120..124
    const s = scan([batch(100, 9, 10, 0, 1000, 1009), batch(110, 9, 10, 0, 2000, 2010), batch(120, 4, 5, 0, 3000, 3000)], 7);
    expect(s.records).toBe(25);
    expect(s.headBase).toBe(100);
    expect(s.headLast).toBe(109);
    expect(s.headRecords).toBe(10);
    expect(s.deliveredRecords(-1)).toBe(25);
    expect(s.deliveredRecords(100)).toBe(25);
    expect(s.deliveredRecords(104)).toBe(21);
    expect(s.deliveredRecords(109)).toBe(16);
    expect(s.deliveredRecords(110)).toBe(15);
    expect(s.headDelivered(110)).toBe(0);
  });

  it("times a CreateTime batch by the middle of its span, a LogAppendTime batch by its append time", () => {
    const s = scan([batch(0, 1, 2, 0, 1000, 1010), batch(2, 0, 1, 0x08, 500, 7000), batch(3, 0, 1, 0, -1, -1)]);
    expect(s.times.length).toBe(3);
    const t = s.times;
    expect(t[0]).toBe(1005);
    expect(t[1]).toBe(7000);
    expect(t[2]).toBe(-1);
  });

  it("skips control batches and keeps at most MAX_TIMES batch times; copies carry them", () => {
    const parts: Uint8Array[] = [batch(0, 0, 1, 0x20, 5, 5)];
    for (let i = 0; i < MAX_TIMES + 10; i++) parts.push(batch(1 + i, 0, 1, 0, 100 + i, 100 + i));
    const s = scan(parts, 13);
    expect(s.control).toBe(1);
    expect(s.records).toBe(MAX_TIMES + 10);
    expect(s.headBase).toBe(1);
    expect(s.times.length).toBe(MAX_TIMES);
    const c = new BlobStats();
    c.copyFrom(s);
    expect(c.times.length).toBe(MAX_TIMES);
    expect(c.times[MAX_TIMES - 1]).toBe(100 + MAX_TIMES - 1);
    expect(c.deliveredRecords(1)).toBe(MAX_TIMES + 10);
  });
});

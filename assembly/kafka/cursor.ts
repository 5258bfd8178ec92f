// A bounds-checked reader over bytes in Wasm memory with a sticky error (after franz-go's kbin):
// a read past the end returns zero and marks the cursor; decoding code reads like the schema
// and checks `ok` once. `short` tells a frame that is merely incomplete from a malformed one.

export class Cursor {
  pos: i32 = 0;
  ok: bool = true;
  /** The failed read needed bytes beyond `len` that the frame may still deliver. */
  short: bool = false;
  /** When short: how many bytes the cursor would need in all to get past the failed read. */
  need: i32 = 0;

  /** `len` bytes are available at `ptr`; the frame can hold at most `limit` (>= len). */
  constructor(
    public ptr: usize,
    public len: i32,
    public limit: i32 = len,
  ) {}

  reset(ptr: usize, len: i32, limit: i32): void {
    this.ptr = ptr;
    this.len = len;
    this.limit = limit;
    this.pos = 0;
    this.ok = true;
    this.short = false;
    this.need = 0;
  }

  get remaining(): i32 {
    return this.len - this.pos;
  }

  /** Marks the cursor bad; a malformed frame. */
  fail(): void {
    this.ok = false;
    this.short = false;
  }

  /** Claims n bytes; returns their address, or 0 (and marks the cursor) when they are not there. */
  @inline take(n: i32): usize {
    if (!this.ok) return 0;
    const end = this.pos + n;
    if (n < 0 || end > this.len || end < this.pos) {
      this.ok = false;
      this.short = n >= 0 && end <= this.limit && end >= this.pos;
      this.need = end;
      return 0;
    }
    const at = this.ptr + <usize>this.pos;
    this.pos = end;
    return at;
  }

  skip(n: i32): void {
    this.take(n);
  }

  i8(): i8 {
    const a = this.take(1);
    return a ? load<i8>(a) : 0;
  }
  u8(): u8 {
    const a = this.take(1);
    return a ? load<u8>(a) : 0;
  }
  i16(): i16 {
    const a = this.take(2);
    return a ? <i16>bswap<u16>(load<u16>(a)) : 0;
  }
  i32(): i32 {
    const a = this.take(4);
    return a ? <i32>bswap<u32>(load<u32>(a)) : 0;
  }
  i64(): i64 {
    const a = this.take(8);
    return a ? <i64>bswap<u64>(load<u64>(a)) : 0;
  }

  /** Unsigned varint, at most 5 bytes (Kafka rejects a 5th byte with the continuation bit). */
  uvarint(): u32 {
    let v: u32 = 0;
    for (let i = 0; i < 5; i++) {
      const b = this.u8();
      if (!this.ok) return 0;
      v |= (<u32>(b & 0x7f)) << (7 * i);
      if ((b & 0x80) == 0) return v;
    }
    this.fail();
    return 0;
  }

  /** Zig-zag signed varint (record fields). */
  varint(): i32 {
    const u = this.uvarint();
    return (<i32>(u >>> 1)) ^ -(<i32>(u & 1));
  }

  /** Length of a string: int16 (classic) or uvarint N+1 (compact); -1 = null. */
  strLen(compact: bool): i32 {
    const n = compact ? <i32>this.uvarint() - 1 : <i32>this.i16();
    if (n < -1) {
      this.fail();
      return -1;
    }
    return n;
  }

  /** Length of bytes/records: int32 (classic) or uvarint N+1 (compact); -1 = null. */
  bytesLen(compact: bool): i32 {
    const n = compact ? <i32>this.uvarint() - 1 : this.i32();
    if (n < -1) {
      this.fail();
      return -1;
    }
    return n;
  }

  /** Array count, rejected when larger than the bytes the frame could still hold (as Kafka's readers do). */
  arrayLen(compact: bool): i32 {
    const n = compact ? <i32>this.uvarint() - 1 : this.i32();
    if (n < -1 || n > this.limit - this.pos) {
      this.fail();
      return -1;
    }
    return n;
  }

  /** Reads a string field into a JS string ("" for null). */
  str(compact: bool): string {
    const n = this.strLen(compact);
    if (n <= 0) return "";
    const a = this.take(n);
    return a ? String.UTF8.decodeUnsafe(a, n) : "";
  }

  skipStr(compact: bool): void {
    const n = this.strLen(compact);
    if (n > 0) this.skip(n);
  }
  skipBytes(compact: bool): void {
    const n = this.bytesLen(compact);
    if (n > 0) this.skip(n);
  }

  /** Skips a tagged-field section (flexible versions). */
  skipTags(): void {
    const count = this.uvarint();
    for (let i: u32 = 0; i < count && this.ok; i++) {
      this.uvarint();
      this.skip(<i32>this.uvarint());
    }
  }
}

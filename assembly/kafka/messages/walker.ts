// The one interpreter of the generated op tables (assembly/kafka/generated/codec.ts): walks a
// message of any version with the cursor, skips what is not captured and hands captured values
// to a Visitor by role. It never allocates; strings and bytes are handed over as (ptr, len) into
// the kept bytes. Restartable like every decoder here: a walk starts at the message start.
import { BlobStats } from "../batches";
import { Cursor } from "../cursor";
import { Frame, Verdict } from "../framer";
import { Kind, OP_WORDS, Role } from "../generated/codec";

/** Receives captured values, in wire order. Scopes (struct arrays holding captures) open and close. */
export abstract class Visitor {
  /** A captured array's element count (before its elements). */
  count(role: Role, n: i32): void {}
  open(role: Role): void {}
  close(role: Role): void {}
  int(role: Role, v: i64): void {}
  /** A string or bytes value at ptr (valid during the call); len -1 is null. */
  str(role: Role, ptr: usize, len: i32): void {}
  uuid(role: Role, hi: i64, lo: i64): void {}
  /** A records blob's summary (valid during the frame: copy what is kept). */
  records(role: Role, s: BlobStats): void {}
}

@inline function inRange(packed: i32, v: i32): bool {
  return v >= packed >>> 16 && v <= (packed & 0xffff);
}

export class Walker {
  private c: Cursor = new Cursor(0, 0);
  private f: Frame | null = null;
  private ops: StaticArray<i32> = [];
  private v: Visitor | null = null;
  private version: i32 = 0;
  private flex: bool = false;
  /** Records fields met so far in this walk (the i-th is summarised in f.blobs[i], valid during the frame). */
  private blob: i32 = 0;
  /** A records blob not yet summarised: the walk stopped for the framer. */
  private needRecords: bool = false;

  /** Walks the message at the cursor. Returns Done, More (cursor short), Records or Bad. */
  walk(c: Cursor, f: Frame, ops: StaticArray<i32>, version: i16, flex: bool, v: Visitor): Verdict {
    this.c = c;
    this.f = f;
    this.ops = ops;
    this.v = v;
    this.version = version;
    this.flex = flex;
    this.blob = 0;
    this.needRecords = false;
    this.fields(0, unchecked(ops[0]), false);
    if (this.needRecords) return Verdict.Records;
    if (!c.ok) return c.short ? Verdict.More : Verdict.Bad;
    return Verdict.Done;
  }

  /** Reads `count` ops from op index `start`; `tags`: read the struct's tag section after them. */
  private fields(start: i32, count: i32, tags: bool): bool {
    const ops = this.ops,
      c = this.c;
    for (let i = 0; i < count; i++) {
      const o = 1 + (start + i) * OP_WORDS;
      if (!inRange(unchecked(ops[o + 1]), this.version)) continue;
      if (!this.field(o)) return false;
    }
    if (tags && this.flex) c.skipTags();
    return c.ok;
  }

  private field(o: i32): bool {
    const ops = this.ops,
      c = this.c,
      v = this.v!;
    const kind = unchecked(ops[o]);
    const nullable = inRange(unchecked(ops[o + 2]), this.version);
    const role = <Role>unchecked(ops[o + 3]);
    if (kind == Kind.ArrayStruct || kind == Kind.ArrayOf) {
      const n = c.arrayLen(this.flex);
      if (!c.ok) return false;
      if (n < 0 && !nullable) {
        c.fail();
        return false;
      }
      if (role != Role.None) v.count(role, max(n, 0));
      const a = unchecked(ops[o + 4]),
        b = unchecked(ops[o + 5]);
      for (let i = 0; i < n; i++) {
        if (kind == Kind.ArrayOf) {
          if (!this.value(a, role, false)) return false;
        } else {
          if (role != Role.None) v.open(role);
          if (!this.fields(a, b, true)) return false;
          if (role != Role.None) v.close(role);
        }
      }
      return true;
    }
    if (kind == Kind.Struct) {
      if (nullable && c.i8() < 0) return c.ok;
      if (role != Role.None) v.open(role);
      if (!this.fields(unchecked(ops[o + 4]), unchecked(ops[o + 5]), true)) return false;
      if (role != Role.None) v.close(role);
      return true;
    }
    return this.value(kind, role, nullable);
  }

  /** One primitive value. */
  private value(kind: i32, role: Role, nullable: bool): bool {
    const c = this.c,
      v = this.v!;
    const keep = role != Role.None;
    switch (kind) {
      case Kind.Bool:
      case Kind.Int8: {
        const x = c.i8();
        if (keep && c.ok) v.int(role, x);
        break;
      }
      case Kind.Int16: {
        const x = c.i16();
        if (keep && c.ok) v.int(role, x);
        break;
      }
      case Kind.Uint16: {
        const x = <u16>c.i16();
        if (keep && c.ok) v.int(role, x);
        break;
      }
      case Kind.Int32: {
        const x = c.i32();
        if (keep && c.ok) v.int(role, x);
        break;
      }
      case Kind.Uint32: {
        const x = <u32>c.i32();
        if (keep && c.ok) v.int(role, x);
        break;
      }
      case Kind.Int64:
      case Kind.Float64: {
        const x = c.i64();
        if (keep && c.ok) v.int(role, x);
        break;
      }
      case Kind.Uuid: {
        const hi = c.i64(),
          lo = c.i64();
        if (keep && c.ok) v.uuid(role, hi, lo);
        break;
      }
      case Kind.String:
      case Kind.Bytes: {
        const n = kind == Kind.String ? c.strLen(this.flex) : c.bytesLen(this.flex);
        if (!c.ok) break;
        if (n < 0) {
          if (!nullable) {
            c.fail();
            break;
          }
          if (keep) v.str(role, 0, -1);
          break;
        }
        const at = c.take(n);
        if (keep && c.ok) v.str(role, at, n);
        break;
      }
      case Kind.Records:
        return this.records(role, nullable);
      default:
        c.fail();
    }
    return c.ok;
  }

  /** A records blob: its summary if the framer made one, else stop and ask for it. */
  private records(role: Role, nullable: bool): bool {
    const c = this.c,
      f = this.f!;
    const n = c.bytesLen(this.flex);
    if (!c.ok) return false;
    if (n < 0) {
      if (!nullable) c.fail();
      return c.ok;
    }
    if (n == 0) return true;
    const i = this.blob++;
    if (i < f.nBlobs) {
      if (role != Role.None) this.v!.records(role, unchecked(f.blobs[i]));
      return true;
    }
    if (n > c.limit - c.pos) {
      c.fail();
      return false;
    }
    f.recordsAt = c.pos;
    f.recordsLen = n;
    this.needRecords = true;
    return false;
  }
}

// The one interpreter of the generated op tables (assembly/kafka/generated/codec.ts): walks a
// message of any version with the cursor, skips what is not captured and hands captured values
// to a Visitor by role. It never allocates; strings and bytes are handed over as (ptr, len) into
// the kept bytes.
//
// Incremental, like Envoy's Kafka codec: the walk is an explicit stack of field lists, and it
// advances one step (a value, an array or struct head, the end of a struct) at a time; values
// nobody captures and that have a fixed width are skipped without a step of their own. When the
// kept bytes run short, or a records blob has to stream past, it stops at the start of the step
// and resumes there on the next call: every field is read, and every value visited, once per frame.
// A step hands values to the visitor only after all its reads succeeded, so a retried step
// visits nothing twice. Positions are offsets into the kept bytes, which may move between calls.
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
  /** A records blob's summary (valid during the call: copy what is kept). */
  records(role: Role, s: BlobStats): void {}
}

@inline function inRange(packed: i32, v: i32): bool {
  return v >= packed >>> 16 && v <= (packed & 0xffff);
}

/** Bytes of one value of a fixed-width kind; 0 for strings and bytes. */
@inline function fixedWidth(kind: i32): i32 {
  if (kind <= Kind.Int8) return 1;
  if (kind <= Kind.Uint16) return 2;
  if (kind <= Kind.Uint32) return 4;
  if (kind <= Kind.Float64) return 8;
  return kind == Kind.Uuid ? 16 : 0;
}

/** Skips an uncaptured array of n fixed-width values in one read (its count is at most the frame's bytes). */
function skipAll(c: Cursor, n: i32, width: i32): bool {
  const bytes = <i64>n * width;
  if (bytes > <i64>(c.limit - c.pos)) {
    c.fail();
    return false;
  }
  c.skip(<i32>bytes);
  return c.ok;
}

// A stack level is a field list being walked: ops start .. start+count-1, the next one at `next`,
// array elements still to come after this one, and the role of the struct (or array) it belongs
// to. A primitive array (ArrayOf) is a level with count -1 and its element kind in `start`.
const START = 0,
  COUNT = 1,
  NEXT = 2,
  LEFT = 3,
  ROLE = 4,
  LEVEL = 5;

export class Walker {
  private f: Frame | null = null;
  private ops: StaticArray<i32> = [];
  private v: Visitor | null = null;
  private version: i32 = 0;
  private flex: bool = false;
  /** Levels in use (0: no walk in progress). */
  private depth: i32 = 0;
  /** Schemas nest a few levels; the stack grows (rarely) when one nests deeper. */
  private stack: StaticArray<i32> = new StaticArray<i32>(6 * LEVEL);
  /** Where the next step starts, in the kept bytes. */
  private pos: i32 = 0;
  /** Records fields met so far in this walk (the framer counts those summarised in f.nBlobs). */
  private blob: i32 = 0;
  /** The walk stopped after a records field's length for the framer to summarise it; its role + 1. */
  private pendingBlob: i32 = 0;

  /** A walk has started and not yet finished (Done or Bad): the next call resumes it. */
  get active(): bool {
    return this.depth > 0;
  }

  /** Forgets any walk in progress (a new frame). */
  clear(): void {
    this.depth = 0;
    this.pendingBlob = 0;
    this.v = null;
    this.f = null;
  }

  /** Starts walking the message at the cursor's position, then runs as far as the bytes allow. */
  start(c: Cursor, f: Frame, ops: StaticArray<i32>, version: i16, flex: bool, v: Visitor): Verdict {
    this.f = f;
    this.ops = ops;
    this.v = v;
    this.version = version;
    this.flex = flex;
    this.blob = 0;
    this.pendingBlob = 0;
    this.pos = c.pos;
    this.depth = 0;
    this.push(0, unchecked(ops[0]), 0, Role.None);
    return this.resume(c);
  }

  /**
   * Continues the walk in progress over the kept bytes at the cursor (reset over them). Returns
   * Done, More (cursor short), Records (f.recordsAt/recordsLen name a blob to summarise) or Bad.
   */
  resume(c: Cursor): Verdict {
    c.pos = this.pos;
    const pending = this.pendingBlob;
    if (pending) {
      this.pendingBlob = 0;
      const role = <Role>(pending - 1);
      const f = this.f!;
      if (role != Role.None && this.blob == f.nBlobs) this.v!.records(role, f.blob);
    }
    while (this.depth > 0) {
      if (!this.step(c)) break;
      this.pos = c.pos;
      if (this.pendingBlob) return Verdict.Records;
    }
    if (this.depth == 0) {
      this.clear();
      return Verdict.Done;
    }
    if (c.ok) c.fail(); // a step that stopped without a reason
    if (c.short) return Verdict.More;
    this.clear();
    return Verdict.Bad;
  }

  private push(start: i32, count: i32, left: i32, role: Role): void {
    let s = this.stack;
    const at = this.depth * LEVEL;
    if (at + LEVEL > s.length) {
      const t = new StaticArray<i32>(s.length * 2);
      memory.copy(changetype<usize>(t), changetype<usize>(s), (<usize>s.length) << 2);
      this.stack = s = t;
    }
    unchecked((s[at + START] = start));
    unchecked((s[at + COUNT] = count));
    unchecked((s[at + NEXT] = 0));
    unchecked((s[at + LEFT] = left));
    unchecked((s[at + ROLE] = role));
    this.depth++;
  }

  /** One step of the innermost level; false when the cursor failed (nothing was visited). */
  private step(c: Cursor): bool {
    const s = this.stack,
      at = (this.depth - 1) * LEVEL;
    const count = unchecked(s[at + COUNT]),
      left = unchecked(s[at + LEFT]),
      role = <Role>unchecked(s[at + ROLE]);
    if (count < 0) {
      // a primitive array's next element
      if (left == 0) {
        this.depth--;
        return true;
      }
      if (!this.value(c, unchecked(s[at + START]), role, false)) return false;
      unchecked((s[at + LEFT] = left - 1));
      return true;
    }
    let next = unchecked(s[at + NEXT]);
    if (next < count) {
      const ops = this.ops,
        version = this.version;
      let o = 1 + (unchecked(s[at + START]) + next) * OP_WORDS;
      // Fields this version lacks and uncaptured fixed-width values pass here, many per step:
      // nothing to visit or push. The position is saved after each, as after a whole step.
      while (true) {
        if (inRange(unchecked(ops[o + 1]), version)) {
          const kind = unchecked(ops[o]);
          if (kind > Kind.Uuid || unchecked(ops[o + 3]) != Role.None) break;
          c.skip(fixedWidth(kind));
          if (!c.ok) return false;
          this.pos = c.pos;
        }
        unchecked((s[at + NEXT] = ++next));
        if (next == count) return true;
        o += OP_WORDS;
      }
      if (!this.field(c, o, at)) return false;
      // field() may have pushed a level (and moved the stack): index it afresh
      unchecked((this.stack[at + NEXT] = next + 1));
      return true;
    }
    // the end of a field list: the root's is the message's end
    if (this.depth == 1) {
      this.depth = 0;
      return true;
    }
    if (this.flex) {
      c.skipTags();
      if (!c.ok) return false;
    }
    const v = this.v!;
    if (role != Role.None) v.close(role);
    if (left > 0) {
      unchecked((s[at + NEXT] = 0));
      unchecked((s[at + LEFT] = left - 1));
      if (role != Role.None) v.open(role);
    } else this.depth--;
    return true;
  }

  /** The field at op o of the level at `at`: a value, or the head of an array or struct (pushed). */
  private field(c: Cursor, o: i32, at: i32): bool {
    const ops = this.ops,
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
      if (n <= 0) return true;
      if (kind == Kind.ArrayOf) {
        const width = fixedWidth(unchecked(ops[o + 4]));
        if (role == Role.None && width > 0) return skipAll(c, n, width);
        this.push(unchecked(ops[o + 4]), -1, n, role);
      } else {
        this.push(unchecked(ops[o + 4]), unchecked(ops[o + 5]), n - 1, role);
        if (role != Role.None) v.open(role);
      }
      return true;
    }
    if (kind == Kind.Struct) {
      if (nullable) {
        const present = c.i8();
        if (!c.ok) return false;
        if (present < 0) return true;
      }
      this.push(unchecked(ops[o + 4]), unchecked(ops[o + 5]), 0, role);
      if (role != Role.None) v.open(role);
      return true;
    }
    if (kind == Kind.Records) return this.records(c, role, nullable);
    return this.value(c, kind, role, nullable);
  }

  /** One primitive value. */
  private value(c: Cursor, kind: i32, role: Role, nullable: bool): bool {
    const v = this.v!;
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
      default:
        c.fail();
    }
    return c.ok;
  }

  /** A records field: stop after its length so the framer summarises the blob (see resume). */
  private records(c: Cursor, role: Role, nullable: bool): bool {
    const f = this.f!;
    const n = c.bytesLen(this.flex);
    if (!c.ok) return false;
    if (n < 0) {
      if (!nullable) c.fail();
      return c.ok;
    }
    if (n == 0) return true;
    if (n > c.limit - c.pos) {
      c.fail();
      return false;
    }
    f.recordsAt = c.pos;
    f.recordsLen = n;
    this.blob++;
    this.pendingBlob = <i32>role + 1;
    return true;
  }
}

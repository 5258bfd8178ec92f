// Rewrites the broker addresses in one complete response frame so that clients connect to the
// gateway: node n becomes host:portBase+n. The frame is walked with the generated address tables
// (generated/addresses.ts); every other byte is kept. Ports are patched in place; a host of another
// length is an edit, and so is the size of each tagged field (KIP-951 node_endpoints) that holds
// one, so nested lengths and the frame's size prefix stay right. A frame the walk cannot read
// exactly is left alone (Malformed).
import { ByteBuffer } from "../kafka/bytes";
import { Cursor } from "../kafka/cursor";
import { Kind } from "../kafka/generated/codec";
import { flexibleResponse } from "../kafka/header";
import { AddrRole, GW_OP_WORDS, addressOps } from "./generated/addresses";

export const enum Rewrite {
  Rewritten = 0,
  Unchanged = 1,
  Malformed = 2,
}

/** Where clients reach each broker: every node at one host, node n at port portBase + n. */
export class AddressMap {
  hostBytes: ArrayBuffer;
  constructor(
    readonly host: string,
    readonly portBase: i32,
  ) {
    this.hostBytes = String.UTF8.encode(host);
  }
  /** The client-facing port of a node, or -1 when it falls outside 1..65535. */
  port(node: i32): i32 {
    const p = <i64>this.portBase + <i64>node;
    return node >= 0 && p > 0 && p <= 65535 ? <i32>p : -1;
  }
}

@inline function inRange(packed: i32, v: i32): bool {
  return v >= packed >>> 16 && v <= (packed & 0xffff);
}

/** Fixed sizes of the primitive kinds (0: variable). */
const FIXED: StaticArray<i32> = [1, 1, 2, 2, 4, 4, 8, 8, 16];

function uvarintSize(v: u32): i32 {
  let n = 1;
  while (v >= 0x80) {
    v >>>= 7;
    n++;
  }
  return n;
}

function writeUvarint(p: usize, v: u32): usize {
  while (v >= 0x80) {
    store<u8>(p++, <u8>((v & 0x7f) | 0x80));
    v >>>= 7;
  }
  store<u8>(p++, <u8>v);
  return p;
}

export class Rewriter {
  private c: Cursor = new Cursor(0, 0);
  private ops: StaticArray<i32> = [];
  private version: i32 = 0;
  private flex: bool = false;
  private map: AddressMap;
  private node: i32 = -1;
  private patched: bool = false;
  // Edits in wire order: replace [at, at+old) with `rep` bytes [repAt, repAt+repLen) of `scratch`.
  private at: Array<i32> = [];
  private old: Array<i32> = [];
  private repAt: Array<i32> = [];
  private repLen: Array<i32> = [];
  private scratch: ByteBuffer = new ByteBuffer();
  private delta: i32 = 0;
  /** Nodes met whose port falls outside the map (left unchanged); read after rewrite(). */
  unmapped: i32 = 0;
  /** Addresses rewritten by the last rewrite(). */
  addresses: i32 = 0;
  /** The rewritten frame (valid until the next rewrite) when rewrite() returned Rewritten. */
  readonly out: ByteBuffer = new ByteBuffer();

  constructor(map: AddressMap) {
    this.map = map;
  }

  /**
   * Rewrites the frame at ptr (len bytes, size prefix included), a response to a request of
   * (key, version). Patches ports in place; on Rewritten the full new frame is in `out`.
   */
  rewrite(ptr: usize, len: i32, key: i16, version: i16): Rewrite {
    this.unmapped = 0;
    this.addresses = 0;
    const ops = addressOps(key, version);
    if (ops == null) return Rewrite.Unchanged;
    this.ops = ops;
    this.version = version;
    this.flex = flexibleResponse(key, version);
    this.at.length = 0;
    this.old.length = 0;
    this.repAt.length = 0;
    this.repLen.length = 0;
    this.scratch.len = 0;
    this.delta = 0;
    this.patched = false;
    const c = this.c;
    c.reset(ptr, len, len);
    if (c.i32() != len - 4) return Rewrite.Malformed;
    c.skip(4); // correlation id
    if (this.flex) c.skipTags();
    const rootCount = unchecked(ops[0]);
    let rootTags = false;
    for (let i = 0; i < rootCount; i++) if (unchecked(ops[1 + i * GW_OP_WORDS + 6]) >= 0) rootTags = true;
    if (!this.struct(0, rootCount, rootTags) || !c.ok) return Rewrite.Malformed;
    if (rootTags && c.pos != len) return Rewrite.Malformed; // the whole frame must have been read
    if (!this.patched && this.at.length == 0) return Rewrite.Unchanged;
    this.assemble(ptr, len);
    return Rewrite.Rewritten;
  }

  private assemble(ptr: usize, len: i32): void {
    const out = this.out;
    out.len = 0;
    out.reserve(len + this.delta);
    store<u32>(out.ptr, bswap<u32>(<u32>(len - 4 + this.delta)));
    let w = out.ptr + 4;
    let from = 4;
    for (let i = 0; i < this.at.length; i++) {
      const at = unchecked(this.at[i]);
      memory.copy(w, ptr + <usize>from, at - from);
      w += <usize>(at - from);
      const n = unchecked(this.repLen[i]);
      memory.copy(w, this.scratch.ptr + <usize>unchecked(this.repAt[i]), n);
      w += <usize>n;
      from = at + unchecked(this.old[i]);
    }
    memory.copy(w, ptr + <usize>from, len - from);
    out.len = len + this.delta;
  }

  /** Reads `count` ops from `start`, then the struct's tag section if `tags`. */
  private struct(start: i32, count: i32, tags: bool): bool {
    const ops = this.ops;
    this.node = -1;
    for (let i = 0; i < count; i++) {
      const o = 1 + (start + i) * GW_OP_WORDS;
      if (unchecked(ops[o + 6]) >= 0 || !inRange(unchecked(ops[o + 1]), this.version)) continue;
      if (!this.field(o)) return false;
    }
    return !tags || !this.flex || this.tagSection(start, count);
  }

  /** A tag section: tagged fields holding addresses are walked (their size fixed if it changed), others skipped. */
  private tagSection(start: i32, count: i32): bool {
    const c = this.c,
      ops = this.ops;
    const n = c.uvarint();
    for (let k: u32 = 0; k < n && c.ok; k++) {
      const tag = <i32>c.uvarint();
      const sizeAt = c.pos;
      const size = <i32>c.uvarint();
      const body = c.pos;
      if (!c.ok || size < 0 || size > c.len - body) return false;
      let op = -1;
      for (let i = 0; i < count; i++) {
        const o = 1 + (start + i) * GW_OP_WORDS;
        if (unchecked(ops[o + 6]) == tag && inRange(unchecked(ops[o + 1]), this.version) && unchecked(ops[o + 3]) == AddrRole.Scope) op = o;
      }
      if (op < 0) {
        c.skip(size);
        continue;
      }
      const edits = this.at.length,
        delta = this.delta;
      if (!this.field(op) || c.pos != body + size) return false;
      const grown = this.delta - delta;
      if (grown != 0) this.sizeEdit(edits, sizeAt, body - sizeAt, <u32>(size + grown));
    }
    return c.ok;
  }

  private field(o: i32): bool {
    const ops = this.ops,
      c = this.c;
    const kind = unchecked(ops[o]);
    const nullable = inRange(unchecked(ops[o + 2]), this.version);
    const role = unchecked(ops[o + 3]);
    if (kind <= Kind.Uuid) {
      const at = c.pos;
      if (role == AddrRole.NodeId) this.node = c.i32();
      else if (role == AddrRole.Port) {
        c.skip(4);
        this.port(at);
      } else c.skip(unchecked(FIXED[kind]));
    } else if (kind == Kind.String) {
      const at = c.pos;
      const n = c.strLen(this.flex);
      if (n > 0) c.skip(n);
      if (role == AddrRole.Host && c.ok) this.host(at, c.pos - at);
    } else if (kind == Kind.Bytes || kind == Kind.Records) {
      c.skipBytes(this.flex);
    } else if (kind == Kind.Struct) {
      if (nullable && c.i8() < 0) return c.ok;
      const node = this.node;
      if (!this.struct(unchecked(ops[o + 4]), unchecked(ops[o + 5]), true)) return false;
      this.node = node;
    } else if (kind == Kind.ArrayOf) {
      const n = c.arrayLen(this.flex);
      const ek = unchecked(ops[o + 4]);
      if (ek <= Kind.Uuid) c.skip(n * unchecked(FIXED[ek]));
      else
        for (let i = 0; i < n && c.ok; i++) {
          if (ek == Kind.String) c.skipStr(this.flex);
          else c.skipBytes(this.flex);
        }
    } else if (kind == Kind.ArrayStruct) {
      const n = c.arrayLen(this.flex);
      const node = this.node;
      for (let i = 0; i < n && c.ok; i++) if (!this.struct(unchecked(ops[o + 4]), unchecked(ops[o + 5]), true)) return false;
      this.node = node;
    } else {
      c.fail();
    }
    return c.ok;
  }

  private port(at: i32): void {
    if (this.node < 0) return;
    const p = this.map.port(this.node);
    if (p < 0) {
      this.unmapped++;
      return;
    }
    store<u32>(this.c.ptr + <usize>at, bswap<u32>(<u32>p));
    this.patched = true;
    this.addresses++;
  }

  /** The host string [at, at+oldLen) (length prefix included) becomes the map's host. */
  private host(at: i32, oldLen: i32): void {
    if (this.node < 0 || this.map.port(this.node) < 0) return;
    const h = this.map.hostBytes.byteLength;
    const prefix = this.flex ? uvarintSize(<u32>(h + 1)) : 2;
    const s = this.scratch;
    const repAt = s.len;
    s.reserve(repAt + prefix + h);
    let w = s.ptr + <usize>repAt;
    if (this.flex) w = writeUvarint(w, <u32>(h + 1));
    else {
      store<u16>(w, bswap<u16>(<u16>h));
      w += 2;
    }
    memory.copy(w, changetype<usize>(this.map.hostBytes), h);
    s.len = repAt + prefix + h;
    // Same bytes: nothing to edit (the port patch still counts).
    if (prefix + h == oldLen && memory.compare(s.ptr + <usize>repAt, this.c.ptr + <usize>at, oldLen) == 0) {
      s.len = repAt;
      return;
    }
    this.pushEdit(this.at.length, at, oldLen, repAt, prefix + h);
  }

  /** A tagged field's size becomes `size` (a uvarint at [at, at+oldLen)); inserted before the edits inside it. */
  private sizeEdit(index: i32, at: i32, oldLen: i32, size: u32): void {
    const s = this.scratch;
    const repAt = s.len,
      n = uvarintSize(size);
    s.reserve(repAt + n);
    writeUvarint(s.ptr + <usize>repAt, size);
    s.len = repAt + n;
    this.pushEdit(index, at, oldLen, repAt, n);
  }

  private pushEdit(index: i32, at: i32, oldLen: i32, repAt: i32, repLen: i32): void {
    this.at.push(0);
    this.old.push(0);
    this.repAt.push(0);
    this.repLen.push(0);
    for (let i = this.at.length - 1; i > index; i--) {
      this.at[i] = this.at[i - 1];
      this.old[i] = this.old[i - 1];
      this.repAt[i] = this.repAt[i - 1];
      this.repLen[i] = this.repLen[i - 1];
    }
    this.at[index] = at;
    this.old[index] = oldLen;
    this.repAt[index] = repAt;
    this.repLen[index] = repLen;
    this.delta += repLen - oldLen;
  }
}

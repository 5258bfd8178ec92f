// Mutations of Kafka frames that aim at what a decoder trusts: the length prefix, the header
// (api key, version, correlation id, client id, header tagged fields), lengths and counts as
// int16/int32, unsigned varints (compact strings and arrays, tagged fields), record batch
// headers; and plain byte damage (flips, random runs, inserts, deletes, truncation, splices,
// wholly random frames). Every choice comes from one seeded generator: a seed replays a run.

/** mulberry32: small, fast, good enough for fuzzing; deterministic per seed. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
  bytes(n: number): Buffer {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }
}

const I32 = [
  0,
  1,
  -1,
  2,
  7,
  127,
  128,
  255,
  256,
  0x7fff,
  0x8000,
  0xffff,
  0x10000,
  0x7fffffff,
  -0x80000000,
  100 * 1024 * 1024 + 1,
  512 * 1024,
];
const I16 = [0, 1, -1, 2, 0x7f, 0x80, 0xff, 0x7fff, -0x8000];
/** Unsigned varints: null/empty compact lengths, big and overlong encodings, a 10-byte run. */
const VARINTS = [
  [0x00],
  [0x01],
  [0x02],
  [0x7f],
  [0x80, 0x01],
  [0xff, 0x7f],
  [0xff, 0xff, 0xff, 0xff, 0x0f],
  [0xff, 0xff, 0xff, 0xff, 0x7f],
  [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
  [0x80, 0x80, 0x80, 0x80, 0x80, 0x80],
  [0xfe, 0xff, 0xff, 0xff, 0x07],
];

export type Dir = "request" | "response";

function near(rng: Rng, x: number): number {
  return x + rng.int(9) - 4;
}

function i32(rng: Rng, len: number): number {
  const r = rng.int(4);
  if (r === 0) return near(rng, len);
  if (r === 1) return rng.int(0x100000000) | 0;
  return rng.pick(I32);
}

function varint(rng: Rng): number[] {
  if (rng.chance(0.7)) return rng.pick(VARINTS);
  const out: number[] = [];
  let v = rng.int(0x100000000);
  do {
    const b = v & 0x7f;
    v = Math.floor(v / 128);
    out.push(v ? b | 0x80 : b);
  } while (v);
  return out;
}

/** Offsets of record batches (magic 2) inside a frame, found by their header's shape. */
export function batchOffsets(f: Buffer): number[] {
  const out: number[] = [];
  for (let i = 4; i + 61 <= f.length; i++) {
    if (f[i + 16] !== 2) continue;
    const len = f.readInt32BE(i + 8);
    if (len >= 49 && i + 12 + len <= f.length) out.push(i);
  }
  return out;
}

/** Offset just past the request header's client id (where flexible headers put tagged fields). */
function afterClientId(f: Buffer): number {
  if (f.length < 14) return f.length;
  const n = f.readInt16BE(12);
  return Math.min(f.length, 14 + Math.max(0, n));
}

function put(f: Buffer, at: number, bytes: number[] | Buffer): Buffer {
  if (at >= f.length) return Buffer.concat([f, Buffer.from(bytes)]);
  const b = Buffer.from(f);
  for (let i = 0; i < bytes.length && at + i < b.length; i++) b[at + i] = bytes[i];
  return b;
}

function insert(f: Buffer, at: number, bytes: number[] | Buffer): Buffer {
  return Buffer.concat([f.subarray(0, at), Buffer.from(bytes), f.subarray(at)]);
}

function be32(v: number): number[] {
  const b = Buffer.alloc(4);
  b.writeInt32BE(v | 0);
  return [...b];
}
function be16(v: number): number[] {
  const b = Buffer.alloc(2);
  b.writeInt16BE(((v & 0xffff) << 16) >> 16);
  return [...b];
}

type Mutator = (rng: Rng, f: Buffer, dir: Dir, other: Buffer) => Buffer;

/** Each mutator returns a new frame; the caller decides whether to fix the length prefix. */
const MUTATORS: Record<string, Mutator> = {
  apiKey: (rng, f, dir) => (dir === "request" ? put(f, 4, be16(rng.chance(0.5) ? rng.int(90) - 2 : rng.pick(I16))) : f),
  apiVersion: (rng, f, dir) => (dir === "request" ? put(f, 6, be16(rng.chance(0.7) ? rng.int(22) - 1 : rng.pick(I16))) : f),
  correlation: (rng, f, dir) => put(f, dir === "request" ? 8 : 4, be32(i32(rng, 0))),
  clientIdLength: (rng, f, dir) => (dir === "request" ? put(f, 12, be16(rng.chance(0.5) ? near(rng, f.length - 14) : rng.pick(I16))) : f),
  headerTags: (rng, f, dir) => {
    const at = dir === "request" ? afterClientId(f) : 8;
    const tags = rng.chance(0.5) ? varint(rng) : [0x01, ...varint(rng), ...varint(rng)];
    return rng.chance(0.5) ? put(f, at, tags) : insert(f, at, tags);
  },
  int32: (rng, f) => put(f, 4 + rng.int(Math.max(1, f.length - 4)), be32(i32(rng, f.length))),
  int16: (rng, f) => put(f, 4 + rng.int(Math.max(1, f.length - 4)), be16(rng.chance(0.5) ? rng.pick(I16) : near(rng, rng.int(64)))),
  varint: (rng, f) => {
    const at = 4 + rng.int(Math.max(1, f.length - 4));
    return rng.chance(0.6) ? put(f, at, varint(rng)) : insert(f, at, varint(rng));
  },
  batch: (rng, f) => {
    const batches = batchOffsets(f);
    if (batches.length === 0) return MUTATORS.int32(rng, f, "request", f);
    const b = rng.pick(batches);
    switch (rng.int(8)) {
      case 0:
        return put(f, b + 8, be32(i32(rng, f.length - b - 12))); // batchLength
      case 1:
        return put(f, b + 21, be16(rng.chance(0.5) ? rng.int(8) : rng.int(0x10000))); // attributes: codec, flags
      case 2:
        return put(f, b + 23, be32(i32(rng, 0))); // lastOffsetDelta
      case 3:
        return put(f, b + 57, be32(i32(rng, 0))); // record count
      case 4:
        return put(f, b, [...be32(i32(rng, 0)), ...be32(i32(rng, 0))]); // baseOffset
      case 5:
        return put(f, b + 16, [rng.int(256)]); // magic
      case 6:
        return put(f, b + 61 + rng.int(Math.max(1, f.length - b - 61)), varint(rng)); // inside records
      default:
        return put(f, b + 27, [...be32(i32(rng, 0)), ...be32(i32(rng, 0))]); // timestamps
    }
  },
  flip: (rng, f) => {
    const b = Buffer.from(f);
    const i = rng.int(b.length);
    b[i] ^= 1 << rng.int(8);
    return b;
  },
  bytes: (rng, f) => put(f, 4 + rng.int(Math.max(1, f.length - 4)), rng.bytes(1 + rng.int(8))),
  insert: (rng, f) => insert(f, 4 + rng.int(Math.max(1, f.length - 3)), rng.bytes(1 + rng.int(16))),
  delete: (rng, f) => {
    const at = 4 + rng.int(Math.max(1, f.length - 4));
    return Buffer.concat([f.subarray(0, at), f.subarray(Math.min(f.length, at + 1 + rng.int(16)))]);
  },
  truncate: (rng, f) => f.subarray(0, 4 + rng.int(Math.max(1, f.length - 4))),
  splice: (rng, f, _dir, other) =>
    Buffer.concat([
      f.subarray(0, 4 + rng.int(Math.max(1, f.length - 4))),
      other.subarray(Math.min(other.length, 4 + rng.int(Math.max(1, other.length - 4)))),
    ]),
  duplicate: (rng, f) => {
    const at = 4 + rng.int(Math.max(1, f.length - 4));
    return insert(f, at, f.subarray(at, at + 1 + rng.int(64)));
  },
  random: (rng, f) => Buffer.concat([f.subarray(0, 4), rng.bytes(rng.int(rng.chance(0.9) ? 64 : 4096))]),
};

export const MUTATOR_NAMES = Object.keys(MUTATORS);

/**
 * One to three mutations of a frame. The length prefix is then set to the new body length
 * (so the damage is inside a frame the framer accepts), except when the `length` mutation
 * is drawn, which writes a wrong prefix that desynchronises the rest of the stream.
 */
export function mutate(rng: Rng, frame: Buffer, dir: Dir, other: Buffer): { frame: Buffer; ops: string[] } {
  let f = frame.length >= 4 ? frame : Buffer.concat([frame, Buffer.alloc(4 - frame.length)]);
  const ops: string[] = [];
  for (let n = 1 + rng.int(3); n > 0; n--) {
    const name = rng.pick(MUTATOR_NAMES);
    f = MUTATORS[name](rng, f, dir, other);
    ops.push(name);
  }
  if (f.length < 4) f = Buffer.concat([f, Buffer.alloc(4 - f.length)]);
  f = Buffer.from(f);
  if (rng.chance(0.05)) {
    f.writeInt32BE(i32(rng, f.length - 4), 0);
    ops.push("length");
  } else f.writeInt32BE(f.length - 4, 0);
  return { frame: f, ops };
}

// Writes Kafka wire bytes by hand, for specs that need a message no recorded client sent
// (a partition error, a failed SASL login, a second generation). Field order follows Kafka's
// JSON schemas (common/message/*.json); `c` methods are the compact forms of flexible versions.
import { MemorySource } from "../../assembly/kafka/bytes";

export class Wire {
  bytes: u8[] = [];

  i8(v: i32): Wire {
    this.bytes.push(<u8>v);
    return this;
  }
  i16(v: i32): Wire {
    return this.i8(v >> 8).i8(v);
  }
  i32(v: i32): Wire {
    return this.i16(v >> 16).i16(v);
  }
  i64(v: i64): Wire {
    return this.i32(<i32>(v >> 32)).i32(<i32>v);
  }
  uvarint(v: u32): Wire {
    while (v >= 0x80) {
      this.i8(<i32>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    return this.i8(<i32>v);
  }
  raw(b: u8[]): Wire {
    for (let i = 0; i < b.length; i++) this.bytes.push(b[i]);
    return this;
  }
  /** A string with an int16 length (-1: null). */
  str(s: string | null): Wire {
    if (s == null) return this.i16(-1);
    const b = utf8(s);
    return this.i16(b.length).raw(b);
  }
  /** A compact (nullable) string: uvarint length + 1, 0 for null. */
  cstr(s: string | null): Wire {
    if (s == null) return this.uvarint(0);
    const b = utf8(s);
    return this.uvarint(b.length + 1).raw(b);
  }
  cbytes(b: u8[]): Wire {
    return this.uvarint(b.length + 1).raw(b);
  }
  /** A compact array's length (n + 1). */
  carray(n: i32): Wire {
    return this.uvarint(<u32>n + 1);
  }
  /** An empty tagged-field section. */
  tags(): Wire {
    return this.uvarint(0);
  }

  /** The bytes, size-prefixed as one Kafka frame, as a source a session reads. */
  frame(): MemorySource {
    const n = this.bytes.length;
    const p = heap.alloc(n + 4);
    store<u32>(p, bswap<u32>(<u32>n));
    for (let i = 0; i < n; i++) store<u8>(p + 4 + <usize>i, this.bytes[i]);
    return new MemorySource(p, n + 4);
  }
}

export function utf8(s: string): u8[] {
  const buf = Uint8Array.wrap(String.UTF8.encode(s));
  const out = new Array<u8>(buf.length);
  for (let i = 0; i < buf.length; i++) out[i] = buf[i];
  return out;
}

/** A request header: v2 (flexible: tags after the client id, which keeps an int16 length) or v1. */
export function request(apiKey: i32, version: i32, correlationId: i32, clientId: string, flexible: bool): Wire {
  const w = new Wire().i16(apiKey).i16(version).i32(correlationId).str(clientId);
  return flexible ? w.tags() : w;
}

/** A response header: v1 (flexible: tags) or v0. */
export function response(correlationId: i32, flexible: bool): Wire {
  const w = new Wire().i32(correlationId);
  return flexible ? w.tags() : w;
}

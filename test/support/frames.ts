// Builds Kafka frames by hand for unit tests (real clients produce the ones integration tests use).

export function int16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
}
export function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}
export function str(s: string | null): Buffer {
  return s === null ? int16(-1) : Buffer.concat([int16(Buffer.byteLength(s)), Buffer.from(s)]);
}
export function frame(...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  return Buffer.concat([int32(body.length), body]);
}

/** A request frame: header v1 (v2 adds an empty tag section when `flexible`). */
export function request(
  apiKey: number,
  version: number,
  correlationId: number,
  clientId: string | null,
  flexible: boolean,
  body: Buffer = Buffer.alloc(0),
): Buffer {
  return frame(int16(apiKey), int16(version), int32(correlationId), str(clientId), flexible ? Buffer.from([0]) : Buffer.alloc(0), body);
}

/** A response frame: header v0 (v1 adds an empty tag section when `flexible`). */
export function response(correlationId: number, flexible: boolean, body: Buffer = Buffer.alloc(0)): Buffer {
  return frame(int32(correlationId), flexible ? Buffer.from([0]) : Buffer.alloc(0), body);
}

/** Splits a buffer into chunks of `size` bytes. */
export function chunks(b: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < b.length; i += size) out.push(b.subarray(i, i + size));
  return out;
}

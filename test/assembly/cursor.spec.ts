import { Cursor } from "../../assembly/kafka/cursor";

function bytes(a: u8[]): usize {
  const p = heap.alloc(a.length);
  for (let i = 0; i < a.length; i++) store<u8>(p + i, a[i]);
  return p;
}

describe("Cursor", () => {
  it("reads big-endian integers", () => {
    const c = new Cursor(bytes([0, 3, 0xff, 0xff, 0xff, 0xfe]), 6);
    expect(c.i16()).toBe(3);
    expect(c.i32()).toBe(-2);
    expect(c.ok).toBe(true);
  });
  it("marks a short read as short when the frame may still deliver it", () => {
    const c = new Cursor(bytes([0, 0]), 2, 10);
    c.i32();
    expect(c.ok).toBe(false);
    expect(c.short).toBe(true);
    expect(c.need).toBe(4);
  });
  it("marks a read beyond the frame as malformed", () => {
    const c = new Cursor(bytes([0, 0]), 2, 2);
    c.i32();
    expect(c.ok).toBe(false);
    expect(c.short).toBe(false);
  });
  it("rejects a 5-byte varint with a continuation bit", () => {
    const c = new Cursor(bytes([0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), 6);
    c.uvarint();
    expect(c.ok).toBe(false);
  });
  it("rejects an array count larger than the bytes left", () => {
    const c = new Cursor(bytes([0, 0, 1, 0, 1, 2]), 6);
    expect(c.arrayLen(false)).toBe(-1);
    expect(c.ok).toBe(false);
  });
});

// Where bytes come from: the host's buffer for the current chunk, or memory in tests.

export abstract class ByteSource {
  abstract get length(): i32;
  /** Copies [start, start+len) to dest; returns the number copied. */
  abstract copy(start: i32, len: i32, dest: usize): i32;
}

/** Bytes already in Wasm memory (tests, recorded streams). */
export class MemorySource extends ByteSource {
  constructor(
    public ptr: usize,
    public len: i32,
  ) {
    super();
  }
  get length(): i32 {
    return this.len;
  }
  copy(start: i32, len: i32, dest: usize): i32 {
    const n = min(len, this.len - start);
    if (n <= 0) return 0;
    memory.copy(dest, this.ptr + <usize>start, n);
    return n;
  }
}

/** Bytes [start, start+len) of another source (the new part of a buffer the host re-presents). */
export class SliceSource extends ByteSource {
  private src: ByteSource | null = null;
  private start: i32 = 0;
  private len: i32 = 0;
  reset(src: ByteSource, start: i32, len: i32): void {
    this.src = src;
    this.start = start;
    this.len = len;
  }
  get length(): i32 {
    return this.len;
  }
  copy(start: i32, len: i32, dest: usize): i32 {
    const n = min(len, this.len - start);
    return n > 0 ? this.src!.copy(this.start + start, n, dest) : 0;
  }
}

/** A growable byte buffer in Wasm memory (the kept bytes of a frame). */
export class ByteBuffer {
  ptr: usize = 0;
  cap: i32 = 0;
  len: i32 = 0;

  reserve(n: i32): void {
    if (n <= this.cap) return;
    let c = max(this.cap * 2, max(n, 256));
    this.ptr = this.ptr ? heap.realloc(this.ptr, c) : heap.alloc(c);
    this.cap = c;
  }

  /** Appends up to `len` bytes of a source; returns the number appended. */
  append(src: ByteSource, start: i32, len: i32): i32 {
    this.reserve(this.len + len);
    const n = src.copy(start, len, this.ptr + <usize>this.len);
    this.len += n;
    return n;
  }

  /** Removes [at, at+n) (a records blob already summarised). */
  cut(at: i32, n: i32): void {
    memory.copy(this.ptr + <usize>at, this.ptr + <usize>(at + n), this.len - at - n);
    this.len -= n;
  }

  /** Shrinks the buffer back after a large frame so idle connections stay small. */
  clear(): void {
    this.len = 0;
    if (this.cap > 65536) {
      heap.free(this.ptr);
      this.ptr = 0;
      this.cap = 0;
    }
  }

  free(): void {
    if (this.ptr) heap.free(this.ptr);
    this.ptr = 0;
    this.cap = 0;
    this.len = 0;
  }
}

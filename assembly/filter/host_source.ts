// The current chunk of a connection, read through proxy_get_buffer_bytes. In Envoy a host call
// costs about 0.9 µs (bench/crossings.ts), so a read copies ahead of what was asked and later
// reads are served from that window. How far ahead adapts per connection, like a kernel's
// read-ahead: a chunk of many small frames is read whole in one call (the window grows when reads
// run past its end), while a chunk of bulk records, of which only batch heads are read, costs a
// short copy (it shrinks when most of a window went unused).
import { BufferType } from "../abi/enums";
import { copyBuffer } from "../abi/host";
import { ByteSource } from "../kafka/bytes";

/** Most bytes copied per host call: Envoy reads 16 KiB at a time, and copying 16 KiB costs about one call. */
const WINDOW: i32 = 16384;
/** Least read-ahead: a frame's decoder first asks for up to 1 KiB (MIN_WANT in ../kafka/session.ts). */
const MIN_AHEAD: i32 = 2048;

// One window for the whole VM: callbacks never overlap, so connections take turns, and an idle
// connection holds no copy of anything.
const win: usize = heap.alloc(WINDOW);
let winOwner: HostSource | null = null;
let winStart: i32 = 0;
let winLen: i32 = 0;
/** How far into the window reads went (from winStart). */
let winUsed: i32 = 0;

export class HostSource extends ByteSource {
  private buffer: BufferType = BufferType.DownstreamData;
  private size: i32 = 0;
  private ahead: i32 = MIN_AHEAD;

  /** A new chunk (or the same buffer re-presented): whatever the window held is stale. */
  reset(buffer: BufferType, size: i32): void {
    this.buffer = buffer;
    this.size = size;
    if (winOwner === this) this.release();
  }

  /** Gives the window up, shrinking the read-ahead if most of it went unused. */
  private release(): void {
    if (winUsed * 4 < winLen) this.ahead = max(this.ahead >> 1, MIN_AHEAD);
    winOwner = null;
  }

  get length(): i32 {
    return this.size;
  }

  copy(start: i32, len: i32, dest: usize): i32 {
    len = min(len, this.size - start);
    if (len <= 0) return 0;
    if (winOwner === this) {
      if (start >= winStart && start + len <= winStart + winLen) {
        memory.copy(dest, win + <usize>(start - winStart), len);
        winUsed = max(winUsed, start + len - winStart);
        return len;
      }
      // reads ran past the window's end: read further ahead next time
      if (start < winStart + winLen + MIN_AHEAD && start >= winStart) this.ahead = min(this.ahead << 2, WINDOW);
      else this.release();
    }
    if (len >= WINDOW) return copyBuffer(this.buffer, start, len, dest);
    winOwner = this;
    winStart = start;
    winLen = copyBuffer(this.buffer, start, min(max(len, this.ahead), this.size - start), win);
    const n = min(len, winLen);
    winUsed = n;
    memory.copy(dest, win, n);
    return n;
  }

  dispose(): void {
    if (winOwner === this) winOwner = null;
  }
}

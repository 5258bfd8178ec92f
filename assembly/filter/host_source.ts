// The current chunk of a connection, read through proxy_get_buffer_bytes. In Envoy a host call
// costs about 0.9 µs and a copied byte almost nothing (bench/crossings.ts), so the first read
// of a callback copies the rest of the chunk, up to WINDOW, and later reads are served from it:
// a chunk costs one host call however many frame heads it holds.
import { BufferType } from "../abi/enums";
import { copyBuffer } from "../abi/host";
import { ByteSource } from "../kafka/bytes";

/** Most bytes copied per host call: Envoy reads 16 KiB at a time, and copying 16 KiB costs about one call. */
const WINDOW: i32 = 16384;

// One window for the whole VM: callbacks never overlap, so connections take turns, and an idle
// connection holds no copy of anything.
const win: usize = heap.alloc(WINDOW);
let winOwner: HostSource | null = null;
let winStart: i32 = 0;
let winLen: i32 = 0;

export class HostSource extends ByteSource {
  private buffer: BufferType = BufferType.DownstreamData;
  private size: i32 = 0;

  /** A new chunk (or the same buffer re-presented): whatever the window held is stale. */
  reset(buffer: BufferType, size: i32): void {
    this.buffer = buffer;
    this.size = size;
    if (winOwner === this) winOwner = null;
  }

  get length(): i32 {
    return this.size;
  }

  copy(start: i32, len: i32, dest: usize): i32 {
    len = min(len, this.size - start);
    if (len <= 0) return 0;
    if (winOwner === this && start >= winStart && start + len <= winStart + winLen) {
      memory.copy(dest, win + <usize>(start - winStart), len);
      return len;
    }
    if (len >= WINDOW) return copyBuffer(this.buffer, start, len, dest);
    winOwner = this;
    winStart = start;
    winLen = copyBuffer(this.buffer, start, min(WINDOW, this.size - start), win);
    const n = min(len, winLen);
    memory.copy(dest, win, n);
    return n;
  }

  dispose(): void {
    if (winOwner === this) winOwner = null;
  }
}

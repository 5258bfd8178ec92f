// The current chunk of a connection, read through proxy_get_buffer_bytes. Small reads are
// served from a window copied once, so a frame's size and header cost one host call, not two.
import { BufferType } from "../abi/enums";
import { copyBuffer } from "../abi/host";
import { ByteSource } from "../kafka/bytes";

/** Several times what the decoders first ask for (session.ts MIN_WANT): a run of small frames costs one host call. */
const WINDOW: i32 = 4096;

export class HostSource extends ByteSource {
  private buffer: BufferType = BufferType.DownstreamData;
  private size: i32 = 0;
  private win: usize = heap.alloc(WINDOW);
  private winStart: i32 = 0;
  private winLen: i32 = 0;

  reset(buffer: BufferType, size: i32): void {
    this.buffer = buffer;
    this.size = size;
    this.winStart = 0;
    this.winLen = 0;
  }

  get length(): i32 {
    return this.size;
  }

  copy(start: i32, len: i32, dest: usize): i32 {
    len = min(len, this.size - start);
    if (len <= 0) return 0;
    if (start >= this.winStart && start + len <= this.winStart + this.winLen) {
      memory.copy(dest, this.win + <usize>(start - this.winStart), len);
      return len;
    }
    if (len >= WINDOW) return copyBuffer(this.buffer, start, len, dest);
    this.winStart = start;
    this.winLen = copyBuffer(this.buffer, start, min(WINDOW, this.size - start), this.win);
    const n = min(len, this.winLen);
    memory.copy(dest, this.win, n);
    return n;
  }

  dispose(): void {
    heap.free(this.win);
  }
}

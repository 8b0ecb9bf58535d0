/**
 * The allocator of the wasm backend: every tensor is a block of one WebAssembly.Memory.
 *
 * Blocks come in size classes (four per doubling, at least 64 bytes, so every block is
 * 64-byte aligned and wastes at most a quarter of its size); freed blocks wait on a list per
 * class and are handed out again first, so a training loop that makes the same
 * intermediates every step stops growing the memory after its first step. New blocks are cut
 * from the top; when the top reaches the end of the memory it grows (WebAssembly memory
 * never shrinks). Growing replaces `memory.buffer`, so typed-array views must be taken from
 * `buffer` after any allocation, never kept across one.
 */
import { DescentError } from '../../errors.js';

const PAGE = 65536;
const ALIGN = 64;

/** The block size that serves a request of `bytes`. */
export function sizeClass(bytes: number): number {
  if (bytes <= ALIGN) return ALIGN;
  const e = 2 ** Math.floor(Math.log2(bytes - 1));
  const q = Math.max(ALIGN, e / 4);
  return Math.ceil(bytes / q) * q;
}

export interface HeapStats {
  /** Bytes of the WebAssembly memory. */
  memoryBytes: number;
  /** Bytes in blocks handed out and not yet freed. */
  liveBytes: number;
  /** Bytes in freed blocks waiting for reuse. */
  freeBytes: number;
}

export class Heap {
  private top: number;
  private readonly freeLists = new Map<number, number[]>();
  private liveBytes = 0;
  private freeBytes = 0;
  /** The memory's current buffer; replaced when the memory grows. */
  buffer: ArrayBuffer | SharedArrayBuffer;

  constructor(
    readonly memory: WebAssembly.Memory,
    base: number,
    private readonly maximumPages: number,
  ) {
    this.top = Math.ceil(base / ALIGN) * ALIGN;
    this.buffer = memory.buffer;
  }

  /** A block of at least `bytes` bytes; returns its offset and its true size. */
  alloc(bytes: number): { ptr: number; bytes: number } {
    const cls = sizeClass(bytes);
    const list = this.freeLists.get(cls);
    if (list && list.length > 0) {
      this.freeBytes -= cls;
      this.liveBytes += cls;
      return { ptr: list.pop()!, bytes: cls };
    }
    if (this.top + cls > this.buffer.byteLength && !this.grow(this.top + cls)) return this.allocLarger(cls);
    const ptr = this.top;
    this.top += cls;
    this.liveBytes += cls;
    return { ptr, bytes: cls };
  }

  /** Returns a block (its offset and the size `alloc` reported) to its free list. */
  release(ptr: number, bytes: number): void {
    if (bytes === 0) return;
    let list = this.freeLists.get(bytes);
    if (!list) this.freeLists.set(bytes, (list = []));
    list.push(ptr);
    this.liveBytes -= bytes;
    this.freeBytes += bytes;
  }

  stats(): HeapStats {
    return { memoryBytes: this.buffer.byteLength, liveBytes: this.liveBytes, freeBytes: this.freeBytes };
  }

  private grow(end: number): boolean {
    const current = this.buffer.byteLength / PAGE;
    const needed = Math.ceil((end - this.buffer.byteLength) / PAGE);
    // Grow by at least an eighth so that a growing model does not grow page by page.
    const wanted = Math.min(this.maximumPages - current, Math.max(needed, Math.ceil(current / 8)));
    if (wanted < needed) return false;
    try {
      this.memory.grow(wanted);
    } catch {
      try {
        this.memory.grow(needed);
      } catch {
        return false;
      }
    }
    this.buffer = this.memory.buffer;
    return true;
  }

  /** When the memory cannot grow: the smallest free block of a larger class, if any. */
  private allocLarger(cls: number): { ptr: number; bytes: number } {
    let best = Infinity;
    for (const [size, list] of this.freeLists) if (size > cls && size < best && list.length > 0) best = size;
    if (best === Infinity) {
      throw new DescentError(
        `wasm backend: out of memory allocating ${cls} bytes (memory is ${this.buffer.byteLength} bytes, ` +
          `${this.liveBytes} in live tensors). Dispose tensors you no longer need or use tidy().`,
      );
    }
    this.freeBytes -= best;
    this.liveBytes += best;
    return { ptr: this.freeLists.get(best)!.pop()!, bytes: best };
  }
}

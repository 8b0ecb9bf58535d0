/**
 * The webgpu backend's buffer pool: storage buffers come in size classes (four per octave,
 * so at most 25% is wasted), and a freed buffer goes back to its class instead of being
 * destroyed, so that a training loop stops creating buffers after its first step.
 *
 * Freed buffers are "dirty" until the commands recorded so far are submitted: commands in
 * the open command encoder may still read them. A dirty buffer may be handed to a kernel's
 * output at once (the kernel runs after those commands, in the same stream), but not to an
 * upload — `queue.writeBuffer` takes effect before the open encoder is submitted. `settle()`
 * (called after each submit) makes them clean.
 */

/** STORAGE | COPY_SRC | COPY_DST (numeric, so that no GPUBufferUsage global is needed). */
export const STORAGE_USAGE = 0x80 | 0x04 | 0x08;

/** The size class of a request of `bytes`: at least 256 bytes, then four steps per octave. */
export function sizeClass(bytes: number): number {
  if (bytes <= 256) return 256;
  const octave = 2 ** Math.floor(Math.log2(bytes - 1));
  const step = octave / 4;
  return Math.ceil(bytes / step) * step;
}

export interface PoolStats {
  /** Bytes of buffers handed out and not yet freed. */
  liveBytes: number;
  /** Bytes of freed buffers kept for reuse. */
  pooledBytes: number;
  /** Buffers created since the start (a steady training loop stops adding to it). */
  created: number;
}

export class BufferPool {
  private readonly clean = new Map<number, GPUBuffer[]>();
  private readonly dirty = new Map<number, GPUBuffer[]>();
  private doomed: GPUBuffer[] = [];
  private liveBytes = 0;
  private dirtyTotal = 0;
  private pooledBytes = 0;
  private created = 0;

  constructor(
    private readonly device: GPUDevice,
    /** Pooled bytes beyond this are destroyed instead of kept. */
    private readonly limitBytes: number,
  ) {}

  /**
   * A buffer of the size class of `bytes`. `forUpload`: it will be written by
   * queue.writeBuffer, so it must not be used by unsubmitted commands.
   */
  acquire(bytes: number, forUpload: boolean): GPUBuffer {
    const size = sizeClass(bytes);
    let buffer = forUpload ? undefined : this.dirty.get(size)?.pop();
    if (buffer) this.dirtyTotal -= size;
    else buffer = this.clean.get(size)?.pop();
    this.liveBytes += size;
    if (buffer) {
      this.pooledBytes -= size;
      return buffer;
    }
    this.created++;
    return this.device.createBuffer({ size, usage: STORAGE_USAGE });
  }

  release(buffer: GPUBuffer): void {
    const size = buffer.size;
    this.liveBytes -= size;
    if (this.pooledBytes + size > this.limitBytes) {
      // Not now: the open encoder may use it, and a destroyed buffer fails the submit.
      this.doomed.push(buffer);
      return;
    }
    let list = this.dirty.get(size);
    if (!list) this.dirty.set(size, (list = []));
    list.push(buffer);
    this.pooledBytes += size;
    this.dirtyTotal += size;
  }

  /** Bytes freed since the last submit (they become reusable for uploads at the next). */
  dirtyBytes(): number {
    return this.dirtyTotal;
  }

  /** After a submit: every freed buffer may now be written by uploads. */
  settle(): void {
    for (const [size, list] of this.dirty) {
      let target = this.clean.get(size);
      if (!target) this.clean.set(size, (target = []));
      target.push(...list);
    }
    this.dirty.clear();
    this.dirtyTotal = 0;
    // Submitted work keeps what it uses alive: WebGPU defers the destruction until it has run.
    for (const b of this.doomed) b.destroy();
    this.doomed = [];
  }

  /** Destroys every pooled buffer (live ones stay). */
  trim(): void {
    for (const map of [this.clean, this.dirty]) {
      for (const list of map.values()) for (const b of list) b.destroy();
      map.clear();
    }
    this.pooledBytes = 0;
    this.dirtyTotal = 0;
  }

  stats(): PoolStats {
    return { liveBytes: this.liveBytes, pooledBytes: this.pooledBytes, created: this.created };
  }
}

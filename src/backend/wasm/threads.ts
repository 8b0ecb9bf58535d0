/**
 * Worker threads for the wasm backend: each worker instantiates the same module on the same
 * shared WebAssembly memory, so a kernel's work can be split between the calling thread and
 * the workers with no copying — they read the operands and write their part of the result in
 * place.
 *
 * Kernels are synchronous, so the calling thread hands each worker its job through a small
 * control block in the shared memory (function index and arguments), wakes it with
 * Atomics.notify, does its own part, and then waits (Atomics.wait in Node, spinning on a
 * browser's main thread) until every worker has written its done counter. Workers spin
 * briefly after a job before they sleep, since the next job usually follows within
 * microseconds during training.
 *
 * Workers are unref'd (Node): they never keep a process alive. Until a worker has started
 * (tens of milliseconds) kernels simply run on the calling thread; the results are the same
 * either way, because the kernels never let the split change the arithmetic.
 */
import { nodeProcess } from './loader.js';

/** The kernels a worker can run, by index. */
export const WORKER_FUNCTIONS = ['gemmF32Chunks', 'gemmF32'] as const;
export type WorkerFunction = (typeof WORKER_FUNCTIONS)[number];

const SEQ = 0;
const DONE = 1;
const READY = 2;
const FN = 3;
const NARGS = 4;
const FAILED = 5;
const ARGS_OFFSET = 64;
const MAX_ARGS = 24;
export const CONTROL_BYTES = ARGS_OFFSET + MAX_ARGS * 8;

const WORKER_SOURCE = `
const FUNCTIONS = ${JSON.stringify(WORKER_FUNCTIONS)};
function start(msg) {
  const { module, memory, control, spin } = msg;
  const instance = new WebAssembly.Instance(module, {
    env: { memory, abort() { throw new Error('wasm kernel aborted'); } },
  });
  const fns = FUNCTIONS.map((name) => instance.exports[name]);
  const i32 = new Int32Array(memory.buffer, control, 16);
  const f64 = new Float64Array(memory.buffer, control + ${ARGS_OFFSET}, ${MAX_ARGS});
  Atomics.store(i32, ${READY}, 1);
  Atomics.notify(i32, ${READY});
  let seen = 0;
  for (;;) {
    let s = Atomics.load(i32, ${SEQ});
    for (let n = 0; s === seen && n < spin; n++) s = Atomics.load(i32, ${SEQ});
    if (s === seen) { Atomics.wait(i32, ${SEQ}, seen); continue; }
    seen = s;
    try {
      const args = Array.from(f64.subarray(0, i32[${NARGS}]));
      fns[i32[${FN}]](...args);
      i32[${FAILED}] = 0;
    } catch (e) {
      i32[${FAILED}] = 1;
    }
    Atomics.store(i32, ${DONE}, s);
    Atomics.notify(i32, ${DONE});
  }
}
// Node (as a CommonJS or an ES module, depending on the parent's flags) or a Web Worker.
const nodeWorkers = typeof process === 'object' && process.getBuiltinModule && process.getBuiltinModule('node:worker_threads');
if (nodeWorkers && nodeWorkers.parentPort) nodeWorkers.parentPort.once('message', start);
else self.onmessage = (e) => start(e.data);
`;

interface WorkerHandle {
  i32: Int32Array;
  f64: Float64Array;
  seq: number;
  scratch: number;
}

interface MinimalWorker {
  postMessage(message: unknown): void;
  unref?(): void;
  on?(event: 'error', listener: (error: unknown) => void): void;
  addEventListener?(event: 'error', listener: (error: unknown) => void): void;
  terminate(): unknown;
}

function spawnWorker(): MinimalWorker | null {
  const wt = nodeProcess()?.getBuiltinModule?.('node:worker_threads') as
    { Worker: new (src: string, opts: { eval: boolean }) => MinimalWorker } | undefined;
  if (wt) return new wt.Worker(WORKER_SOURCE, { eval: true });
  const g = globalThis as {
    Worker?: new (url: string) => MinimalWorker;
    crossOriginIsolated?: boolean;
    Blob?: typeof Blob;
    URL?: typeof URL;
  };
  if (g.Worker && g.crossOriginIsolated && g.Blob && g.URL) {
    const url = g.URL.createObjectURL(new g.Blob([WORKER_SOURCE], { type: 'text/javascript' }));
    return new g.Worker(url);
  }
  return null;
}

/** How many hardware threads this machine offers (1 where it cannot be known). */
export function hardwareThreads(): number {
  const os = nodeProcess()?.getBuiltinModule?.('node:os') as
    { availableParallelism?(): number; cpus(): unknown[] } | undefined;
  if (os) return os.availableParallelism ? os.availableParallelism() : os.cpus().length;
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  return nav?.hardwareConcurrency ?? 1;
}

export class ThreadPool {
  private readonly workers: WorkerHandle[] = [];
  private readonly threads: MinimalWorker[] = [];
  private canBlock = true;

  /**
   * @param alloc allocates `bytes` of the shared memory and returns the offset
   * @param count number of workers (the calling thread is one more)
   */
  constructor(
    module: WebAssembly.Module,
    private readonly memory: WebAssembly.Memory,
    alloc: (bytes: number) => number,
    scratchBytes: number,
    count: number,
    spin = 200_000,
  ) {
    for (let w = 0; w < count; w++) {
      const worker = spawnWorker();
      if (!worker) break;
      const control = alloc(CONTROL_BYTES);
      const scratch = alloc(scratchBytes);
      const i32 = new Int32Array(memory.buffer, control, 16);
      i32.fill(0);
      this.workers.push({
        i32,
        f64: new Float64Array(memory.buffer, control + ARGS_OFFSET, MAX_ARGS),
        seq: 0,
        scratch,
      });
      // A worker that fails to start only costs speed: kernels run on the calling thread.
      const ignore = () => {};
      if (worker.on) worker.on('error', ignore);
      else worker.addEventListener?.('error', ignore);
      worker.postMessage({ module, memory, control, spin });
      worker.unref?.();
      this.threads.push(worker);
    }
  }

  /** Workers that have started and can take jobs now. */
  readyWorkers(limit = Infinity): number {
    let n = 0;
    for (const w of this.workers) {
      if (n >= limit) break;
      if (Atomics.load(w.i32, READY) === 1) n++;
      else break;
    }
    return n;
  }

  get size(): number {
    return this.workers.length;
  }

  scratchOf(worker: number): number {
    return this.workers[worker].scratch;
  }

  /** Whether worker `worker` has started and finished its last job. */
  isIdle(worker: number): boolean {
    const w = this.workers[worker];
    return Atomics.load(w.i32, READY) === 1 && Atomics.load(w.i32, DONE) === w.seq;
  }

  /**
   * Waits until `counter[index]` (an Int32Array over the shared memory) reaches `target`:
   * the way the calling thread waits for chunks that workers took to be finished.
   */
  waitFor(counter: Int32Array, index: number, target: number): void {
    let v = Atomics.load(counter, index);
    for (let spins = 0; v < target; spins++) {
      if (spins > 20_000 && this.canBlock) {
        try {
          Atomics.wait(counter, index, v, 1);
        } catch {
          this.canBlock = false;
        }
      }
      v = Atomics.load(counter, index);
    }
    for (let w = 0; w < this.workers.length; w++) {
      if (this.workers[w].i32[FAILED] !== 0) {
        this.workers[w].i32[FAILED] = 0;
        throw new Error(`wasm backend: a kernel failed on worker thread ${w + 1}.`);
      }
    }
  }

  /** Starts `fn(...args)` on worker `worker` (which must be ready and idle). */
  dispatch(worker: number, fn: WorkerFunction, args: readonly number[]): void {
    const w = this.workers[worker];
    w.f64.set(args);
    w.i32[FN] = WORKER_FUNCTIONS.indexOf(fn);
    w.i32[NARGS] = args.length;
    w.seq++;
    Atomics.store(w.i32, SEQ, w.seq);
    Atomics.notify(w.i32, SEQ, 1);
  }

  /** Waits until worker `worker` has finished its last job; throws if that job failed. */
  wait(worker: number): void {
    const w = this.workers[worker];
    let done = Atomics.load(w.i32, DONE);
    for (let spins = 0; done !== w.seq; spins++) {
      if (spins > 10_000 && this.canBlock) {
        try {
          Atomics.wait(w.i32, DONE, done, 50);
        } catch {
          this.canBlock = false; // a browser's main thread may not block; keep spinning
        }
      }
      done = Atomics.load(w.i32, DONE);
    }
    if (w.i32[FAILED] !== 0) throw new Error(`wasm backend: a kernel failed on worker thread ${worker + 1}.`);
  }

  terminate(): void {
    for (const t of this.threads) t.terminate();
    this.threads.length = 0;
    this.workers.length = 0;
  }
}

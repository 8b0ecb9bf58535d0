/**
 * The wasm backend: tensors live in one WebAssembly.Memory (shared between threads where
 * SharedArrayBuffer exists) and the float32 hot path runs in WebAssembly SIMD kernels
 * compiled from assembly/ (GEMM with packing and 6×8 register blocking, split across worker
 * threads; element-wise ops; reductions; softmax; im2col/col2im; pooling).
 *
 * Everything else — float64 and int32 arithmetic, argmax, casts and data movement (permute,
 * copyRegion, gather, scatterAdd, oneHot) — runs the cpu backend's TypeScript kernels on
 * typed-array views of the wasm memory, so every kernel of the contract works in every dtype
 * (`supports()` is true for all three) and float64 gradient checks give the cpu's numbers.
 */
import type {
  ArgReduceOp,
  AxisView,
  Backend,
  BatchNormArgs,
  BinaryOp,
  DType,
  FusedProgram,
  MatmulArgs,
  PoolOp,
  ReduceOp,
  Region,
  Storage,
  TypedArray,
  UnaryOp,
  Window2d,
} from '../contract.js';
import { CpuBackend, type CpuStorage } from '../cpu/index.js';
import { dropThreshold } from '../cpu/random.js';
import { DescentError } from '../../errors.js';
import { Heap, type HeapStats } from './heap.js';
import { instantiate, loadWasmSync, nodeProcess, type LoadedWasm, type WasmExports } from './loader.js';
import { hardwareThreads, ThreadPool } from './threads.js';

export interface WasmStorage extends Storage {
  readonly backend: 'wasm';
  /** Byte offset of the block in the memory. */
  readonly ptr: number;
  /** Elements of `dtype` the block was allocated for. */
  readonly size: number;
  readonly dtype: DType;
  /** The block's true size (its size class), returned to the allocator on free. */
  readonly bytes: number;
}

const BYTES: Record<DType, number> = { float32: 4, float64: 8, int32: 4 };

const UNARY_CODES: Record<UnaryOp, number> = {
  neg: 0,
  exp: 1,
  log: 2,
  sqrt: 3,
  abs: 4,
  sign: 5,
  square: 6,
  reciprocal: 7,
  sigmoid: 8,
  tanh: 9,
  relu: 10,
  step: 11,
  leakyRelu: 12,
  elu: 13,
  softplus: 14,
  clamp: 15,
  powScalar: 16,
};
const BINARY_CODES: Record<BinaryOp, number> = {
  add: 0,
  sub: 1,
  mul: 2,
  div: 3,
  pow: 4,
  max: 5,
  min: 6,
  eq: 7,
  gt: 8,
  ge: 9,
  lt: 10,
  le: 11,
};
const REDUCE_CODES: Record<ReduceOp, number> = { sum: 0, max: 1, min: 2 };
const POOL_CODES: Record<PoolOp, number> = { max: 0, avg: 1, avgIncludePad: 2 };

/** GEMMs below this many multiply-adds run on one thread (waking a worker costs more). */
const PARALLEL_GEMM_MIN = 1 << 17;
const MR = 6;
const NR = 8;
const COUNTER_SLOTS = 8;

export interface WasmBackendOptions {
  /** Total threads for kernels (the calling one included); default: hardware threads, at most 8. */
  threads?: number;
}

export interface WasmInfo {
  relaxedSimd: boolean;
  sharedMemory: boolean;
  /** Threads a kernel may use now (the calling one included). */
  threads: number;
  /** Worker threads started. */
  workers: number;
  heap: HeapStats;
}

function defaultThreads(): number {
  const fromEnv = Number(nodeProcess()?.env?.DESCENT_WASM_THREADS);
  if (Number.isInteger(fromEnv) && fromEnv >= 1) return fromEnv;
  return Math.max(1, Math.min(8, hardwareThreads()));
}

export class WasmBackend implements Backend {
  readonly name = 'wasm';
  private readonly k: WasmExports;
  private readonly heap: Heap;
  private readonly loaded: LoadedWasm;
  private readonly memory: WebAssembly.Memory;
  private readonly cpu = new CpuBackend();
  private readonly pool: ThreadPool | null;
  private readonly mainScratch: number;
  /** 16 i32 slots for a Window2d. */
  private readonly windowBlock: number;
  /** 64 i32 slots for other kernel parameters (permute's shape and strides). */
  private readonly paramBlock: number;
  /** COUNTER_SLOTS pairs of shared chunk counters for multi-threaded kernels: [next, finished]. */
  private readonly counterBlock: number;
  private counterSlot = 0;
  /** The encoded program and the registers of `fused` (grown to the largest program seen). */
  private fusedBlock = { ptr: 0, bytes: 0 };
  /** The counter slot of each worker's last job. */
  private readonly workerSlots: number[] = [];
  private threadLimit: number;
  private zeroPtr: number;

  constructor(options: WasmBackendOptions = {}) {
    this.loaded = loadWasmSync();
    const { module, shared, maximumPages } = this.loaded;
    let memory: WebAssembly.Memory | null = null;
    let pages = 0;
    // Reserve the largest address space the engine grants (only touched pages cost memory).
    for (const max of [maximumPages, 32768, 16384, 4096]) {
      try {
        memory = new WebAssembly.Memory({ initial: 64, maximum: max, shared });
        pages = max;
        break;
      } catch {
        memory = null;
      }
    }
    if (!memory) throw new DescentError('wasm backend: could not create a WebAssembly memory.');
    this.memory = memory;
    this.k = instantiate(module, memory);
    this.heap = new Heap(memory, this.k.heapBase(), pages);
    this.zeroPtr = this.heap.alloc(64).ptr;
    this.windowBlock = this.heap.alloc(64).ptr;
    this.paramBlock = this.heap.alloc(256).ptr;
    this.counterBlock = this.heap.alloc(8 * COUNTER_SLOTS).ptr;
    const scratchBytes = this.k.gemmScratchBytes();
    this.mainScratch = this.heap.alloc(scratchBytes).ptr;
    const threads = options.threads ?? defaultThreads();
    this.threadLimit = threads;
    this.pool =
      shared && threads > 1
        ? new ThreadPool(module, memory, (bytes) => this.heap.alloc(bytes).ptr, scratchBytes, threads - 1)
        : null;
    if (!shared && threads > 1 && !nodeProcess()) {
      // The one line a page gets about it: shared memory needs cross-origin isolation.
      console.info(
        `descent: the wasm backend runs on 1 thread of ${threads}: this page is not cross-origin isolated ` +
          '(serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp to use them all).',
      );
    }
  }

  /** Sets how many threads kernels may use (1 = the calling thread only); returns the previous limit. */
  setThreads(n: number): number {
    const previous = this.threadLimit;
    this.threadLimit = Math.max(1, Math.floor(n));
    return previous;
  }

  /** Blocks (up to `timeoutMs`) until the worker threads have started; returns how many did. */
  waitForWorkers(timeoutMs = 5000): number {
    if (!this.pool) return 0;
    const end = Date.now() + timeoutMs;
    const want = Math.min(this.pool.size, this.threadLimit - 1);
    const probe = new Int32Array(new SharedArrayBuffer(4));
    while (this.pool.readyWorkers() < want && Date.now() < end) Atomics.wait(probe, 0, 0, 2);
    return this.pool.readyWorkers();
  }

  /**
   * Resolves once the worker threads have started (or after `timeoutMs`) with how many did,
   * yielding to the event loop while it waits: a browser starts a worker only when the
   * thread that created it lets its tasks run, which a synchronous training loop never does.
   */
  async workersStarted(timeoutMs = 2000): Promise<number> {
    if (!this.pool) return 0;
    const end = Date.now() + timeoutMs;
    const want = Math.min(this.pool.size, this.threadLimit - 1);
    while (this.pool.readyWorkers() < want && Date.now() < end)
      await new Promise((resolve) => setTimeout(resolve, 2));
    return this.pool.readyWorkers();
  }

  info(): WasmInfo {
    return {
      relaxedSimd: this.loaded.relaxed,
      sharedMemory: this.loaded.shared,
      threads: 1 + (this.pool ? this.pool.readyWorkers(this.threadLimit - 1) : 0),
      workers: this.pool?.size ?? 0,
      heap: this.heap.stats(),
    };
  }

  supports(_dtype: DType): boolean {
    return true;
  }

  // ---- memory -------------------------------------------------------------------

  alloc(dtype: DType, size: number): Storage {
    const want = size * BYTES[dtype];
    if (want === 0) return { backend: 'wasm', ptr: this.zeroPtr, size: 0, dtype, bytes: 0 } as WasmStorage;
    const { ptr, bytes } = this.heap.alloc(want);
    return { backend: 'wasm', ptr, size, dtype, bytes } as WasmStorage;
  }

  upload(dtype: DType, values: ArrayLike<number>): Storage {
    const s = this.alloc(dtype, values.length);
    this.view(s, dtype).set(values);
    return s;
  }

  async read(storage: Storage, dtype: DType, size: number): Promise<TypedArray> {
    return this.readSync(storage, dtype, size);
  }

  readSync(storage: Storage, dtype: DType, size: number): TypedArray {
    return this.view(storage, dtype, size).slice();
  }

  free(storage: Storage): void {
    const s = storage as WasmStorage;
    this.heap.release(s.ptr, s.bytes);
  }

  /** A typed-array view of a storage (valid until the next allocation). */
  view(storage: Storage, dtype: DType, size = (storage as WasmStorage).size): TypedArray {
    const { ptr } = storage as WasmStorage;
    const buffer = this.heap.buffer;
    switch (dtype) {
      case 'float32':
        return new Float32Array(buffer, ptr, size);
      case 'float64':
        return new Float64Array(buffer, ptr, size);
      case 'int32':
        return new Int32Array(buffer, ptr, size);
    }
  }

  /** The storage as a cpu-backend storage (a view), for the TypeScript fallback kernels. */
  private c(storage: Storage, dtype: DType): CpuStorage {
    return { backend: 'cpu', data: this.view(storage, dtype) };
  }

  private p(storage: Storage): number {
    return (storage as WasmStorage).ptr;
  }

  // ---- element-wise --------------------------------------------------------------

  fill(out: Storage, dtype: DType, size: number, value: number): void {
    if (size === 0) return;
    if (dtype === 'float64') {
      this.view(out, dtype, size).fill(value);
      return;
    }
    let bits: number;
    if (dtype === 'float32') {
      f32Scratch[0] = value;
      bits = i32Scratch[0];
    } else {
      bits = new Int32Array([value])[0];
    }
    this.k.fill32(this.p(out), size, bits);
  }

  cast(x: Storage, from: DType, out: Storage, to: DType, size: number): void {
    if (size === 0) return;
    if (from === to) {
      // A copy (autograd copies gradients this way): a native memmove inside the memory.
      const src = this.p(x);
      new Uint8Array(this.heap.buffer).copyWithin(this.p(out), src, src + size * BYTES[to]);
      return;
    }
    this.cpu.cast(this.c(x, from), from, this.c(out, to), to, size);
  }

  unary(op: UnaryOp, x: Storage, out: Storage, dtype: DType, size: number, p0 = 0, p1 = 0): void {
    if (dtype !== 'float32')
      return this.cpu.unary(op, this.c(x, dtype), this.c(out, dtype), dtype, size, p0, p1);
    if (size === 0) return;
    this.k.unaryF32(UNARY_CODES[op], this.p(x), this.p(out), size, p0, p1);
  }

  unaryGrad(
    op: UnaryOp,
    x: Storage,
    y: Storage,
    dy: Storage,
    dx: Storage,
    dtype: DType,
    size: number,
    p0 = 0,
    p1 = 0,
  ): void {
    if (dtype !== 'float32') {
      return this.cpu.unaryGrad(
        op,
        this.c(x, dtype),
        this.c(y, dtype),
        this.c(dy, dtype),
        this.c(dx, dtype),
        dtype,
        size,
        p0,
        p1,
      );
    }
    if (size === 0) return;
    this.k.unaryGradF32(UNARY_CODES[op], this.p(x), this.p(y), this.p(dy), this.p(dx), size, p0, p1);
  }

  binary(
    op: BinaryOp,
    a: Storage,
    aShape: readonly number[],
    b: Storage,
    bShape: readonly number[],
    out: Storage,
    outShape: readonly number[],
    dtype: DType,
  ): void {
    if (dtype !== 'float32') {
      return this.cpu.binary(
        op,
        this.c(a, dtype),
        aShape,
        this.c(b, dtype),
        bShape,
        this.c(out, dtype),
        outShape,
      );
    }
    const plan = broadcastPlan(aShape, bShape, outShape);
    if (!plan) return;
    const code = BINARY_CODES[op];
    const { dims, as, bs } = plan;
    const nd = dims.length;
    const inner = dims[nd - 1];
    const outer = nd >= 2 ? dims[nd - 2] : 1;
    const aso = nd >= 2 ? as[nd - 2] : 0;
    const bso = nd >= 2 ? bs[nd - 2] : 0;
    const asi = as[nd - 1];
    const bsi = bs[nd - 1];
    const pa = this.p(a);
    const pb = this.p(b);
    const po = this.p(out);
    if (nd <= 2) {
      this.k.binaryF32(code, pa, aso, asi, pb, bso, bsi, po, outer, inner);
      return;
    }
    // Rank > 2 after folding: loop over the leading dimensions here, 2-D slabs in wasm.
    const lead = dims.slice(0, nd - 2);
    const slabs = lead.reduce((p, d) => p * d, 1);
    const index = new Array<number>(lead.length).fill(0);
    let ao = 0;
    let bo = 0;
    const slab = outer * inner;
    for (let s = 0; s < slabs; s++) {
      this.k.binaryF32(code, pa + 4 * ao, aso, asi, pb + 4 * bo, bso, bsi, po + 4 * s * slab, outer, inner);
      for (let d = lead.length - 1; d >= 0; d--) {
        index[d]++;
        ao += as[d];
        bo += bs[d];
        if (index[d] < lead[d]) break;
        ao -= as[d] * lead[d];
        bo -= bs[d] * lead[d];
        index[d] = 0;
      }
    }
  }

  // ---- reductions and axis-wise ops ------------------------------------------------

  reduce(op: ReduceOp, x: Storage, view: AxisView, out: Storage, dtype: DType): void {
    if (dtype !== 'float32') return this.cpu.reduce(op, this.c(x, dtype), view, this.c(out, dtype));
    const { outer, axis, inner } = view;
    if (outer * inner === 0) return;
    if (axis === 0) return this.fill(out, dtype, outer * inner, op === 'sum' ? 0 : NaN);
    this.k.reduceF32(REDUCE_CODES[op], this.p(x), outer, axis, inner, this.p(out));
  }

  argReduce(op: ArgReduceOp, x: Storage, view: AxisView, out: Storage, dtype: DType): void {
    this.cpu.argReduce(op, this.c(x, dtype), view, this.c(out, 'int32'));
  }

  softmax(x: Storage, view: AxisView, out: Storage, dtype: DType, log: boolean): void {
    if (dtype !== 'float32') return this.cpu.softmax(this.c(x, dtype), view, this.c(out, dtype), dtype, log);
    if (view.outer * view.axis * view.inner === 0) return;
    this.k.softmaxF32(this.p(x), view.outer, view.axis, view.inner, this.p(out), log ? 1 : 0);
  }

  softmaxGrad(y: Storage, dy: Storage, view: AxisView, dx: Storage, dtype: DType, log: boolean): void {
    if (dtype !== 'float32') {
      return this.cpu.softmaxGrad(this.c(y, dtype), this.c(dy, dtype), view, this.c(dx, dtype), dtype, log);
    }
    if (view.outer * view.axis * view.inner === 0) return;
    this.k.softmaxGradF32(this.p(y), this.p(dy), view.outer, view.axis, view.inner, this.p(dx), log ? 1 : 0);
  }

  // ---- linear algebra -------------------------------------------------------------

  matmul(a: Storage, b: Storage, out: Storage, dtype: DType, args: MatmulArgs): void {
    if (dtype !== 'float32')
      return this.cpu.matmul(this.c(a, dtype), this.c(b, dtype), this.c(out, dtype), dtype, args);
    const { batch, m, n, k, transA, transB, aBatchStride, bBatchStride } = args;
    if (batch * m * n === 0) return;
    const pa = this.p(a);
    const pb = this.p(b);
    const pc = this.p(out);
    const ta = transA ? 1 : 0;
    const tb = transB ? 1 : 0;
    const work = batch * m * n * Math.max(k, 1);
    const workers =
      this.pool && this.threadLimit > 1 && work >= PARALLEL_GEMM_MIN
        ? this.pool.readyWorkers(this.threadLimit - 1)
        : 0;
    if (workers === 0) {
      this.k.gemmF32(
        pa,
        pb,
        pc,
        m,
        n,
        k,
        ta,
        tb,
        aBatchStride,
        bBatchStride,
        0,
        batch,
        0,
        m,
        0,
        n,
        this.mainScratch,
      );
      return;
    }
    // Split into chunks that every thread takes from a shared counter (a thread the OS pauses
    // just takes fewer): whole products when there are enough of them, else columns of C
    // (each chunk packs all of A) when A is the smaller operand, else rows.
    const pool = this.pool!;
    const parts = workers + 1;
    let axis: number;
    let blocks: number;
    if (batch >= 2 * parts || (batch >= parts && m * n < 64 * 64)) {
      axis = 2;
      blocks = batch;
    } else if (m <= n && n >= NR * parts) {
      axis = 0;
      blocks = Math.ceil(n / NR);
    } else {
      axis = 1;
      blocks = Math.ceil(m / MR);
    }
    const chunks = Math.min(blocks, 2 * parts);
    // A worker still returning from an earlier job may yet touch that job's counters, so each
    // job takes a counter slot that no busy worker holds.
    let slot = this.counterSlot;
    do slot = (slot + 1) % COUNTER_SLOTS;
    while (this.workerSlots.some((s, w) => s === slot && !pool.isIdle(w)));
    this.counterSlot = slot;
    const ptr = this.counterBlock + 8 * slot;
    const counters = new Int32Array(this.heap.buffer, ptr, 2);
    counters[0] = 0;
    counters[1] = 0;
    for (let w = 0; w < workers; w++) {
      if (!pool.isIdle(w)) continue; // still returning from its last job: do without it
      this.workerSlots[w] = slot;
      pool.dispatch(w, 'gemmF32Chunks', [
        pa,
        pb,
        pc,
        m,
        n,
        k,
        ta,
        tb,
        aBatchStride,
        bBatchStride,
        batch,
        axis,
        chunks,
        ptr,
        pool.scratchOf(w),
      ]);
    }
    this.k.gemmF32Chunks(
      pa,
      pb,
      pc,
      m,
      n,
      k,
      ta,
      tb,
      aBatchStride,
      bBatchStride,
      batch,
      axis,
      chunks,
      ptr,
      this.mainScratch,
    );
    pool.waitFor(counters, 1, chunks);
  }

  // ---- data movement --------------------------------------------------------------

  permute(x: Storage, shape: readonly number[], perm: readonly number[], out: Storage, dtype: DType): void {
    const plan = permutePlan(shape, perm);
    if (!plan) return;
    const { dims, strides } = plan;
    if (dims.length > 8) return this.cpu.permute(this.c(x, dtype), shape, perm, this.c(out, dtype));
    const nd = dims.length;
    const v = new Int32Array(this.heap.buffer, this.paramBlock, 3 * nd);
    v.set(dims, 0);
    v.set(strides, nd);
    if (BYTES[dtype] === 8) this.k.permute64(this.p(x), this.p(out), nd, this.paramBlock);
    else this.k.permute32(this.p(x), this.p(out), nd, this.paramBlock);
  }

  copyRegion(
    x: Storage,
    srcShape: readonly number[],
    src: Region,
    out: Storage,
    dstShape: readonly number[],
    dst: Region,
    dtype: DType,
  ): void {
    this.cpu.copyRegion(this.c(x, dtype), srcShape, src, this.c(out, dtype), dstShape, dst);
  }

  gather(x: Storage, view: AxisView, indices: Storage, count: number, out: Storage, dtype: DType): void {
    this.cpu.gather(this.c(x, dtype), view, this.c(indices, 'int32'), count, this.c(out, dtype));
  }

  scatterAdd(dy: Storage, view: AxisView, indices: Storage, count: number, dx: Storage, dtype: DType): void {
    this.cpu.scatterAdd(this.c(dy, dtype), view, this.c(indices, 'int32'), count, this.c(dx, dtype));
  }

  oneHot(indices: Storage, count: number, depth: number, out: Storage, dtype: DType): void {
    this.cpu.oneHot(this.c(indices, 'int32'), count, depth, this.c(out, dtype));
  }

  // ---- convolution and pooling ----------------------------------------------------

  private window(g: Window2d): number {
    const v = new Int32Array(this.heap.buffer, this.windowBlock, 16);
    v[0] = g.batch;
    v[1] = g.channels;
    v[2] = g.inH;
    v[3] = g.inW;
    v[4] = g.kH;
    v[5] = g.kW;
    v[6] = g.strideH;
    v[7] = g.strideW;
    v[8] = g.padTop;
    v[9] = g.padLeft;
    v[10] = g.padBottom;
    v[11] = g.padRight;
    v[12] = g.dilationH;
    v[13] = g.dilationW;
    v[14] = g.outH;
    v[15] = g.outW;
    return this.windowBlock;
  }

  private floatOnly(kernel: string, dtype: DType): void {
    if (dtype === 'int32') throw new DescentError(`wasm backend: ${kernel} needs a float dtype, got int32.`);
  }

  im2col(x: Storage, g: Window2d, out: Storage, dtype: DType): void {
    this.floatOnly('im2col', dtype);
    const gp = this.window(g);
    if (dtype === 'float32') this.k.im2colF32(this.p(x), gp, this.p(out));
    else this.k.im2colF64(this.p(x), gp, this.p(out));
  }

  col2im(cols: Storage, g: Window2d, out: Storage, dtype: DType): void {
    this.floatOnly('col2im', dtype);
    const gp = this.window(g);
    if (dtype === 'float32') this.k.col2imF32(this.p(cols), gp, this.p(out));
    else this.k.col2imF64(this.p(cols), gp, this.p(out));
  }

  pool2d(op: PoolOp, x: Storage, g: Window2d, out: Storage, argmax: Storage | null, dtype: DType): void {
    this.floatOnly('pool2d', dtype);
    if (op === 'max' && !argmax)
      throw new DescentError("wasm backend: pool2d 'max' needs an argmax storage.");
    const gp = this.window(g);
    const am = argmax ? this.p(argmax) : 0;
    if (dtype === 'float32') this.k.pool2dF32(POOL_CODES[op], this.p(x), gp, this.p(out), am);
    else this.k.pool2dF64(POOL_CODES[op], this.p(x), gp, this.p(out), am);
  }

  pool2dGrad(op: PoolOp, dy: Storage, g: Window2d, argmax: Storage | null, dx: Storage, dtype: DType): void {
    this.floatOnly('pool2dGrad', dtype);
    if (op === 'max' && !argmax)
      throw new DescentError("wasm backend: pool2dGrad 'max' needs the argmax storage.");
    const gp = this.window(g);
    const am = argmax ? this.p(argmax) : 0;
    if (dtype === 'float32') this.k.pool2dGradF32(POOL_CODES[op], this.p(dy), gp, am, this.p(dx));
    else this.k.pool2dGradF64(POOL_CODES[op], this.p(dy), gp, am, this.p(dx));
  }
  // ---- batch normalisation ---------------------------------------------------------------

  batchNorm(
    x: Storage,
    args: BatchNormArgs,
    y: Storage,
    mean: Storage,
    variance: Storage,
    invStd: Storage,
    dtype: DType,
  ): void {
    this.floatOnly('batchNorm', dtype);
    if (dtype !== 'float32') {
      const c = (s: Storage) => this.c(s, dtype);
      const gamma = args.gamma ? c(args.gamma) : null;
      const beta = args.beta ? c(args.beta) : null;
      return this.cpu.batchNorm(c(x), { ...args, gamma, beta }, c(y), c(mean), c(variance), c(invStd));
    }
    const { outer, axis, inner } = args.view;
    const opt = (s: Storage | null) => (s ? this.p(s) : 0);
    this.k.batchNormF32(
      this.p(x),
      outer,
      axis,
      inner,
      args.eps,
      opt(args.gamma),
      opt(args.beta),
      this.p(y),
      this.p(mean),
      this.p(variance),
      this.p(invStd),
    );
  }

  batchNormGrad(
    x: Storage,
    dy: Storage,
    args: BatchNormArgs,
    mean: Storage,
    invStd: Storage,
    dx: Storage | null,
    dGamma: Storage | null,
    dBeta: Storage | null,
    dtype: DType,
  ): void {
    this.floatOnly('batchNormGrad', dtype);
    if (dtype !== 'float32') {
      const c = (s: Storage) => this.c(s, dtype);
      const oc = (s: Storage | null) => (s ? c(s) : null);
      const gamma = oc(args.gamma);
      return this.cpu.batchNormGrad(
        c(x),
        c(dy),
        { ...args, gamma, beta: null },
        c(mean),
        c(invStd),
        oc(dx),
        oc(dGamma),
        oc(dBeta),
      );
    }
    const { outer, axis, inner } = args.view;
    const opt = (s: Storage | null) => (s ? this.p(s) : 0);
    this.k.batchNormGradF32(
      this.p(x),
      this.p(dy),
      outer,
      axis,
      inner,
      opt(args.gamma),
      this.p(mean),
      this.p(invStd),
      opt(dx),
      opt(dGamma),
      opt(dBeta),
    );
  }

  // ---- random masks ------------------------------------------------------------------------

  dropoutMask(
    out: Storage,
    dtype: DType,
    size: number,
    rate: number,
    scale: number,
    key: readonly [number, number],
  ): void {
    this.floatOnly('dropoutMask', dtype);
    if (dtype !== 'float32') return this.cpu.dropoutMask(this.c(out, dtype), dtype, size, rate, scale, key);
    this.k.dropoutMaskF32(this.p(out), size, dropThreshold(rate), scale, key[0] >>> 0, key[1] >>> 0);
  }

  // ---- fused element-wise programs ---------------------------------------------------

  fused(
    program: FusedProgram,
    inputs: readonly Storage[],
    scalars: readonly number[],
    outputs: readonly Storage[],
    dtype: DType,
    size: number,
  ): void {
    if (dtype !== 'float32') {
      const c = (s: Storage) => this.c(s, dtype);
      return this.cpu.fused(program, inputs.map(c), scalars, outputs.map(c), dtype, size);
    }
    if (size === 0) return;
    const count = program.instructions.length;
    const codeBytes = 32 * count + 8 * program.outputs.length;
    const need = codeBytes + this.k.fusedScratchBytes(count);
    if (this.fusedBlock.bytes < need) {
      if (this.fusedBlock.bytes > 0) this.heap.release(this.fusedBlock.ptr, this.fusedBlock.bytes);
      this.fusedBlock = this.heap.alloc(Math.max(need, 64 * 1024));
    }
    const base = this.fusedBlock.ptr;
    const words = new Int32Array(this.heap.buffer, base, codeBytes / 4);
    const floats = new Float32Array(this.heap.buffer, base, codeBytes / 4);
    // Inputs that no output overwrites are read where they are, without a copy per tile.
    const written = new Set(outputs.map((o) => this.p(o)));
    encodeFused(
      program,
      words,
      floats,
      (i) => this.p(inputs[i]),
      (i) => !written.has(this.p(inputs[i])),
      scalars,
    );
    program.outputs.forEach((k, j) => {
      words[8 * count + 2 * j] = k;
      words[8 * count + 2 * j + 1] = this.p(outputs[j]);
    });
    this.k.fusedF32(base, count, base + 32 * count, program.outputs.length, size, base + codeBytes);
  }
}

const f32Scratch = new Float32Array(1);
const i32Scratch = new Int32Array(f32Scratch.buffer);

/**
 * Folds a permutation: drops size-1 dimensions and merges output dimensions that are also
 * adjacent, in order, in the input. Returns the output dimensions and the input stride of
 * each (in elements), or null for an empty tensor.
 */
export function permutePlan(
  shape: readonly number[],
  perm: readonly number[],
): { dims: number[]; strides: number[] } | null {
  const nd = shape.length;
  const inStrides = new Array<number>(nd);
  let s = 1;
  for (let d = nd - 1; d >= 0; d--) {
    inStrides[d] = s;
    s *= shape[d];
  }
  if (s === 0) return null;
  const dims: number[] = [];
  const strides: number[] = [];
  for (let d = 0; d < nd; d++) {
    const size = shape[perm[d]];
    const stride = inStrides[perm[d]];
    if (size === 1) continue;
    const last = dims.length - 1;
    if (last >= 0 && strides[last] === stride * size) {
      dims[last] *= size;
      strides[last] = stride;
    } else {
      dims.push(size);
      strides.push(stride);
    }
  }
  if (dims.length === 0) return { dims: [1], strides: [1] };
  return { dims, strides };
}

/**
 * Folds a broadcast binary op into as few dimensions as possible: drops size-1 output
 * dimensions and merges neighbours that both operands traverse contiguously (or both
 * repeat). Returns the dimensions and each operand's element strides (0 = broadcast), or
 * null for an empty output. The innermost strides come out as 0 or 1.
 */
export function broadcastPlan(
  aShape: readonly number[],
  bShape: readonly number[],
  outShape: readonly number[],
): { dims: number[]; as: number[]; bs: number[] } | null {
  const nd = outShape.length;
  const stridesFor = (shape: readonly number[]): number[] => {
    const st = new Array<number>(nd).fill(0);
    let s = 1;
    for (let d = shape.length - 1; d >= 0; d--) {
      st[d + nd - shape.length] = shape[d] === 1 ? 0 : s;
      s *= shape[d];
    }
    return st;
  };
  const aSt = stridesFor(aShape);
  const bSt = stridesFor(bShape);
  const dims: number[] = [];
  const as: number[] = [];
  const bs: number[] = [];
  for (let d = 0; d < nd; d++) {
    const size = outShape[d];
    if (size === 0) return null;
    if (size === 1) continue;
    const last = dims.length - 1;
    if (last >= 0 && as[last] === aSt[d] * size && bs[last] === bSt[d] * size) {
      dims[last] *= size;
      as[last] = aSt[d];
      bs[last] = bSt[d];
    } else {
      dims.push(size);
      as.push(aSt[d]);
      bs.push(bSt[d]);
    }
  }
  if (dims.length === 0) return { dims: [1], as: [0], bs: [0] };
  return { dims, as, bs };
}

/**
 * Writes a fused program in assembly/fused.ts's layout: 8 slots per instruction, [kind,
 * op | every, a | period, b | direct, p0, p1, isScalar, input pointer], with p0, p1 as f32 bits.
 */
function encodeFused(
  program: FusedProgram,
  words: Int32Array,
  floats: Float32Array,
  pointer: (input: number) => number,
  direct: (input: number) => boolean,
  scalars: readonly number[],
): void {
  const scalar: boolean[] = [];
  program.instructions.forEach((ins, k) => {
    const o = 8 * k;
    words.fill(0, o, o + 8);
    switch (ins.kind) {
      case 'input':
        scalar.push(false);
        words[o + 1] = ins.every;
        words[o + 2] = ins.period;
        words[o + 3] = ins.period === 0 && direct(ins.input) ? 1 : 0;
        words[o + 7] = pointer(ins.input);
        break;
      case 'scalar':
        scalar.push(true);
        words[o] = 1;
        floats[o + 4] = scalars[ins.scalar];
        break;
      case 'unary':
        scalar.push(scalar[ins.a]);
        words[o] = 2;
        words[o + 1] = UNARY_CODES[ins.op];
        words[o + 2] = ins.a;
        floats[o + 4] = ins.p0;
        floats[o + 5] = ins.p1;
        break;
      case 'binary':
        scalar.push(scalar[ins.a] && scalar[ins.b]);
        words[o] = 3;
        words[o + 1] = BINARY_CODES[ins.op];
        words[o + 2] = ins.a;
        words[o + 3] = ins.b;
        break;
    }
    words[o + 6] = scalar[k] ? 1 : 0;
  });
}

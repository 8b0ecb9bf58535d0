/**
 * The webgpu backend: every kernel of the contract as a WGSL compute shader, on one GPUDevice.
 *
 * Queueing. Kernels do not run when called: each records one dispatch into a command
 * encoder that stays open (consecutive dispatches share one compute pass), and the encoder is
 * submitted only when a value must come back (`read`), when its parameter block is full, or
 * when much memory waits to be recycled. A training step is therefore one submit, ending with
 * the read of its loss.
 *
 * Parameters. Each dispatch's scalars (sizes, strides, constants) take a 256-byte slot of one
 * uniform buffer, written once per submit with queue.writeBuffer just before the submit —
 * queue operations run in order, so the previous submit has read its slots by then.
 *
 * Memory. Storage buffers come from a pool of size classes (pool.ts); a freed buffer is reused
 * for later kernels at once and for uploads after the next submit. Uploads go through
 * queue.writeBuffer into buffers no pending command touches.
 *
 * Reading. `read` copies into a mappable staging buffer, submits, and awaits mapAsync. There
 * is no `readSync`: a GPU cannot answer synchronously.
 *
 * Errors. Every submit's commands run inside validation and out-of-memory error scopes, and
 * uncaptured errors and device loss are recorded; `read` reports the first of them, so a bad
 * kernel surfaces as an exception at the next read rather than as silent garbage.
 *
 * dtypes: float32 and int32 (both 4 bytes, so data movement is dtype-blind); float64 is not
 * supported (WGSL has no f64).
 */
import type {
  ArgReduceOp,
  AxisView,
  Backend,
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
import { ConfigError, DescentError } from '../../errors.js';
import { BufferPool, type PoolStats } from './pool.js';
import { PARAM_BYTES, PARAM_WORDS, MAX_GROUPS, f32Bits, grid1d, gridRows, valueBits } from './wgsl.js';
import {
  MAX_RANK,
  binarySource,
  castSource,
  fillSource,
  unaryGradSource,
  unarySource,
  type BinaryLayout,
} from './shaders/elementwise.js';
import {
  ROW_KERNEL_MIN_AXIS,
  argReduceSource,
  reduceSource,
  softmaxGradSource,
  softmaxSource,
} from './shaders/axis.js';
import { GEMM_LARGE, GEMM_SMALL, gemmSource, type GemmTile } from './shaders/gemm.js';
import { fusedSource, MAX_FUSED_SCALARS } from './shaders/fused.js';
import { fusedByKernels } from '../fused.js';
import {
  copyRegionSource,
  gatherSource,
  oneHotSource,
  permuteSource,
  scatterAddSource,
  scatterLinkSource,
} from './shaders/movement.js';
import {
  WINDOW_FIELDS,
  WINDOW_WORD,
  col2imSource,
  im2colSource,
  pool2dGradSource,
  pool2dSource,
} from './shaders/conv.js';

export interface WebGpuStorage extends Storage {
  readonly backend: 'webgpu';
  readonly buffer: GPUBuffer;
  /** Elements the storage was allocated for. */
  readonly size: number;
}

export interface WebGpuBackendOptions {
  /** Which GEMM tiles to use: by size ('auto', the default), or always one of them (for tests). */
  gemmTile?: 'auto' | 'small' | 'large';
  /** Dispatches recorded before a submit is forced (the parameter buffer's slots). Default 4096. */
  maxPendingDispatches?: number;
  /** Freed bytes waiting for a submit before one is forced. Default 256 MiB. */
  maxPendingFreeBytes?: number;
  /** Freed bytes kept for reuse; beyond, buffers are destroyed. Default 1 GiB. */
  poolLimitBytes?: number;
}

export interface WebGpuInfo {
  /** The adapter's description, when the device came with one. */
  adapter: string;
  memory: PoolStats;
  /** Compiled pipelines (one per shader variant). */
  pipelines: number;
  /** Command buffers submitted so far. */
  submits: number;
  /** Dispatches recorded so far. */
  dispatches: number;
}

/** COPY_DST | MAP_READ and UNIFORM | COPY_DST, numerically (no GPUBufferUsage global needed). */
const READBACK_USAGE = 0x08 | 0x01;
const UNIFORM_USAGE = 0x40 | 0x08;
const MAP_READ = 0x1;

const EMPTY: Record<DType, () => TypedArray> = {
  float32: () => new Float32Array(0),
  float64: () => new Float64Array(0),
  int32: () => new Int32Array(0),
};

function buf(s: Storage): GPUBuffer {
  return (s as WebGpuStorage).buffer;
}

function prod(shape: readonly number[]): number {
  let p = 1;
  for (const d of shape) p *= d;
  return p;
}

function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let k = shape.length - 1; k >= 0; k--) {
    strides[k] = s;
    s *= shape[k];
  }
  return strides;
}

/**
 * Drops size-1 dimensions and merges neighbours that stay contiguous for every stride list
 * (stride[d] = stride[d + 1] · shape[d + 1]), so that an n-D walk needs as few dimensions as
 * possible. Returns the merged shape and strides.
 */
function mergeDims(
  shape: readonly number[],
  strides: readonly (readonly number[])[],
): [number[], number[][]] {
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1) continue;
    const last = outShape.length - 1;
    if (last >= 0 && strides.every((s, k) => outStrides[k][last] === s[d] * shape[d])) {
      outShape[last] *= shape[d];
      strides.forEach((s, k) => (outStrides[k][last] = s[d]));
      continue;
    }
    outShape.push(shape[d]);
    strides.forEach((s, k) => outStrides[k].push(s[d]));
  }
  return [outShape, outStrides];
}

export class WebGpuBackend implements Backend {
  readonly name = 'webgpu';
  private readonly pool: BufferPool;
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  /** unaryGrad's variants: which inputs each binds depends on the op and the aliasing. */
  private readonly gradVariants = new Map<string, ReturnType<typeof unaryGradSource>>();
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private readonly paramsBuffer: GPUBuffer;
  private readonly paramsData: ArrayBuffer;
  private readonly paramsWords: Uint32Array;
  private slots = 0;
  private readonly maxSlots: number;
  private readonly maxPendingFreeBytes: number;
  private readonly gemmTile: 'auto' | 'small' | 'large';
  private readonly maxBinding: number;
  private errors: Promise<GPUError | null>[] = [];
  private firstError: string | null = null;
  private submits = 0;
  private dispatches = 0;

  constructor(
    readonly device: GPUDevice,
    options: WebGpuBackendOptions = {},
    private readonly adapterDescription = '',
  ) {
    this.pool = new BufferPool(device, options.poolLimitBytes ?? 1 << 30);
    this.maxSlots = options.maxPendingDispatches ?? 4096;
    this.maxPendingFreeBytes = options.maxPendingFreeBytes ?? 256 * 1024 * 1024;
    this.gemmTile = options.gemmTile ?? 'auto';
    this.paramsData = new ArrayBuffer(this.maxSlots * PARAM_BYTES);
    this.paramsWords = new Uint32Array(this.paramsData);
    this.paramsBuffer = device.createBuffer({ size: this.paramsData.byteLength, usage: UNIFORM_USAGE });
    this.maxBinding = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
    device.addEventListener?.('uncapturederror', (event) => {
      this.firstError ??= (event as GPUUncapturedErrorEvent).error.message;
    });
    void device.lost?.then((info) => {
      this.firstError ??= `the GPU device was lost (${info.reason}): ${info.message}`;
    });
  }

  supports(dtype: DType): boolean {
    return dtype !== 'float64';
  }

  info(): WebGpuInfo {
    return {
      adapter: this.adapterDescription,
      memory: this.pool.stats(),
      pipelines: this.pipelines.size,
      submits: this.submits,
      dispatches: this.dispatches,
    };
  }

  // ---- memory -------------------------------------------------------------------------

  private checkDtype(dtype: DType, where: string): void {
    if (dtype === 'float64') {
      throw new ConfigError(
        `webgpu ${where}: float64 is not supported on WebGPU (WGSL has no f64); use float32.`,
      );
    }
  }

  private storage(dtype: DType, size: number, forUpload: boolean, where: string): WebGpuStorage {
    this.checkDtype(dtype, where);
    const bytes = size * 4;
    if (bytes > this.maxBinding) {
      throw new DescentError(
        `webgpu ${where}: ${size} elements (${bytes} bytes) exceed this device's largest storage buffer ` +
          `(${this.maxBinding} bytes).`,
      );
    }
    return { backend: 'webgpu', buffer: this.pool.acquire(bytes, forUpload), size };
  }

  alloc(dtype: DType, size: number): Storage {
    return this.storage(dtype, size, false, 'alloc');
  }

  upload(dtype: DType, values: ArrayLike<number>): Storage {
    const s = this.storage(dtype, values.length, true, 'upload');
    if (values.length > 0) {
      let data =
        dtype === 'int32'
          ? values instanceof Int32Array
            ? values
            : Int32Array.from(values)
          : values instanceof Float32Array
            ? values
            : Float32Array.from(values);
      // writeBuffer takes no shared memory (a wasm tensor's view, say).
      if (!(data.buffer instanceof ArrayBuffer)) data = data.slice();
      this.device.queue.writeBuffer(s.buffer, 0, data.buffer, data.byteOffset, data.byteLength);
    }
    return s;
  }

  async read(storage: Storage, dtype: DType, size: number): Promise<TypedArray> {
    this.checkDtype(dtype, 'read');
    if (size === 0) {
      this.flush();
      await this.checkErrors();
      return EMPTY[dtype]();
    }
    const bytes = size * 4;
    const staging = this.device.createBuffer({ size: bytes, usage: READBACK_USAGE });
    this.endPass();
    this.commandEncoder().copyBufferToBuffer(buf(storage), 0, staging, 0, bytes);
    this.flush();
    try {
      await staging.mapAsync(MAP_READ);
      const copy = staging.getMappedRange().slice(0);
      staging.unmap();
      await this.checkErrors();
      return dtype === 'int32' ? new Int32Array(copy) : new Float32Array(copy);
    } catch (error) {
      await this.checkErrors();
      throw error;
    } finally {
      staging.destroy();
    }
  }

  free(storage: Storage): void {
    this.pool.release(buf(storage));
    if (this.pool.dirtyBytes() > this.maxPendingFreeBytes) this.flush();
  }

  /** Submits what is recorded and waits until the GPU has run it (for benchmarks). */
  async sync(): Promise<void> {
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    await this.checkErrors();
  }

  /** Destroys the pooled (free) buffers, e.g. before measuring memory. */
  trimPool(): void {
    this.flush();
    this.pool.trim();
  }

  // ---- command recording ------------------------------------------------------------

  private commandEncoder(): GPUCommandEncoder {
    if (!this.encoder) {
      this.device.pushErrorScope('out-of-memory');
      this.device.pushErrorScope('validation');
      this.encoder = this.device.createCommandEncoder();
    }
    return this.encoder;
  }

  private endPass(): void {
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
  }

  /** Submits every recorded command (and the parameter slots they use). */
  flush(): void {
    if (!this.encoder) return;
    this.endPass();
    if (this.slots > 0) {
      this.device.queue.writeBuffer(this.paramsBuffer, 0, this.paramsData, 0, this.slots * PARAM_BYTES);
    }
    this.device.queue.submit([this.encoder.finish()]);
    this.encoder = null;
    this.slots = 0;
    this.submits++;
    for (const scope of [this.device.popErrorScope(), this.device.popErrorScope()]) {
      this.errors.push(
        scope.then(
          (e) => e,
          () => null,
        ),
      );
    }
    // Never-read runs must not pile up promises: fold them into one.
    if (this.errors.length > 64) {
      const all = this.errors;
      this.errors = [
        Promise.all(all).then((es) => {
          for (const e of es) if (e) this.firstError ??= e.message;
          return null;
        }),
      ];
    }
    this.pool.settle();
  }

  /** Throws the first GPU error seen since the last check (validation, memory, device loss). */
  private async checkErrors(): Promise<void> {
    const pending = this.errors;
    this.errors = [];
    for (const e of await Promise.all(pending)) if (e) this.firstError ??= e.message;
    if (this.firstError) {
      const message = this.firstError;
      this.firstError = null;
      throw new DescentError(`webgpu: the GPU reported an error: ${message}`);
    }
  }

  private pipeline(key: string, source: () => string): GPUComputePipeline {
    let p = this.pipelines.get(key);
    if (!p) {
      const module = this.device.createShaderModule({ code: source(), label: key });
      p = this.device.createComputePipeline({
        layout: 'auto',
        compute: { module, entryPoint: 'main' },
        label: key,
      });
      this.pipelines.set(key, p);
    }
    return p;
  }

  /**
   * Records one dispatch of the shader `key` over `groups` workgroups, binding `buffers` in
   * order and then the parameter words.
   */
  private dispatch(
    key: string,
    source: () => string,
    buffers: readonly GPUBuffer[],
    words: readonly number[],
    groups: readonly [number, number, number],
  ): void {
    if (groups[0] === 0 || groups[1] === 0 || groups[2] === 0) return;
    if (words.length > PARAM_WORDS) throw new DescentError(`webgpu ${key}: too many parameters`);
    if (this.slots === this.maxSlots) this.flush();
    const encoder = this.commandEncoder();
    const pipeline = this.pipeline(key, source);
    const slot = this.slots++;
    const base = slot * PARAM_WORDS;
    for (let w = 0; w < words.length; w++) this.paramsWords[base + w] = words[w] >>> 0;
    const entries: GPUBindGroupEntry[] = buffers.map((buffer, binding) => ({
      binding,
      resource: { buffer },
    }));
    entries.push({
      binding: buffers.length,
      resource: { buffer: this.paramsBuffer, offset: slot * PARAM_BYTES, size: PARAM_BYTES },
    });
    const group = this.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
    if (!this.pass) this.pass = encoder.beginComputePass();
    this.pass.setPipeline(pipeline);
    this.pass.setBindGroup(0, group);
    this.pass.dispatchWorkgroups(groups[0], groups[1], groups[2]);
    this.dispatches++;
  }

  /** A 1-D kernel over `count` items (word 0 is set to `count`). */
  private run1d(
    key: string,
    source: () => string,
    buffers: readonly GPUBuffer[],
    count: number,
    words: number[] = [],
  ): void {
    if (count === 0) return;
    words[0] = count;
    for (let w = 1; w < words.length; w++) words[w] ??= 0;
    this.dispatch(key, source, buffers, words, grid1d(count));
  }

  private copyBuffer(from: GPUBuffer, to: GPUBuffer, bytes: number): void {
    if (bytes === 0) return;
    this.endPass();
    this.commandEncoder().copyBufferToBuffer(from, 0, to, 0, bytes);
  }

  /** A scratch buffer for one call; freed when the call has recorded its work. */
  private scratch(size: number): WebGpuStorage {
    return this.storage('int32', size, false, 'scratch');
  }

  // ---- element-wise -------------------------------------------------------------------

  fill(out: Storage, dtype: DType, size: number, value: number): void {
    this.checkDtype(dtype, 'fill');
    this.run1d('fill', fillSource, [buf(out)], size, [0, valueBits(dtype, value)]);
  }

  cast(x: Storage, from: DType, out: Storage, to: DType, size: number): void {
    this.checkDtype(from, 'cast');
    this.checkDtype(to, 'cast');
    if (from === to) {
      if (x !== out) this.copyBuffer(buf(x), buf(out), size * 4);
      return;
    }
    this.run1d(`cast:${from}:${to}`, () => castSource(from, to), [buf(x), buf(out)], size);
  }

  unary(op: UnaryOp, x: Storage, out: Storage, dtype: DType, size: number, p0 = 0, p1 = 0): void {
    this.checkDtype(dtype, 'unary');
    const inPlace = buf(x) === buf(out);
    this.run1d(
      `unary:${op}:${dtype}:${inPlace}`,
      () => unarySource(op, dtype, inPlace),
      inPlace ? [buf(out)] : [buf(x), buf(out)],
      size,
      [0, f32Bits(p0), f32Bits(p1)],
    );
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
    this.checkDtype(dtype, 'unaryGrad');
    const inputs = { x: buf(x), y: buf(y), dy: buf(dy) };
    const aliased = (['x', 'y', 'dy'] as const).filter((k) => inputs[k] === buf(dx));
    const key = `unaryGrad:${op}:${dtype}:${aliased.join(',')}`;
    let variant = this.gradVariants.get(key);
    if (!variant) this.gradVariants.set(key, (variant = unaryGradSource(op, dtype, aliased)));
    const code = variant.code;
    this.run1d(key, () => code, [...variant.inputs.map((k) => inputs[k]), buf(dx)], size, [
      0,
      f32Bits(p0),
      f32Bits(p1),
    ]);
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
    this.checkDtype(dtype, 'binary');
    const size = prod(outShape);
    if (size === 0) return;
    const aSize = prod(aShape);
    const bSize = prod(bShape);
    const words = [size, 0];
    let layout: BinaryLayout;
    if (aSize === size && bSize === size) layout = 'same';
    else if (bSize === 1 && aSize === size) layout = 'scalarB';
    else if (aSize === 1 && bSize === size) layout = 'scalarA';
    else {
      layout = 'broadcast';
      const nd = outShape.length;
      const strides = (shape: readonly number[]) => {
        const s = new Array<number>(nd).fill(0);
        let stride = 1;
        for (let d = shape.length - 1; d >= 0; d--) {
          s[d + nd - shape.length] = shape[d] === 1 ? 0 : stride;
          stride *= shape[d];
        }
        return s;
      };
      const [shape, [as, bs]] = mergeDims(outShape, [strides(aShape), strides(bShape)]);
      if (shape.length > MAX_RANK) {
        throw new DescentError(
          `webgpu binary ${op}: broadcasting ${JSON.stringify(aShape)} with ${JSON.stringify(bShape)} needs ` +
            `${shape.length} dimensions after merging; at most ${MAX_RANK} are supported.`,
        );
      }
      words[1] = shape.length;
      shape.forEach((d, k) => {
        words[8 + k] = d;
        words[16 + k] = as[k];
        words[24 + k] = bs[k];
      });
      for (let w = 2; w < 32; w++) words[w] ??= 0;
    }
    const aliasA = buf(a) === buf(out);
    const aliasB = buf(b) === buf(out);
    const buffers: GPUBuffer[] = [];
    if (!aliasA) buffers.push(buf(a));
    if (!aliasB) buffers.push(buf(b));
    buffers.push(buf(out));
    this.run1d(
      `binary:${op}:${dtype}:${layout}:${aliasA}:${aliasB}`,
      () => binarySource(op, dtype, layout, aliasA, aliasB),
      buffers,
      size,
      words,
    );
  }

  // ---- reductions and axis-wise ops -------------------------------------------------------

  private axisWords(view: AxisView, count: number): number[] {
    return [count, view.outer, view.axis, view.inner];
  }

  /** Whether a row kernel (one workgroup per row) suits this view. */
  private rowKernel(view: AxisView): boolean {
    return view.inner === 1 && view.axis >= ROW_KERNEL_MIN_AXIS;
  }

  reduce(op: ReduceOp, x: Storage, view: AxisView, out: Storage, dtype: DType): void {
    this.checkDtype(dtype, 'reduce');
    const lanes = view.outer * view.inner;
    if (lanes === 0) return;
    if (this.rowKernel(view)) {
      this.dispatch(
        `reduce:${op}:${dtype}:rows`,
        () => reduceSource(op, dtype, true),
        [buf(x), buf(out)],
        this.axisWords(view, view.outer),
        gridRows(view.outer),
      );
    } else {
      this.run1d(
        `reduce:${op}:${dtype}:lanes`,
        () => reduceSource(op, dtype, false),
        [buf(x), buf(out)],
        lanes,
        this.axisWords(view, lanes),
      );
    }
  }

  argReduce(op: ArgReduceOp, x: Storage, view: AxisView, out: Storage, dtype: DType): void {
    this.checkDtype(dtype, 'argReduce');
    const lanes = view.outer * view.inner;
    if (lanes === 0 || view.axis === 0) return;
    this.run1d(
      `${op}:${dtype}`,
      () => argReduceSource(op, dtype),
      [buf(x), buf(out)],
      lanes,
      this.axisWords(view, lanes),
    );
  }

  /** Runs a float32-only kernel on int32 data through float32 copies (int32 results truncate). */
  private viaFloat(
    inputs: Storage[],
    out: Storage,
    size: number,
    run: (ins: Storage[], out: Storage) => void,
  ): void {
    const ins = inputs.map((s) => {
      const f = this.alloc('float32', size);
      this.cast(s, 'int32', f, 'float32', size);
      return f;
    });
    const o = this.alloc('float32', size);
    run(ins, o);
    this.cast(o, 'float32', out, 'int32', size);
    for (const s of [...ins, o]) this.free(s);
  }

  softmax(x: Storage, view: AxisView, out: Storage, dtype: DType, log: boolean): void {
    this.checkDtype(dtype, 'softmax');
    const n = view.outer * view.axis * view.inner;
    if (n === 0) return;
    if (dtype === 'int32') {
      return this.viaFloat([x], out, n, ([fx], fo) => this.softmax(fx, view, fo, 'float32', log));
    }
    const rows = this.rowKernel(view);
    const lanes = view.outer * view.inner;
    this.dispatch(
      `softmax:${log}:${rows}`,
      () => softmaxSource(log, rows),
      [buf(x), buf(out)],
      this.axisWords(view, rows ? view.outer : lanes),
      rows ? gridRows(view.outer) : grid1d(lanes),
    );
  }

  softmaxGrad(y: Storage, dy: Storage, view: AxisView, dx: Storage, dtype: DType, log: boolean): void {
    this.checkDtype(dtype, 'softmaxGrad');
    const n = view.outer * view.axis * view.inner;
    if (n === 0) return;
    if (dtype === 'int32') {
      return this.viaFloat([y, dy], dx, n, ([fy, fdy], fo) =>
        this.softmaxGrad(fy, fdy, view, fo, 'float32', log),
      );
    }
    const rows = this.rowKernel(view);
    const lanes = view.outer * view.inner;
    this.dispatch(
      `softmaxGrad:${log}:${rows}`,
      () => softmaxGradSource(log, rows),
      [buf(y), buf(dy), buf(dx)],
      this.axisWords(view, rows ? view.outer : lanes),
      rows ? gridRows(view.outer) : grid1d(lanes),
    );
  }

  // ---- linear algebra -----------------------------------------------------------------

  /** The tile for an m×n product: large tiles only when there are enough of them to fill a GPU. */
  private tileFor(m: number, n: number): [GemmTile, string] {
    const large =
      this.gemmTile === 'large' || (this.gemmTile === 'auto' && m >= 512 && n >= 512 && m * n >= 1 << 22);
    return large ? [GEMM_LARGE, 'L'] : [GEMM_SMALL, 'S'];
  }

  matmul(a: Storage, b: Storage, out: Storage, dtype: DType, args: MatmulArgs): void {
    this.checkDtype(dtype, 'matmul');
    const { batch, m, n, k, transA, transB, aBatchStride, bBatchStride } = args;
    if (batch === 0 || m === 0 || n === 0) return;
    const [tile, tileName] = this.tileFor(m, n);
    const type = dtype === 'int32' ? 'i32' : 'f32';
    const variant = {
      transA,
      transB,
      vecA: (transA ? m : k) % 4 === 0 && aBatchStride % 4 === 0,
      vecB: (transB ? k : n) % 4 === 0 && bBatchStride % 4 === 0,
      vecC: n % 4 === 0,
      type: type as 'f32' | 'i32',
    };
    const key = `gemm:${tileName}:${type}:${+transA}${+transB}:${+variant.vecA}${+variant.vecB}${+variant.vecC}`;
    const gx = Math.ceil(n / tile.bn);
    const gy = Math.ceil(m / tile.bm);
    if (gx > MAX_GROUPS || gy > MAX_GROUPS) {
      throw new DescentError(
        `webgpu matmul: ${m}×${n} needs more than ${MAX_GROUPS} workgroups along one side.`,
      );
    }
    for (let first = 0; first < batch; first += MAX_GROUPS) {
      const z = Math.min(MAX_GROUPS, batch - first);
      this.dispatch(
        key,
        () => gemmSource(tile, variant),
        [buf(a), buf(b), buf(out)],
        [m, n, k, aBatchStride, bBatchStride, first],
        [gx, gy, z],
      );
    }
  }

  // ---- data movement --------------------------------------------------------------------

  permute(x: Storage, shape: readonly number[], perm: readonly number[], out: Storage, dtype: DType): void {
    this.checkDtype(dtype, 'permute');
    const size = prod(shape);
    if (size === 0) return;
    const inStrides = stridesOf(shape);
    const outShape = perm.map((p) => shape[p]);
    const [merged, [src, dst]] = mergeDims(outShape, [perm.map((p) => inStrides[p]), stridesOf(outShape)]);
    if (merged.length === 0 || (merged.length === 1 && src[0] === 1)) {
      return this.copyBuffer(buf(x), buf(out), size * 4);
    }
    void dst;
    if (merged.length > MAX_RANK) {
      throw new DescentError(
        `webgpu permute: ${merged.length} dimensions after merging; at most ${MAX_RANK}.`,
      );
    }
    const words = [size, merged.length, 0];
    for (let w = 3; w < 24; w++) words[w] = 0;
    merged.forEach((d, k) => {
      words[8 + k] = d;
      words[16 + k] = src[k];
    });
    this.run1d('permute', permuteSource, [buf(x), buf(out)], size, words);
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
    this.checkDtype(dtype, 'copyRegion');
    const box = src.shape;
    const count = prod(box);
    if (count === 0) return;
    const ss = stridesOf(srcShape);
    const ds = stridesOf(dstShape);
    let srcBase = 0;
    let dstBase = 0;
    for (let k = 0; k < box.length; k++) {
      srcBase += src.begin[k] * ss[k];
      dstBase += dst.begin[k] * ds[k];
    }
    const [merged, [sStr, dStr]] = mergeDims(box, [ss, ds]);
    if (merged.length > MAX_RANK) {
      throw new DescentError(
        `webgpu copyRegion: ${merged.length} dimensions after merging; at most ${MAX_RANK}.`,
      );
    }
    if (merged.length <= 1 && (merged.length === 0 || (sStr[0] === 1 && dStr[0] === 1))) {
      // One contiguous run: a buffer copy.
      if (buf(x) !== buf(out)) {
        this.endPass();
        this.commandEncoder().copyBufferToBuffer(buf(x), srcBase * 4, buf(out), dstBase * 4, count * 4);
        return;
      }
    }
    const words = [count, merged.length, srcBase, dstBase];
    for (let w = 4; w < 32; w++) words[w] = 0;
    merged.forEach((d, k) => {
      words[8 + k] = d;
      words[16 + k] = sStr[k];
      words[24 + k] = dStr[k];
    });
    this.run1d('copyRegion', copyRegionSource, [buf(x), buf(out)], count, words);
  }

  gather(x: Storage, view: AxisView, indices: Storage, count: number, out: Storage, dtype: DType): void {
    this.checkDtype(dtype, 'gather');
    const n = view.outer * count * view.inner;
    this.run1d('gather', gatherSource, [buf(x), buf(indices), buf(out)], n, [
      0,
      view.axis,
      count,
      view.inner,
    ]);
  }

  scatterAdd(dy: Storage, view: AxisView, indices: Storage, count: number, dx: Storage, dtype: DType): void {
    this.checkDtype(dtype, 'scatterAdd');
    const n = view.outer * view.axis * view.inner;
    if (n === 0 || count === 0) return;
    const head = this.scratch(view.axis);
    const next = this.scratch(count);
    this.run1d('fill', fillSource, [head.buffer], view.axis, [0, 0xffffffff]);
    this.run1d('scatterLink', scatterLinkSource, [buf(indices), head.buffer, next.buffer], count, [
      0,
      view.axis,
    ]);
    this.run1d(
      `scatterAdd:${dtype}`,
      () => scatterAddSource(dtype),
      [buf(dy), head.buffer, next.buffer, buf(dx)],
      n,
      [0, view.axis, count, view.inner],
    );
    this.free(head);
    this.free(next);
  }

  oneHot(indices: Storage, count: number, depth: number, out: Storage, dtype: DType): void {
    this.checkDtype(dtype, 'oneHot');
    this.run1d('oneHot', oneHotSource, [buf(indices), buf(out)], count * depth, [
      0,
      depth,
      0,
      valueBits(dtype, 1),
    ]);
  }

  // ---- convolution and pooling ----------------------------------------------------------

  private windowWords(g: Window2d, count: number): number[] {
    const words = new Array<number>(WINDOW_WORD + WINDOW_FIELDS.length).fill(0);
    words[0] = count;
    WINDOW_FIELDS.forEach((f, k) => (words[WINDOW_WORD + k] = g[f] | 0));
    return words;
  }

  im2col(x: Storage, g: Window2d, out: Storage, dtype: DType): void {
    this.checkDtype(dtype, 'im2col');
    const n = g.channels * g.kH * g.kW * g.batch * g.outH * g.outW;
    this.run1d('im2col', im2colSource, [buf(x), buf(out)], n, this.windowWords(g, n));
  }

  col2im(cols: Storage, g: Window2d, out: Storage, dtype: DType): void {
    this.checkDtype(dtype, 'col2im');
    const n = g.batch * g.channels * g.inH * g.inW;
    this.run1d(
      `col2im:${dtype}`,
      () => col2imSource(dtype),
      [buf(cols), buf(out)],
      n,
      this.windowWords(g, n),
    );
  }

  pool2d(op: PoolOp, x: Storage, g: Window2d, out: Storage, argmax: Storage | null, dtype: DType): void {
    this.checkDtype(dtype, 'pool2d');
    const n = g.batch * g.channels * g.outH * g.outW;
    const buffers = [buf(x), buf(out)];
    if (op === 'max') {
      if (!argmax) throw new DescentError("webgpu pool2d: 'max' needs an argmax output.");
      buffers.push(buf(argmax));
    }
    this.run1d(`pool2d:${op}:${dtype}`, () => pool2dSource(op, dtype), buffers, n, this.windowWords(g, n));
  }

  pool2dGrad(op: PoolOp, dy: Storage, g: Window2d, argmax: Storage | null, dx: Storage, dtype: DType): void {
    this.checkDtype(dtype, 'pool2dGrad');
    const n = g.batch * g.channels * g.inH * g.inW;
    const buffers = [buf(dy)];
    if (op === 'max') {
      if (!argmax) throw new DescentError("webgpu pool2dGrad: 'max' needs the argmax of pool2d.");
      buffers.push(buf(argmax));
    }
    buffers.push(buf(dx));
    this.run1d(
      `pool2dGrad:${op}:${dtype}`,
      () => pool2dGradSource(op, dtype),
      buffers,
      n,
      this.windowWords(g, n),
    );
  }

  // ---- fused element-wise programs ------------------------------------------------------

  fused(
    program: FusedProgram,
    inputs: readonly Storage[],
    scalars: readonly number[],
    outputs: readonly Storage[],
    dtype: DType,
    size: number,
  ): void {
    this.checkDtype(dtype, 'fused');
    if (dtype !== 'float32') throw new ConfigError('webgpu fused: programs run in float32 only.');
    if (size === 0) return;
    // One binding per distinct buffer, writable when an output.
    const buffers: GPUBuffer[] = [];
    const writable: boolean[] = [];
    const bindingOf = (s: Storage, write: boolean) => {
      let b = buffers.indexOf(buf(s));
      if (b < 0) {
        b = buffers.push(buf(s)) - 1;
        writable.push(false);
      }
      if (write) writable[b] = true;
      return b;
    };
    const inputBinding = inputs.map((s) => bindingOf(s, false));
    const outputBinding = outputs.map((s) => bindingOf(s, true));
    if (
      buffers.length > this.device.limits.maxStorageBuffersPerShaderStage ||
      scalars.length > MAX_FUSED_SCALARS
    ) {
      fusedByKernels(this, program, inputs, scalars, outputs, dtype, size);
      return;
    }
    const layout = `${inputBinding.join(',')}|${outputBinding.join(',')}|${writable.map(Number).join('')}`;
    this.run1d(
      `fused:${program.key}:${layout}`,
      () => fusedSource(program, inputBinding, outputBinding, writable),
      buffers,
      size,
      [0, ...scalars.map(f32Bits)],
    );
  }
}

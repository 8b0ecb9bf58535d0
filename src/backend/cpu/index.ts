/**
 * The cpu backend: the readable reference implementation of the kernel contract, in
 * plain TypeScript on typed arrays. Every other backend is tested against it.
 *
 * Memory: freed arrays go to a pool keyed by dtype and length, so a training loop that
 * makes the same intermediates every step stops allocating after its first step.
 */
import type {
  ArgReduceOp,
  AxisView,
  Backend,
  BinaryOp,
  DType,
  MatmulArgs,
  ReduceOp,
  Region,
  Storage,
  TypedArray,
  UnaryOp,
} from '../contract.js';
import { binaryKernel, unaryGradKernel, unaryKernel } from './elementwise.js';
import { matmulKernel } from './gemm.js';
import {
  argReduceKernel,
  gatherKernel,
  reduceKernel,
  scatterAddKernel,
  softmaxGradKernel,
  softmaxKernel,
} from './axis.js';
import type { PoolOp, Window2d } from '../contract.js';
import { col2imKernel, im2colKernel, pool2dGradKernel, pool2dKernel } from './conv.js';
import { fusedKernel } from './fused.js';
import { batchNormGradKernel, batchNormKernel } from './normalization.js';
import { dropoutMaskKernel } from './random.js';
import type { BatchNormArgs, FusedProgram } from '../contract.js';

export interface CpuStorage extends Storage {
  readonly backend: 'cpu';
  readonly data: TypedArray;
}

const POOL_LIMIT_BYTES = 512 * 1024 * 1024;

function arrayOf(dtype: DType, size: number): TypedArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(size);
    case 'float64':
      return new Float64Array(size);
    case 'int32':
      return new Int32Array(size);
  }
}

function d(s: Storage): TypedArray {
  return (s as CpuStorage).data;
}

export class CpuBackend implements Backend {
  readonly name = 'cpu';
  private readonly pool = new Map<string, TypedArray[]>();
  private pooledBytes = 0;

  supports(_dtype: DType): boolean {
    return true;
  }

  alloc(dtype: DType, size: number): Storage {
    const list = this.pool.get(`${dtype}:${size}`);
    const pooled = list?.pop();
    if (pooled) {
      this.pooledBytes -= pooled.byteLength;
      return { backend: 'cpu', data: pooled } as CpuStorage;
    }
    return { backend: 'cpu', data: arrayOf(dtype, size) } as CpuStorage;
  }

  upload(dtype: DType, values: ArrayLike<number>): Storage {
    // From the pool like any other allocation: every freed array returns to the pool, so
    // uploads that bypassed it would grow it by one array per upload.
    const storage = this.alloc(dtype, values.length);
    (storage as CpuStorage).data.set(values as ArrayLike<number>);
    return storage;
  }

  async read(storage: Storage, dtype: DType, size: number): Promise<TypedArray> {
    return this.readSync(storage, dtype, size);
  }

  readSync(storage: Storage, _dtype: DType, size: number): TypedArray {
    return d(storage).slice(0, size);
  }

  free(storage: Storage): void {
    const data = d(storage);
    if (this.pooledBytes + data.byteLength > POOL_LIMIT_BYTES) return;
    const dtype: DType =
      data instanceof Float32Array ? 'float32' : data instanceof Float64Array ? 'float64' : 'int32';
    const key = `${dtype}:${data.length}`;
    let list = this.pool.get(key);
    if (!list) this.pool.set(key, (list = []));
    list.push(data);
    this.pooledBytes += data.byteLength;
  }

  fill(out: Storage, _dtype: DType, size: number, value: number): void {
    d(out).fill(value, 0, size);
  }

  cast(x: Storage, _from: DType, out: Storage, to: DType, size: number): void {
    const src = d(x);
    const dst = d(out);
    if (to === 'int32') for (let i = 0; i < size; i++) dst[i] = Math.trunc(src[i]);
    else for (let i = 0; i < size; i++) dst[i] = src[i];
  }

  unary(op: UnaryOp, x: Storage, out: Storage, _dtype: DType, size: number, p0 = 0, p1 = 0): void {
    unaryKernel(op, d(x), d(out), size, p0, p1);
  }

  unaryGrad(
    op: UnaryOp,
    x: Storage,
    y: Storage,
    dy: Storage,
    dx: Storage,
    _dtype: DType,
    size: number,
    p0 = 0,
    p1 = 0,
  ): void {
    unaryGradKernel(op, d(x), d(y), d(dy), d(dx), size, p0, p1);
  }

  binary(
    op: BinaryOp,
    a: Storage,
    aShape: readonly number[],
    b: Storage,
    bShape: readonly number[],
    out: Storage,
    outShape: readonly number[],
  ): void {
    binaryKernel(op, d(a), aShape, d(b), bShape, d(out), outShape);
  }

  reduce(op: ReduceOp, x: Storage, view: AxisView, out: Storage): void {
    reduceKernel(op, d(x), view, d(out));
  }

  argReduce(op: ArgReduceOp, x: Storage, view: AxisView, out: Storage): void {
    argReduceKernel(op, d(x), view, d(out));
  }

  softmax(x: Storage, view: AxisView, out: Storage, _dtype: DType, log: boolean): void {
    softmaxKernel(d(x), view, d(out), log);
  }

  softmaxGrad(y: Storage, dy: Storage, view: AxisView, dx: Storage, _dtype: DType, log: boolean): void {
    softmaxGradKernel(d(y), d(dy), view, d(dx), log);
  }

  matmul(a: Storage, b: Storage, out: Storage, _dtype: DType, args: MatmulArgs): void {
    matmulKernel(d(a), d(b), d(out), args);
  }

  permute(x: Storage, shape: readonly number[], perm: readonly number[], out: Storage): void {
    const src = d(x);
    const dst = d(out);
    const nd = shape.length;
    const size = shape.reduce((p, v) => p * v, 1);
    if (size === 0) return;
    const inStrides = stridesOf(shape);
    const outShape = perm.map((p) => shape[p]);
    const srcStrides = perm.map((p) => inStrides[p]);
    const inner = nd === 0 ? 1 : outShape[nd - 1];
    const innerStride = nd === 0 ? 1 : srcStrides[nd - 1];
    const index = new Array<number>(nd).fill(0);
    let s = 0;
    for (let o = 0; o < size; o += inner) {
      for (let i = 0; i < inner; i++) dst[o + i] = src[s + i * innerStride];
      for (let k = nd - 2; k >= 0; k--) {
        index[k]++;
        s += srcStrides[k];
        if (index[k] < outShape[k]) break;
        s -= srcStrides[k] * outShape[k];
        index[k] = 0;
      }
    }
  }

  copyRegion(
    x: Storage,
    srcShape: readonly number[],
    src: Region,
    out: Storage,
    dstShape: readonly number[],
    dst: Region,
  ): void {
    const from = d(x);
    const to = d(out);
    const box = src.shape;
    const nd = box.length;
    const count = box.reduce((p, v) => p * v, 1);
    if (count === 0) return;
    const ss = stridesOf(srcShape);
    const ds = stridesOf(dstShape);
    let so = 0;
    let doff = 0;
    for (let k = 0; k < nd; k++) {
      so += src.begin[k] * ss[k];
      doff += dst.begin[k] * ds[k];
    }
    const inner = nd === 0 ? 1 : box[nd - 1];
    const index = new Array<number>(nd).fill(0);
    for (let c = 0; c < count; c += inner) {
      for (let i = 0; i < inner; i++) to[doff + i] = from[so + i];
      for (let k = nd - 2; k >= 0; k--) {
        index[k]++;
        so += ss[k];
        doff += ds[k];
        if (index[k] < box[k]) break;
        so -= ss[k] * box[k];
        doff -= ds[k] * box[k];
        index[k] = 0;
      }
    }
  }

  gather(x: Storage, view: AxisView, indices: Storage, count: number, out: Storage): void {
    gatherKernel(d(x), view, d(indices), count, d(out));
  }

  scatterAdd(dy: Storage, view: AxisView, indices: Storage, count: number, dx: Storage): void {
    scatterAddKernel(d(dy), view, d(indices), count, d(dx));
  }

  oneHot(indices: Storage, count: number, depth: number, out: Storage): void {
    const idx = d(indices);
    const o = d(out);
    o.fill(0, 0, count * depth);
    for (let j = 0; j < count; j++) {
      const c = idx[j];
      if (c >= 0 && c < depth) o[j * depth + c] = 1;
    }
  }

  // ---- convolution and pooling (conv.ts) ----------------------------------------------
  im2col(x: Storage, g: Window2d, out: Storage): void {
    im2colKernel(d(x), g, d(out));
  }

  col2im(cols: Storage, g: Window2d, out: Storage): void {
    col2imKernel(d(cols), g, d(out));
  }

  pool2d(op: PoolOp, x: Storage, g: Window2d, out: Storage, argmax: Storage | null): void {
    pool2dKernel(op, d(x), g, d(out), argmax ? d(argmax) : null);
  }

  pool2dGrad(op: PoolOp, dy: Storage, g: Window2d, argmax: Storage | null, dx: Storage): void {
    pool2dGradKernel(op, d(dy), g, argmax ? d(argmax) : null, d(dx));
  }

  // ---- batch normalisation (normalization.ts) -------------------------------------------
  batchNorm(
    x: Storage,
    args: BatchNormArgs,
    y: Storage,
    mean: Storage,
    variance: Storage,
    invStd: Storage,
  ): void {
    const { gamma, beta } = args;
    batchNormKernel(
      d(x),
      args.view,
      args.eps,
      gamma ? d(gamma) : null,
      beta ? d(beta) : null,
      d(y),
      d(mean),
      d(variance),
      d(invStd),
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
  ): void {
    const gamma = args.gamma ? d(args.gamma) : null;
    const opt = (s: Storage | null) => (s ? d(s) : null);
    batchNormGradKernel(d(x), d(dy), args.view, gamma, d(mean), d(invStd), opt(dx), opt(dGamma), opt(dBeta));
  }

  // ---- random masks (random.ts) ---------------------------------------------------------
  dropoutMask(
    out: Storage,
    _dtype: DType,
    size: number,
    rate: number,
    scale: number,
    key: readonly [number, number],
  ): void {
    dropoutMaskKernel(d(out), size, rate, scale, key[0], key[1]);
  }

  // ---- fused element-wise programs (fused.ts) -------------------------------------------
  fused(
    program: FusedProgram,
    inputs: readonly Storage[],
    scalars: readonly number[],
    outputs: readonly Storage[],
    dtype: DType,
    size: number,
  ): void {
    fusedKernel(program, inputs.map(d), scalars, outputs.map(d), dtype, size);
  }
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

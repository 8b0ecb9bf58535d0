/**
 * The kernel contract: the only thing a backend implements.
 *
 * Everything above `backend/` (tensors, autograd, ops, layers, optimisers, training)
 * is written once against this interface. Kernels receive opaque `Storage` handles
 * and plain numbers describing shapes — never `Tensor` objects — so a WebAssembly
 * backend can hand out offsets into its linear memory and a WebGPU backend GPU
 * buffers, and neither needs to know about autograd.
 *
 * Conventions
 * - Storage is row-major (C order) and dense; NCHW for images.
 * - `out` is always allocated by the caller with `alloc` and fully written by the kernel
 *   (kernels never allocate user-visible memory). Unless noted, `out` may not alias an input,
 *   except for same-shape element-wise kernels (`unary`, `binary` with equal shapes), which
 *   must support `out === a` so that parameters can be updated in place.
 * - All inputs of one kernel call have the same dtype as `out` unless noted (ops cast first).
 * - Axis-wise kernels see the tensor as [outer, axis, inner]: the ops layer folds any
 *   shape into those three numbers, so a backend implements one loop nest, not n-D indexing.
 * - Reading is asynchronous (`read`); `readSync` exists only where the backend can honour it.
 */

export type DType = 'float32' | 'float64' | 'int32';
export type TypedArray = Float32Array | Float64Array | Int32Array;

/** An opaque handle to a backend's memory. Only the backend that made it looks inside. */
export interface Storage {
  readonly backend: string;
}

/**
 * Element-wise functions of one argument. `p0`/`p1` carry the op's constants:
 * leakyRelu/elu: p0 = α; clamp: p0 = min, p1 = max; powScalar: p0 = exponent.
 */
export type UnaryOp =
  | 'neg'
  | 'exp'
  | 'log'
  | 'sqrt'
  | 'abs'
  | 'sign'
  | 'square'
  | 'reciprocal'
  | 'sigmoid'
  | 'tanh'
  | 'relu'
  | 'step'
  | 'leakyRelu'
  | 'elu'
  | 'softplus'
  | 'clamp'
  | 'powScalar';

/** Element-wise functions of two arguments, with numpy broadcasting. Comparisons give 1 or 0. */
export type BinaryOp =
  'add' | 'sub' | 'mul' | 'div' | 'pow' | 'max' | 'min' | 'eq' | 'gt' | 'ge' | 'lt' | 'le';

export type ReduceOp = 'sum' | 'max' | 'min';
export type ArgReduceOp = 'argmax' | 'argmin';

/** An [outer, axis, inner] view of a tensor for axis-wise kernels. */
export interface AxisView {
  outer: number;
  axis: number;
  inner: number;
}

export interface MatmulArgs {
  /** Number of independent products; batch strides of 0 broadcast an operand. */
  batch: number;
  m: number;
  n: number;
  k: number;
  /** A is stored [k, m] instead of [m, k]. */
  transA: boolean;
  /** B is stored [n, k] instead of [k, n]. */
  transB: boolean;
  aBatchStride: number;
  bBatchStride: number;
}

/** What batchNorm and batchNormGrad take besides their tensors. */
export interface BatchNormArgs {
  /** x as [outer, axis, inner], the channels on the axis. */
  view: AxisView;
  eps: number;
  /** [axis], or null for 1. */
  gamma: Storage | null;
  /** [axis], or null for 0 (forward only). */
  beta: Storage | null;
}

/** A rectangular region for `copyRegion`: an n-D box inside a larger row-major array. */
export interface Region {
  shape: readonly number[];
  /** Start of the box in each dimension. */
  begin: readonly number[];
}

export interface Backend {
  readonly name: string;
  /** Whether the backend can compute in this dtype (float64 is a cpu-only luxury). */
  supports(dtype: DType): boolean;

  // ---- memory -------------------------------------------------------------------
  /** Uninitialised storage for `size` elements. */
  alloc(dtype: DType, size: number): Storage;
  /** Storage holding a copy of `values` (converted to `dtype`). */
  upload(dtype: DType, values: ArrayLike<number>): Storage;
  /** A copy of the contents. */
  read(storage: Storage, dtype: DType, size: number): Promise<TypedArray>;
  /** A copy of the contents, synchronously; absent on backends that cannot (WebGPU). */
  readSync?(storage: Storage, dtype: DType, size: number): TypedArray;
  free(storage: Storage): void;

  // ---- element-wise --------------------------------------------------------------
  fill(out: Storage, dtype: DType, size: number, value: number): void;
  /** Converts `size` elements from dtype `from` into `out` of dtype `to` (int32 truncates toward zero). */
  cast(x: Storage, from: DType, out: Storage, to: DType, size: number): void;
  unary(op: UnaryOp, x: Storage, out: Storage, dtype: DType, size: number, p0?: number, p1?: number): void;
  /**
   * dx = dy · f′ for a unary op, given its input x and output y (each kernel uses
   * whichever makes the derivative cheapest: sigmoid′ = y(1 − y), relu′ = [x > 0] …).
   */
  unaryGrad(
    op: UnaryOp,
    x: Storage,
    y: Storage,
    dy: Storage,
    dx: Storage,
    dtype: DType,
    size: number,
    p0?: number,
    p1?: number,
  ): void;
  /** out = a ∘ b with numpy broadcasting; shapes are already validated and `outShape` computed. */
  binary(
    op: BinaryOp,
    a: Storage,
    aShape: readonly number[],
    b: Storage,
    bShape: readonly number[],
    out: Storage,
    outShape: readonly number[],
    dtype: DType,
  ): void;

  // ---- reductions and axis-wise ops ------------------------------------------------
  /** out[o, i] = reduce_k x[o, k, i]. */
  reduce(op: ReduceOp, x: Storage, view: AxisView, out: Storage, dtype: DType): void;
  /** out[o, i] = argreduce_k x[o, k, i] (first index on ties); `out` is int32. */
  argReduce(op: ArgReduceOp, x: Storage, view: AxisView, out: Storage, dtype: DType): void;
  /** Softmax (or log-softmax) along the axis, numerically stabilised by the maximum. */
  softmax(x: Storage, view: AxisView, out: Storage, dtype: DType, log: boolean): void;
  /**
   * Backward of softmax from its output y: dx = y ⊙ (dy − Σ dy ⊙ y);
   * of log-softmax: dx = dy − exp(y) ⊙ Σ dy.
   */
  softmaxGrad(y: Storage, dy: Storage, view: AxisView, dx: Storage, dtype: DType, log: boolean): void;

  // ---- linear algebra -------------------------------------------------------------
  /** C = op(A) · op(B) for each batch; C is [batch, m, n]. */
  matmul(a: Storage, b: Storage, out: Storage, dtype: DType, args: MatmulArgs): void;

  // ---- data movement --------------------------------------------------------------
  /** out = x with its axes permuted: out.shape[i] = shape[perm[i]]. */
  permute(x: Storage, shape: readonly number[], perm: readonly number[], out: Storage, dtype: DType): void;
  /**
   * Copies the box `src` of an array shaped `srcShape` onto the box `dst` of an array shaped
   * `dstShape` (both boxes have the same shape). Slice, concat and their gradients use it;
   * the rest of `out` is left untouched.
   */
  copyRegion(
    x: Storage,
    srcShape: readonly number[],
    src: Region,
    out: Storage,
    dstShape: readonly number[],
    dst: Region,
    dtype: DType,
  ): void;
  /** out[o, j, i] = x[o, indices[j], i]; out is [outer, indices.length, inner]; indices int32. */
  gather(x: Storage, view: AxisView, indices: Storage, count: number, out: Storage, dtype: DType): void;
  /** dx[o, indices[j], i] += dy[o, j, i] — the backward of gather (dx must be zero-filled first). */
  scatterAdd(dy: Storage, view: AxisView, indices: Storage, count: number, dx: Storage, dtype: DType): void;
  /** out[j, c] = (indices[j] == c) for c < depth; indices int32, out of `dtype`. */
  oneHot(indices: Storage, count: number, depth: number, out: Storage, dtype: DType): void;

  // ---- convolution and pooling (NCHW) ------------------------------------------------
  // A convolution is im2col followed by one GEMM (`matmul`); its input gradient is a GEMM
  // followed by col2im, its weight gradient a GEMM against the same columns. Every kernel
  // here takes the window geometry as a `Window2d` (see its definition below).
  /**
   * Unfolds every receptive field of the batch `x` [N, C, inH, inW] into a column of `out`,
   * shaped [C·kH·kW, N·outH·outW] (row index (c·kH + i)·kW + j, column index
   * (n·outH + oh)·outW + ow):
   *   out[(c, i, j), (n, oh, ow)] = x[n, c, oh·strideH − padTop + i·dilationH, ow·strideW − padLeft + j·dilationW]
   * and 0 where that position falls in the padding.
   */
  im2col(x: Storage, g: Window2d, out: Storage, dtype: DType): void;
  /**
   * The adjoint of im2col: every column entry of `cols` [C·kH·kW, N·outH·outW] is added back
   * to the input position it was copied from; entries from the padding are dropped.
   * `out` [N, C, inH, inW] is fully overwritten (the kernel zero-fills it first).
   */
  col2im(cols: Storage, g: Window2d, out: Storage, dtype: DType): void;
  /**
   * Pooling of `x` [N, C, inH, inW] into `out` [N, C, outH, outW] over windows described by
   * `g` (padding positions never win a max and are counted by an average only as stated in
   * `PoolOp`). For 'max', `argmax` (int32, same size as `out`) receives the position of the
   * winner inside its image plane, ih·inW + iw (the first on ties; NaN wins and propagates;
   * −1 with an output of −∞ for a window lying wholly in the padding); it is null otherwise.
   */
  pool2d(op: PoolOp, x: Storage, g: Window2d, out: Storage, argmax: Storage | null, dtype: DType): void;
  /**
   * The backward of pool2d: for 'max', dx[plane + argmax] += dy; for the averages every
   * in-image position of a window receives dy / divisor. `dx` [N, C, inH, inW] is fully
   * overwritten (zero-filled first); `argmax` is the one pool2d wrote (null for averages).
   */
  pool2dGrad(op: PoolOp, dy: Storage, g: Window2d, argmax: Storage | null, dx: Storage, dtype: DType): void;

  // ---- batch normalisation (optional) ----------------------------------------------------
  // A backend without them gets batch norm composed from reductions and fused programs
  // (ops/normalization.ts); with them, training-mode batch norm is two passes over x forward
  // and two backward, and keeps no x̂ between the passes.
  /**
   * Training-mode batch norm of x seen as [outer, axis, inner], channels on the axis: for each
   * channel c over its m = outer·inner values, mean[c] = Σx / m, variance[c] = Σ(x − mean)² / m
   * (biased), invStd[c] = 1/√(variance[c] + eps) and y = (x − mean)·invStd·γ + β, with γ = 1
   * and β = 0 where `args` has none. mean, variance and invStd are [axis].
   */
  batchNorm?(
    x: Storage,
    args: BatchNormArgs,
    y: Storage,
    mean: Storage,
    variance: Storage,
    invStd: Storage,
    dtype: DType,
  ): void;
  /**
   * Its backward from x, the forward's mean and invStd and dy: with x̂ = (x − mean)·invStd,
   * dBeta[c] = Σ dy, dGamma[c] = Σ dy·x̂ and dx = γ·invStd·(dy − dBeta/m − x̂·dGamma/m).
   * Each output may be null (not wanted).
   */
  batchNormGrad?(
    x: Storage,
    dy: Storage,
    args: BatchNormArgs,
    mean: Storage,
    invStd: Storage,
    dx: Storage | null,
    dGamma: Storage | null,
    dBeta: Storage | null,
    dtype: DType,
  ): void;

  // ---- random masks (optional) -------------------------------------------------------------
  /**
   * Dropout's mask, drawn on the backend: out[i] = scale where u(i) ≥ rate·2³², else 0, for
   * i < size, with u(i) = fmix32(fmix32(i·0x9e3779b9 + key[0]) ^ key[1]) the counter-based hash
   * of backend/cpu/random.ts (MurmurHash3's finaliser over a Weyl sequence). Every backend
   * computes the same bits for the same key; rate ≥ 1 gives all zeros. Without it, ops draw
   * the mask on the host, one Rng call per element.
   */
  dropoutMask?(
    out: Storage,
    dtype: DType,
    size: number,
    rate: number,
    scale: number,
    key: readonly [number, number],
  ): void;

  // ---- fused element-wise programs ---------------------------------------------------
  /**
   * Runs `program` over `size` elements in one pass over memory, however long the chain
   * (an optimiser's update, bias + activation): for each i, the instructions are evaluated
   * in order and `outputs[j][i]` receives register `program.outputs[j]`. `scalars` are the
   * values of the program's scalar registers for this call. Every register is rounded to
   * `dtype` (float32 or float64) as the separate kernels would round it, so on the cpu
   * backend the result equals the unfused chain of `unary`/`binary` calls bit for bit.
   * An output may be the same storage as an input: element i of every input is read before
   * element i of any output is written.
   */
  fused(
    program: FusedProgram,
    inputs: readonly Storage[],
    scalars: readonly number[],
    outputs: readonly Storage[],
    dtype: DType,
    size: number,
  ): void;
}

/**
 * One instruction of a fused element-wise program; instruction k defines register k from
 * earlier registers only:
 *   input:  r_k = inputs[input][⌊i / every⌋ mod period]   (a same-size input has every 1
 *           and period 0, meaning no wrap; a dense bias [units] under [batch, units] has
 *           every 1, period units; a channel bias [C] under NCHW has every H·W, period C)
 *   scalar: r_k = scalars[scalar], the same for every element
 *   unary:  r_k = f(r_a), f a UnaryOp with its constants p0, p1
 *   binary: r_k = r_a ∘ r_b, ∘ a BinaryOp
 */
export type FusedInstruction =
  | { readonly kind: 'input'; readonly input: number; readonly every: number; readonly period: number }
  | { readonly kind: 'scalar'; readonly scalar: number }
  | {
      readonly kind: 'unary';
      readonly op: UnaryOp;
      readonly a: number;
      readonly p0: number;
      readonly p1: number;
    }
  | { readonly kind: 'binary'; readonly op: BinaryOp; readonly a: number; readonly b: number };

/** A fused element-wise program (built by ops/fused.ts; see Backend.fused). */
export interface FusedProgram {
  readonly instructions: readonly FusedInstruction[];
  /** The register written to each output. */
  readonly outputs: readonly number[];
  /** Identifies the program: equal keys, equal programs (backends cache compiled forms by it). */
  readonly key: string;
}

/**
 * The geometry of a 2-D sliding window (a convolution's receptive field or a pooling
 * window) over an NCHW batch. The ops layer validates it and computes the output size, e.g.
 * outH = ⌊(inH + padTop + padBottom − dilationH·(kH − 1) − 1) / strideH⌋ + 1 (pooling's
 * ceil mode may add one more output row); kernels trust it. Window (oh, ow) covers input
 * rows oh·strideH − padTop + i·dilationH for i < kH, and likewise for columns.
 */
export interface Window2d {
  batch: number;
  channels: number;
  inH: number;
  inW: number;
  kH: number;
  kW: number;
  strideH: number;
  strideW: number;
  padTop: number;
  padLeft: number;
  padBottom: number;
  padRight: number;
  dilationH: number;
  dilationW: number;
  outH: number;
  outW: number;
}

/**
 * Pooling kinds:
 * - 'max': the largest value in the window (padding is ignored);
 * - 'avg': the mean over the window's positions inside the image (padding excluded;
 *   ONNX AveragePool's default, count_include_pad = 0); a window with none gives 0;
 * - 'avgIncludePad': the sum over in-image positions divided by the number of window
 *   positions inside the padded image [−padTop, inH + padBottom) × [−padLeft, inW + padRight)
 *   (PyTorch's default, count_include_pad = True, including its ceil-mode rule).
 */
export type PoolOp = 'max' | 'avg' | 'avgIncludePad';

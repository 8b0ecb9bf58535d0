/**
 * 2-D convolution over NCHW batches, forward and backward side by side.
 *
 * With x [N, C, H, W], weights w [O, C/groups, kH, kW] and bias b [O]:
 *
 *   y[n, o, oh, ow] = b[o] + Σ_{c, i, j} w[o, c, i, j] · x[n, c, oh·sH − padTop + i·dH, ow·sW − padLeft + j·dW]
 *
 * (a cross-correlation, as in PyTorch and ONNX; positions in the padding read 0).
 * It is computed as im2col + one GEMM: the receptive fields become the columns of
 * X̂ [C·kH·kW, N·outH·outW], so that Y = W·X̂ with W viewed as [O, C·kH·kW]. Then
 *
 *   ∂L/∂W = ∂L/∂Y · X̂ᵀ         ∂L/∂X̂ = Wᵀ · ∂L/∂Y,  ∂L/∂x = col2im(∂L/∂X̂)        ∂L/∂b = Σ ∂L/∂Y
 *
 * where col2im adds every column entry back to the pixel it was copied from (the adjoint
 * of im2col). Groups split the channels into independent convolutions: each group is one
 * product of a batched GEMM (batch = groups).
 *
 * The window geometry (`window2d`) is shared with pooling (ops/pool.ts).
 */
import type { Window2d } from '../backend/contract.js';
import { isGradEnabled, record } from '../autograd/tape.js';
import { ConfigError, ShapeError, checkPositiveInt } from '../errors.js';
import { formatShape, type Shape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { cast } from './arithmetic.js';
import { checkSameBackend, checkTensor, empty, promote } from './util.js';

/** One number for both spatial dimensions, or [height, width]. */
export type Pair = number | readonly [number, number];

/**
 * Zero padding: one number for every side, [height, width] (both sides alike),
 * [top, left, bottom, right] (as ONNX's `pads` for 2-D), 'valid' (none), or 'same':
 * out = ⌈in / stride⌉, the total padding d·(k − 1) + 1 + (out − 1)·s − in split evenly,
 * any odd pixel going to the bottom/right (PyTorch's rule for stride 1, TensorFlow's and
 * ONNX SAME_UPPER's for any stride).
 */
export type Padding =
  number | readonly [number, number] | readonly [number, number, number, number] | 'same' | 'valid';

export interface WindowOptions {
  stride?: Pair;
  padding?: Padding;
  dilation?: Pair;
  /** Pooling only: round the output size up (PyTorch's ceil_mode). */
  ceilMode?: boolean;
  /** Names the caller in error messages (a layer passes its label). */
  name?: string;
}

export interface Conv2dOptions extends Omit<WindowOptions, 'ceilMode'> {
  /** Split channels into this many independent convolutions (1: ordinary; C: depthwise). */
  groups?: number;
}

/** [height, width] from a Pair, checked to be positive integers. */
export function pair(where: string, what: string, value: Pair): [number, number] {
  const p: [number, number] = typeof value === 'number' ? [value, value] : [value[0], value[1]];
  if ((typeof value !== 'number' && value.length !== 2) || !p.every((v) => Number.isInteger(v) && v > 0)) {
    throw new ConfigError(
      `${where}: ${what} must be a positive integer or a pair of them, got ${JSON.stringify(value)}.`,
    );
  }
  return p;
}

/** One output size: ⌊(in + pads − span) / stride⌋ + 1, or with ceilMode ⌈…⌉ + 1 unless that window would start in the end padding. */
function outputSize(
  size: number,
  padBegin: number,
  padEnd: number,
  span: number,
  stride: number,
  ceilMode: boolean,
): number {
  const room = size + padBegin + padEnd - span;
  if (room < 0) return 0;
  let out = (ceilMode ? Math.ceil(room / stride) : Math.floor(room / stride)) + 1;
  if (ceilMode && (out - 1) * stride >= size + padBegin) out--;
  return out;
}

/** 'same' padding along one dimension: [begin, end]. */
function samePadding(size: number, k: number, stride: number, dilation: number): [number, number] {
  const out = Math.ceil(size / stride);
  const total = Math.max(0, (out - 1) * stride + dilation * (k - 1) + 1 - size);
  const begin = Math.floor(total / 2);
  return [begin, total - begin];
}

/**
 * The geometry of a k-sized window sliding over the spatial dimensions of `shape`
 * [N, C, H, W], validated: a window that does not fit is a ShapeError naming the input
 * shape, kernel, stride, padding and dilation.
 */
export function window2d(
  where: string,
  shape: Shape,
  kernel: readonly [number, number],
  options: WindowOptions,
): Window2d {
  const [kH, kW] = kernel;
  const [strideH, strideW] = pair(where, 'stride', options.stride ?? 1);
  const [dilationH, dilationW] = pair(where, 'dilation', options.dilation ?? 1);
  const [batch, channels, inH, inW] = shape;
  const padding = options.padding ?? 0;
  let pads: number[];
  if (padding === 'valid') pads = [0, 0, 0, 0];
  else if (padding === 'same') {
    const [t, b] = samePadding(inH, kH, strideH, dilationH);
    const [l, r] = samePadding(inW, kW, strideW, dilationW);
    pads = [t, l, b, r];
  } else if (typeof padding === 'number') pads = [padding, padding, padding, padding];
  else if (Array.isArray(padding) && padding.length === 2)
    pads = [padding[0], padding[1], padding[0], padding[1]];
  else if (Array.isArray(padding) && padding.length === 4) pads = [...padding];
  else pads = [NaN];
  if (!pads.every((p) => Number.isInteger(p) && p >= 0)) {
    throw new ConfigError(
      `${where}: padding must be a non-negative integer, [height, width], [top, left, bottom, right], 'same' or 'valid'; ` +
        `got ${JSON.stringify(padding)}.`,
    );
  }
  const [padTop, padLeft, padBottom, padRight] = pads;
  const spanH = dilationH * (kH - 1) + 1;
  const spanW = dilationW * (kW - 1) + 1;
  const ceilMode = options.ceilMode ?? false;
  const outH = outputSize(inH, padTop, padBottom, spanH, strideH, ceilMode);
  const outW = outputSize(inW, padLeft, padRight, spanW, strideW, ceilMode);
  if (outH <= 0 || outW <= 0) {
    throw new ShapeError(
      `${where}: input ${formatShape(shape)} is too small for kernel [${kH}, ${kW}] with stride [${strideH}, ${strideW}], ` +
        `padding [${pads.join(', ')}] (top, left, bottom, right) and dilation [${dilationH}, ${dilationW}]: ` +
        `the padded input is ${inH + padTop + padBottom}×${inW + padLeft + padRight} but the kernel spans ${spanH}×${spanW}.`,
    );
  }
  return {
    batch,
    channels,
    inH,
    inW,
    kH,
    kW,
    strideH,
    strideW,
    padTop,
    padLeft,
    padBottom,
    padRight,
    dilationH,
    dilationW,
    outH,
    outW,
  };
}

/**
 * 2-D convolution (cross-correlation) of x [N, C, H, W] with weight [O, C/groups, kH, kW]
 * and an optional bias [O]; the result is [N, O, outH, outW].
 */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, options: Conv2dOptions = {}): Tensor {
  const where = options.name ?? 'conv2d';
  checkTensor(where, 'x', x);
  checkTensor(where, 'weight', weight);
  checkSameBackend(where, x, weight);
  if (bias) {
    checkTensor(where, 'bias', bias);
    checkSameBackend(where, x, bias);
  }
  if (x.rank !== 4) {
    throw new ShapeError(
      `${where}: expected input shaped [batch, channels, height, width], got ${formatShape(x.shape)}.`,
    );
  }
  if (weight.rank !== 4) {
    throw new ShapeError(
      `${where}: expected weight shaped [outChannels, inChannels/groups, kH, kW], got ${formatShape(weight.shape)}.`,
    );
  }
  const groups = checkPositiveInt(where, 'groups', options.groups ?? 1);
  const [N, C] = x.shape;
  const [O, Cg, kH, kW] = weight.shape;
  if (C !== Cg * groups) {
    throw new ShapeError(
      `${where}: input ${formatShape(x.shape)} has ${C} channels but weight ${formatShape(weight.shape)} expects ` +
        `${Cg * groups}` +
        (groups > 1 ? ` (${Cg} per group × ${groups} groups).` : '.'),
    );
  }
  if (O % groups !== 0) {
    throw new ShapeError(
      `${where}: ${O} output channels (weight ${formatShape(weight.shape)}) do not split into ${groups} groups.`,
    );
  }
  if (bias && (bias.rank !== 1 || bias.shape[0] !== O)) {
    throw new ShapeError(
      `${where}: expected bias shaped [${O}] for weight ${formatShape(weight.shape)}, got ${formatShape(bias.shape)}.`,
    );
  }
  let dtype = promote(x.dtype, weight.dtype);
  if (dtype === 'int32') dtype = 'float32';
  const xs = x.dtype === dtype ? x : cast(x, dtype);
  const w = weight.dtype === dtype ? weight : cast(weight, dtype);
  const b = bias && bias.dtype !== dtype ? cast(bias, dtype) : (bias ?? null);

  const g = window2d(where, x.shape, [kH, kW], options);
  const backend = x.backend;
  const L = g.outH * g.outW;
  const NL = N * L;
  const K = Cg * kH * kW; // rows of the columns matrix per group
  const Og = O / groups;

  // Y [O, N·L] = W [O, K] · X̂ [K, N·L], one product per group.
  const cols = empty(backend, dtype, [C * kH * kW, NL]);
  backend.im2col(xs.storage, g, cols.storage, dtype);
  const yT = empty(backend, dtype, [O, NL]);
  backend.matmul(w.storage, cols.storage, yT.storage, dtype, {
    batch: groups,
    m: Og,
    n: NL,
    k: K,
    transA: false,
    transB: false,
    aBatchStride: Og * K,
    bBatchStride: K * NL,
  });
  // [O, N, L] → [N, O, L], adding the bias on the way when there is one.
  let out = empty(backend, dtype, [N, O, g.outH, g.outW]);
  backend.permute(yT.storage, [O, N, L], [1, 0, 2], out.storage, dtype);
  yT.dispose();
  if (b) {
    const biased = empty(backend, dtype, out.shape);
    backend.binary('add', out.storage, [N, O, L], b.storage, [O, 1], biased.storage, [N, O, L], dtype);
    out.dispose();
    out = biased;
  }
  // The columns are needed again only for ∂L/∂W.
  if (!(isGradEnabled() && w.requiresGrad)) cols.dispose();

  const inputs = b ? [xs, w, b] : [xs, w];
  return record(out, 'conv2d', inputs, (dy) => {
    const dyT = empty(backend, dtype, [O, NL]);
    backend.permute(dy.storage, [N, O, L], [1, 0, 2], dyT.storage, dtype);
    let dx: Tensor | null = null;
    let dw: Tensor | null = null;
    let db: Tensor | null = null;
    if (xs.requiresGrad) {
      // ∂L/∂X̂ [K, N·L] = Wᵀ · ∂L/∂Y per group, folded back onto the image by col2im.
      const dcols = empty(backend, dtype, [C * kH * kW, NL]);
      backend.matmul(w.storage, dyT.storage, dcols.storage, dtype, {
        batch: groups,
        m: K,
        n: NL,
        k: Og,
        transA: true,
        transB: false,
        aBatchStride: Og * K,
        bBatchStride: Og * NL,
      });
      dx = empty(backend, dtype, xs.shape);
      backend.col2im(dcols.storage, g, dx.storage, dtype);
      dcols.dispose();
    }
    if (w.requiresGrad) {
      // ∂L/∂W [O, K] = ∂L/∂Y [O, N·L] · X̂ᵀ per group.
      dw = empty(backend, dtype, w.shape);
      backend.matmul(dyT.storage, cols.storage, dw.storage, dtype, {
        batch: groups,
        m: Og,
        n: K,
        k: NL,
        transA: false,
        transB: true,
        aBatchStride: Og * NL,
        bBatchStride: K * NL,
      });
    }
    if (b?.requiresGrad) {
      db = empty(backend, dtype, [O]);
      backend.reduce('sum', dyT.storage, { outer: O, axis: NL, inner: 1 }, db.storage, dtype);
    }
    dyT.dispose();
    return b ? [dx, dw, db] : [dx, dw];
  });
}

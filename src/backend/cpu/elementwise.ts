/**
 * Element-wise kernels of the cpu backend. Each op is one tight loop chosen by a
 * `switch` outside the loop: no closure is called per element.
 */
import type { BinaryOp, TypedArray, UnaryOp } from '../contract.js';

export function unaryKernel(
  op: UnaryOp,
  x: TypedArray,
  out: TypedArray,
  n: number,
  p0: number,
  p1: number,
): void {
  // One line per op, read as a table.
  // prettier-ignore
  switch (op) {
    case 'neg': for (let i = 0; i < n; i++) out[i] = -x[i]; return;
    case 'exp': for (let i = 0; i < n; i++) out[i] = Math.exp(x[i]); return;
    case 'log': for (let i = 0; i < n; i++) out[i] = Math.log(x[i]); return;
    case 'sqrt': for (let i = 0; i < n; i++) out[i] = Math.sqrt(x[i]); return;
    case 'abs': for (let i = 0; i < n; i++) out[i] = Math.abs(x[i]); return;
    case 'sign': for (let i = 0; i < n; i++) out[i] = Math.sign(x[i]); return;
    case 'square': for (let i = 0; i < n; i++) out[i] = x[i] * x[i]; return;
    case 'reciprocal': for (let i = 0; i < n; i++) out[i] = 1 / x[i]; return;
    case 'sigmoid':
      // Written so that exp never overflows: for v < 0, σ(v) = e^v / (1 + e^v).
      for (let i = 0; i < n; i++) {
        const v = x[i];
        if (v >= 0) out[i] = 1 / (1 + Math.exp(-v));
        else { const e = Math.exp(v); out[i] = e / (1 + e); }
      }
      return;
    case 'tanh': for (let i = 0; i < n; i++) out[i] = Math.tanh(x[i]); return;
    // Written as x ≤ 0 ? 0 : x so that NaN propagates (as in PyTorch) instead of becoming 0.
    case 'relu': for (let i = 0; i < n; i++) out[i] = x[i] <= 0 ? 0 : x[i]; return;
    case 'step': for (let i = 0; i < n; i++) out[i] = x[i] >= 0 ? 1 : 0; return;
    case 'leakyRelu': for (let i = 0; i < n; i++) out[i] = x[i] > 0 ? x[i] : p0 * x[i]; return;
    case 'elu': for (let i = 0; i < n; i++) out[i] = x[i] > 0 ? x[i] : p0 * Math.expm1(x[i]); return;
    case 'softplus':
      // log(1 + e^v) = max(v, 0) + log1p(e^−|v|), stable for large |v|.
      for (let i = 0; i < n; i++) { const v = x[i]; out[i] = Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v))); }
      return;
    case 'clamp': for (let i = 0; i < n; i++) out[i] = Math.min(Math.max(x[i], p0), p1); return;
    case 'powScalar': for (let i = 0; i < n; i++) out[i] = Math.pow(x[i], p0); return;
  }
}

export function unaryGradKernel(
  op: UnaryOp,
  x: TypedArray,
  y: TypedArray,
  dy: TypedArray,
  dx: TypedArray,
  n: number,
  p0: number,
  p1: number,
): void {
  // One line per op, read as a table.
  // prettier-ignore
  switch (op) {
    case 'neg': for (let i = 0; i < n; i++) dx[i] = -dy[i]; return;
    case 'exp': for (let i = 0; i < n; i++) dx[i] = dy[i] * y[i]; return;
    case 'log': for (let i = 0; i < n; i++) dx[i] = dy[i] / x[i]; return;
    case 'sqrt': for (let i = 0; i < n; i++) dx[i] = dy[i] / (2 * y[i]); return;
    case 'abs': for (let i = 0; i < n; i++) dx[i] = dy[i] * Math.sign(x[i]); return;
    case 'sign': case 'step': for (let i = 0; i < n; i++) dx[i] = 0; return;
    case 'square': for (let i = 0; i < n; i++) dx[i] = 2 * x[i] * dy[i]; return;
    case 'reciprocal': for (let i = 0; i < n; i++) dx[i] = -dy[i] * y[i] * y[i]; return;
    case 'sigmoid': for (let i = 0; i < n; i++) dx[i] = dy[i] * y[i] * (1 - y[i]); return;
    case 'tanh': for (let i = 0; i < n; i++) dx[i] = dy[i] * (1 - y[i] * y[i]); return;
    case 'relu': for (let i = 0; i < n; i++) dx[i] = x[i] > 0 ? dy[i] : 0; return;
    case 'leakyRelu': for (let i = 0; i < n; i++) dx[i] = x[i] > 0 ? dy[i] : p0 * dy[i]; return;
    case 'elu': for (let i = 0; i < n; i++) dx[i] = x[i] > 0 ? dy[i] : dy[i] * (y[i] + p0); return;
    case 'softplus':
      for (let i = 0; i < n; i++) {
        const v = x[i];
        dx[i] = dy[i] * (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v)));
      }
      return;
    case 'clamp': for (let i = 0; i < n; i++) dx[i] = x[i] >= p0 && x[i] <= p1 ? dy[i] : 0; return;
    case 'powScalar': for (let i = 0; i < n; i++) dx[i] = dy[i] * p0 * Math.pow(x[i], p0 - 1); return;
  }
  void p1;
}

/**
 * One run of a broadcast binary op: out[o + i] = a[ao + i·as] ∘ b[bo + i·bs] for i < n.
 * A stride of 0 repeats a broadcast operand.
 */
export function binaryRun(
  op: BinaryOp,
  a: TypedArray,
  ao: number,
  as: number,
  b: TypedArray,
  bo: number,
  bs: number,
  out: TypedArray,
  o: number,
  n: number,
): void {
  // One line per op, read as a table.
  // prettier-ignore
  switch (op) {
    case 'add': for (let i = 0; i < n; i++) out[o + i] = a[ao + i * as] + b[bo + i * bs]; return;
    case 'sub': for (let i = 0; i < n; i++) out[o + i] = a[ao + i * as] - b[bo + i * bs]; return;
    case 'mul': for (let i = 0; i < n; i++) out[o + i] = a[ao + i * as] * b[bo + i * bs]; return;
    case 'div': for (let i = 0; i < n; i++) out[o + i] = a[ao + i * as] / b[bo + i * bs]; return;
    case 'pow': for (let i = 0; i < n; i++) out[o + i] = Math.pow(a[ao + i * as], b[bo + i * bs]); return;
    case 'max': for (let i = 0; i < n; i++) out[o + i] = Math.max(a[ao + i * as], b[bo + i * bs]); return;
    case 'min': for (let i = 0; i < n; i++) out[o + i] = Math.min(a[ao + i * as], b[bo + i * bs]); return;
    case 'eq': for (let i = 0; i < n; i++) out[o + i] = a[ao + i * as] === b[bo + i * bs] ? 1 : 0; return;
    case 'gt': for (let i = 0; i < n; i++) out[o + i] = a[ao + i * as] > b[bo + i * bs] ? 1 : 0; return;
    case 'ge': for (let i = 0; i < n; i++) out[o + i] = a[ao + i * as] >= b[bo + i * bs] ? 1 : 0; return;
    case 'lt': for (let i = 0; i < n; i++) out[o + i] = a[ao + i * as] < b[bo + i * bs] ? 1 : 0; return;
    case 'le': for (let i = 0; i < n; i++) out[o + i] = a[ao + i * as] <= b[bo + i * bs] ? 1 : 0; return;
  }
}

/** Strides of `shape` read as if broadcast to `outShape` (0 along broadcast dimensions). */
function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const nd = outShape.length;
  const strides = new Array<number>(nd).fill(0);
  let stride = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    const od = d + nd - shape.length;
    strides[od] = shape[d] === 1 ? 0 : stride;
    stride *= shape[d];
  }
  return strides;
}

export function binaryKernel(
  op: BinaryOp,
  a: TypedArray,
  aShape: readonly number[],
  b: TypedArray,
  bShape: readonly number[],
  out: TypedArray,
  outShape: readonly number[],
): void {
  const size = out.length === 0 ? 0 : outShape.reduce((p, d) => p * d, 1);
  if (size === 0) return;
  // Fast paths: equal shapes, or one operand a single element.
  if (a.length === size && b.length === size) return binaryRun(op, a, 0, 1, b, 0, 1, out, 0, size);
  if (b.length === 1 && a.length === size) return binaryRun(op, a, 0, 1, b, 0, 0, out, 0, size);
  if (a.length === 1 && b.length === size) return binaryRun(op, a, 0, 0, b, 0, 1, out, 0, size);

  const nd = outShape.length;
  const as = broadcastStrides(aShape, outShape);
  const bs = broadcastStrides(bShape, outShape);
  const inner = outShape[nd - 1];
  const ai = as[nd - 1];
  const bi = bs[nd - 1];
  const rows = size / inner;
  const index = new Array<number>(nd).fill(0);
  let ao = 0;
  let bo = 0;
  for (let r = 0, o = 0; r < rows; r++, o += inner) {
    binaryRun(op, a, ao, ai, b, bo, bi, out, o, inner);
    for (let d = nd - 2; d >= 0; d--) {
      index[d]++;
      ao += as[d];
      bo += bs[d];
      if (index[d] < outShape[d]) break;
      ao -= as[d] * outShape[d];
      bo -= bs[d] * outShape[d];
      index[d] = 0;
    }
  }
}

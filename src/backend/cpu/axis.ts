/**
 * Axis-wise kernels of the cpu backend. Every tensor is seen as [outer, axis, inner];
 * the loops run over `inner` innermost so memory is read in order.
 */
import type { ArgReduceOp, AxisView, ReduceOp, TypedArray } from '../contract.js';

export function reduceKernel(
  op: ReduceOp,
  x: TypedArray,
  { outer, axis, inner }: AxisView,
  out: TypedArray,
): void {
  for (let o = 0; o < outer; o++) {
    const base = o * axis * inner;
    const ob = o * inner;
    for (let i = 0; i < inner; i++) out[ob + i] = x[base + i];
    for (let k = 1; k < axis; k++) {
      const row = base + k * inner;
      switch (op) {
        case 'sum':
          for (let i = 0; i < inner; i++) out[ob + i] += x[row + i];
          break;
        case 'max':
          for (let i = 0; i < inner; i++) {
            const v = x[row + i];
            if (v > out[ob + i] || v !== v) out[ob + i] = v;
          }
          break;
        case 'min':
          for (let i = 0; i < inner; i++) {
            const v = x[row + i];
            if (v < out[ob + i] || v !== v) out[ob + i] = v;
          }
          break;
      }
    }
    if (axis === 0) for (let i = 0; i < inner; i++) out[ob + i] = op === 'sum' ? 0 : NaN;
  }
}

export function argReduceKernel(
  op: ArgReduceOp,
  x: TypedArray,
  { outer, axis, inner }: AxisView,
  out: TypedArray,
): void {
  const sign = op === 'argmax' ? 1 : -1;
  for (let o = 0; o < outer; o++) {
    const base = o * axis * inner;
    for (let i = 0; i < inner; i++) {
      let best = 0;
      let bestValue = sign * x[base + i];
      for (let k = 1; k < axis; k++) {
        const v = sign * x[base + k * inner + i];
        if (v > bestValue) {
          bestValue = v;
          best = k;
        }
      }
      out[o * inner + i] = best;
    }
  }
}

export function softmaxKernel(
  x: TypedArray,
  { outer, axis, inner }: AxisView,
  out: TypedArray,
  log: boolean,
): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * axis * inner + i;
      let max = -Infinity;
      for (let k = 0; k < axis; k++) max = Math.max(max, x[base + k * inner]);
      let sum = 0;
      for (let k = 0; k < axis; k++) sum += Math.exp(x[base + k * inner] - max);
      if (log) {
        const logSum = Math.log(sum) + max;
        for (let k = 0; k < axis; k++) out[base + k * inner] = x[base + k * inner] - logSum;
      } else {
        for (let k = 0; k < axis; k++) out[base + k * inner] = Math.exp(x[base + k * inner] - max) / sum;
      }
    }
  }
}

export function softmaxGradKernel(
  y: TypedArray,
  dy: TypedArray,
  { outer, axis, inner }: AxisView,
  dx: TypedArray,
  log: boolean,
): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * axis * inner + i;
      let s = 0;
      if (log) {
        for (let k = 0; k < axis; k++) s += dy[base + k * inner];
        for (let k = 0; k < axis; k++) {
          const j = base + k * inner;
          dx[j] = dy[j] - Math.exp(y[j]) * s;
        }
      } else {
        for (let k = 0; k < axis; k++) s += dy[base + k * inner] * y[base + k * inner];
        for (let k = 0; k < axis; k++) {
          const j = base + k * inner;
          dx[j] = y[j] * (dy[j] - s);
        }
      }
    }
  }
}

export function gatherKernel(
  x: TypedArray,
  { outer, axis, inner }: AxisView,
  indices: TypedArray,
  count: number,
  out: TypedArray,
): void {
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < count; j++) {
      const src = (o * axis + indices[j]) * inner;
      const dst = (o * count + j) * inner;
      for (let i = 0; i < inner; i++) out[dst + i] = x[src + i];
    }
  }
}

export function scatterAddKernel(
  dy: TypedArray,
  { outer, axis, inner }: AxisView,
  indices: TypedArray,
  count: number,
  dx: TypedArray,
): void {
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < count; j++) {
      const dst = (o * axis + indices[j]) * inner;
      const src = (o * count + j) * inner;
      for (let i = 0; i < inner; i++) dx[dst + i] += dy[src + i];
    }
  }
}

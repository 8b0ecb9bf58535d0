/**
 * Batch normalisation kernels (Backend.batchNorm, batchNormGrad), the reference every other
 * backend is compared with. x is [outer, axis, inner] with the channels on the axis; the
 * per-channel sums run in float64, outer index first, then inner, whatever the dtype.
 *
 *   forward:  μ = Σx/m   σ² = Σ(x − μ)²/m   r = 1/√(σ² + ε)   y = (x − μ)·r·γ + β
 *   backward: x̂ = (x − μ)·r   dβ = Σdy   dγ = Σdy·x̂   dx = γ·r·(dy − dβ/m − x̂·dγ/m)
 */
import type { AxisView, TypedArray } from '../contract.js';

export function batchNormKernel(
  x: TypedArray,
  view: AxisView,
  eps: number,
  gamma: TypedArray | null,
  beta: TypedArray | null,
  y: TypedArray,
  mean: TypedArray,
  variance: TypedArray,
  invStd: TypedArray,
): void {
  const { outer, axis: C, inner } = view;
  const m = outer * inner;
  for (let c = 0; c < C; c++) {
    let s = 0;
    for (let o = 0; o < outer; o++) {
      const base = (o * C + c) * inner;
      for (let i = 0; i < inner; i++) s += x[base + i];
    }
    const mu = s / m;
    let q = 0;
    for (let o = 0; o < outer; o++) {
      const base = (o * C + c) * inner;
      for (let i = 0; i < inner; i++) {
        const d = x[base + i] - mu;
        q += d * d;
      }
    }
    const v = q / m;
    mean[c] = mu;
    variance[c] = v;
    invStd[c] = 1 / Math.sqrt(v + eps);
    // The stored (dtype-rounded) statistics, as the backward will see them.
    const mc = mean[c];
    const scale = invStd[c] * (gamma ? gamma[c] : 1);
    const shift = beta ? beta[c] : 0;
    for (let o = 0; o < outer; o++) {
      const base = (o * C + c) * inner;
      for (let i = 0; i < inner; i++) y[base + i] = (x[base + i] - mc) * scale + shift;
    }
  }
}

export function batchNormGradKernel(
  x: TypedArray,
  dy: TypedArray,
  view: AxisView,
  gamma: TypedArray | null,
  mean: TypedArray,
  invStd: TypedArray,
  dx: TypedArray | null,
  dGamma: TypedArray | null,
  dBeta: TypedArray | null,
): void {
  const { outer, axis: C, inner } = view;
  const m = outer * inner;
  for (let c = 0; c < C; c++) {
    const mu = mean[c];
    const r = invStd[c];
    let sdy = 0;
    let sdyx = 0;
    for (let o = 0; o < outer; o++) {
      const base = (o * C + c) * inner;
      for (let i = 0; i < inner; i++) {
        const g = dy[base + i];
        sdy += g;
        sdyx += g * (x[base + i] - mu) * r;
      }
    }
    if (dBeta) dBeta[c] = sdy;
    if (dGamma) dGamma[c] = sdyx;
    if (!dx) continue;
    const k = (gamma ? gamma[c] : 1) * r;
    const a = sdy / m;
    const b = sdyx / m;
    for (let o = 0; o < outer; o++) {
      const base = (o * C + c) * inner;
      for (let i = 0; i < inner; i++) {
        const xhat = (x[base + i] - mu) * r;
        dx[base + i] = k * (dy[base + i] - a - xhat * b);
      }
    }
  }
}

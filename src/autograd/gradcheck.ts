/**
 * Gradient checking by central differences, in float64:
 *
 *   ∂L/∂xᵢ ≈ (L(x + εeᵢ) − L(x − εeᵢ)) / 2ε,   with L(x) = Σⱼ vⱼ fⱼ(x)
 *
 * for a fixed random cotangent v, compared with what backward() computes. The error
 * of each component is |analytic − numeric| / max(1, |analytic|, |numeric|): relative
 * for large gradients, absolute for small ones (where differencing noise dominates).
 */
import { ConfigError } from '../errors.js';
import { Rng } from '../tensor/random.js';
import { tidy } from '../tensor/scope.js';
import { Tensor } from '../tensor/tensor.js';
import { backward, noGrad } from './tape.js';

export interface GradcheckOptions {
  eps?: number;
  /** Largest acceptable error (default 1e-6). */
  tolerance?: number;
  seed?: number;
}

export interface GradcheckResult {
  ok: boolean;
  maxError: number;
  /** Where the largest error occurred. */
  worst: { input: number; index: number; analytic: number; numeric: number };
}

function withValues(t: Tensor, values: Float64Array): Tensor {
  const out = new Tensor(t.backend.upload('float64', values), t.shape, 'float64', t.backend);
  out.requiresGrad = true;
  return out;
}

export function gradcheck(
  fn: (...inputs: Tensor[]) => Tensor,
  inputs: readonly Tensor[],
  options: GradcheckOptions = {},
): GradcheckResult {
  const { eps = 1e-6, tolerance = 1e-6, seed = 1 } = options;
  for (const [i, x] of inputs.entries()) {
    if (x.dtype !== 'float64')
      throw new ConfigError(`gradcheck: input ${i} is ${x.dtype}; gradcheck needs float64 inputs.`);
  }
  return tidy(() => {
    const base = inputs.map((x) => Float64Array.from(x.dataSync()));
    const leaves = base.map((values, i) => withValues(inputs[i], values));
    const out = fn(...leaves);
    const rng = new Rng(seed);
    const v = new Float64Array(out.size);
    for (let j = 0; j < v.length; j++) v[j] = rng.uniformIn(-1, 1);
    const cotangent = new Tensor(out.backend.upload('float64', v), out.shape, 'float64', out.backend);
    backward(out, cotangent);
    const analytic = leaves.map((l) =>
      l.grad ? Float64Array.from(l.grad.dataSync()) : new Float64Array(l.size),
    );

    const loss = (values: Float64Array[]): number =>
      tidy(() =>
        noGrad(() => {
          const y = fn(...values.map((vals, i) => withValues(inputs[i], vals))).dataSync();
          let s = 0;
          for (let j = 0; j < y.length; j++) s += v[j] * y[j];
          return s;
        }),
      );

    let maxError = 0;
    let worst = { input: -1, index: -1, analytic: 0, numeric: 0 };
    for (let i = 0; i < base.length; i++) {
      for (let k = 0; k < base[i].length; k++) {
        const original = base[i][k];
        base[i][k] = original + eps;
        const plus = loss(base);
        base[i][k] = original - eps;
        const minus = loss(base);
        base[i][k] = original;
        const numeric = (plus - minus) / (2 * eps);
        const a = analytic[i][k];
        const error = Math.abs(a - numeric) / Math.max(1, Math.abs(a), Math.abs(numeric));
        if (!(error <= maxError)) {
          maxError = Number.isNaN(error) ? Infinity : error;
          worst = { input: i, index: k, analytic: a, numeric };
        }
      }
    }
    return { ok: maxError <= tolerance, maxError, worst };
  });
}

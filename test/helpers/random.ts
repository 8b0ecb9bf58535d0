import { Rng } from '../../src/tensor/random.js';
import { fromArray } from '../../src/tensor/creation.js';
import type { Tensor } from '../../src/tensor/tensor.js';

/** A float64 tensor of uniform values in [low, high), seeded. */
export function randomTensor(shape: number[], rng: Rng, low = -1, high = 1): Tensor {
  const n = shape.reduce((p, d) => p * d, 1);
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = rng.uniformIn(low, high);
  return fromArray(values, shape, { dtype: 'float64' });
}

/** Values away from 0 (for ops with kinks or poles at 0: abs, relu, log, div). */
export function awayFromZero(shape: number[], rng: Rng, min = 0.2, max = 1.5): Tensor {
  const n = shape.reduce((p, d) => p * d, 1);
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = (rng.uniform() < 0.5 ? -1 : 1) * rng.uniformIn(min, max);
  return fromArray(values, shape, { dtype: 'float64' });
}

export function positive(shape: number[], rng: Rng, min = 0.2, max = 2): Tensor {
  return randomTensor(shape, rng, min, max);
}

export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol = 1e-6,
  what = 'values',
): void {
  if (actual.length !== expected.length)
    throw new Error(`${what}: length ${actual.length} vs ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    const err = Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i]));
    if (!(err <= tol))
      throw new Error(`${what}[${i}]: got ${actual[i]}, expected ${expected[i]} (error ${err} > ${tol})`);
  }
}

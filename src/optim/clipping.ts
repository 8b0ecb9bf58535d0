/**
 * Gradient clipping, to keep one bad batch from throwing the weights far away.
 *
 * By value (each component on its own; the lectures' default threshold θ = 5):
 *
 *   gᵢ ← max(−θ, min(θ, gᵢ))
 *
 * By global norm (all parameters' gradients together, so the direction is kept):
 *
 *   ‖g‖ = √(Σ over every parameter and component of gᵢ²)
 *   g ← g · min(1, c / (‖g‖ + 10⁻⁶))
 *
 * The norm form is torch.nn.utils.clip_grad_norm_ (with its 10⁻⁶ guard); the value form is
 * clip_grad_value_. Both are transforms that go first in a chain:
 * chain(clipByGlobalNorm(1), scaleByAdam(), scaleByLearningRate(1e-3)).
 */
import { add, clamp, div, minimum, mul, sqrt, square } from '../ops/arithmetic.js';
import { sum } from '../ops/reduce.js';
import type { Tensor } from '../tensor/tensor.js';
import type { GradientTransformation } from './transform.js';
import { checkNonNegativeNumber, checkOptionKeys, checkPositiveNumber } from './util.js';

/** gᵢ ← clamp(gᵢ, −θ, θ) (default θ = 5). */
export function clipByValue(threshold = 5): GradientTransformation<null> {
  const theta = checkPositiveNumber('clipByValue', 'threshold', threshold);
  return {
    init: () => null,
    update: (grads) => ({ updates: grads.map((g) => clamp(g, -theta, theta)), state: null }),
  };
}

/** √(Σ g²) over every tensor, as a scalar tensor (no read-back). */
export function globalNorm(tensors: readonly Tensor[]): Tensor {
  let total = sum(square(tensors[0]));
  for (let i = 1; i < tensors.length; i++) total = add(total, sum(square(tensors[i])));
  return sqrt(total);
}

/** g ← g · min(1, c / (‖g‖ + eps)) with ‖g‖ the norm over all parameters. */
export function clipByGlobalNorm(
  maxNorm: number,
  options: { eps?: number } = {},
): GradientTransformation<null> {
  const where = 'clipByGlobalNorm';
  checkOptionKeys(where, options, ['eps']);
  const c = checkPositiveNumber(where, 'maxNorm', maxNorm);
  const eps = checkNonNegativeNumber(where, 'eps', options.eps ?? 1e-6);
  return {
    init: () => null,
    update(grads) {
      if (grads.length === 0) return { updates: [], state: null };
      const coefficient = minimum(div(c, add(globalNorm(grads), eps)), 1);
      return { updates: grads.map((g) => mul(g, coefficient)), state: null };
    },
  };
}

/**
 * Adamax (Kingma & Ba 2015, §7): Adam with the second moment's L2 norm replaced by the
 * infinity norm — a running maximum of |∇C| that needs no bias correction.
 *
 *   m ← β₁ m + (1 − β₁) ∇C
 *   u ← max(β₂ u, |∇C| + ε)
 *   w ← w − (η / (1 − β₁ᵗ)) m / u
 *
 * The paper writes u ← max(β₂u, |∇C|) and divides by u; PyTorch (torch.optim.Adamax) adds
 * ε inside the maximum, as here, so that u > 0 from the first step. weight_decay λ adds λw
 * to ∇C first. As blocks: chain(addDecayedWeights(λ), scaleByAdamax(β₁, β₂, ε), scaleByLearningRate(η)).
 */
import { zerosLike } from '../tensor/creation.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkBetas } from './adam.js';
import { addDecayedWeights } from './regularizers.js';
import { scaleByLearningRate } from './scale.js';
import {
  asSchedule,
  chain,
  erase,
  type GradientTransformation,
  type OptState,
  type ScheduleLike,
} from './transform.js';
import { checkNonNegativeNumber, checkOptionKeys, fusePerParameter } from './util.js';

export type AdamaxState = { count: number; mu: Tensor[]; infinityNorm: Tensor[] };

/** u = m / (1 − β₁ᵗ) / max(β₂u, |g| + ε). */
export function scaleByAdamax(
  options: { beta1?: number; beta2?: number; eps?: number } = {},
): GradientTransformation<AdamaxState> {
  const where = 'scaleByAdamax';
  checkOptionKeys(where, options, ['beta1', 'beta2', 'eps']);
  const { beta1 = 0.9, beta2 = 0.999, eps = 1e-8 } = options;
  checkBetas(where, beta1, beta2, eps);
  return {
    init: (params) => ({
      count: 0,
      mu: params.map((p) => zerosLike(p)),
      infinityNorm: params.map((p) => zerosLike(p)),
    }),
    update(grads, state) {
      const t = state.count + 1;
      const correction1 = 1 - beta1 ** t;
      const [mu, infinityNorm, updates] = fusePerParameter(
        [grads, state.mu, state.infinityNorm],
        (g, m, u) => {
          const m1 = m.mul(beta1).add(g.mul(1 - beta1));
          const u1 = u.mul(beta2).maximum(g.abs().add(eps));
          return [m1, u1, m1.div(u1).div(correction1)];
        },
      );
      return { updates, state: { count: t, mu, infinityNorm } };
    },
  };
}

export interface AdamaxOptions {
  /** η (default 0.002, as PyTorch and the paper). */
  lr?: ScheduleLike;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
}

export function adamax(options: AdamaxOptions = {}): GradientTransformation<OptState[]> {
  const where = 'adamax';
  checkOptionKeys(where, options, ['lr', 'beta1', 'beta2', 'eps', 'weightDecay']);
  const lr = asSchedule(where, options.lr ?? 2e-3);
  const { beta1 = 0.9, beta2 = 0.999, eps = 1e-8 } = options;
  checkBetas(where, beta1, beta2, eps);
  const weightDecay = checkNonNegativeNumber(where, 'weight decay', options.weightDecay ?? 0);
  return chain(
    erase(addDecayedWeights(weightDecay)),
    erase(scaleByAdamax({ beta1, beta2, eps })),
    erase(scaleByLearningRate(lr)),
  );
}

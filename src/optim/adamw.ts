/**
 * AdamW (Loshchilov & Hutter 2019): Adam with decoupled weight decay.
 *
 *   m, v, m̂, v̂ as in Adam (adam.ts)
 *   w ← w − η (m̂ / (√v̂ + ε) + λ w)          i.e.  w ← (1 − ηλ) w − η m̂ / (√v̂ + ε)
 *
 * In Adam with L2 (`adam({ weightDecay })`), λw is added to ∇C and then divided by √v̂,
 * so weights with large gradients are barely decayed. AdamW decays every weight by the
 * same factor 1 − ηλ per step, outside the adaptive scaling.
 *
 * PyTorch (torch.optim.AdamW) multiplies w by (1 − ηλ) and then takes the Adam step, which
 * is the same update. As blocks the decay simply moves after the adaptive block:
 * chain(scaleByAdam(β₁, β₂, ε, amsgrad), addDecayedWeights(λ), scaleByLearningRate(η)).
 */
import { scaleByAdam, checkBetas, type ScaleByAdamOptions } from './adam.js';
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
import { checkBoolean, checkNonNegativeNumber, checkOptionKeys, type ParamMask } from './util.js';

export interface AdamwOptions extends ScaleByAdamOptions {
  /** η (default 0.001). */
  lr?: ScheduleLike;
  /** The decoupled decay λ (default 0.01, as PyTorch). */
  weightDecay?: number;
  /** Which parameters decay (default 'all', as PyTorch; 'no-bias' leaves biases alone). */
  decayMask?: ParamMask;
}

export function adamw(options: AdamwOptions = {}): GradientTransformation<OptState[]> {
  const where = 'adamw';
  checkOptionKeys(where, options, ['lr', 'beta1', 'beta2', 'eps', 'weightDecay', 'amsgrad', 'decayMask']);
  const lr = asSchedule(where, options.lr ?? 1e-3);
  const { beta1 = 0.9, beta2 = 0.999, eps = 1e-8 } = options;
  checkBetas(where, beta1, beta2, eps);
  const weightDecay = checkNonNegativeNumber(where, 'weight decay', options.weightDecay ?? 1e-2);
  const amsgrad = checkBoolean(where, 'amsgrad', options.amsgrad ?? false);
  return chain(
    erase(scaleByAdam({ beta1, beta2, eps, amsgrad })),
    erase(addDecayedWeights(weightDecay, { mask: options.decayMask ?? 'all' })),
    erase(scaleByLearningRate(lr)),
  );
}

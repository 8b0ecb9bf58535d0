/**
 * Plain (stochastic) gradient descent, and torch.optim.SGD's options.
 *
 *   w ← w − η ∇C(w)
 *
 * Batch, stochastic and mini-batch gradient descent are this same rule; they differ
 * only in how many samples the gradient ∇C is averaged over (all of them, one, or a
 * mini-batch of b), which is the training loop's batch size.
 *
 * With PyTorch's options (weight decay λ, momentum μ, dampening τ, Nesterov), in
 * PyTorch's order:
 *
 *   g ← ∇C(w) + λ w
 *   b ← μ b + (1 − τ) g          (b = g on the first step)
 *   g ← g + μ b  if Nesterov, else  g ← b
 *   w ← w − η g
 *
 * = chain(addDecayedWeights(λ), trace({ decay: μ, dampening: τ, nesterov }), scaleByLearningRate(η)).
 * momentum.ts maps this buffer to the lecture's velocity v = −η b, nesterov.ts the
 * Nesterov form to the lecture's look-ahead gradient.
 */
import { ConfigError } from '../errors.js';
import { trace } from './momentum.js';
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
import { checkBoolean, checkInRange, checkNonNegativeNumber, checkOptionKeys } from './util.js';

export { scaleByLearningRate, scale, type ScaleState } from './scale.js';

export interface SgdOptions {
  /** The learning rate η, or a schedule of the step count (default 0.01, as in Keras). */
  lr?: ScheduleLike;
  /** Momentum μ ∈ [0, 1) (default 0: none). */
  momentum?: number;
  /** Dampening τ ∈ [0, 1] of the gradient entering the momentum buffer (default 0). */
  dampening?: number;
  /** Nesterov momentum, PyTorch's reformulation (default false; needs momentum > 0, dampening 0). */
  nesterov?: boolean;
  /** L2 weight decay λ added to the gradient, biases included (default 0). */
  weightDecay?: number;
}

export const SGD_OPTIONS = ['lr', 'momentum', 'dampening', 'nesterov', 'weightDecay'] as const;

export function sgd(options: SgdOptions = {}): GradientTransformation<OptState> {
  const where = 'sgd';
  checkOptionKeys(where, options, SGD_OPTIONS);
  const lr = options.lr ?? 0.01;
  asSchedule(where, lr);
  const mu = checkInRange(where, 'momentum', options.momentum ?? 0, 0, 1);
  const dampening = checkInRange(where, 'dampening', options.dampening ?? 0, 0, 1, { hi: 'closed' });
  const nesterov = checkBoolean(where, 'nesterov', options.nesterov ?? false);
  const weightDecay = checkNonNegativeNumber(where, 'weight decay', options.weightDecay ?? 0);
  if (nesterov && (mu <= 0 || dampening !== 0)) {
    throw new ConfigError(
      `${where}: Nesterov momentum requires a momentum > 0 and zero dampening, got momentum ${mu} and dampening ${dampening}.`,
    );
  }
  // The plain rule keeps its one-number state, so simple uses stay simple to inspect.
  if (mu === 0 && weightDecay === 0) return erase(scaleByLearningRate(lr));
  const blocks: GradientTransformation<OptState>[] = [];
  if (weightDecay !== 0) blocks.push(erase(addDecayedWeights(weightDecay)));
  if (mu !== 0) blocks.push(erase(trace({ decay: mu, dampening, nesterov })));
  blocks.push(erase(scaleByLearningRate(lr)));
  return erase(chain(...blocks));
}

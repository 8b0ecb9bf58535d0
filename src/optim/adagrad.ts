/**
 * Adagrad: a per-weight learning rate that shrinks with the weight's accumulated squared gradient.
 *
 *   G ← G + ∇C ⊙ ∇C                    (G₀ = initialAccumulatorValue, per weight)
 *   w ← w − η / (√G + ε) ⊙ ∇C
 *
 * Weights with large past gradients take small steps, rarely-updated weights large ones.
 * G only grows, so the effective rate η/√G decays like 1/√t (RMSProp and Adadelta replace
 * the sum by a moving average to stop that).
 *
 * PyTorch (torch.optim.Adagrad) is the same with ε outside the square root, as here, and
 * two extras: `lr_decay` k divides η by 1 + k(t − 1) on step t = 1, 2, … (our
 * schedule η/(1 + k t) with t counted from 0), and `weight_decay` λ adds λw to ∇C first.
 * As blocks: chain(addDecayedWeights(λ), scaleByAdagrad(ε, G₀), scaleByLearningRate(η/(1 + kt))).
 */
import { full } from '../tensor/creation.js';
import type { Tensor } from '../tensor/tensor.js';
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

export type AdagradState = { sumOfSquares: Tensor[] };

/** G ← G + g²; u = g / (√G + ε). */
export function scaleByAdagrad(
  options: { eps?: number; initialAccumulatorValue?: number } = {},
): GradientTransformation<AdagradState> {
  const where = 'scaleByAdagrad';
  checkOptionKeys(where, options, ['eps', 'initialAccumulatorValue']);
  const eps = checkNonNegativeNumber(where, 'eps', options.eps ?? 1e-10);
  const g0 = checkNonNegativeNumber(where, 'initial accumulator value', options.initialAccumulatorValue ?? 0);
  return {
    init: (params) => ({ sumOfSquares: params.map((p) => full(p.shape, g0, { dtype: p.dtype })) }),
    update(grads, state) {
      const [sumOfSquares, updates] = fusePerParameter([grads, state.sumOfSquares], (g, s) => {
        const s1 = s.add(g.mul(g));
        return [s1, g.div(s1.sqrt().add(eps))];
      });
      return { updates, state: { sumOfSquares } };
    },
  };
}

export interface AdagradOptions {
  /** η (default 0.01, as PyTorch). */
  lr?: ScheduleLike;
  /** PyTorch's lr_decay k: η/(1 + k t) (default 0). */
  lrDecay?: number;
  weightDecay?: number;
  initialAccumulatorValue?: number;
  /** Added to √G (default 1e-10, as PyTorch). */
  eps?: number;
}

export function adagrad(options: AdagradOptions = {}): GradientTransformation<OptState[]> {
  const where = 'adagrad';
  checkOptionKeys(where, options, ['lr', 'lrDecay', 'weightDecay', 'initialAccumulatorValue', 'eps']);
  const lr = asSchedule(where, options.lr ?? 0.01);
  const lrDecay = checkNonNegativeNumber(where, 'lr decay', options.lrDecay ?? 0);
  const weightDecay = checkNonNegativeNumber(where, 'weight decay', options.weightDecay ?? 0);
  const eps = checkNonNegativeNumber(where, 'eps', options.eps ?? 1e-10);
  const initialAccumulatorValue = checkNonNegativeNumber(
    where,
    'initial accumulator value',
    options.initialAccumulatorValue ?? 0,
  );
  const rate = lrDecay === 0 ? lr : (t: number) => lr(t) / (1 + t * lrDecay);
  return chain(
    erase(addDecayedWeights(weightDecay)),
    erase(scaleByAdagrad({ eps, initialAccumulatorValue })),
    erase(scaleByLearningRate(rate)),
  );
}

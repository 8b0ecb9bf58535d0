/**
 * Plain (stochastic) gradient descent.
 *
 *   w ← w − η ∇C(w)
 *
 * Batch, stochastic and mini-batch gradient descent are this same rule; they differ
 * only in how many samples the gradient ∇C is averaged over (all of them, one, or a
 * mini-batch of b), which is the training loop's batch size.
 */
import type { Tensor } from '../tensor/tensor.js';
import { mul } from '../ops/arithmetic.js';
import { asSchedule, type GradientTransformation, type ScheduleLike } from './transform.js';

export interface ScaleState {
  [key: string]: number;
  count: number;
}

/** u = −η(t)·g, with η a number or a schedule of the step count t. */
export function scaleByLearningRate(lr: ScheduleLike): GradientTransformation<ScaleState> {
  const schedule = asSchedule('scaleByLearningRate', lr);
  return {
    init: () => ({ count: 0 }),
    update(grads: readonly Tensor[], state: ScaleState) {
      const eta = schedule(state.count);
      return { updates: grads.map((g) => mul(g, -eta)), state: { count: state.count + 1 } };
    },
  };
}

export interface SgdOptions {
  /** The learning rate η, or a schedule of the step count (default 0.01, as in Keras). */
  lr?: ScheduleLike;
}

export function sgd(options: SgdOptions = {}): GradientTransformation<ScaleState> {
  return scaleByLearningRate(options.lr ?? 0.01);
}

/**
 * Scaling blocks: the learning rate and a constant factor.
 *
 *   scaleByLearningRate(η):  u = −η(t) g      (t = 0, 1, 2, … counts this block's updates)
 *   scale(c):                u = c g
 *
 * Every named optimiser ends its chain with scaleByLearningRate, so a schedule of the
 * step count can stand wherever a learning rate can.
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

/** u = c·g for a fixed factor c. */
export function scale(factor: number): GradientTransformation<null> {
  return {
    init: () => null,
    update: (grads) => ({ updates: grads.map((g) => mul(g, factor)), state: null }),
  };
}

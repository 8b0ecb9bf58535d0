/**
 * Nesterov accelerated gradient.
 *
 * Lecture (Sutskever et al.'s form: the gradient is taken at the look-ahead point w + αv):
 *
 *   v ← α v − η ∇C(w + α v)
 *   w ← w + v
 *
 * PyTorch (torch.optim.SGD(nesterov=True): the gradient at its own parameters w̃):
 *
 *   b ← μ b + ∇C(w̃)           (b = ∇C on the first step)
 *   w̃ ← w̃ − η (∇C(w̃) + μ b)
 *
 * Mapping: PyTorch's parameters are the lecture's look-ahead point, w̃ = w + α v, with
 * μ = α and v = −η b (constant η). Substituting: w̃′ = w′ + αv′ = w̃ + (1 + α)v′ − αv and
 * v′ = αv − η∇C(w̃), which is PyTorch's update; both start from w̃₀ = w₀ since v₀ = 0.
 * test/optim/momentum.test.ts runs both and checks w̃ₖ = wₖ + αvₖ step by step.
 *
 * `nesterov` is PyTorch's form (it needs only ∇C at the parameters, so it runs in any
 * training loop); `lookaheadNesterov` is the lecture's, which evaluates ∇C(w + αv)
 * itself and so needs a closure: `optimizer.step(closure)`.
 */
import { add, mul } from '../ops/arithmetic.js';
import { zerosLike } from '../tensor/creation.js';
import type { Tensor } from '../tensor/tensor.js';
import { ConfigError } from '../errors.js';
import { sgd } from './sgd.js';
import { asSchedule, type GradientTransformation, type OptState, type ScheduleLike } from './transform.js';
import { checkInRange, checkNonNegativeNumber, checkOptionKeys } from './util.js';

export interface NesterovOptions {
  /** The learning rate η, or a schedule (default 0.01). */
  lr?: ScheduleLike;
  /** The momentum coefficient α (μ in PyTorch), in (0, 1) (default 0.9). */
  momentum?: number;
  /** L2 weight decay added to the gradient (PyTorch's weight_decay; default 0). */
  weightDecay?: number;
}

/** Nesterov momentum in PyTorch's form: sgd({ momentum, nesterov: true }). */
export function nesterov(options: NesterovOptions = {}): GradientTransformation<OptState> {
  checkOptionKeys('nesterov', options, ['lr', 'momentum', 'weightDecay']);
  const mu = checkInRange('nesterov', 'momentum', options.momentum ?? 0.9, 0, 1, { lo: 'open' });
  const weightDecay = checkNonNegativeNumber('nesterov', 'weight decay', options.weightDecay ?? 0);
  return sgd({ lr: options.lr ?? 0.01, momentum: mu, nesterov: true, weightDecay });
}

export type LookaheadState = { count: number; velocity: Tensor[] };

/**
 * The lecture's Nesterov step, v ← αv − η∇C(w + αv); w ← w + v, with the gradient
 * evaluated at the look-ahead point through the step's closure. (The closure's first
 * call, at w, is the Optimizer's and goes unused here.)
 */
export function lookaheadNesterov(
  options: Omit<NesterovOptions, 'weightDecay'> = {},
): GradientTransformation<LookaheadState> {
  const where = 'lookaheadNesterov';
  checkOptionKeys(where, options, ['lr', 'momentum']);
  const schedule = asSchedule(where, options.lr ?? 0.01);
  const alpha = checkInRange(where, 'momentum', options.momentum ?? 0.9, 0, 1);
  return {
    needsClosure: true,
    init: (params) => ({ count: 0, velocity: params.map((p) => zerosLike(p)) }),
    update(_grads, state, _params, context) {
      if (!context)
        throw new ConfigError(
          `${where}: needs the gradient at the look-ahead point; call optimizer.step(closure).`,
        );
      const eta = schedule(state.count);
      const lookahead = state.velocity.map((v) => mul(v, alpha));
      const { grads } = context.evaluate(lookahead);
      const velocity = state.velocity.map((v, i) => add(mul(v, alpha), mul(grads[i], -eta)));
      return { updates: velocity, state: { count: state.count + 1, velocity } };
    },
  };
}

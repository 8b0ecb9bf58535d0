/**
 * Weight penalties as gradient transformations.
 *
 * L2 (ridge, "weight decay" when folded into the gradient), for the penalised cost
 * C̃(w) = C(w) + (λ/2) Σⱼ wⱼ²   (sum over weights, biases excluded):
 *
 *   ∇C̃ = ∇C + λ w            — the lectures' D = Δ/m + λΘ for j ≠ 0
 *
 * L1 (lasso), for C̃(w) = C(w) + λ Σⱼ |wⱼ|:
 *
 *   ∇C̃ = ∇C + λ sign(w)      (the subgradient 0 at w = 0)
 *
 * As transforms they add the penalty's gradient to the incoming g, so they go first in
 * a chain, before the optimiser's own blocks: chain(l2Penalty(1e-4), scaleByAdam(), …).
 * Biases (a parameter named '*.bias', or any parameter of rank ≤ 1) are left out by
 * default, as in the lectures: penalising the offset only shifts the fit.
 *
 * Weight decay (`addDecayedWeights`) is the same g + λw applied to every parameter
 * (PyTorch's `weight_decay`, which decays biases too). Placed before an adaptive block it
 * is PyTorch's coupled L2 (Adam's weight_decay); placed after it, just before the learning
 * rate, it is AdamW's decoupled decay:
 *
 *   chain(scaleByAdam(), addDecayedWeights(λ), scaleByLearningRate(η)):
 *   u = −η (m̂ / (√v̂ + ε) + λ w),   i.e.  w ← w(1 − ηλ) − η m̂ / (√v̂ + ε)   (torch.optim.AdamW)
 */
import { abs, add, mul, sign, square } from '../ops/arithmetic.js';
import { sum } from '../ops/reduce.js';
import { scalar } from '../tensor/creation.js';
import type { Tensor } from '../tensor/tensor.js';
import type { GradientTransformation } from './transform.js';
import {
  checkBoolean,
  checkNonNegativeNumber,
  checkOptionKeys,
  isBias,
  maskOf,
  type ParamMask,
} from './util.js';

export interface DecayOptions {
  /** Which parameters decay (default 'all', as PyTorch's weight_decay). */
  mask?: ParamMask;
}

/** u = g + λ w on the masked parameters (weight decay; see the file comment for its placement). */
export function addDecayedWeights(
  weightDecay: number,
  options: DecayOptions = {},
): GradientTransformation<null> {
  const where = 'addDecayedWeights';
  checkOptionKeys(where, options, ['mask']);
  const lambda = checkNonNegativeNumber(where, 'weight decay', weightDecay);
  const applies = maskOf(where, options.mask ?? 'all');
  return {
    init: () => null,
    update: (grads, _state, params) => ({
      updates: grads.map((g, i) =>
        lambda !== 0 && applies(params[i], i) ? add(g, mul(params[i], lambda)) : g,
      ),
      state: null,
    }),
  };
}

export interface PenaltyOptions {
  /** Leave biases out (default true): see util.isBias. */
  excludeBiases?: boolean;
  /** Or choose the penalised parameters yourself (overrides excludeBiases). */
  mask?: ParamMask;
}

function penaltyMask(where: string, options: PenaltyOptions): (p: Tensor, i: number) => boolean {
  checkOptionKeys(where, options, ['excludeBiases', 'mask']);
  if (options.mask !== undefined) return maskOf(where, options.mask);
  return checkBoolean(where, 'excludeBiases', options.excludeBiases ?? true) ? (p) => !isBias(p) : () => true;
}

/** The L2 penalty's gradient: u = g + λ w for weights (biases excluded by default). */
export function l2Penalty(lambda: number, options: PenaltyOptions = {}): GradientTransformation<null> {
  const where = 'l2Penalty';
  checkNonNegativeNumber(where, 'lambda', lambda);
  const applies = penaltyMask(where, options);
  return {
    init: () => null,
    update: (grads, _state, params) => ({
      updates: grads.map((g, i) =>
        lambda !== 0 && applies(params[i], i) ? add(g, mul(params[i], lambda)) : g,
      ),
      state: null,
    }),
  };
}

/** The L1 penalty's (sub)gradient: u = g + λ sign(w) for weights (biases excluded by default). */
export function l1Penalty(lambda: number, options: PenaltyOptions = {}): GradientTransformation<null> {
  const where = 'l1Penalty';
  checkNonNegativeNumber(where, 'lambda', lambda);
  const applies = penaltyMask(where, options);
  return {
    init: () => null,
    update: (grads, _state, params) => ({
      updates: grads.map((g, i) =>
        lambda !== 0 && applies(params[i], i) ? add(g, mul(sign(params[i]), lambda)) : g,
      ),
      state: null,
    }),
  };
}

export interface PenaltyValueOptions extends PenaltyOptions {
  l1?: number;
  l2?: number;
}

/**
 * The penalty itself, λ₁ Σ|w| + (λ₂/2) Σ w² over the penalised parameters, as a scalar
 * tensor: add it to the loss to report the regularised cost, or to let autograd produce
 * the same gradients as the transforms above.
 */
export function penaltyValue(params: readonly Tensor[], options: PenaltyValueOptions): Tensor {
  const where = 'penaltyValue';
  const { l1 = 0, l2 = 0, ...maskOptions } = options;
  checkNonNegativeNumber(where, 'l1', l1);
  checkNonNegativeNumber(where, 'l2', l2);
  const applies = penaltyMask(where, maskOptions);
  let total: Tensor = scalar(0, { dtype: params[0]?.dtype ?? 'float32' });
  params.forEach((p, i) => {
    if (!applies(p, i)) return;
    if (l1 !== 0) total = add(total, mul(sum(abs(p)), l1));
    if (l2 !== 0) total = add(total, mul(sum(square(p)), l2 / 2));
  });
  return total;
}

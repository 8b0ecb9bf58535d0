/**
 * Gradient accumulation: apply an optimiser once every k mini-batches, to the mean of
 * their gradients — a batch k times larger than memory allows.
 *
 *   a ← a + ∇C_b(w)                         for each mini-batch b
 *   every k-th batch:  u = inner(a / k);  a ← 0
 *   otherwise:         u = 0                (w unchanged)
 *
 * With each mini-batch loss a mean over its m samples, a/k is the gradient of the mean
 * over all k·m samples, so SGD over k accumulated batches equals SGD on one batch of k·m
 * (test/optim/accumulate.test.ts). The inner optimiser's state — its step count, and so
 * its schedule — advances only on the steps that apply it. (optax.MultiSteps.)
 */
import { ConfigError } from '../errors.js';
import { add, div } from '../ops/arithmetic.js';
import { zerosLike } from '../tensor/creation.js';
import type { Tensor } from '../tensor/tensor.js';
import type { GradientTransformation, OptState } from './transform.js';
import { checkBoolean, checkOptionKeys, checkPositiveInteger } from './util.js';

export type AccumulateState = {
  /** Mini-batches seen since the last applied step. */
  pending: number;
  /** The running sum a of their gradients, per parameter. */
  sum: Tensor[];
  inner: OptState;
};

export interface AccumulateOptions {
  /** Divide the sum by k (default true: the mean gradient); false applies the sum. */
  average?: boolean;
}

export function accumulateGradients(
  inner: GradientTransformation<OptState>,
  k: number,
  options: AccumulateOptions = {},
): GradientTransformation<AccumulateState> {
  const where = 'accumulateGradients';
  checkOptionKeys(where, options, ['average']);
  checkPositiveInteger(where, 'k (batches per step)', k);
  const average = checkBoolean(where, 'average', options.average ?? true);
  if (inner.needsClosure === true) {
    throw new ConfigError(
      `${where}: cannot accumulate for an optimiser that re-evaluates the loss (Newton, L-BFGS with a line search).`,
    );
  }
  return {
    init: (params) => ({ pending: 0, sum: params.map((p) => zerosLike(p)), inner: inner.init(params) }),
    update(grads, state, params) {
      const sum = grads.map((g, i) => add(state.sum[i], g));
      if (state.pending + 1 < k) {
        return {
          updates: params.map((p) => zerosLike(p)),
          state: { pending: state.pending + 1, sum, inner: state.inner },
        };
      }
      const mean = average && k > 1 ? sum.map((s) => div(s, k)) : sum;
      const result = inner.update(mean, state.inner, params);
      return {
        updates: result.updates,
        state: { pending: 0, sum: params.map((p) => zerosLike(p)), inner: result.state },
      };
    },
  };
}

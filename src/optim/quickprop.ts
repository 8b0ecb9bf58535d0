/**
 * QuickProp (Fahlman 1988): treat each weight's error curve as a parabola through the last
 * two slopes and jump to its minimum — a per-weight secant (Newton-like) step.
 *
 * With S = ∂C/∂w now, S′ on the previous step, Δw′ the previous step, ε the learning rate
 * and μ the maximum growth factor (1.75):
 *
 *   Δw′ = 0:  Δw = −ε S                                  (no history: a gradient step)
 *   Δw′ ≠ 0:  Δw = S / (S′ − S) · Δw′                     (the parabola's minimum)
 *             capped at μ Δw′: taken instead when S is not below μ/(1+μ) · S′ in size
 *             (S ≥ μ/(1+μ)·S′ for Δw′ < 0, S ≤ μ/(1+μ)·S′ for Δw′ > 0), or when S′ = S
 *             + (−ε S)  if S still points the way Δw′ went (S·Δw′ < 0)
 *   w ← w + Δw
 *
 * This follows Fahlman's own code (as kept in FANN's fann_update_weights_quickprop), with
 * slopes as ∂C/∂w (FANN stores −∂C/∂w) and without its weight decay term (chain
 * l2Penalty for that) or its clipping of weights to ±1500. One safeguard is added: where
 * two equal slopes with the "wrong" sign would make S/(S′ − S) infinite or huge, the
 * parabola step is clamped to ±μ|Δw′|, the growth limit Fahlman states.
 * Like Rprop it is a complete, full-batch optimiser.
 */
import { abs, add, div, equal, greater, less, maximum, minimum, mul, neg, sub } from '../ops/arithmetic.js';
import { zerosLike } from '../tensor/creation.js';
import type { Tensor } from '../tensor/tensor.js';
import { asSchedule, type GradientTransformation, type ScheduleLike } from './transform.js';
import { checkOptionKeys, checkPositiveNumber } from './util.js';

export interface QuickpropOptions {
  /** ε, the gradient-step rate (default 0.01), or a schedule. */
  lr?: ScheduleLike;
  /** μ, the maximum growth factor (default 1.75). */
  maxGrowth?: number;
}

export type QuickpropState = { count: number; prevGrad: Tensor[]; prevStep: Tensor[] };

export function quickprop(options: QuickpropOptions = {}): GradientTransformation<QuickpropState> {
  const where = 'quickprop';
  checkOptionKeys(where, options, ['lr', 'maxGrowth']);
  const epsilon = asSchedule(where, options.lr ?? 0.01);
  const mu = checkPositiveNumber(where, 'maxGrowth', options.maxGrowth ?? 1.75);
  const shrink = mu / (1 + mu);
  return {
    init: (params) => ({
      count: 0,
      prevGrad: params.map((p) => zerosLike(p)),
      prevStep: params.map((p) => zerosLike(p)),
    }),
    update(grads, state) {
      const eps = epsilon(state.count);
      const updates = grads.map((s, i) => {
        const sPrev = state.prevGrad[i];
        const p = state.prevStep[i];
        const wentUp = greater(p, 0);
        const wentDown = less(p, 0);
        const stalled = equal(p, 0);
        const denominator = sub(sPrev, s);
        const equalSlopes = equal(denominator, 0);
        // Where S′ = S the parabola has no minimum; the cap below takes over there.
        const limit = mul(abs(p), mu);
        const parabola = maximum(minimum(div(mul(p, s), add(denominator, equalSlopes)), limit), neg(limit));
        const threshold = mul(sPrev, shrink);
        const capped = add(
          mul(wentUp, maximum(less(s, threshold), equalSlopes)),
          mul(wentDown, maximum(greater(s, threshold), equalSlopes)),
        );
        const useParabola = mul(sub(1, stalled), sub(1, capped));
        const addLinear = add(stalled, add(mul(wentUp, less(s, 0)), mul(wentDown, greater(s, 0))));
        return add(add(mul(addLinear, mul(s, -eps)), mul(capped, mul(p, mu))), mul(useParabola, parabola));
      });
      return {
        updates,
        state: { count: state.count + 1, prevGrad: grads.map((g) => mul(g, 1)), prevStep: updates },
      };
    },
  };
}

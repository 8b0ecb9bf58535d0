/**
 * Rprop (Riedmiller & Braun 1993): resilient backpropagation. Only the sign of each partial
 * derivative is used; every weight has its own step size Δ, grown while the sign holds and
 * shrunk when it flips (a minimum was jumped over).
 *
 * For each weight, with g = ∂C/∂w now and g′ on the previous step (g′ = 0 at first):
 *
 *   g·g′ > 0:  Δ ← min(η⁺ Δ, Δ_max);   Δw = −sign(g) Δ
 *   g·g′ < 0:  Δ ← max(η⁻ Δ, Δ_min);   (see the variants)
 *   g·g′ = 0:  Δ unchanged;             Δw = −sign(g) Δ
 *   w ← w + Δw
 *
 * with η⁺ = 1.2, η⁻ = 0.5, Δ₀ = the learning rate, Δ ∈ [Δ_min, Δ_max] = [1e-6, 50].
 *
 * On a sign flip the two variants differ:
 * - 'backtracking' (the original Rprop, "Rprop⁺"): undo the previous step, Δw = −Δw_prev,
 *   and store g′ = 0 so the next step does not shrink Δ again.
 * - 'pytorch' (torch.optim.Rprop, Rprop without backtracking, "Rprop⁻" as in Igel &
 *   Hüsken): do not move, Δw = 0, and store g′ = 0.
 * PyTorch also clamps Δ to its bounds on every step, not only when it changes; with Δ₀
 * inside the bounds that is the same thing. Both variants here do so.
 *
 * Rprop's learning rate is Δ₀, the initial step size, not a multiplier — it is a complete
 * optimiser rather than a block before scaleByLearningRate — and it is meant for full-batch
 * gradients: mini-batch noise flips signs at random.
 */
import { ConfigError } from '../errors.js';
import { add, clamp, greater, less, mul, neg, sign, sub } from '../ops/arithmetic.js';
import { full, zerosLike } from '../tensor/creation.js';
import type { Tensor } from '../tensor/tensor.js';
import type { GradientTransformation, ScheduleLike } from './transform.js';
import { checkInRange, checkNonNegativeNumber, checkOptionKeys, checkPositiveNumber } from './util.js';

export type RpropVariant = 'pytorch' | 'backtracking';

export interface RpropOptions {
  /** The initial step size Δ₀ (default 0.01, as PyTorch). */
  lr?: ScheduleLike;
  /** η⁻ ∈ (0, 1) (default 0.5). */
  etaMinus?: number;
  /** η⁺ > 1 (default 1.2). */
  etaPlus?: number;
  /** Δ_min (default 1e-6). */
  stepSizeMin?: number;
  /** Δ_max (default 50). */
  stepSizeMax?: number;
  /** What to do on a sign flip (default 'pytorch'; 'backtracking' is the original). */
  variant?: RpropVariant;
}

export type RpropState = {
  /** g′ per parameter (0 where the sign flipped last step). */
  prevGrad: Tensor[];
  /** Δ per weight. */
  stepSize: Tensor[];
  /** Δw of the previous step, for backtracking (null in the PyTorch variant). */
  prevUpdate: Tensor[] | null;
};

export function rprop(options: RpropOptions = {}): GradientTransformation<RpropState> {
  const where = 'rprop';
  checkOptionKeys(where, options, ['lr', 'etaMinus', 'etaPlus', 'stepSizeMin', 'stepSizeMax', 'variant']);
  if (typeof options.lr === 'function') {
    throw new ConfigError(`${where}: lr is the initial step size Δ₀ and must be a number, not a schedule.`);
  }
  const step0 = checkPositiveNumber(where, 'learning rate', options.lr ?? 0.01);
  const etaMinus = checkInRange(where, 'etaMinus', options.etaMinus ?? 0.5, 0, 1, { lo: 'open' });
  const etaPlus = options.etaPlus ?? 1.2;
  if (!(etaPlus > 1 && Number.isFinite(etaPlus)))
    throw new ConfigError(`${where}: etaPlus must be greater than 1, got ${String(etaPlus)}.`);
  const stepMin = checkNonNegativeNumber(where, 'stepSizeMin', options.stepSizeMin ?? 1e-6);
  const stepMax = checkPositiveNumber(where, 'stepSizeMax', options.stepSizeMax ?? 50);
  if (stepMin > stepMax)
    throw new ConfigError(`${where}: stepSizeMin (${stepMin}) must not exceed stepSizeMax (${stepMax}).`);
  const variant = options.variant ?? 'pytorch';
  if (variant !== 'pytorch' && variant !== 'backtracking') {
    throw new ConfigError(`${where}: variant must be 'pytorch' or 'backtracking', got ${String(variant)}.`);
  }
  return {
    init: (params) => ({
      prevGrad: params.map((p) => zerosLike(p)),
      stepSize: params.map((p) => full(p.shape, step0, { dtype: p.dtype })),
      prevUpdate: variant === 'backtracking' ? params.map((p) => zerosLike(p)) : null,
    }),
    update(grads, state) {
      const prevGrad: Tensor[] = [];
      const stepSize: Tensor[] = [];
      const updates: Tensor[] = [];
      grads.forEach((g, i) => {
        const product = mul(g, state.prevGrad[i]);
        const same = greater(product, 0);
        const flipped = less(product, 0);
        const kept = sub(1, flipped);
        // η⁺ where the sign held, η⁻ where it flipped, 1 where either gradient was 0.
        const factor = add(add(mul(same, etaPlus), mul(flipped, etaMinus)), sub(kept, same));
        const delta = clamp(mul(state.stepSize[i], factor), stepMin, stepMax);
        const move = neg(mul(sign(g), delta));
        if (state.prevUpdate) {
          updates.push(add(mul(move, kept), mul(neg(state.prevUpdate[i]), flipped)));
        } else {
          updates.push(mul(move, kept));
        }
        prevGrad.push(mul(g, kept));
        stepSize.push(delta);
      });
      return { updates, state: { prevGrad, stepSize, prevUpdate: state.prevUpdate ? updates : null } };
    },
  };
}

/**
 * Adam (Kingma & Ba 2015): momentum on the gradient and RMSProp's scaling, both bias-corrected.
 *
 *   m ← β₁ m + (1 − β₁) ∇C                  first moment (mean)
 *   v ← β₂ v + (1 − β₂) ∇C ⊙ ∇C             second moment (uncentred variance)
 *   m̂ = m / (1 − β₁ᵗ),   v̂ = v / (1 − β₂ᵗ)   bias correction, t = 1, 2, … (m₀ = v₀ = 0)
 *   w ← w − η m̂ / (√v̂ + ε)
 *
 * AMSGrad (Reddi et al. 2018) keeps the largest second moment so far and uses it instead,
 * so the effective step η/√v̂ never grows:
 *
 *   v_max ← max(v_max, v);   v̂ = v_max / (1 − β₂ᵗ)
 *
 * This is torch.optim.Adam exactly (ε added to √v̂, not inside it; weight_decay λ adds λw to
 * ∇C first — coupled L2, unlike AdamW's decoupled decay, see adamw.ts).
 * As blocks: chain(addDecayedWeights(λ), scaleByAdam(β₁, β₂, ε, amsgrad), scaleByLearningRate(η)).
 */
import { zerosLike } from '../tensor/creation.js';
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
import {
  checkBoolean,
  checkInRange,
  checkNonNegativeNumber,
  checkOptionKeys,
  fusePerParameter,
} from './util.js';

export interface ScaleByAdamOptions {
  beta1?: number;
  beta2?: number;
  eps?: number;
  amsgrad?: boolean;
}

export type AdamState = {
  /** Steps taken, t. */
  count: number;
  /** First moments m per parameter. */
  mu: Tensor[];
  /** Second moments v per parameter. */
  nu: Tensor[];
  /** AMSGrad's running maximum of v (null without AMSGrad). */
  nuMax: Tensor[] | null;
};

/** Checks Adam-family hyper-parameters with PyTorch's bounds, naming the optimiser. */
export function checkBetas(where: string, beta1: number, beta2: number, eps: number): void {
  checkInRange(where, 'beta1', beta1, 0, 1);
  checkInRange(where, 'beta2', beta2, 0, 1);
  checkNonNegativeNumber(where, 'eps', eps);
}

/** u = m̂ / (√v̂ + ε) with Adam's moments (AMSGrad's maximum with `amsgrad`). */
export function scaleByAdam(options: ScaleByAdamOptions = {}): GradientTransformation<AdamState> {
  const where = 'scaleByAdam';
  checkOptionKeys(where, options, ['beta1', 'beta2', 'eps', 'amsgrad']);
  const { beta1 = 0.9, beta2 = 0.999, eps = 1e-8 } = options;
  checkBetas(where, beta1, beta2, eps);
  const amsgrad = checkBoolean(where, 'amsgrad', options.amsgrad ?? false);
  return {
    init: (params) => ({
      count: 0,
      mu: params.map((p) => zerosLike(p)),
      nu: params.map((p) => zerosLike(p)),
      nuMax: amsgrad ? params.map((p) => zerosLike(p)) : null,
    }),
    update(grads, state) {
      const t = state.count + 1;
      const correction1 = 1 - beta1 ** t;
      const sqrtCorrection2 = Math.sqrt(1 - beta2 ** t);
      const lists = [grads, state.mu, state.nu, ...(state.nuMax ? [state.nuMax] : [])];
      // One pass over memory per parameter (ops/fused.ts), the rule as written above.
      const [mu, nu, updates, nuMax = null] = fusePerParameter(lists, (g, m, v, vMax) => {
        const m1 = m.mul(beta1).add(g.mul(1 - beta1));
        const v1 = v.mul(beta2).add(g.mul(g).mul(1 - beta2));
        const vUsed = vMax ? vMax.maximum(v1) : v1;
        const u = m1.div(vUsed.sqrt().div(sqrtCorrection2).add(eps)).div(correction1);
        return vMax ? [m1, v1, u, vUsed] : [m1, v1, u];
      });
      return { updates, state: { count: t, mu, nu, nuMax } };
    },
  };
}

export interface AdamOptions extends ScaleByAdamOptions {
  /** η (default 0.001). */
  lr?: ScheduleLike;
  /** Coupled L2: λw added to ∇C before the moments (default 0). */
  weightDecay?: number;
}

export const ADAM_OPTIONS = ['lr', 'beta1', 'beta2', 'eps', 'weightDecay', 'amsgrad'] as const;

export function adam(options: AdamOptions = {}, where = 'adam'): GradientTransformation<OptState[]> {
  checkOptionKeys(where, options, ADAM_OPTIONS);
  const lr = asSchedule(where, options.lr ?? 1e-3);
  const { beta1 = 0.9, beta2 = 0.999, eps = 1e-8 } = options;
  checkBetas(where, beta1, beta2, eps);
  const weightDecay = checkNonNegativeNumber(where, 'weight decay', options.weightDecay ?? 0);
  const amsgrad = checkBoolean(where, 'amsgrad', options.amsgrad ?? false);
  return chain(
    erase(addDecayedWeights(weightDecay)),
    erase(scaleByAdam({ beta1, beta2, eps, amsgrad })),
    erase(scaleByLearningRate(lr)),
  );
}

/** AMSGrad: Adam with the running maximum of the second moment (adam({ amsgrad: true })). */
export function amsgrad(options: Omit<AdamOptions, 'amsgrad'> = {}): GradientTransformation<OptState[]> {
  checkOptionKeys(
    'amsgrad',
    options,
    ADAM_OPTIONS.filter((k) => k !== 'amsgrad'),
  );
  return adam({ ...options, amsgrad: true }, 'amsgrad');
}

/**
 * Nadam (Dozat 2016): Adam with Nesterov momentum — the first-moment term looks one step
 * ahead, using next step's momentum coefficient.
 *
 *   μₜ = β₁ (1 − ½ · 0.96^(t ψ))                momentum schedule (ψ: momentum decay, 0.004)
 *   Πₜ = μ₁ μ₂ ⋯ μₜ
 *   m ← β₁ m + (1 − β₁) ∇C
 *   v ← β₂ v + (1 − β₂) ∇C ⊙ ∇C;   v̂ = v / (1 − β₂ᵗ)
 *   w ← w − η [ (1 − μₜ)/(1 − Πₜ) · ∇C + μₜ₊₁/(1 − Πₜ₊₁) · m ] / (√v̂ + ε)
 *
 * This is torch.optim.NAdam as of PyTorch 2.0 and Dozat's paper (weight_decay λ adds λw to
 * ∇C first). PyTorch 1.13 computed Πₜ₊₁ as Πₜ·μₜ·μₜ₊₁ — μₜ twice — which 2.0 fixed;
 * `pytorch113: true` reproduces that for comparisons with 1.13 (the fixtures test both).
 * As blocks: chain(addDecayedWeights(λ), scaleByNadam(β₁, β₂, ε, ψ), scaleByLearningRate(η)).
 */
import { zerosLike } from '../tensor/creation.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkBetas } from './adam.js';
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
import { checkBoolean, checkNonNegativeNumber, checkOptionKeys, fusePerParameter } from './util.js';

export interface ScaleByNadamOptions {
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** ψ in μₜ = β₁(1 − ½·0.96^(tψ)) (default 0.004). */
  momentumDecay?: number;
  /** Reproduce PyTorch 1.13's Πₜ₊₁ = Πₜ·μₜ·μₜ₊₁ (default false). */
  pytorch113?: boolean;
}

export type NadamState = { count: number; muProduct: number; mu: Tensor[]; nu: Tensor[] };

export function scaleByNadam(options: ScaleByNadamOptions = {}): GradientTransformation<NadamState> {
  const where = 'scaleByNadam';
  checkOptionKeys(where, options, ['beta1', 'beta2', 'eps', 'momentumDecay', 'pytorch113']);
  const { beta1 = 0.9, beta2 = 0.999, eps = 1e-8 } = options;
  checkBetas(where, beta1, beta2, eps);
  const psi = checkNonNegativeNumber(where, 'momentum decay', options.momentumDecay ?? 4e-3);
  const legacy = checkBoolean(where, 'pytorch113', options.pytorch113 ?? false);
  const momentumAt = (t: number) => beta1 * (1 - 0.5 * 0.96 ** (t * psi));
  return {
    init: (params) => ({
      count: 0,
      muProduct: 1,
      mu: params.map((p) => zerosLike(p)),
      nu: params.map((p) => zerosLike(p)),
    }),
    update(grads, state) {
      const t = state.count + 1;
      const muT = momentumAt(t);
      const muNext = momentumAt(t + 1);
      const muProduct = state.muProduct * muT;
      const muProductNext = legacy ? muProduct * muT * muNext : muProduct * muNext;
      const gradCoefficient = (1 - muT) / (1 - muProduct);
      const momentCoefficient = muNext / (1 - muProductNext);
      const correction2 = 1 - beta2 ** t;
      const [mu, nu, updates] = fusePerParameter([grads, state.mu, state.nu], (g, m, v) => {
        const m1 = m.mul(beta1).add(g.mul(1 - beta1));
        const v1 = v.mul(beta2).add(g.mul(g).mul(1 - beta2));
        const denominator = v1.div(correction2).sqrt().add(eps);
        const u = g.div(denominator).mul(gradCoefficient).add(m1.div(denominator).mul(momentCoefficient));
        return [m1, v1, u];
      });
      return { updates, state: { count: t, muProduct, mu, nu } };
    },
  };
}

export interface NadamOptions extends ScaleByNadamOptions {
  /** η (default 0.002, as PyTorch). */
  lr?: ScheduleLike;
  weightDecay?: number;
}

export function nadam(options: NadamOptions = {}): GradientTransformation<OptState[]> {
  const where = 'nadam';
  checkOptionKeys(where, options, [
    'lr',
    'beta1',
    'beta2',
    'eps',
    'momentumDecay',
    'weightDecay',
    'pytorch113',
  ]);
  const lr = asSchedule(where, options.lr ?? 2e-3);
  const { beta1 = 0.9, beta2 = 0.999, eps = 1e-8 } = options;
  checkBetas(where, beta1, beta2, eps);
  const weightDecay = checkNonNegativeNumber(where, 'weight decay', options.weightDecay ?? 0);
  const momentumDecay = checkNonNegativeNumber(where, 'momentum decay', options.momentumDecay ?? 4e-3);
  const pytorch113 = checkBoolean(where, 'pytorch113', options.pytorch113 ?? false);
  return chain(
    erase(addDecayedWeights(weightDecay)),
    erase(scaleByNadam({ beta1, beta2, eps, momentumDecay, pytorch113 })),
    erase(scaleByLearningRate(lr)),
  );
}

/**
 * RMSProp: divide the gradient by a running root-mean-square of its recent values.
 *
 *   s ← α s + (1 − α) ∇C ⊙ ∇C                (s₀ = 0; α the decay, ρ in some texts)
 *   w ← w − η ∇C / (√s + ε)
 *
 * Centred (Graves 2013): also track the mean gradient and divide by the standard deviation,
 *
 *   m ← α m + (1 − α) ∇C
 *   w ← w − η ∇C / (√(s − m ⊙ m) + ε)
 *
 * With momentum μ (PyTorch's option), the normalised gradient feeds a velocity:
 *
 *   b ← μ b + ∇C / (√s + ε);   w ← w − η b
 *
 * This is torch.optim.RMSprop exactly (ε outside the square root; weight_decay λ adds λw
 * to ∇C first). Texts that write √(s + ε) differ only by how tiny s is treated.
 * As blocks: chain(addDecayedWeights(λ), scaleByRms(α, ε, centred), trace(μ), scaleByLearningRate(η)).
 */
import { zerosLike } from '../tensor/creation.js';
import type { Tensor } from '../tensor/tensor.js';
import { trace } from './momentum.js';
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

export type RmsState = { meanSquare: Tensor[]; meanGrad: Tensor[] | null };

/** s ← αs + (1 − α)g²; u = g / (√s + ε), or centred: u = g / (√(s − m²) + ε). */
export function scaleByRms(
  options: { alpha?: number; eps?: number; centered?: boolean } = {},
): GradientTransformation<RmsState> {
  const where = 'scaleByRms';
  checkOptionKeys(where, options, ['alpha', 'eps', 'centered']);
  const alpha = checkInRange(where, 'alpha', options.alpha ?? 0.99, 0, 1);
  const eps = checkNonNegativeNumber(where, 'eps', options.eps ?? 1e-8);
  const centered = checkBoolean(where, 'centered', options.centered ?? false);
  return {
    init: (params) => ({
      meanSquare: params.map((p) => zerosLike(p)),
      meanGrad: centered ? params.map((p) => zerosLike(p)) : null,
    }),
    update(grads, state) {
      const lists = [grads, state.meanSquare, ...(state.meanGrad ? [state.meanGrad] : [])];
      const [meanSquare, updates, meanGrad = null] = fusePerParameter(lists, (g, s, m) => {
        const s1 = s.mul(alpha).add(g.mul(g).mul(1 - alpha));
        const m1 = m?.mul(alpha).add(g.mul(1 - alpha));
        const variance = m1 ? s1.sub(m1.mul(m1)) : s1;
        const u = g.div(variance.sqrt().add(eps));
        return m1 ? [s1, u, m1] : [s1, u];
      });
      return { updates, state: { meanSquare, meanGrad } };
    },
  };
}

export interface RmspropOptions {
  /** η (default 0.01, as PyTorch). */
  lr?: ScheduleLike;
  /** The decay α of the mean square (default 0.99, as PyTorch; Keras's rho = 0.9). */
  alpha?: number;
  eps?: number;
  weightDecay?: number;
  /** Momentum μ on the normalised gradient (default 0). */
  momentum?: number;
  centered?: boolean;
}

export function rmsprop(options: RmspropOptions = {}): GradientTransformation<OptState[]> {
  const where = 'rmsprop';
  checkOptionKeys(where, options, ['lr', 'alpha', 'eps', 'weightDecay', 'momentum', 'centered']);
  const lr = asSchedule(where, options.lr ?? 0.01);
  const alpha = checkInRange(where, 'alpha', options.alpha ?? 0.99, 0, 1);
  const eps = checkNonNegativeNumber(where, 'eps', options.eps ?? 1e-8);
  const weightDecay = checkNonNegativeNumber(where, 'weight decay', options.weightDecay ?? 0);
  const mu = checkInRange(where, 'momentum', options.momentum ?? 0, 0, 1);
  const centered = checkBoolean(where, 'centered', options.centered ?? false);
  const blocks = [erase(addDecayedWeights(weightDecay)), erase(scaleByRms({ alpha, eps, centered }))];
  if (mu > 0) blocks.push(erase(trace({ decay: mu })));
  blocks.push(erase(scaleByLearningRate(lr)));
  return chain(...blocks);
}

/**
 * Adadelta (Zeiler 2012): RMSProp with the learning rate replaced by a running RMS of the
 * past updates, so the step has the units of w.
 *
 *   s ← ρ s + (1 − ρ) ∇C ⊙ ∇C
 *   Δw = −(√(a + ε) / √(s + ε)) ⊙ ∇C
 *   a ← ρ a + (1 − ρ) Δw ⊙ Δw
 *   w ← w + η Δw
 *
 * Zeiler's rule has no η (η = 1, PyTorch's default). PyTorch (torch.optim.Adadelta) is this
 * exactly, with ε inside both roots and weight_decay λ adding λw to ∇C first.
 * As blocks: chain(addDecayedWeights(λ), scaleByAdadelta(ρ, ε), scaleByLearningRate(η)).
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
import { checkInRange, checkNonNegativeNumber, checkOptionKeys, fusePerParameter } from './util.js';

export type AdadeltaState = { meanSquare: Tensor[]; meanSquareDelta: Tensor[] };

/** s ← ρs + (1 − ρ)g²;  u = √(a + ε)/√(s + ε) ⊙ g;  a ← ρa + (1 − ρ)u². */
export function scaleByAdadelta(
  options: { rho?: number; eps?: number } = {},
): GradientTransformation<AdadeltaState> {
  const where = 'scaleByAdadelta';
  checkOptionKeys(where, options, ['rho', 'eps']);
  const rho = checkInRange(where, 'rho', options.rho ?? 0.9, 0, 1, { hi: 'closed' });
  const eps = checkNonNegativeNumber(where, 'eps', options.eps ?? 1e-6);
  return {
    init: (params) => ({
      meanSquare: params.map((p) => zerosLike(p)),
      meanSquareDelta: params.map((p) => zerosLike(p)),
    }),
    update(grads, state) {
      const lists = [grads, state.meanSquare, state.meanSquareDelta];
      const [meanSquare, updates, meanSquareDelta] = fusePerParameter(lists, (g, s, d) => {
        const s1 = s.mul(rho).add(g.mul(g).mul(1 - rho));
        const u = d.add(eps).sqrt().div(s1.add(eps).sqrt()).mul(g);
        return [s1, u, d.mul(rho).add(u.mul(u).mul(1 - rho))];
      });
      return { updates, state: { meanSquare, meanSquareDelta } };
    },
  };
}

export interface AdadeltaOptions {
  /** η, a multiplier of Zeiler's step (default 1, as PyTorch). */
  lr?: ScheduleLike;
  /** The decay ρ (default 0.9). */
  rho?: number;
  eps?: number;
  weightDecay?: number;
}

export function adadelta(options: AdadeltaOptions = {}): GradientTransformation<OptState[]> {
  const where = 'adadelta';
  checkOptionKeys(where, options, ['lr', 'rho', 'eps', 'weightDecay']);
  const lr = asSchedule(where, options.lr ?? 1);
  const rho = checkInRange(where, 'rho', options.rho ?? 0.9, 0, 1, { hi: 'closed' });
  const eps = checkNonNegativeNumber(where, 'eps', options.eps ?? 1e-6);
  const weightDecay = checkNonNegativeNumber(where, 'weight decay', options.weightDecay ?? 0);
  return chain(
    erase(addDecayedWeights(weightDecay)),
    erase(scaleByAdadelta({ rho, eps })),
    erase(scaleByLearningRate(lr)),
  );
}

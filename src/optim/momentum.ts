/**
 * Momentum, in the lecture's form and in PyTorch's.
 *
 * Lecture (velocity v, momentum coefficient α, learning rate η; v₀ = 0):
 *
 *   v ← α v − η ∇C(w)
 *   w ← w + v
 *
 * PyTorch (torch.optim.SGD with momentum μ and dampening τ; buffer b, b = ∇C on the first step):
 *
 *   b ← μ b + (1 − τ) ∇C(w)
 *   w ← w − η b
 *
 * Mapping: with τ = 0, α = μ and a constant η the two are the same iteration, with
 * v = −η b (test/optim/momentum.test.ts checks it). They part when η changes with a
 * schedule: the lecture's v keeps each past step's η inside it, PyTorch multiplies the whole
 * buffer by today's η. With dampening, PyTorch's b is the lecture's velocity for a learning
 * rate η(1 − τ), except on the first step, where PyTorch takes b = ∇C undamped.
 *
 * As blocks, both are a velocity (`trace`) and a learning rate (`scaleByLearningRate`) in
 * different orders: the lecture's is chain(scaleByLearningRate(η), trace(α)) — the
 * velocity accumulates −η∇C — and PyTorch's chain(trace(μ, τ), scaleByLearningRate(η)) —
 * it accumulates ∇C.
 */
import { ConfigError } from '../errors.js';
import { zerosLike } from '../tensor/creation.js';
import type { Tensor } from '../tensor/tensor.js';
import { scaleByLearningRate } from './scale.js';
import { chain, erase, type GradientTransformation, type OptState, type ScheduleLike } from './transform.js';
import { checkBoolean, checkInRange, checkOptionKeys, fusePerParameter } from './util.js';

export interface TraceOptions {
  /** The momentum coefficient μ (α in the lectures), in [0, 1). */
  decay: number;
  /** PyTorch's dampening τ ∈ [0, 1] (default 0): the new gradient enters the buffer as (1 − τ)g. */
  dampening?: number;
  /** Output g + μb instead of b: PyTorch's Nesterov reformulation (see nesterov.ts). */
  nesterov?: boolean;
}

export type TraceState = {
  count: number;
  /** The velocity (momentum buffer) b per parameter. */
  velocity: Tensor[];
};

/**
 * The velocity block: b ← μ b + (1 − τ) g (b = g on the first step), output b, or
 * g + μ b with `nesterov`. Its input g is whatever precedes it in the chain.
 */
export function trace(options: TraceOptions): GradientTransformation<TraceState> {
  const where = 'trace';
  checkOptionKeys(where, options, ['decay', 'dampening', 'nesterov']);
  const mu = checkInRange(where, 'momentum', options.decay, 0, 1);
  const dampening = checkInRange(where, 'dampening', options.dampening ?? 0, 0, 1, { hi: 'closed' });
  const nesterov = checkBoolean(where, 'nesterov', options.nesterov ?? false);
  if (nesterov && (mu <= 0 || dampening !== 0)) {
    throw new ConfigError(
      `${where}: Nesterov momentum requires a momentum > 0 and zero dampening, got momentum ${mu} and dampening ${dampening}.`,
    );
  }
  return {
    init: (params) => ({ count: 0, velocity: params.map((p) => zerosLike(p)) }),
    update(grads, state) {
      // PyTorch starts the buffer at the first gradient itself, undamped.
      const first = state.count === 0;
      const [velocity, updates = velocity] = fusePerParameter([grads, state.velocity], (g, v) => {
        const v1 = first ? g.mul(1) : v.mul(mu).add(dampening === 0 ? g : g.mul(1 - dampening));
        return nesterov ? [v1, g.add(v1.mul(mu))] : [v1];
      });
      return { updates, state: { count: state.count + 1, velocity } };
    },
  };
}

export interface MomentumOptions {
  /** The learning rate η, or a schedule (default 0.01). */
  lr?: ScheduleLike;
  /** The momentum coefficient α (default 0.9). */
  momentum?: number;
}

/** The lecture's momentum: v ← αv − η∇C; w ← w + v, i.e. chain(scaleByLearningRate(η), trace(α)). */
export function momentum(options: MomentumOptions = {}): GradientTransformation<OptState[]> {
  checkOptionKeys('momentum', options, ['lr', 'momentum']);
  const alpha = checkInRange('momentum', 'momentum', options.momentum ?? 0.9, 0, 1);
  return chain(erase(scaleByLearningRate(options.lr ?? 0.01)), erase(trace({ decay: alpha })));
}

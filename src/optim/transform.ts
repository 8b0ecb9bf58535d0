/**
 * The optimiser contract: a gradient transformation is a pair of pure functions
 * (after optax),
 *
 *   init(θ)              → state
 *   update(g, state, θ)  → { updates u, state′ }      and then   θ ← θ + u
 *
 * where g, θ and u are lists of tensors, one per parameter. Transformations compose
 * with `chain`: each one's updates are the next one's gradients, so
 * `chain(clipByGlobalNorm(5), scaleByAdam(), scaleByLearningRate(1e-3))` is Adam with
 * clipping. Named optimisers (sgd, adam, …) are short aliases over such chains.
 *
 * State is a plain object (numbers, arrays, tensors), so every velocity and moment is
 * readable per parameter — by the lab, by checkpoints — and the stateful `Optimizer`
 * wrapper can tell which tensors to keep and which to free between steps.
 */
import type { Tensor } from '../tensor/tensor.js';
import { ConfigError } from '../errors.js';

/** Optimiser state: anything built from numbers, tensors, arrays and plain objects. */
export type OptState = number | boolean | null | Tensor | readonly OptState[] | { readonly [key: string]: OptState };

export interface UpdateResult<S extends OptState = OptState> {
  updates: Tensor[];
  state: S;
}

export interface GradientTransformation<S extends OptState = OptState> {
  init(params: readonly Tensor[]): S;
  update(grads: readonly Tensor[], state: S, params: readonly Tensor[]): UpdateResult<S>;
}

/** A learning rate (or any hyper-parameter) as a function of the step count t = 0, 1, 2, … */
export type Schedule = (step: number) => number;

/** A number or a schedule. */
export type ScheduleLike = number | Schedule;

export function asSchedule(where: string, value: ScheduleLike): Schedule {
  if (typeof value === 'function') return value;
  if (!Number.isFinite(value) || value <= 0) {
    throw new ConfigError(`${where}: learning rate must be a positive number or a schedule, got ${value}.`);
  }
  return () => value;
}

/** Applies transformations in order, each one's updates feeding the next as gradients. */
export function chain(...transforms: GradientTransformation<OptState>[]): GradientTransformation<OptState[]> {
  return {
    init: (params) => transforms.map((t) => t.init(params)),
    update(grads, state, params) {
      let updates: readonly Tensor[] = grads;
      const next: OptState[] = [];
      transforms.forEach((t, i) => {
        const result = t.update(updates, state[i], params);
        updates = result.updates;
        next.push(result.state);
      });
      return { updates: [...updates], state: next };
    },
  };
}

/** The tensors inside a state value, in a stable order (for checkpoints and disposal). */
export function stateTensors(state: OptState, into: Tensor[] = []): Tensor[] {
  if (state === null || typeof state !== 'object') return into;
  if (Array.isArray(state)) {
    for (const s of state) stateTensors(s, into);
  } else if ('shape' in state && 'dtype' in state && 'storage' in state) {
    into.push(state as Tensor);
  } else {
    for (const s of Object.values(state as Record<string, OptState>)) stateTensors(s, into);
  }
  return into;
}

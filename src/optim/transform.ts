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
import { noGrad } from '../autograd/tape.js';

/** Optimiser state: anything built from numbers, tensors, arrays and plain objects. */
export type OptState =
  number | boolean | null | Tensor | readonly OptState[] | { readonly [key: string]: OptState };

export interface UpdateResult<S extends OptState = OptState> {
  updates: Tensor[];
  state: S;
}

/** The loss and gradients at one point, from a closure call. */
export interface Evaluation {
  loss: number;
  /** ∇C at that point, one tensor per parameter (fresh copies, owned by the caller's scope). */
  grads: Tensor[];
}

/**
 * What a step that was given a closure (`optimizer.step(closure)`, as torch.optim.LBFGS)
 * offers the transforms: the loss at θ and a way to evaluate C and ∇C elsewhere.
 * Second-order methods (Newton, L-BFGS with a line search) and the lecture's look-ahead
 * Nesterov need it; every other transform ignores it.
 */
export interface StepContext {
  /** C(θ) from the step's first closure call (whose gradients are the `grads` given to update). */
  readonly loss: number;
  /**
   * C and ∇C at θ + d (at θ itself when `offsets` is omitted). The parameters are moved in
   * place for the closure and restored exactly afterwards, so θ is unchanged on return.
   */
  evaluate(offsets?: readonly Tensor[]): Evaluation;
}

export interface GradientTransformation<S extends OptState = OptState> {
  init(params: readonly Tensor[]): S;
  /**
   * `context` is present only when the step was given a closure. Transforms that cannot
   * work without it set `needsClosure`, and the stateful Optimizer refuses a plain step().
   */
  update(
    grads: readonly Tensor[],
    state: S,
    params: readonly Tensor[],
    context?: StepContext,
  ): UpdateResult<S>;
  /** True for transforms that cannot step without `context.evaluate` (Newton, L-BFGS with a line search). */
  readonly needsClosure?: boolean;
  /** True for transforms that use `context` when a closure is given but also step without (L-BFGS's fixed step). */
  readonly acceptsClosure?: boolean;
}

/** Whether a transform calls the closure when it has one (so it must run with gradients enabled). */
export function usesClosure(t: {
  readonly needsClosure?: boolean;
  readonly acceptsClosure?: boolean;
}): boolean {
  return t.needsClosure === true || t.acceptsClosure === true;
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

/**
 * Applies transformations in order, each one's updates feeding the next as gradients.
 * The chain needs (or accepts) a closure if any member does; members that do not use it
 * are run under noGrad, so that arithmetic on the parameters (weight decay) never records
 * on the tape while a closure-driven step has gradients enabled.
 */
export function chain(...transforms: GradientTransformation<OptState>[]): GradientTransformation<OptState[]> {
  return {
    needsClosure: transforms.some((t) => t.needsClosure === true),
    acceptsClosure: transforms.some((t) => t.acceptsClosure === true),
    init: (params) => transforms.map((t) => t.init(params)),
    update(grads, state, params, context) {
      let updates: readonly Tensor[] = grads;
      const next: OptState[] = [];
      transforms.forEach((t, i) => {
        const run = () => t.update(updates, state[i], params, context);
        const result = context && usesClosure(t) ? run() : noGrad(run);
        updates = result.updates;
        next.push(result.state);
      });
      return { updates: [...updates], state: next };
    },
  };
}

/** Forgets a transformation's state type, for registries and chains. */
export function erase<S extends OptState>(t: GradientTransformation<S>): GradientTransformation<OptState> {
  return t as unknown as GradientTransformation<OptState>;
}

/** The transformation that passes gradients through unchanged (a neutral chain member). */
export function identity(): GradientTransformation<null> {
  return { init: () => null, update: (grads) => ({ updates: [...grads], state: null }) };
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

/**
 * The per-parameter tensors of a state: every list of tensors with one entry per
 * parameter and the parameters' shapes (velocities, first and second moments, step
 * sizes…), keyed by parameter name and then by the list's path in the state
 * ('1.mu' is the `mu` list of the chain's second member). For the lab and checkpoints.
 */
export function perParameterState(
  state: OptState,
  params: readonly Tensor[],
): Record<string, Record<string, Tensor>> {
  const out: Record<string, Record<string, Tensor>> = {};
  const names = params.map((p, i) => p.name ?? `param${i}`);
  for (const n of names) out[n] = {};
  const isTensorValue = (v: OptState): v is Tensor =>
    v !== null &&
    typeof v === 'object' &&
    !Array.isArray(v) &&
    'shape' in v &&
    'dtype' in v &&
    'storage' in v;
  const visit = (value: OptState, path: string): void => {
    if (value === null || typeof value !== 'object' || isTensorValue(value)) return;
    if (Array.isArray(value)) {
      const list = value as readonly OptState[];
      const perParam =
        list.length === params.length &&
        list.length > 0 &&
        list.every(
          (v, i) =>
            isTensorValue(v) &&
            v.shape.length === params[i].shape.length &&
            v.shape.every((d, k) => d === params[i].shape[k]),
        );
      if (perParam) {
        list.forEach((v, i) => (out[names[i]][path] = v as Tensor));
      } else {
        list.forEach((v, i) => visit(v, path === '' ? String(i) : `${path}.${i}`));
      }
      return;
    }
    for (const [k, v] of Object.entries(value as Record<string, OptState>))
      visit(v, path === '' ? k : `${path}.${k}`);
  };
  visit(state, '');
  return out;
}

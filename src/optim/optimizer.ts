/**
 * The familiar stateful optimiser over the pure transforms:
 *
 *   const opt = new Optimizer(sgd({ lr: 0.1 }), model.parameters());
 *   opt.zeroGrad(); loss.backward(); opt.step();
 *
 * `step()` reads each parameter's `.grad`, runs the transform, applies θ ← θ + u in
 * place (the parameter tensors stay the same objects), keeps the new state and frees
 * the old.
 *
 * Methods that need the loss again (Newton, L-BFGS with a line search, the look-ahead
 * Nesterov) take a closure, as torch.optim.LBFGS does:
 *
 *   opt.step(() => { opt.zeroGrad(); const loss = lossOf(model); loss.backward(); return loss; });
 *
 * The closure is called once at θ (its gradients are the step's ∇C, its value is
 * returned), and the transform may call it again through `context.evaluate(d)`, which
 * moves θ to θ + d for the call and restores it exactly afterwards. Any optimiser accepts a
 * closure; those with `needsClosure` require one, and those with `acceptsClosure` (L-BFGS
 * without a line search) do more with one (several iterations per step).
 *
 * `lrScale` changes the learning rate while training runs (reduce-on-plateau, a user's
 * own rule): each step applies θ ← θ + s·u. Every named optimiser ends its chain with the
 * learning rate (u = −η·…), so s·u is the step with η replaced by s·η — what PyTorch does
 * when a scheduler edits `param_group['lr']`; where η sits inside a velocity (the lectures'
 * momentum), the scale applies to the whole step.
 */
import { ConfigError, DescentError, FormatError } from '../errors.js';
import { isGradEnabled, noGrad } from '../autograd/tape.js';
import { dispose, keep, tidy } from '../tensor/scope.js';
import { formatShape, sameShape } from '../tensor/shape.js';
import { copyValues, isCount, stateValue, type StateDict, type StateValue } from '../tensor/state.js';
import { isTensor, type Tensor } from '../tensor/tensor.js';
import { zerosLike } from '../tensor/creation.js';
import { mul } from '../ops/arithmetic.js';
import {
  perParameterState,
  stateTensors,
  usesClosure,
  type Evaluation,
  type GradientTransformation,
  type OptState,
  type StepContext,
} from './transform.js';
import { copyTensor } from './util.js';

/** Recomputes the loss and its gradients (zeroGrad, forward, backward) and returns the loss. */
export type Closure = () => Tensor | number;

/** `saved` checked against `current` (same structure and tensor shapes), its tensors copied into new ones. */
function matchState(
  where: string,
  saved: unknown,
  current: OptState,
  path: string,
  made: Tensor[],
): OptState {
  const mismatch = (expected: string): never => {
    const got = isTensor(saved)
      ? `a tensor ${formatShape(saved.shape)}`
      : Array.isArray(saved)
        ? `a list of ${saved.length}`
        : (JSON.stringify(saved) ?? String(saved)).slice(0, 60);
    throw new FormatError(
      `${where}: ${path}: the saved state holds ${got}, the optimiser has ${expected} ` +
        '(was it saved with a different optimiser or model?).',
    );
  };
  if (current === null) return saved === null ? null : mismatch('null');
  if (typeof current === 'boolean') return typeof saved === 'boolean' ? saved : mismatch('a boolean');
  if (typeof current === 'number') return typeof saved === 'number' ? saved : mismatch('a number');
  if (isTensor(current)) {
    if (!isTensor(saved) || !sameShape(saved.shape, current.shape))
      return mismatch(`a tensor ${formatShape(current.shape)}`);
    const copy = zerosLike(current);
    made.push(copy);
    copyValues(saved, copy);
    return copy;
  }
  if (Array.isArray(current)) {
    if (!Array.isArray(saved) || saved.length !== current.length)
      return mismatch(`a list of ${current.length}`);
    return current.map((c: OptState, i: number) => matchState(where, saved[i], c, `${path}[${i}]`, made));
  }
  const object = current as Record<string, OptState>;
  const keys = Object.keys(object);
  if (
    typeof saved !== 'object' ||
    saved === null ||
    Array.isArray(saved) ||
    isTensor(saved) ||
    Object.keys(saved).length !== keys.length ||
    !keys.every((k) => Object.hasOwn(saved, k))
  )
    return mismatch(`an object with keys ${keys.join(', ') || '(none)'}`);
  const out: Record<string, OptState> = {};
  for (const k of keys)
    out[k] = matchState(where, (saved as Record<string, unknown>)[k], object[k], `${path}.${k}`, made);
  return out;
}

export class Optimizer {
  private params: Tensor[] = [];
  private stateValue: OptState = null;
  /** Number of completed steps. */
  steps = 0;
  /** Closure calls made by the last step (1 + the transform's evaluations; 0 without a closure). */
  lastEvaluations = 0;
  /** The base learning rate η₀ when known (informational: for callbacks that speak of absolute rates). */
  baseLr?: number;
  private scaleValue = 1;

  constructor(
    readonly transform: GradientTransformation<OptState>,
    params?: readonly Tensor[],
  ) {
    if (params) this.attach(params);
  }

  /**
   * Binds the optimiser to a list of parameters (done lazily by Model.fit). Frozen ones
   * (`requiresGrad` false, e.g. of a layer with `trainable = false`) are left out: they are
   * never changed and have no state, as in PyTorch.
   */
  attach(params: readonly Tensor[]): void {
    if (params.length === 0) {
      throw new ConfigError(
        'Optimizer: no parameters to optimise. If the model builds lazily, give the first layer its input size ' +
          '(e.g. dense({ units, inFeatures })) or call model.buildFor(inputShape) first.',
      );
    }
    const trained = params.filter((p) => p.requiresGrad);
    if (trained.length === 0)
      throw new ConfigError(
        `Optimizer: all ${params.length} parameters are frozen (requiresGrad false, or trainable = false); nothing to optimise.`,
      );
    dispose(stateTensors(this.stateValue));
    this.params = trained;
    this.stateValue = tidy(() => this.transform.init(this.params));
    for (const t of stateTensors(this.stateValue)) keep(t);
    this.steps = 0;
  }

  get parameters(): readonly Tensor[] {
    return this.params;
  }

  /** A factor on every update, i.e. on the learning rate (default 1); see the top of this file. */
  get lrScale(): number {
    return this.scaleValue;
  }

  set lrScale(value: number) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new ConfigError(`Optimizer.lrScale must be a finite number ≥ 0, got ${String(value)}.`);
    }
    this.scaleValue = value;
  }

  /** The learning rate in effect, baseLr × lrScale (undefined when the base rate is not known). */
  get lr(): number | undefined {
    return this.baseLr === undefined ? undefined : this.baseLr * this.scaleValue;
  }

  /** The transform's state (velocities, moments, step counts), per parameter. */
  get state(): OptState {
    return this.stateValue;
  }

  /** Replaces the state (a checkpoint's): its tensors are kept, the old state's others freed. */
  setState(state: OptState): void {
    const fresh = new Set(stateTensors(state));
    for (const t of stateTensors(this.stateValue)) if (!fresh.has(t)) t.dispose();
    for (const t of fresh) keep(t);
    this.stateValue = state;
  }

  /**
   * The optimiser's state as a StateDict: the step count, the learning-rate scale and the
   * transform's state (its tensors are the optimiser's own: read them, do not free them).
   */
  stateDict(): StateDict {
    return { steps: this.steps, lrScale: this.scaleValue, state: this.stateValue as StateValue };
  }

  /**
   * Restores a stateDict (a copy of every tensor is made). The state must have the structure
   * and tensor shapes of this optimiser's own — otherwise it came from another optimiser or
   * model, and loading it would silently train something else; nothing changes then.
   */
  loadStateDict(state: StateDict): void {
    const where = 'Optimizer.loadStateDict';
    const steps = stateValue<number>(where, state, 'steps', isCount, 'an integer ≥ 0');
    const lrScale = stateValue<number>(
      where,
      state,
      'lrScale',
      (v) => typeof v === 'number' && Number.isFinite(v) && v >= 0,
      'a finite number ≥ 0',
    );
    const made: Tensor[] = [];
    try {
      const restored = matchState(where, state.state, this.stateValue, 'state', made);
      this.setState(restored);
    } catch (error) {
      dispose(made);
      throw error;
    }
    this.steps = steps;
    this.scaleValue = lrScale;
  }

  /** The state's per-parameter tensors, by parameter name: { 'dense_1.weight': { '1.mu': m, '1.nu': v } }. */
  parameterState(): Record<string, Record<string, Tensor>> {
    return perParameterState(this.stateValue, this.params);
  }

  /** Zeroes the accumulated gradients, keeping their buffers (no allocation per step). */
  zeroGrad(): void {
    for (const p of this.params) if (p.grad) p.backend.fill(p.grad.storage, p.dtype, p.size, 0);
  }

  /**
   * One optimisation step. Without a closure the gradients are the parameters' `.grad`;
   * with one, the closure computes them (and the loss, which is returned).
   */
  step(closure?: Closure): number | undefined {
    if (this.params.length === 0) throw new ConfigError('Optimizer.step(): no parameters attached.');
    const needsClosure = this.transform.needsClosure === true;
    if (needsClosure && closure === undefined) {
      throw new ConfigError(
        'Optimizer.step(): this optimiser evaluates the loss more than once per step (Newton, L-BFGS with a line search, ' +
          'look-ahead Nesterov); pass a closure that zeroes the gradients, computes the loss, calls backward() and returns ' +
          'the loss: opt.step(() => { opt.zeroGrad(); const loss = …; loss.backward(); return loss; }).',
      );
    }
    if (closure !== undefined && typeof closure !== 'function') {
      throw new ConfigError(
        `Optimizer.step(closure): the closure must be a function, got ${typeof closure}.`,
      );
    }
    let loss: number | undefined;
    this.lastEvaluations = 0;
    let origin: Tensor[] = [];
    let context: StepContext | undefined;
    // With a closure, transforms that use one get the context and run with gradients enabled.
    const withContext = closure !== undefined && usesClosure(this.transform);
    if (closure) {
      loss = this.callClosure(closure);
      if (withContext) {
        // θ as it is now, to restore exactly after each evaluation elsewhere.
        origin = noGrad(() => this.params.map((p) => keep(copyTensor(p))));
        const first = loss;
        context = { loss: first, evaluate: (offsets) => this.evaluateAt(closure, origin, offsets) };
      }
    }
    try {
      const inputs = this.params.map((p) => p.grad);
      const result = tidy(() => {
        // A transform that calls the closure must see gradients that the closure will not overwrite.
        const grads = this.params.map((p) =>
          p.grad ? (withContext ? copyTensor(p.grad) : p.grad) : zerosLike(p),
        );
        const run = () => this.transform.update(grads, this.stateValue, this.params, context);
        return withContext ? run() : noGrad(run);
      });
      noGrad(() => {
        result.updates.forEach((u, i) => {
          const p = this.params[i];
          // Frozen after attach: left as it is (its state entry stays until the next attach).
          if (!p.requiresGrad) return;
          if (!sameShape(u.shape, p.shape)) {
            throw new ConfigError(
              `Optimizer: update for ${p.name ?? `parameter ${i}`} is ${formatShape(u.shape)}, expected ${formatShape(p.shape)}.`,
            );
          }
          // θ ← θ + u (or θ + s·u), in place: the parameter tensor is the same object after the step.
          const scaled = this.scaleValue === 1 ? u : mul(u, this.scaleValue);
          p.backend.binary(
            'add',
            p.storage,
            p.shape,
            scaled.storage,
            scaled.shape,
            p.storage,
            p.shape,
            p.dtype,
          );
          if (scaled !== u) scaled.dispose();
        });
      });
      const fresh = new Set(stateTensors(result.state));
      // An update may be a state tensor (a velocity) or a gradient passed through: free only temporaries.
      const passedThrough = new Set(inputs);
      dispose(result.updates.filter((u) => !fresh.has(u) && !passedThrough.has(u) && !u.kept));
      for (const t of stateTensors(this.stateValue)) if (!fresh.has(t)) t.dispose();
      for (const t of fresh) keep(t);
      this.stateValue = result.state;
    } finally {
      dispose(origin);
    }
    this.steps++;
    return loss;
  }

  /** Calls the closure at the current θ and returns the loss as a number. */
  private callClosure(closure: Closure): number {
    if (!isGradEnabled()) {
      throw new DescentError(
        'Optimizer.step(closure): gradients are disabled here (inside noGrad?), so the closure cannot compute them; call step outside noGrad.',
      );
    }
    this.lastEvaluations++;
    return tidy(() => {
      const value = closure();
      if (typeof value === 'number') return value;
      if (!value || typeof value !== 'object' || !('size' in value) || value.size !== 1) {
        throw new ConfigError(
          'Optimizer.step(closure): the closure must return the loss (a one-element tensor or a number).',
        );
      }
      return value.item();
    });
  }

  /** C and ∇C at θ₀ + d, leaving θ = θ₀ afterwards. */
  private evaluateAt(closure: Closure, origin: readonly Tensor[], offsets?: readonly Tensor[]): Evaluation {
    if (offsets) {
      if (offsets.length !== this.params.length) {
        throw new ConfigError(
          `StepContext.evaluate: expected ${this.params.length} offsets (one per parameter), got ${offsets.length}.`,
        );
      }
      offsets.forEach((d, i) => {
        const p = this.params[i];
        if (!sameShape(d.shape, p.shape)) {
          throw new ConfigError(
            `StepContext.evaluate: offset for ${p.name ?? `parameter ${i}`} is ${formatShape(d.shape)}, expected ${formatShape(p.shape)}.`,
          );
        }
        p.backend.binary('add', origin[i].storage, p.shape, d.storage, d.shape, p.storage, p.shape, p.dtype);
      });
    }
    try {
      const loss = this.callClosure(closure);
      const grads = this.params.map((p) => (p.grad ? copyTensor(p.grad) : zerosLike(p)));
      return { loss, grads };
    } finally {
      if (offsets)
        this.params.forEach((p, i) => p.backend.cast(origin[i].storage, p.dtype, p.storage, p.dtype, p.size));
    }
  }

  dispose(): void {
    dispose(stateTensors(this.stateValue));
    this.stateValue = null;
  }
}

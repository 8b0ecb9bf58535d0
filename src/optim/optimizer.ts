/**
 * The familiar stateful optimiser over the pure transforms:
 *
 *   const opt = new Optimizer(sgd({ lr: 0.1 }), model.parameters());
 *   opt.zeroGrad(); loss.backward(); opt.step();
 *
 * `step()` reads each parameter's `.grad`, runs the transform, applies θ ← θ + u in
 * place (the parameter tensors stay the same objects), keeps the new state and frees
 * the old.
 */
import { ConfigError } from '../errors.js';
import { noGrad } from '../autograd/tape.js';
import { dispose, keep, tidy } from '../tensor/scope.js';
import { formatShape, sameShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { zerosLike } from '../tensor/creation.js';
import { stateTensors, type GradientTransformation, type OptState } from './transform.js';

export class Optimizer {
  private params: Tensor[] = [];
  private stateValue: OptState = null;
  /** Number of completed steps. */
  steps = 0;

  constructor(
    readonly transform: GradientTransformation<OptState>,
    params?: readonly Tensor[],
  ) {
    if (params) this.attach(params);
  }

  /** Binds the optimiser to a list of parameters (done lazily by Model.fit). */
  attach(params: readonly Tensor[]): void {
    if (params.length === 0) {
      throw new ConfigError(
        'Optimizer: no parameters to optimise. If the model builds lazily, give the first layer its input size ' +
          '(e.g. dense({ units, inFeatures })) or call model.buildFor(inputShape) first.',
      );
    }
    params.forEach((p, i) => {
      if (!p.requiresGrad) throw new ConfigError(`Optimizer: parameter ${p.name ?? i} does not require a gradient.`);
    });
    dispose(stateTensors(this.stateValue));
    this.params = [...params];
    this.stateValue = tidy(() => this.transform.init(this.params));
    for (const t of stateTensors(this.stateValue)) keep(t);
    this.steps = 0;
  }

  get parameters(): readonly Tensor[] {
    return this.params;
  }

  /** The transform's state (velocities, moments, step counts), per parameter. */
  get state(): OptState {
    return this.stateValue;
  }

  /** Zeroes the accumulated gradients, keeping their buffers (no allocation per step). */
  zeroGrad(): void {
    for (const p of this.params) if (p.grad) p.backend.fill(p.grad.storage, p.dtype, p.size, 0);
  }

  step(): void {
    if (this.params.length === 0) throw new ConfigError('Optimizer.step(): no parameters attached.');
    noGrad(() => {
      const result = tidy(() => {
        const grads = this.params.map((p) => p.grad ?? zerosLike(p));
        return this.transform.update(grads, this.stateValue, this.params);
      });
      result.updates.forEach((u, i) => {
        const p = this.params[i];
        if (!sameShape(u.shape, p.shape)) {
          throw new ConfigError(`Optimizer: update for ${p.name ?? `parameter ${i}`} is ${formatShape(u.shape)}, expected ${formatShape(p.shape)}.`);
        }
        // θ ← θ + u, in place: the parameter tensor is the same object after the step.
        p.backend.binary('add', p.storage, p.shape, u.storage, u.shape, p.storage, p.shape, p.dtype);
      });
      dispose(result.updates);
      const fresh = new Set(stateTensors(result.state));
      for (const t of stateTensors(this.stateValue)) if (!fresh.has(t)) t.dispose();
      for (const t of fresh) keep(t);
      this.stateValue = result.state;
    });
    this.steps++;
  }

  dispose(): void {
    dispose(stateTensors(this.stateValue));
    this.stateValue = null;
  }
}

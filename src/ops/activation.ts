/**
 * Activation functions — the units of the lectures — with their derivatives.
 *
 *   step(z)      = 1 if z ≥ 0 else 0       (the perceptron's unit)
 *   σ(z)         = 1 / (1 + e^−z)          σ′ = σ(1 − σ)
 *   tanh(z)                                 tanh′ = 1 − tanh²
 *   relu(z)      = max(0, z)               relu′ = [z > 0]
 *   leakyRelu(z) = z if z > 0 else αz
 *   prelu(z; α)  = z if z > 0 else αz, α learned (per channel or shared)
 *   elu(z)       = z if z > 0 else α(e^z − 1)
 *   softplus(z)  = ln(1 + e^z)             softplus′ = σ
 *   softmax(z)ᵢ  = e^zᵢ / Σⱼ e^zⱼ
 *
 * The step function's derivative is 0 wherever it exists (and undefined at 0), so
 * `step` passes back a zero gradient: backpropagation cannot train step units, which
 * is why the lectures move to sigmoids. Train step units with the perceptron rule.
 */
import { record } from '../autograd/tape.js';
import { ConfigError, ShapeError } from '../errors.js';
import { axisView, formatShape, normalizeAxis } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { add, minimum, mul, unary } from './arithmetic.js';
import { checkTensor, empty } from './util.js';

export const step = (x: Tensor): Tensor => unary('step', x);
export const sigmoid = (x: Tensor): Tensor => unary('sigmoid', x);
export const tanh = (x: Tensor): Tensor => unary('tanh', x);
export const relu = (x: Tensor): Tensor => unary('relu', x);
export const softplus = (x: Tensor): Tensor => unary('softplus', x);

export function leakyRelu(x: Tensor, alpha = 0.01): Tensor {
  if (!Number.isFinite(alpha)) throw new ConfigError(`leakyRelu: alpha must be finite, got ${alpha}.`);
  return unary('leakyRelu', x, alpha);
}

export function elu(x: Tensor, alpha = 1): Tensor {
  if (!Number.isFinite(alpha)) throw new ConfigError(`elu: alpha must be finite, got ${alpha}.`);
  return unary('elu', x, alpha);
}

/**
 * Parametric ReLU: relu(z) + α·min(z, 0). `alpha` broadcasts against z: a scalar
 * tensor shares one slope; a [C] tensor gives one slope per feature of a [N, C] input
 * (reshape it to [C, 1, 1] for NCHW images). The gradient reaches α through the product.
 */
export function prelu(x: Tensor, alpha: Tensor): Tensor {
  checkTensor('prelu', 'x', x);
  checkTensor('prelu', 'alpha', alpha);
  return add(relu(x), mul(alpha, minimum(x, 0)));
}

/** Each softmax output over the last axis → its input z, for the losses (see softmaxLogits). */
const softmaxInputs = new WeakMap<Tensor, Tensor>();

/**
 * The logits z of p = softmax(z) over the last axis, while z is alive; null for any other
 * tensor. Cross-entropy uses them: log softmax(z) is stable where log p underflows, and a
 * softmax output handed to a loss that expects logits is never put through softmax again.
 */
export function softmaxLogits(p: Tensor): Tensor | null {
  const z = softmaxInputs.get(p);
  return z && !z.isDisposed ? z : null;
}

function softmaxFamily(x: Tensor, axis: number, log: boolean): Tensor {
  const name = log ? 'logSoftmax' : 'softmax';
  checkTensor(name, 'x', x);
  if (x.dtype === 'int32')
    throw new ShapeError(`${name}: expected a float tensor, got int32 ${formatShape(x.shape)}.`);
  const a = normalizeAxis(name, axis, x.rank);
  const view = axisView(x.shape, a);
  const out = empty(x.backend, x.dtype, x.shape);
  x.backend.softmax(x.storage, view, out.storage, x.dtype, log);
  if (!log && a === x.rank - 1) softmaxInputs.set(out, x);
  return record(out, name, [x], (dy) => {
    const dx = empty(x.backend, x.dtype, x.shape);
    x.backend.softmaxGrad(out.storage, dy.storage, view, dx.storage, x.dtype, log);
    return [dx];
  });
}

/** Softmax along `axis` (default last). */
export const softmax = (x: Tensor, axis = -1): Tensor => softmaxFamily(x, axis, false);
/** log(softmax(x)), computed stably as x − max − log Σ e^(x − max). */
export const logSoftmax = (x: Tensor, axis = -1): Tensor => softmaxFamily(x, axis, true);

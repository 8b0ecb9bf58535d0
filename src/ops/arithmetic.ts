/**
 * Element-wise arithmetic with numpy broadcasting, forward and backward side by side.
 *
 * Broadcasting in the forward pass means summing in the backward pass: if b was
 * stretched along an axis, every copy's gradient flows back to the one original.
 * `unbroadcast` does that sum.
 */
import type { BinaryOp, DType, UnaryOp } from '../backend/contract.js';
import { record } from '../autograd/tape.js';
import { ConfigError } from '../errors.js';
import { broadcastShapes, sameShape, type Shape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { sumTo } from './reduce.js';
import { castRaw, checkSameBackend, checkTensor, empty, isFloat, promote, scalarLike } from './util.js';

export type TensorLike = Tensor | number;

/** Sums `g` down to `shape` — the gradient of broadcasting `shape` up to g's shape. */
export function unbroadcast(g: Tensor, shape: Shape): Tensor {
  return sameShape(g.shape, shape) ? g : sumTo(g, shape);
}

/** Converts a tensor to another dtype; the gradient converts back. */
export function cast(x: Tensor, dtype: DType): Tensor {
  checkTensor('cast', 'x', x);
  if (x.dtype === dtype) return x;
  const out = castRaw(x, dtype);
  if (!isFloat(dtype)) return out;
  return record(out, 'cast', [x], (dy) => [castRaw(dy, x.dtype)]);
}

function operands(op: string, a: TensorLike, b: TensorLike, integerResult: boolean): [Tensor, Tensor, DType] {
  if (typeof a === 'number' && typeof b === 'number') {
    throw new ConfigError(`${op}: at least one operand must be a Tensor, got two numbers.`);
  }
  const ta =
    typeof a === 'number'
      ? scalarLike(
          a,
          b as Tensor,
          (b as Tensor).dtype === 'int32' && !Number.isInteger(a) ? 'float32' : (b as Tensor).dtype,
        )
      : checkTensor(op, 'a', a);
  const tb =
    typeof b === 'number'
      ? scalarLike(b, ta, ta.dtype === 'int32' && !Number.isInteger(b) ? 'float32' : ta.dtype)
      : checkTensor(op, 'b', b);
  checkSameBackend(op, ta, tb);
  let dtype = promote(ta.dtype, tb.dtype);
  if (dtype === 'int32' && !integerResult) dtype = 'float32';
  return [ta.dtype === dtype ? ta : cast(ta, dtype), tb.dtype === dtype ? tb : cast(tb, dtype), dtype];
}

function binaryRaw(op: BinaryOp, a: Tensor, b: Tensor, dtype: DType, where: string): Tensor {
  const shape = broadcastShapes(where, a.shape, b.shape);
  const out = empty(a.backend, dtype, shape);
  a.backend.binary(op, a.storage, a.shape, b.storage, b.shape, out.storage, shape, dtype);
  return out;
}

export function add(a: TensorLike, b: TensorLike): Tensor {
  const [x, y, dtype] = operands('add', a, b, true);
  const out = binaryRaw('add', x, y, dtype, 'add');
  return record(out, 'add', [x, y], (dy) => [unbroadcast(dy, x.shape), unbroadcast(dy, y.shape)]);
}

export function sub(a: TensorLike, b: TensorLike): Tensor {
  const [x, y, dtype] = operands('sub', a, b, true);
  const out = binaryRaw('sub', x, y, dtype, 'sub');
  return record(out, 'sub', [x, y], (dy) => [unbroadcast(dy, x.shape), unbroadcast(neg(dy), y.shape)]);
}

export function mul(a: TensorLike, b: TensorLike): Tensor {
  const [x, y, dtype] = operands('mul', a, b, true);
  const out = binaryRaw('mul', x, y, dtype, 'mul');
  return record(out, 'mul', [x, y], (dy) => [
    x.requiresGrad ? unbroadcast(mul(dy, y), x.shape) : null,
    y.requiresGrad ? unbroadcast(mul(dy, x), y.shape) : null,
  ]);
}

/** a / b; ∂/∂a = 1/b, ∂/∂b = −a/b² = −out/b. */
export function div(a: TensorLike, b: TensorLike): Tensor {
  const [x, y, dtype] = operands('div', a, b, false);
  const out = binaryRaw('div', x, y, dtype, 'div');
  return record(out, 'div', [x, y], (dy) => [
    x.requiresGrad ? unbroadcast(div(dy, y), x.shape) : null,
    y.requiresGrad ? unbroadcast(neg(div(mul(dy, out), y)), y.shape) : null,
  ]);
}

/** aᵇ; ∂/∂a = b·aᵇ⁻¹, ∂/∂b = aᵇ·ln a (defined for a > 0). */
export function pow(a: TensorLike, b: TensorLike): Tensor {
  if (typeof b === 'number' && typeof a !== 'number') return unary('powScalar', a, b);
  const [x, y, dtype] = operands('pow', a, b, false);
  const out = binaryRaw('pow', x, y, dtype, 'pow');
  return record(out, 'pow', [x, y], (dy) => [
    x.requiresGrad ? unbroadcast(mul(dy, mul(y, pow(x, sub(y, 1)))), x.shape) : null,
    y.requiresGrad ? unbroadcast(mul(dy, mul(out, log(x))), y.shape) : null,
  ]);
}

/** Element-wise maximum; the gradient goes to the larger operand (to a on ties). */
export function maximum(a: TensorLike, b: TensorLike): Tensor {
  const [x, y, dtype] = operands('maximum', a, b, true);
  const out = binaryRaw('max', x, y, dtype, 'maximum');
  return record(out, 'maximum', [x, y], (dy) => {
    const aWins = binaryRaw('ge', x, y, dtype, 'maximum');
    return [unbroadcast(mul(dy, aWins), x.shape), unbroadcast(mul(dy, sub(1, aWins)), y.shape)];
  });
}

/** Element-wise minimum; the gradient goes to the smaller operand (to a on ties). */
export function minimum(a: TensorLike, b: TensorLike): Tensor {
  const [x, y, dtype] = operands('minimum', a, b, true);
  const out = binaryRaw('min', x, y, dtype, 'minimum');
  return record(out, 'minimum', [x, y], (dy) => {
    const aWins = binaryRaw('le', x, y, dtype, 'minimum');
    return [unbroadcast(mul(dy, aWins), x.shape), unbroadcast(mul(dy, sub(1, aWins)), y.shape)];
  });
}

function compare(op: BinaryOp, a: TensorLike, b: TensorLike): Tensor {
  const [x, y, dtype] = operands(op, a, b, true);
  return binaryRaw(op, x, y, dtype, op);
}

/** Comparisons give 1 where true and 0 where false, and carry no gradient. */
export const equal = (a: TensorLike, b: TensorLike): Tensor => compare('eq', a, b);
export const greater = (a: TensorLike, b: TensorLike): Tensor => compare('gt', a, b);
export const greaterEqual = (a: TensorLike, b: TensorLike): Tensor => compare('ge', a, b);
export const less = (a: TensorLike, b: TensorLike): Tensor => compare('lt', a, b);
export const lessEqual = (a: TensorLike, b: TensorLike): Tensor => compare('le', a, b);

/**
 * An element-wise function of one tensor. The backend's `unaryGrad` kernel computes
 * dy·f′ from whichever of x and y = f(x) gives the derivative most cheaply.
 */
export function unary(op: UnaryOp, x: Tensor, p0 = 0, p1 = 0): Tensor {
  checkTensor(op, 'x', x);
  const keepsInt =
    op === 'neg' || op === 'abs' || op === 'square' || op === 'sign' || op === 'relu' || op === 'clamp';
  const input = !isFloat(x.dtype) && !keepsInt ? castRaw(x, 'float32') : x;
  const out = empty(input.backend, input.dtype, input.shape);
  input.backend.unary(op, input.storage, out.storage, input.dtype, input.size, p0, p1);
  return record(out, op, [input], (dy) => {
    const dx = empty(input.backend, input.dtype, input.shape);
    input.backend.unaryGrad(
      op,
      input.storage,
      out.storage,
      dy.storage,
      dx.storage,
      input.dtype,
      input.size,
      p0,
      p1,
    );
    return [dx];
  });
}

export const neg = (x: Tensor): Tensor => unary('neg', x);
export const exp = (x: Tensor): Tensor => unary('exp', x);
export const log = (x: Tensor): Tensor => unary('log', x);
export const sqrt = (x: Tensor): Tensor => unary('sqrt', x);
export const abs = (x: Tensor): Tensor => unary('abs', x);
export const sign = (x: Tensor): Tensor => unary('sign', x);
export const square = (x: Tensor): Tensor => unary('square', x);
export const reciprocal = (x: Tensor): Tensor => unary('reciprocal', x);

/** Limits values to [min, max]; the gradient is 1 inside the interval and 0 outside. */
export function clamp(x: Tensor, min = -Infinity, max = Infinity): Tensor {
  if (min > max) throw new ConfigError(`clamp: min (${min}) must not exceed max (${max}).`);
  return unary('clamp', x, min, max);
}

/** Small helpers shared by the op families. */
import type { Backend, DType } from '../backend/contract.js';
import { ConfigError, DescentError } from '../errors.js';
import { sameShape, type Shape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';

/** A new tensor with uninitialised storage; the caller's kernel fills it. */
export function empty(backend: Backend, dtype: DType, shape: Shape): Tensor {
  let size = 1;
  for (const d of shape) size *= d;
  return new Tensor(backend.alloc(dtype, size), shape, dtype, backend);
}

/** Checks that `t` is alive and a tensor, naming the op and argument when it is not. */
export function checkTensor(op: string, arg: string, t: unknown): Tensor {
  if (!(t instanceof Tensor)) {
    throw new ConfigError(
      `${op}: argument '${arg}' must be a Tensor, got ${t === null ? 'null' : typeof t}.`,
    );
  }
  t.assertAlive(op);
  return t;
}

export function checkSameBackend(op: string, a: Tensor, b: Tensor): void {
  if (a.backend !== b.backend) {
    throw new DescentError(
      `${op}: tensors live on different backends (${a.backend.name} and ${b.backend.name}).`,
    );
  }
}

export function isFloat(dtype: DType): boolean {
  return dtype !== 'int32';
}

/** The dtype two operands compute in: float64 beats float32 beats int32. */
export function promote(a: DType, b: DType): DType {
  if (a === 'float64' || b === 'float64') return 'float64';
  if (a === 'float32' || b === 'float32') return 'float32';
  return 'int32';
}

/** A one-element tensor of `value` on `like`'s backend and dtype. */
export function scalarLike(value: number, like: Tensor, dtype: DType = like.dtype): Tensor {
  return new Tensor(like.backend.upload(dtype, [value]), [], dtype, like.backend);
}

/** A copy of `x` converted to `dtype` (no gradient; see arithmetic.cast for that). */
export function castRaw(x: Tensor, dtype: DType): Tensor {
  const out = empty(x.backend, dtype, x.shape);
  x.backend.cast(x.storage, x.dtype, out.storage, dtype, x.size);
  return out;
}

export { sameShape };

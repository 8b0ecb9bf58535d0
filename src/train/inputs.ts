/**
 * What `fit`, `evaluate` and `predict` accept besides a Dataset, as Keras does: tensors, or
 * plain (nested) arrays of numbers.
 *
 *   x   Tensor [N, …] or number[][] (rows; deeper nesting for images) or number[] ([N, 1])
 *   y   Tensor, or number[] — integer class labels (int32 [N]) when every value is an
 *       integer, float targets [N, 1] otherwise — or number[][] (one-hot rows, targets)
 *
 * Tensors the caller gave stay the caller's; tensors made here from arrays are freed by
 * `release()` once the call is done.
 */
import { ConfigError, ShapeError } from '../errors.js';
import { Dataset } from '../data/dataset.js';
import { fromArray } from '../tensor/creation.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor, type NestedArray } from '../tensor/tensor.js';

/** Features or targets as a tensor or as (nested) arrays of numbers. */
export type ArrayInput = Tensor | NestedArray | Float32Array | Float64Array | Int32Array;

function isFlatNumbers(v: unknown): v is ArrayLike<number> {
  return (
    v instanceof Float32Array ||
    v instanceof Float64Array ||
    v instanceof Int32Array ||
    (Array.isArray(v) && v.every((e) => typeof e === 'number'))
  );
}

function features(where: string, x: ArrayInput, made: Tensor[]): Tensor {
  if (x instanceof Tensor) return x;
  if (isFlatNumbers(x)) {
    const t = fromArray(Float32Array.from(x), [x.length, 1]);
    made.push(t);
    return t;
  }
  if (!Array.isArray(x))
    throw new ShapeError(`${where}: x must be a tensor or an array of rows, got ${typeof x}.`);
  const t = fromArray(x, undefined, { dtype: 'float32' });
  made.push(t);
  return t;
}

function targets(where: string, y: ArrayInput, made: Tensor[]): Tensor {
  if (y instanceof Tensor) return y;
  let t: Tensor;
  if (isFlatNumbers(y)) {
    const labels = Array.prototype.every.call(y, (v: number) => Number.isInteger(v) && v >= 0);
    t = labels
      ? fromArray(Int32Array.from(y), [y.length], { dtype: 'int32' })
      : fromArray(Float32Array.from(y), [y.length, 1]);
  } else if (Array.isArray(y)) {
    t = fromArray(y, undefined, { dtype: 'float32' });
  } else {
    throw new ShapeError(`${where}: y must be a tensor or an array, got ${typeof y}.`);
  }
  made.push(t);
  return t;
}

export interface PreparedData {
  data: Dataset;
  /** Frees what was made from arrays (never the caller's tensors). */
  release(): void;
}

/** A Dataset over `x` and `y` (the caller's tensors are kept as they are). */
export function datasetFrom(where: string, x: ArrayInput, y: ArrayInput): PreparedData {
  const made: Tensor[] = [];
  try {
    const xt = features(where, x, made);
    const yt = targets(where, y, made);
    if (xt.shape[0] !== yt.shape[0]) {
      throw new ShapeError(
        `${where}: x has ${xt.shape[0]} samples ${formatShape(xt.shape)} but y has ${yt.shape[0]} ${formatShape(yt.shape)}.`,
      );
    }
    const data = new Dataset(xt, yt, undefined, 'arrays');
    return { data, release: () => made.forEach((t) => t.dispose()) };
  } catch (error) {
    made.forEach((t) => t.dispose());
    throw error;
  }
}

/** `x` for predict: a tensor as it is, arrays as a float32 tensor (freed by release). */
export function inputsFrom(where: string, x: ArrayInput): { x: Tensor; release(): void } {
  const made: Tensor[] = [];
  const t = features(where, x, made);
  return { x: t, release: () => made.forEach((m) => m.dispose()) };
}

/**
 * fit's and evaluate's arguments, (data, options) or (x, y, options): the Dataset, the
 * options, and what to free once the call is done.
 */
export function dataAndOptions<O>(
  where: string,
  args: [Dataset | ArrayInput, (ArrayInput | O)?, O?],
): { data: Dataset; options: O | undefined; release(): void } {
  const [first, second, third] = args;
  if (first instanceof Dataset) return { data: first, options: second as O | undefined, release: () => {} };
  if (second === undefined)
    throw new ConfigError(`${where}: give a Dataset, or the inputs x and the targets y (tensors or arrays).`);
  const { data, release } = datasetFrom(where, first, second as ArrayInput);
  return { data, options: third, release };
}

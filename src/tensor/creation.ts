/** Making tensors: from values, constants, ranges and random distributions. */
import type { DType, TypedArray } from '../backend/contract.js';
import { getBackend } from '../backend/registry.js';
import { ConfigError, ShapeError } from '../errors.js';
import { rng as globalRng, type Rng } from './random.js';
import { checkShape, formatShape, sizeOf, type Shape } from './shape.js';
import { Tensor, type NestedArray } from './tensor.js';

export interface CreateOptions {
  dtype?: DType;
  requiresGrad?: boolean;
}

function make(values: ArrayLike<number> | null, shape: Shape, options: CreateOptions, fillValue = 0): Tensor {
  checkShape('tensor', shape);
  const dtype = options.dtype ?? 'float32';
  const backend = getBackend();
  if (!backend.supports(dtype)) {
    throw new ConfigError(
      `The ${backend.name} backend does not support dtype ${dtype}; use float32 (float64 is cpu-only).`,
    );
  }
  let storage;
  if (values) storage = backend.upload(dtype, values);
  else {
    storage = backend.alloc(dtype, sizeOf(shape));
    backend.fill(storage, dtype, sizeOf(shape), fillValue);
  }
  const t = new Tensor(storage, shape, dtype, backend);
  if (options.requiresGrad) t.requiresGrad = true;
  return t;
}

function inferShape(values: NestedArray, where: string): number[] {
  const shape: number[] = [];
  let v: NestedArray = values;
  while (Array.isArray(v)) {
    shape.push(v.length);
    v = v[0];
    if (v === undefined) break;
  }
  void where;
  return shape;
}

function flatten(values: NestedArray, shape: number[], dim: number, out: number[], path: string): void {
  if (dim === shape.length) {
    if (typeof values !== 'number')
      throw new ShapeError(`fromArray: expected a number at ${path}, got ${JSON.stringify(values)}.`);
    out.push(values);
    return;
  }
  if (!Array.isArray(values) || values.length !== shape[dim]) {
    throw new ShapeError(
      `fromArray: ragged nested array at ${path}: expected ${shape[dim]} elements (like the first row), got ` +
        `${Array.isArray(values) ? values.length : 'a number'}.`,
    );
  }
  for (let i = 0; i < values.length; i++) flatten(values[i], shape, dim + 1, out, `${path}[${i}]`);
}

/**
 * A tensor from values: a flat array or typed array with a shape, or nested arrays
 * (shape inferred). `fromArray([[1, 2], [3, 4]])`, `fromArray(new Float32Array(6), [2, 3])`.
 */
export function fromArray(
  values: NestedArray | ArrayLike<number>,
  shape?: Shape,
  options: CreateOptions = {},
): Tensor {
  let flat: ArrayLike<number>;
  let finalShape: Shape;
  if (typeof values === 'number') {
    flat = [values];
    finalShape = shape ?? [];
  } else if (Array.isArray(values) && values.some((v) => Array.isArray(v))) {
    const inferred = inferShape(values as NestedArray, 'fromArray');
    const out: number[] = [];
    flatten(values as NestedArray, inferred, 0, out, 'values');
    flat = out;
    finalShape = shape ?? inferred;
  } else {
    flat = values as ArrayLike<number>;
    finalShape = shape ?? [flat.length];
  }
  if (sizeOf(finalShape) !== flat.length) {
    throw new ShapeError(
      `fromArray: ${flat.length} values do not fill shape ${formatShape(finalShape)} (${sizeOf(finalShape)} elements).`,
    );
  }
  const dtype =
    options.dtype ??
    (values instanceof Int32Array ? 'int32' : values instanceof Float64Array ? 'float64' : 'float32');
  return make(flat, finalShape, { ...options, dtype });
}

/** A zero-dimensional tensor holding one number. */
export function scalar(value: number, options: CreateOptions = {}): Tensor {
  return make([value], [], options);
}

export function zeros(shape: Shape, options: CreateOptions = {}): Tensor {
  return make(null, shape, options, 0);
}

export function ones(shape: Shape, options: CreateOptions = {}): Tensor {
  return make(null, shape, options, 1);
}

export function full(shape: Shape, value: number, options: CreateOptions = {}): Tensor {
  return make(null, shape, options, value);
}

export function zerosLike(t: Tensor, options: CreateOptions = {}): Tensor {
  return zeros(t.shape, { dtype: t.dtype, ...options });
}

export function onesLike(t: Tensor, options: CreateOptions = {}): Tensor {
  return ones(t.shape, { dtype: t.dtype, ...options });
}

/** start, start + step, … up to but excluding stop (numpy's arange). */
export function arange(start: number, stop?: number, step = 1, options: CreateOptions = {}): Tensor {
  if (stop === undefined) [start, stop] = [0, start];
  if (step === 0 || !Number.isFinite(step))
    throw new ConfigError(`arange: step must be a non-zero finite number, got ${step}.`);
  const n = Math.max(0, Math.ceil((stop - start) / step));
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = start + i * step;
  return make(values, [n], options);
}

/** `count` evenly spaced values from start to stop inclusive. */
export function linspace(start: number, stop: number, count: number, options: CreateOptions = {}): Tensor {
  const values = new Float64Array(count);
  for (let i = 0; i < count; i++)
    values[i] = count === 1 ? start : start + ((stop - start) * i) / (count - 1);
  return make(values, [count], options);
}

export function eye(n: number, options: CreateOptions = {}): Tensor {
  const values = new Float64Array(n * n);
  for (let i = 0; i < n; i++) values[i * n + i] = 1;
  return make(values, [n, n], options);
}

export interface RandomOptions extends CreateOptions {
  rng?: Rng;
}

/** Normal samples with the given mean and standard deviation (default N(0, 1)). */
export function randn(shape: Shape, options: RandomOptions & { mean?: number; std?: number } = {}): Tensor {
  checkShape('randn', shape);
  const r = options.rng ?? globalRng();
  const { mean = 0, std = 1 } = options;
  const values = new Float64Array(sizeOf(shape));
  for (let i = 0; i < values.length; i++) values[i] = mean + std * r.normal();
  return make(values, shape, options);
}

/** Uniform samples in [low, high) (default [0, 1)). */
export function rand(shape: Shape, options: RandomOptions & { low?: number; high?: number } = {}): Tensor {
  checkShape('rand', shape);
  const r = options.rng ?? globalRng();
  const { low = 0, high = 1 } = options;
  // float32 storage would round draws within half an ulp of `high` up to `high` (1.0 about once
  // in 2²⁵ draws): cap them at the largest float32 below `high`, keeping the interval half-open.
  const top = (options.dtype ?? 'float32') === 'float32' ? float32Below(high) : high;
  const values = new Float64Array(sizeOf(shape));
  for (let i = 0; i < values.length; i++) values[i] = Math.min(r.uniformIn(low, high), top);
  return make(values, shape, options);
}

/** The largest float32 value strictly below `x`. */
function float32Below(x: number): number {
  const f = new Float32Array([x]);
  if (f[0] < x) return f[0];
  const bits = new Int32Array(f.buffer);
  if (f[0] === 0)
    bits[0] = 0x80000001; // the negative number closest to 0
  else bits[0] += f[0] > 0 ? -1 : 1;
  return f[0];
}

/** A tensor sharing nothing with `values`, made on the current backend with `dtype`. */
export function fromTyped(values: TypedArray, shape: Shape, options: CreateOptions = {}): Tensor {
  return fromArray(values, shape, options);
}

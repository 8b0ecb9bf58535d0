/**
 * Reductions along axes: sum, mean, max, min (and argmax/argmin, which have no
 * gradient), plus broadcastTo/sumTo, which are each other's backward.
 *
 * A set of axes is split into runs of adjacent axes; each run is one backend call on
 * an [outer, axis, inner] view, so a backend implements a single loop nest.
 */
import type { ArgReduceOp, ReduceOp } from '../backend/contract.js';
import { record } from '../autograd/tape.js';
import { ShapeError } from '../errors.js';
import { formatShape, normalizeAxis, sameShape, sizeOf, type Shape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkTensor, empty, scalarLike } from './util.js';
import { div, equal, mul } from './arithmetic.js';
import { reshape } from './shape.js';

export type Axes = number | readonly number[] | undefined;

/** Sorted, de-duplicated, non-negative axes; `undefined` means all of them. */
export function normalizeAxes(op: string, axes: Axes, rank: number): number[] {
  if (axes === undefined) return Array.from({ length: rank }, (_, i) => i);
  const list = typeof axes === 'number' ? [axes] : [...axes];
  return [...new Set(list.map((a) => normalizeAxis(op, a, rank)))].sort((a, b) => a - b);
}

/** The shape after reducing `axes`, with those axes kept as 1. */
function keptShape(shape: Shape, axes: readonly number[]): number[] {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

function reduceRaw(op: ReduceOp, x: Tensor, axes: readonly number[]): Tensor {
  let current = x;
  let shape = [...x.shape];
  // Reduce runs of adjacent axes, last run first, so earlier axis numbers stay valid.
  let i = axes.length - 1;
  while (i >= 0) {
    let start = i;
    while (start > 0 && axes[start - 1] === axes[start] - 1) start--;
    const first = axes[start];
    const last = axes[i];
    const outer = sizeOf(shape.slice(0, first));
    const axis = sizeOf(shape.slice(first, last + 1));
    const inner = sizeOf(shape.slice(last + 1));
    if (axis === 0 && op !== 'sum') {
      throw new ShapeError(`${op}: cannot reduce an empty axis of a tensor shaped ${formatShape(x.shape)}.`);
    }
    const nextShape = [
      ...shape.slice(0, first),
      ...new Array<number>(last - first + 1).fill(1),
      ...shape.slice(last + 1),
    ];
    const out = empty(x.backend, x.dtype, nextShape);
    x.backend.reduce(op, current.storage, { outer, axis, inner }, out.storage, x.dtype);
    if (current !== x) current.dispose();
    current = out;
    shape = nextShape;
    i = start - 1;
  }
  return current === x ? copyTensor(x) : current;
}

function copyTensor(x: Tensor): Tensor {
  const out = empty(x.backend, x.dtype, x.shape);
  x.backend.cast(x.storage, x.dtype, out.storage, x.dtype, x.size);
  return out;
}

function finish(reduced: Tensor, x: Tensor, axes: readonly number[], keepDims: boolean): Tensor {
  if (keepDims) return reduced;
  const out = reshape(
    reduced,
    x.shape.filter((_, i) => !axes.includes(i)),
  );
  reduced.dispose();
  return out;
}

/** Σ over `axes` (all by default). Backward: every summed element gets dy. */
export function sum(x: Tensor, axes?: Axes, keepDims = false): Tensor {
  checkTensor('sum', 'x', x);
  const ax = normalizeAxes('sum', axes, x.rank);
  const out = finish(reduceRaw('sum', x, ax), x, ax, keepDims);
  return record(out, 'sum', [x], (dy) => [broadcastTo(reshape(dy, keptShape(x.shape, ax)), x.shape)]);
}

/** The mean over `axes` (all by default). */
export function mean(x: Tensor, axes?: Axes, keepDims = false): Tensor {
  checkTensor('mean', 'x', x);
  const ax = normalizeAxes('mean', axes, x.rank);
  const count = ax.reduce((p, a) => p * x.shape[a], 1);
  return div(sum(x, ax, keepDims), count);
}

/**
 * max/min over axes. Backward: dy goes to the elements equal to the extreme value,
 * shared equally among ties (as torch.amax does).
 */
function extreme(op: 'max' | 'min', x: Tensor, axes: Axes, keepDims: boolean): Tensor {
  checkTensor(op, 'x', x);
  const ax = normalizeAxes(op, axes, x.rank);
  // `kept` (the extreme with reduced axes kept as 1) stays alive for the backward pass.
  const kept = reduceRaw(op, x, ax);
  const out = keepDims
    ? kept
    : reshape(
        kept,
        x.shape.filter((_, i) => !ax.includes(i)),
      );
  return record(out, op, [x], (dy) => {
    const isExtreme = equal(x, kept);
    const ties = sum(isExtreme, ax, true);
    return [mul(div(isExtreme, ties), broadcastTo(reshape(dy, keptShape(x.shape, ax)), x.shape))];
  });
}

export const max = (x: Tensor, axes?: Axes, keepDims = false): Tensor => extreme('max', x, axes, keepDims);
export const min = (x: Tensor, axes?: Axes, keepDims = false): Tensor => extreme('min', x, axes, keepDims);

function argReduce(op: ArgReduceOp, x: Tensor, axis: number, keepDims: boolean): Tensor {
  checkTensor(op, 'x', x);
  const a = normalizeAxis(op, axis, x.rank);
  const shape = keptShape(x.shape, [a]);
  const out = empty(x.backend, 'int32', keepDims ? shape : x.shape.filter((_, i) => i !== a));
  const outer = sizeOf(x.shape.slice(0, a));
  const inner = sizeOf(x.shape.slice(a + 1));
  x.backend.argReduce(op, x.storage, { outer, axis: x.shape[a], inner }, out.storage, x.dtype);
  return out;
}

/** Index of the largest value along `axis` (int32, no gradient). */
export const argmax = (x: Tensor, axis = -1, keepDims = false): Tensor =>
  argReduce('argmax', x, axis, keepDims);
export const argmin = (x: Tensor, axis = -1, keepDims = false): Tensor =>
  argReduce('argmin', x, axis, keepDims);

/**
 * Repeats `x` along its size-1 (or missing leading) dimensions to `shape`, by numpy's
 * rules. The backend's broadcasting binary kernel does the work: x + 0.
 */
export function broadcastTo(x: Tensor, shape: Shape): Tensor {
  checkTensor('broadcastTo', 'x', x);
  if (sameShape(x.shape, shape)) return x;
  const offset = shape.length - x.rank;
  if (offset < 0 || x.shape.some((d, i) => d !== 1 && d !== shape[i + offset])) {
    throw new ShapeError(`broadcastTo: cannot broadcast ${formatShape(x.shape)} to ${formatShape(shape)}.`);
  }
  const zero = scalarLike(0, x);
  const out = empty(x.backend, x.dtype, shape);
  x.backend.binary('add', x.storage, x.shape, zero.storage, [], out.storage, shape, x.dtype);
  zero.dispose();
  return record(out, 'broadcastTo', [x], (dy) => [sumTo(dy, x.shape)]);
}

/** Sums `x` down to `shape` (the inverse of broadcasting `shape` up to x's shape). */
export function sumTo(x: Tensor, shape: Shape): Tensor {
  if (sameShape(x.shape, shape)) return x;
  const offset = x.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < x.rank; i++) {
    if (i < offset || (shape[i - offset] === 1 && x.shape[i] !== 1)) axes.push(i);
  }
  const summed = sum(x, axes, true);
  return reshape(summed, shape);
}

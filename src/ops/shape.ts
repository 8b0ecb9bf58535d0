/**
 * Shape ops: reshape, flatten, (un)squeeze, permute/transpose, slice, concat, gather,
 * oneHot. Each copies into fresh storage — tensors never share memory, which keeps
 * disposal simple; the copies are O(n) against the O(n·k) of the products around them.
 */
import { record } from '../autograd/tape.js';
import { ConfigError, ShapeError } from '../errors.js';
import { formatShape, normalizeAxis, sizeOf, type Shape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { checkSameBackend, checkTensor, empty } from './util.js';

function copyInto(x: Tensor, shape: Shape): Tensor {
  const out = empty(x.backend, x.dtype, shape);
  x.backend.cast(x.storage, x.dtype, out.storage, x.dtype, x.size);
  return out;
}

/** The same values in a new shape; one dimension may be −1 (inferred). */
export function reshape(x: Tensor, shape: Shape): Tensor {
  checkTensor('reshape', 'x', x);
  const inferred = shape.filter((d) => d === -1).length;
  if (inferred > 1)
    throw new ShapeError(`reshape: at most one dimension may be -1, got ${formatShape(shape)}.`);
  let target = [...shape];
  if (inferred === 1) {
    const known = sizeOf(shape.filter((d) => d !== -1));
    if (known === 0 || x.size % known !== 0) {
      throw new ShapeError(
        `reshape: cannot reshape ${formatShape(x.shape)} (${x.size} elements) to ${formatShape(shape)}.`,
      );
    }
    target = shape.map((d) => (d === -1 ? x.size / known : d));
  }
  if (sizeOf(target) !== x.size || target.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new ShapeError(
      `reshape: cannot reshape ${formatShape(x.shape)} (${x.size} elements) to ${formatShape(shape)}.`,
    );
  }
  const out = copyInto(x, target);
  return record(out, 'reshape', [x], (dy) => [reshape(dy, x.shape)]);
}

/** Collapses the dimensions from `startAxis` on into one: [N, C, H, W] → [N, C·H·W]. */
export function flatten(x: Tensor, startAxis = 1): Tensor {
  checkTensor('flatten', 'x', x);
  const start = normalizeAxis('flatten', startAxis, x.rank);
  return reshape(x, [...x.shape.slice(0, start), sizeOf(x.shape.slice(start))]);
}

/** Inserts a dimension of size 1 at `axis`. */
export function unsqueeze(x: Tensor, axis: number): Tensor {
  const a = normalizeAxis('unsqueeze', axis < 0 ? axis + 1 : axis, x.rank + 1);
  return reshape(x, [...x.shape.slice(0, a), 1, ...x.shape.slice(a)]);
}

/** Removes dimensions of size 1 (all of them, or the given one). */
export function squeeze(x: Tensor, axis?: number): Tensor {
  if (axis === undefined)
    return reshape(
      x,
      x.shape.filter((d) => d !== 1),
    );
  const a = normalizeAxis('squeeze', axis, x.rank);
  if (x.shape[a] !== 1)
    throw new ShapeError(`squeeze: axis ${axis} of ${formatShape(x.shape)} has size ${x.shape[a]}, not 1.`);
  return reshape(
    x,
    x.shape.filter((_, i) => i !== a),
  );
}

/** Reorders axes: out.shape[i] = x.shape[perm[i]]. The gradient applies the inverse permutation. */
export function permute(x: Tensor, perm: readonly number[]): Tensor {
  checkTensor('permute', 'x', x);
  const p = perm.map((a) => normalizeAxis('permute', a, x.rank));
  if (p.length !== x.rank || new Set(p).size !== p.length) {
    throw new ShapeError(
      `permute: [${perm.join(', ')}] is not a permutation of the ${x.rank} axes of ${formatShape(x.shape)}.`,
    );
  }
  const out = empty(
    x.backend,
    x.dtype,
    p.map((a) => x.shape[a]),
  );
  x.backend.permute(x.storage, x.shape, p, out.storage, x.dtype);
  const inverse = new Array<number>(p.length);
  p.forEach((a, i) => (inverse[a] = i));
  return record(out, 'permute', [x], (dy) => [permute(dy, inverse)]);
}

/** Swaps two axes (by default the last two: a matrix transpose). */
export function transpose(x: Tensor, axis0 = -2, axis1 = -1): Tensor {
  checkTensor('transpose', 'x', x);
  if (x.rank < 2) return x;
  const a = normalizeAxis('transpose', axis0, x.rank);
  const b = normalizeAxis('transpose', axis1, x.rank);
  const perm = Array.from({ length: x.rank }, (_, i) => i);
  [perm[a], perm[b]] = [perm[b], perm[a]];
  return permute(x, perm);
}

/**
 * The box starting at `begin` with extent `size` (−1: to the end).
 * Backward: dy placed into zeros at the same box.
 */
export function slice(x: Tensor, begin: readonly number[], size?: readonly number[]): Tensor {
  checkTensor('slice', 'x', x);
  if (begin.length !== x.rank || (size && size.length !== x.rank)) {
    throw new ShapeError(
      `slice: begin and size need ${x.rank} entries for a tensor shaped ${formatShape(x.shape)}.`,
    );
  }
  const extent = x.shape.map((d, i) => (size === undefined || size[i] === -1 ? d - begin[i] : size[i]));
  x.shape.forEach((d, i) => {
    if (!Number.isInteger(begin[i]) || begin[i] < 0 || extent[i] < 0 || begin[i] + extent[i] > d) {
      throw new ShapeError(
        `slice: box begin [${begin.join(', ')}] size [${extent.join(', ')}] does not fit in ${formatShape(x.shape)} (axis ${i}).`,
      );
    }
  });
  const out = empty(x.backend, x.dtype, extent);
  const zeros = extent.map(() => 0);
  x.backend.copyRegion(
    x.storage,
    x.shape,
    { shape: extent, begin },
    out.storage,
    extent,
    { shape: extent, begin: zeros },
    x.dtype,
  );
  return record(out, 'slice', [x], (dy) => {
    const dx = empty(x.backend, x.dtype, x.shape);
    x.backend.fill(dx.storage, x.dtype, x.size, 0);
    x.backend.copyRegion(
      dy.storage,
      extent,
      { shape: extent, begin: zeros },
      dx.storage,
      x.shape,
      { shape: extent, begin },
      x.dtype,
    );
    return [dx];
  });
}

/** Joins tensors along `axis`; all other dimensions must agree. */
export function concat(tensors: readonly Tensor[], axis = 0): Tensor {
  if (tensors.length === 0) throw new ConfigError('concat: needs at least one tensor.');
  tensors.forEach((t, i) => checkTensor('concat', `tensors[${i}]`, t));
  const first = tensors[0];
  const a = normalizeAxis('concat', axis, first.rank);
  for (const [i, t] of tensors.entries()) {
    checkSameBackend('concat', first, t);
    if (
      t.rank !== first.rank ||
      t.shape.some((d, k) => k !== a && d !== first.shape[k]) ||
      t.dtype !== first.dtype
    ) {
      throw new ShapeError(
        `concat: tensors[${i}] is ${formatShape(t.shape)} ${t.dtype}, incompatible with tensors[0] ${formatShape(first.shape)} ` +
          `${first.dtype} along axis ${a} (all other dimensions and the dtype must match).`,
      );
    }
  }
  const shape = [...first.shape];
  shape[a] = tensors.reduce((s, t) => s + t.shape[a], 0);
  const out = empty(first.backend, first.dtype, shape);
  const zeros = shape.map(() => 0);
  const offsets: number[] = [];
  let offset = 0;
  for (const t of tensors) {
    offsets.push(offset);
    const begin = zeros.map((_, k) => (k === a ? offset : 0));
    first.backend.copyRegion(
      t.storage,
      t.shape,
      { shape: t.shape, begin: zeros },
      out.storage,
      shape,
      { shape: t.shape, begin },
      first.dtype,
    );
    offset += t.shape[a];
  }
  return record(out, 'concat', tensors, (dy) =>
    tensors.map((t, i) =>
      t.requiresGrad
        ? slice(
            dy,
            zeros.map((_, k) => (k === a ? offsets[i] : 0)),
            t.shape,
          )
        : null,
    ),
  );
}

/** Rows (or slices along `axis`) picked by integer `indices`; repeated indices accumulate in backward. */
export function gather(x: Tensor, indices: Tensor | readonly number[] | Int32Array, axis = 0): Tensor {
  checkTensor('gather', 'x', x);
  const a = normalizeAxis('gather', axis, x.rank);
  const idx =
    Array.isArray(indices) || indices instanceof Int32Array
      ? new Tensor(
          x.backend.upload('int32', indices as ArrayLike<number>),
          [indices.length],
          'int32',
          x.backend,
        )
      : checkTensor('gather', 'indices', indices);
  if (idx.dtype !== 'int32' || idx.rank !== 1) {
    throw new ShapeError(
      `gather: indices must be a 1-D int32 tensor, got ${formatShape(idx.shape)} ${idx.dtype}.`,
    );
  }
  if (idx.backend.readSync) {
    const values = idx.backend.readSync(idx.storage, 'int32', idx.size);
    for (let j = 0; j < values.length; j++) {
      if (values[j] < 0 || values[j] >= x.shape[a]) {
        throw new ShapeError(
          `gather: index ${values[j]} at position ${j} is out of range for axis ${a} of size ${x.shape[a]}.`,
        );
      }
    }
  }
  const view = { outer: sizeOf(x.shape.slice(0, a)), axis: x.shape[a], inner: sizeOf(x.shape.slice(a + 1)) };
  const shape = [...x.shape];
  shape[a] = idx.size;
  const out = empty(x.backend, x.dtype, shape);
  x.backend.gather(x.storage, view, idx.storage, idx.size, out.storage, x.dtype);
  return record(out, 'gather', [x], (dy) => {
    const dx = empty(x.backend, x.dtype, x.shape);
    x.backend.fill(dx.storage, x.dtype, x.size, 0);
    x.backend.scatterAdd(dy.storage, view, idx.storage, idx.size, dx.storage, x.dtype);
    return [dx];
  });
}

/** One-hot rows: out[j, c] = 1 where labels[j] = c. Labels outside [0, depth) are an error. */
export function oneHot(labels: Tensor, depth: number, dtype: 'float32' | 'float64' = 'float32'): Tensor {
  checkTensor('oneHot', 'labels', labels);
  if (labels.dtype !== 'int32' || labels.rank !== 1) {
    throw new ShapeError(
      `oneHot: labels must be a 1-D int32 tensor, got ${formatShape(labels.shape)} ${labels.dtype}.`,
    );
  }
  if (!Number.isInteger(depth) || depth <= 0)
    throw new ConfigError(`oneHot: depth must be a positive integer, got ${depth}.`);
  if (labels.backend.readSync) {
    const values = labels.backend.readSync(labels.storage, 'int32', labels.size);
    for (let j = 0; j < values.length; j++) {
      if (values[j] < 0 || values[j] >= depth) {
        throw new ShapeError(`oneHot: label ${values[j]} at position ${j} is outside [0, ${depth}).`);
      }
    }
  }
  const out = empty(labels.backend, dtype, [labels.size, depth]);
  labels.backend.oneHot(labels.storage, labels.size, depth, out.storage, dtype);
  return out;
}

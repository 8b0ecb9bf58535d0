/**
 * Arithmetic on HostArrays: the small integer tensors (shapes, axes, indices) that ONNX
 * graphs compute with before a Reshape or a Slice. Exporters emit chains such as
 * Shape → Gather → Unsqueeze → Concat → Reshape; running them here keeps them off the
 * device, so they work on every backend (including WebGPU, which cannot read back
 * synchronously) and cost nothing.
 */
import { ShapeError } from '../../errors.js';
import { broadcastShapes, formatShape, sizeOf } from '../../tensor/shape.js';
import { ONNX_DTYPE } from './schema.js';
import type { HostArray, HostType } from './tensor.js';

export function hostInts(values: readonly number[], shape: readonly number[] = [values.length]): HostArray {
  return { type: 'int', onnxType: ONNX_DTYPE.INT64, shape: [...shape], data: Float64Array.from(values) };
}

export function hostArray(
  type: HostType,
  onnxType: number,
  shape: readonly number[],
  data: ArrayLike<number>,
): HostArray {
  const values = type === 'float32' ? Float32Array.from(data) : Float64Array.from(data);
  return { type, onnxType, shape: [...shape], data: values };
}

/** Row-major strides of a shape. */
export function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let step = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = step;
    step *= shape[i];
  }
  return s;
}

/** Element-wise f(a, b) with numpy broadcasting; the result has a's type. */
export function broadcastHost(
  where: string,
  a: HostArray,
  b: HostArray,
  f: (x: number, y: number) => number,
  type: HostType = a.type,
  onnxType = a.onnxType,
): HostArray {
  const shape = broadcastShapes(where, a.shape, b.shape);
  const n = sizeOf(shape);
  const out = type === 'float32' ? new Float32Array(n) : new Float64Array(n);
  const rank = shape.length;
  const sa = alignedStrides(a.shape, shape);
  const sb = alignedStrides(b.shape, shape);
  const index = new Array<number>(rank).fill(0);
  for (let k = 0; k < n; k++) {
    let ia = 0;
    let ib = 0;
    for (let d = 0; d < rank; d++) {
      ia += index[d] * sa[d];
      ib += index[d] * sb[d];
    }
    out[k] = f(a.data[ia], b.data[ib]);
    for (let d = rank - 1; d >= 0; d--) {
      if (++index[d] < shape[d]) break;
      index[d] = 0;
    }
  }
  return { type, onnxType, shape, data: out };
}

/** Strides of `shape` viewed as broadcast to `target` (0 along stretched or missing axes). */
function alignedStrides(shape: readonly number[], target: readonly number[]): number[] {
  const own = strides(shape);
  const offset = target.length - shape.length;
  return target.map((_, d) => (d < offset || shape[d - offset] === 1 ? 0 : own[d - offset]));
}

export function mapHost(a: HostArray, f: (x: number) => number): HostArray {
  const out =
    a.data instanceof Float32Array ? new Float32Array(a.data.length) : new Float64Array(a.data.length);
  for (let i = 0; i < out.length; i++) out[i] = f(a.data[i]);
  return { ...a, shape: [...a.shape], data: out };
}

export function reshapeHost(a: HostArray, shape: readonly number[]): HostArray {
  if (sizeOf(shape) !== a.data.length)
    throw new ShapeError(`cannot reshape ${formatShape(a.shape)} to ${formatShape(shape)}.`);
  return { ...a, shape: [...shape] };
}

/** Joins host arrays along `axis` (already normalised). */
export function concatHost(parts: readonly HostArray[], axis: number): HostArray {
  const first = parts[0];
  const shape = [...first.shape];
  shape[axis] = parts.reduce((s, p) => s + p.shape[axis], 0);
  const outer = sizeOf(shape.slice(0, axis));
  const inner = sizeOf(shape.slice(axis + 1));
  const out = new Float64Array(sizeOf(shape));
  let k = 0;
  for (let o = 0; o < outer; o++) {
    for (const p of parts) {
      const run = p.shape[axis] * inner;
      out.set(p.data.subarray(o * run, (o + 1) * run), k);
      k += run;
    }
  }
  return {
    type: first.type,
    onnxType: first.onnxType,
    shape,
    data: first.type === 'float32' ? Float32Array.from(out) : out,
  };
}

/** Picks entries along `axis` by (already non-negative) indices; the result has data.shape with that axis replaced by indices.shape. */
export function gatherHost(data: HostArray, indices: HostArray, axis: number): HostArray {
  const outer = sizeOf(data.shape.slice(0, axis));
  const inner = sizeOf(data.shape.slice(axis + 1));
  const size = data.shape[axis];
  const shape = [...data.shape.slice(0, axis), ...indices.shape, ...data.shape.slice(axis + 1)];
  const out =
    data.data instanceof Float32Array ? new Float32Array(sizeOf(shape)) : new Float64Array(sizeOf(shape));
  let k = 0;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < indices.data.length; j++) {
      const base = (o * size + indices.data[j]) * inner;
      for (let i = 0; i < inner; i++) out[k++] = data.data[base + i];
    }
  }
  return { ...data, shape, data: out };
}

/** The box starting at `begin` with extent `size`, step 1. */
export function sliceHost(a: HostArray, begin: readonly number[], size: readonly number[]): HostArray {
  const rank = a.shape.length;
  const n = sizeOf(size);
  const out = a.data instanceof Float32Array ? new Float32Array(n) : new Float64Array(n);
  const s = strides(a.shape);
  const index = new Array<number>(rank).fill(0);
  for (let k = 0; k < n; k++) {
    let src = 0;
    for (let d = 0; d < rank; d++) src += (begin[d] + index[d]) * s[d];
    out[k] = a.data[src];
    for (let d = rank - 1; d >= 0; d--) {
      if (++index[d] < size[d]) break;
      index[d] = 0;
    }
  }
  return { ...a, shape: [...size], data: out };
}

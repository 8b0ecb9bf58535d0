/**
 * WGSL for the axis-wise kernels over an [outer, axis, inner] view: reductions, argmax/argmin,
 * softmax and its gradient.
 *
 * Two shapes of kernel:
 * - 'lanes': one thread per (o, i), walking the axis in order — the cpu's order, so sums
 *   agree bit for bit; right when there are many independent rows or a strided axis;
 * - 'rows' (inner = 1 and a long axis): one workgroup per row, threads striding over the
 *   axis and combining through workgroup memory, so that one long row uses a whole workgroup.
 *
 * Words: 0 count (lanes: outer·inner; rows: outer), 1 outer, 2 axis, 3 inner.
 */
import type { DType, ReduceOp } from '../../contract.js';
import { WORKGROUP, header, main1d, wgslType } from '../wgsl.js';

/** Rows at least this long (with inner = 1) use a workgroup each. */
export const ROW_KERNEL_MIN_AXIS = 256;

/** acc ∘ v for a reduction, NaN-propagating for float max/min like the cpu's. */
function combine(op: ReduceOp, t: 'f32' | 'i32', acc: string, v: string): string {
  if (op === 'sum') return `${acc} + ${v}`;
  if (t === 'i32') return `${op}(${acc}, ${v})`;
  const better = op === 'max' ? `${v} > ${acc}` : `${v} < ${acc}`;
  return `select(select(${acc}, ${v}, ${better}), ${v}, isNan(${v}))`;
}

/** The neutral start of a reduction. */
function identity(op: ReduceOp, t: 'f32' | 'i32'): string {
  if (op === 'sum') return t === 'f32' ? '0.0' : '0';
  if (t === 'i32') return op === 'max' ? 'i32(-2147483647 - 1)' : '2147483647';
  return op === 'max' ? '-infF()' : 'infF()';
}

/** The value of a reduction over an empty axis (as the cpu's: 0 for sums, NaN for max/min). */
function emptyValue(op: ReduceOp, t: 'f32' | 'i32'): string {
  if (op === 'sum' || t === 'i32') return t === 'f32' ? '0.0' : '0';
  return 'nanF()';
}

export function reduceSource(op: ReduceOp, dtype: DType, rows: boolean): string {
  const t = wgslType(dtype);
  const bindings = header([
    { name: 'X', type: t, access: 'read' },
    { name: 'O', type: t, access: 'read_write' },
  ]);
  if (!rows) {
    return (
      bindings +
      main1d(`  let axis = pu(2u);
  let inner = pu(3u);
  if (axis == 0u) { O[i] = ${emptyValue(op, t)}; return; }
  let o = i / inner;
  let base = o * axis * inner + (i - o * inner);
  var acc = X[base];
  for (var k = 1u; k < axis; k++) {
    let v = X[base + k * inner];
    acc = ${combine(op, t, 'acc', 'v')};
  }
  O[i] = acc;`)
    );
  }
  return `${bindings}
var<workgroup> part: array<${t}, ${WORKGROUP}>;
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let o = wid.y * nwg.x + wid.x;
  if (o >= pu(0u)) { return; }
  let axis = pu(2u);
  let base = o * axis;
  var acc = ${identity(op, t)};
  for (var k = lid; k < axis; k += ${WORKGROUP}u) {
    let v = X[base + k];
    acc = ${combine(op, t, 'acc', 'v')};
  }
  part[lid] = acc;
  for (var s = ${WORKGROUP / 2}u; s > 0u; s >>= 1u) {
    workgroupBarrier();
    if (lid < s) {
      let a = part[lid];
      let v = part[lid + s];
      part[lid] = ${combine(op, t, 'a', 'v')};
    }
  }
  if (lid == 0u) { O[o] = part[0]; }
}`;
}

/** argmax/argmin along the axis: the first index on ties; a NaN never wins unless it comes first. */
export function argReduceSource(op: 'argmax' | 'argmin', dtype: DType): string {
  const t = wgslType(dtype);
  const better = op === 'argmax' ? 'v > best' : 'v < best';
  return (
    header([
      { name: 'X', type: t, access: 'read' },
      { name: 'O', type: 'i32', access: 'read_write' },
    ]) +
    main1d(`  let axis = pu(2u);
  let inner = pu(3u);
  let o = i / inner;
  let base = o * axis * inner + (i - o * inner);
  var best = X[base];
  var at = 0u;
  for (var k = 1u; k < axis; k++) {
    let v = X[base + k * inner];
    if (${better}) { best = v; at = k; }
  }
  O[i] = i32(at);`)
  );
}

/**
 * Softmax (or log-softmax) along the axis, stabilised by the maximum:
 * y = e^(x − max) / Σ e^(x − max), or log y = x − (log Σ e^(x − max) + max).
 */
export function softmaxSource(log: boolean, rows: boolean): string {
  const bindings = header([
    { name: 'X', type: 'f32', access: 'read' },
    { name: 'O', type: 'f32', access: 'read_write' },
  ]);
  const write = log ? 'X[j] - logSum' : 'exp(X[j] - mx) / sum';
  if (!rows) {
    return (
      bindings +
      main1d(`  let axis = pu(2u);
  let inner = pu(3u);
  let o = i / inner;
  let base = o * axis * inner + (i - o * inner);
  var mx = -infF();
  for (var k = 0u; k < axis; k++) { mx = maxF(mx, X[base + k * inner]); }
  var sum = 0.0;
  for (var k = 0u; k < axis; k++) { sum += exp(X[base + k * inner] - mx); }
  let logSum = log(sum) + mx;
  for (var k = 0u; k < axis; k++) {
    let j = base + k * inner;
    O[j] = ${write};
  }
  _ = logSum;`)
    );
  }
  return `${bindings}
var<workgroup> part: array<f32, ${WORKGROUP}>;
${rowReduceFn('rowMax', 'maxF(a, b)')}
${rowReduceFn('rowSum', 'a + b')}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let o = wid.y * nwg.x + wid.x;
  if (o >= pu(0u)) { return; }
  let axis = pu(2u);
  let base = o * axis;
  var m = -infF();
  for (var k = lid; k < axis; k += ${WORKGROUP}u) { m = maxF(m, X[base + k]); }
  let mx = rowMax(m, lid);
  var s = 0.0;
  for (var k = lid; k < axis; k += ${WORKGROUP}u) { s += exp(X[base + k] - mx); }
  let sum = rowSum(s, lid);
  let logSum = log(sum) + mx;
  for (var k = lid; k < axis; k += ${WORKGROUP}u) {
    let j = base + k;
    O[j] = ${write};
  }
  _ = logSum;
}`;
}

/** A workgroup-wide reduction of one f32 per thread; every thread gets the result. */
function rowReduceFn(name: string, expr: string): string {
  return `fn ${name}(value: f32, lid: u32) -> f32 {
  workgroupBarrier();
  part[lid] = value;
  for (var s = ${WORKGROUP / 2}u; s > 0u; s >>= 1u) {
    workgroupBarrier();
    if (lid < s) {
      let a = part[lid];
      let b = part[lid + s];
      part[lid] = ${expr};
    }
  }
  workgroupBarrier();
  return part[0];
}`;
}

/**
 * Backward of softmax from its output y: dx = y ⊙ (dy − Σ dy ⊙ y);
 * of log-softmax: dx = dy − e^y ⊙ Σ dy.
 */
export function softmaxGradSource(log: boolean, rows: boolean): string {
  const bindings = header([
    { name: 'Y', type: 'f32', access: 'read' },
    { name: 'DY', type: 'f32', access: 'read' },
    { name: 'O', type: 'f32', access: 'read_write' },
  ]);
  const term = (j: string) => (log ? `DY[${j}]` : `DY[${j}] * Y[${j}]`);
  const write = log ? 'DY[j] - exp(Y[j]) * s' : 'Y[j] * (DY[j] - s)';
  if (!rows) {
    return (
      bindings +
      main1d(`  let axis = pu(2u);
  let inner = pu(3u);
  let o = i / inner;
  let base = o * axis * inner + (i - o * inner);
  var s = 0.0;
  for (var k = 0u; k < axis; k++) { s += ${term('base + k * inner')}; }
  for (var k = 0u; k < axis; k++) {
    let j = base + k * inner;
    O[j] = ${write};
  }`)
    );
  }
  return `${bindings}
var<workgroup> part: array<f32, ${WORKGROUP}>;
${rowReduceFn('rowSum', 'a + b')}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let o = wid.y * nwg.x + wid.x;
  if (o >= pu(0u)) { return; }
  let axis = pu(2u);
  let base = o * axis;
  var t = 0.0;
  for (var k = lid; k < axis; k += ${WORKGROUP}u) { t += ${term('base + k')}; }
  let s = rowSum(t, lid);
  for (var k = lid; k < axis; k += ${WORKGROUP}u) {
    let j = base + k;
    O[j] = ${write};
  }
}`;
}

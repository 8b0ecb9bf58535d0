/**
 * What every WGSL kernel of the webgpu backend shares: the parameter block, the 1-D grid,
 * and float helpers that give JavaScript's answers for NaN, ±∞ and ±0.
 *
 * Parameters. Every dispatch gets 64 words (256 bytes) of a uniform buffer, read in the
 * shader as `pu(i)` (u32), `pi(i)` (i32) and `pf(i)` (f32, from its bits). The kernels'
 * generators name the words they use; by convention word 0 of a 1-D kernel is its
 * element count.
 *
 * NaN. WGSL lets a compiler assume that no NaN or infinity occurs, so `x != x` may be folded
 * away; these kernels test the bits instead (`isNan`, `isInf`), and build ±∞ and NaN from
 * bits held in a `var` (a const-expression that yields ∞ is a shader-creation error).
 */
import type { DType } from '../contract.js';

/** Threads per workgroup of the element-wise and axis-wise kernels. */
export const WORKGROUP = 256;
/** The most workgroups a dispatch may have along one dimension (WebGPU's default limit). */
export const MAX_GROUPS = 65535;
/** Words of parameters per dispatch. */
export const PARAM_WORDS = 64;
export const PARAM_BYTES = PARAM_WORDS * 4;

/** The WGSL scalar type holding a dtype (float64 is not supported on WebGPU). */
export function wgslType(dtype: DType): 'f32' | 'i32' {
  return dtype === 'int32' ? 'i32' : 'f32';
}

export interface BindingDecl {
  name: string;
  /** WGSL element type of the array: 'f32', 'i32', 'u32', 'vec4<f32>', 'atomic<u32>'… */
  type: string;
  access: 'read' | 'read_write';
}

/**
 * The bindings (storage arrays in order, then the parameter block) and the helpers.
 * Only declare bindings the shader uses: pipelines use the 'auto' layout, which drops unused ones.
 */
export function header(bindings: readonly BindingDecl[]): string {
  const lines = bindings.map(
    (b, i) => `@group(0) @binding(${i}) var<storage, ${b.access}> ${b.name}: array<${b.type}>;`,
  );
  lines.push(`@group(0) @binding(${bindings.length}) var<uniform> P: array<vec4<u32>, ${PARAM_WORDS / 4}>;`);
  return `${lines.join('\n')}\n${PRELUDE}`;
}

const PRELUDE = /* wgsl */ `
fn pu(i: u32) -> u32 { return P[i >> 2u][i & 3u]; }
fn pi(i: u32) -> i32 { return bitcast<i32>(P[i >> 2u][i & 3u]); }
fn pf(i: u32) -> f32 { return bitcast<f32>(P[i >> 2u][i & 3u]); }

fn isNan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn isInf(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) == 0x7f800000u; }
fn infF() -> f32 { var bits = 0x7f800000u; return bitcast<f32>(bits); }
fn nanF() -> f32 { var bits = 0x7fc00000u; return bitcast<f32>(bits); }

// JavaScript's ToInt32 of a number already truncated toward zero: NaN and ±∞ give 0, and
// values outside the int32 range wrap modulo 2^32 (as an Int32Array store does).
fn toI32(x: f32) -> i32 {
  if (isNan(x) || isInf(x)) { return 0; }
  let t = trunc(x);
  if (abs(t) < 2147483648.0) { return i32(t); }
  var u = t - floor(t / 4294967296.0) * 4294967296.0;
  if (u >= 2147483648.0) { u = u - 4294967296.0; }
  return i32(u);
}

// The maximum and minimum as Math.max and Math.min: NaN wins.
fn maxF(a: f32, b: f32) -> f32 { if (isNan(a) || isNan(b)) { return nanF(); } return select(b, a, a > b); }
fn minF(a: f32, b: f32) -> f32 { if (isNan(a) || isNan(b)) { return nanF(); } return select(b, a, a < b); }
// A comparison as 1 or 0; false whenever a NaN takes part.
fn cmpF(c: bool, a: f32, b: f32) -> f32 { return select(0.0, 1.0, c && !isNan(a) && !isNan(b)); }

fn jsSign(x: f32) -> f32 {
  if (isNan(x)) { return x; }
  if (x > 0.0) { return 1.0; }
  if (x < 0.0) { return -1.0; }
  return x;
}

// σ(v) written so that exp never overflows: for v < 0, σ(v) = e^v / (1 + e^v).
fn sigmoidF(v: f32) -> f32 {
  if (v >= 0.0) { return 1.0 / (1.0 + exp(-v)); }
  let e = exp(v);
  return e / (1.0 + e);
}

// tanh from e^(−2|v|), which never overflows (the built-in may, for large |v|).
fn tanhF(v: f32) -> f32 {
  let t = exp(-2.0 * abs(v));
  let r = (1.0 - t) / (1.0 + t);
  return select(r, -r, v < 0.0);
}

// log(1 + e^v) = max(v, 0) + log(1 + e^−|v|), stable for large |v|.
fn softplusF(v: f32) -> f32 { return max(v, 0.0) + log(1.0 + exp(-abs(v))); }

fn isIntegerF(y: f32) -> bool { return !isInf(y) && trunc(y) == y; }
fn isOddIntegerF(y: f32) -> bool {
  // Every float of magnitude 2^24 or more is an even integer.
  if (!isIntegerF(y) || abs(y) >= 16777216.0) { return false; }
  let h = y * 0.5;
  return trunc(h) != h;
}

// Math.pow, special cases included (NaN exponents, ±0, ±∞ and negative bases).
fn jsPow(x: f32, y: f32) -> f32 {
  if (isNan(y)) { return nanF(); }
  if (y == 0.0) { return 1.0; }
  if (isNan(x)) { return nanF(); }
  if (y == 1.0) { return x; }
  if (y == 2.0) { return x * x; }
  let ax = abs(x);
  if (isInf(y)) {
    if (ax == 1.0) { return nanF(); }
    if ((ax > 1.0) == (y > 0.0)) { return infF(); }
    return 0.0;
  }
  if (x == 0.0) {
    let odd = isOddIntegerF(y);
    if (y > 0.0) { return select(0.0, x, odd); }
    let negative = (bitcast<u32>(x) & 0x80000000u) != 0u;
    return select(infF(), -infF(), odd && negative);
  }
  if (isInf(x)) {
    if (x > 0.0) { return select(0.0, infF(), y > 0.0); }
    if (y > 0.0) { return select(infF(), -infF(), isOddIntegerF(y)); }
    return 0.0;
  }
  if (x < 0.0) {
    if (!isIntegerF(y)) { return nanF(); }
    let r = exp2(y * log2(ax));
    return select(r, -r, isOddIntegerF(y));
  }
  return exp2(y * log2(x));
}
`;

/**
 * The entry point of a 1-D kernel over `count` (word 0) items: `i` is the item, and threads
 * past the end return. The grid is 2-D when one dimension cannot hold every workgroup.
 */
export function main1d(body: string): string {
  return `
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * nwg.x + wid.x) * ${WORKGROUP}u + lid;
  if (i >= pu(0u)) { return; }
${body}
}`;
}

/** Workgroups for a 1-D kernel over `count` items. */
export function grid1d(count: number): [number, number, number] {
  const groups = Math.ceil(count / WORKGROUP);
  if (groups <= MAX_GROUPS) return [groups, 1, 1];
  const y = Math.ceil(groups / MAX_GROUPS);
  return [Math.ceil(groups / y), y, 1];
}

/** Workgroups for one workgroup per row, over `rows` rows. */
export function gridRows(rows: number): [number, number, number] {
  if (rows <= MAX_GROUPS) return [rows, 1, 1];
  const y = Math.ceil(rows / MAX_GROUPS);
  return [Math.ceil(rows / y), y, 1];
}

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

/** The bits of `x` as a float32, for a parameter word. */
export function f32Bits(x: number): number {
  f32Scratch[0] = x;
  return u32Scratch[0];
}

/** The bits of a value stored in `dtype` (int32 as an Int32Array store converts it). */
export function valueBits(dtype: DType, x: number): number {
  return dtype === 'int32' ? (x | 0) >>> 0 : f32Bits(x);
}

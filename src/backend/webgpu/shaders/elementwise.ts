/**
 * WGSL for the element-wise kernels: fill, cast, unary, unaryGrad and broadcast binary.
 *
 * Each op is one shader variant (chosen on the host, compiled once), not a switch per
 * element. int32 kernels compute what JavaScript computes on an Int32Array: arithmetic that
 * wraps, and float functions evaluated in f32 and stored with ToInt32.
 *
 * In place. The contract lets `out` be an input of a same-shape element-wise kernel.
 * WebGPU forbids binding one buffer as both read-only and writable storage in a dispatch, so
 * such calls use a variant in which that input is read from `out` itself (each thread reads
 * its element before writing it).
 */
import type { BinaryOp, DType, UnaryOp } from '../../contract.js';
import { header, main1d, wgslType, type BindingDecl } from '../wgsl.js';

/** out[i] = the bits of word 1, for i < word 0. Dtype-blind: every supported dtype is 4 bytes. */
export function fillSource(): string {
  return header([{ name: 'O', type: 'u32', access: 'read_write' }]) + main1d('  O[i] = pu(1u);');
}

/** float32 ↔ int32 (int32 truncates toward zero, NaN and ±∞ give 0, as in the cpu backend). */
export function castSource(from: DType, to: DType): string {
  const expr = to === 'int32' ? 'toI32(X[i])' : 'f32(X[i])';
  return (
    header([
      { name: 'X', type: wgslType(from), access: 'read' },
      { name: 'O', type: wgslType(to), access: 'read_write' },
    ]) + main1d(`  O[i] = ${expr};`)
  );
}

/** f(x) in f32, with p0 and p1 the op's constants. */
export const UNARY: Record<UnaryOp, string> = {
  neg: '-x',
  exp: 'exp(x)',
  log: 'log(x)',
  sqrt: 'sqrt(x)',
  abs: 'abs(x)',
  sign: 'jsSign(x)',
  square: 'x * x',
  reciprocal: '1.0 / x',
  sigmoid: 'sigmoidF(x)',
  tanh: 'tanhF(x)',
  relu: 'select(0.0, x, x > 0.0)',
  step: 'select(0.0, 1.0, x >= 0.0)',
  leakyRelu: 'select(p0 * x, x, x > 0.0)',
  elu: 'select(p0 * (exp(x) - 1.0), x, x > 0.0)',
  softplus: 'softplusF(x)',
  clamp: 'min(max(x, p0), p1)',
  powScalar: 'jsPow(x, p0)',
};

/** Ops whose value at NaN is not NaN (every other op passes NaN through, as in JavaScript). */
export const NAN_TO_ZERO: ReadonlySet<UnaryOp> = new Set(['step']);

/** dx = dy · f′, in f32, from x, y = f(x) and dy. */
const UNARY_GRAD: Record<UnaryOp, string> = {
  neg: '-dy',
  exp: 'dy * y',
  log: 'dy / x',
  sqrt: 'dy / (2.0 * y)',
  abs: 'dy * jsSign(x)',
  sign: '0.0',
  step: '0.0',
  square: '2.0 * x * dy',
  reciprocal: '-dy * y * y',
  sigmoid: 'dy * y * (1.0 - y)',
  tanh: 'dy * (1.0 - y * y)',
  relu: 'select(0.0, dy, x > 0.0)',
  leakyRelu: 'select(p0 * dy, dy, x > 0.0)',
  elu: 'select(dy * (y + p0), dy, x > 0.0)',
  softplus: 'dy * sigmoidF(x)',
  clamp: 'select(0.0, dy, x >= p0 && x <= p1)',
  powScalar: 'dy * p0 * jsPow(x, p0 - 1.0)',
};

/** Words: 0 count, 1 p0 (f32), 2 p1 (f32). `inPlace`: out is also the input. */
export function unarySource(op: UnaryOp, dtype: DType, inPlace: boolean): string {
  const t = wgslType(dtype);
  const bindings: BindingDecl[] = inPlace
    ? [{ name: 'O', type: t, access: 'read_write' }]
    : [
        { name: 'X', type: t, access: 'read' },
        { name: 'O', type: t, access: 'read_write' },
      ];
  const src = inPlace ? 'O' : 'X';
  const nan = NAN_TO_ZERO.has(op) ? '0.0' : 'x';
  const fn = `
fn f(x: f32, p0: f32, p1: f32) -> f32 {
  if (isNan(x)) { return ${nan}; }
  return ${UNARY[op]};
}`;
  const store = t === 'f32' ? `f(${src}[i], pf(1u), pf(2u))` : `toI32(f(f32(${src}[i]), pf(1u), pf(2u)))`;
  return header(bindings) + fn + main1d(`  O[i] = ${store};`);
}

/**
 * Words: 0 count, 1 p0, 2 p1. `aliased` lists the inputs ('x', 'y', 'dy') that are the output
 * buffer itself.
 */
export function unaryGradSource(
  op: UnaryOp,
  dtype: DType,
  aliased: readonly string[],
): { code: string; inputs: ('x' | 'y' | 'dy')[] } {
  const t = wgslType(dtype);
  const bindings: BindingDecl[] = [];
  const inputs: ('x' | 'y' | 'dy')[] = [];
  const names: Record<string, string> = {};
  // Only what the derivative reads is bound: 'auto' layouts reject unused bindings.
  const uses = (arg: string) => new RegExp(`\\b${arg}\\b`).test(UNARY_GRAD[op]);
  for (const [arg, name] of [
    ['x', 'X'],
    ['y', 'Y'],
    ['dy', 'DY'],
  ] as const) {
    if (aliased.includes(arg)) names[arg] = 'O';
    else {
      names[arg] = name;
      if (uses(arg)) {
        bindings.push({ name, type: t, access: 'read' });
        inputs.push(arg);
      }
    }
  }
  bindings.push({ name: 'O', type: t, access: 'read_write' });
  const load = (arg: string) =>
    uses(arg) ? `  let ${arg} = ${t === 'f32' ? `${names[arg]}[i]` : `f32(${names[arg]}[i])`};\n` : '';
  const body =
    `  let p0 = pf(1u);\n  let p1 = pf(2u);\n` +
    load('x') +
    load('y') +
    load('dy') +
    `  let r = ${UNARY_GRAD[op]};\n` +
    `  O[i] = ${t === 'f32' ? 'r' : 'toI32(r)'};\n` +
    `  _ = p1;`;
  return { code: header(bindings) + main1d(body), inputs };
}

/** a ∘ b in f32, with JavaScript's NaN rules. */
export const BINARY_F32: Record<BinaryOp, string> = {
  add: 'a + b',
  sub: 'a - b',
  mul: 'a * b',
  div: 'a / b',
  pow: 'jsPow(a, b)',
  max: 'maxF(a, b)',
  min: 'minF(a, b)',
  eq: 'cmpF(a == b, a, b)',
  gt: 'cmpF(a > b, a, b)',
  ge: 'cmpF(a >= b, a, b)',
  lt: 'cmpF(a < b, a, b)',
  le: 'cmpF(a <= b, a, b)',
};

/** a ∘ b in i32: wrapping arithmetic; division and powers through f32, stored with ToInt32. */
const BINARY_I32: Record<BinaryOp, string> = {
  add: 'a + b',
  sub: 'a - b',
  mul: 'a * b',
  div: 'toI32(f32(a) / f32(b))',
  pow: 'toI32(jsPow(f32(a), f32(b)))',
  max: 'max(a, b)',
  min: 'min(a, b)',
  eq: 'select(0, 1, a == b)',
  gt: 'select(0, 1, a > b)',
  ge: 'select(0, 1, a >= b)',
  lt: 'select(0, 1, a < b)',
  le: 'select(0, 1, a <= b)',
};

/** How the operands of a binary kernel are indexed. */
export type BinaryLayout =
  /** Both operands have the output's shape. */
  | 'same'
  /** b is one element. */
  | 'scalarB'
  /** a is one element. */
  | 'scalarA'
  /** General broadcasting over at most 8 dimensions (words 2.. hold shape and strides). */
  | 'broadcast';

/** Most dimensions of a broadcast (after merging contiguous ones). */
export const MAX_RANK = 8;

/**
 * Words: 0 count, 1 rank; broadcast: 8–15 the output shape, 16–23 a's strides, 24–31 b's.
 * `aliasA`/`aliasB`: that operand is the output buffer.
 */
export function binarySource(
  op: BinaryOp,
  dtype: DType,
  layout: BinaryLayout,
  aliasA: boolean,
  aliasB: boolean,
): string {
  const t = wgslType(dtype);
  const bindings: BindingDecl[] = [];
  if (!aliasA) bindings.push({ name: 'A', type: t, access: 'read' });
  if (!aliasB) bindings.push({ name: 'B', type: t, access: 'read' });
  bindings.push({ name: 'O', type: t, access: 'read_write' });
  const A = aliasA ? 'O' : 'A';
  const B = aliasB ? 'O' : 'B';
  let index: string;
  switch (layout) {
    case 'same':
      index = '  let ai = i;\n  let bi = i;\n';
      break;
    case 'scalarB':
      index = '  let ai = i;\n  let bi = 0u;\n';
      break;
    case 'scalarA':
      index = '  let ai = 0u;\n  let bi = i;\n';
      break;
    case 'broadcast':
      index = `  var rest = i;
  var ai = 0u;
  var bi = 0u;
  for (var d = i32(pu(1u)) - 1; d >= 0; d--) {
    let du = u32(d);
    let c = rest % pu(8u + du);
    rest = rest / pu(8u + du);
    ai += c * pu(16u + du);
    bi += c * pu(24u + du);
  }
`;
      break;
  }
  const expr = t === 'f32' ? BINARY_F32[op] : BINARY_I32[op];
  return header(bindings) + main1d(`${index}  let a = ${A}[ai];\n  let b = ${B}[bi];\n  O[i] = ${expr};`);
}

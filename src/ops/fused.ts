/**
 * Fused element-wise expressions: arithmetic written as with tensors that runs as one
 * kernel pass (Backend.fused) instead of one pass over memory per operation.
 *
 *   const [m, v] = fuse([g, m0, v0], (g, m0, v0) => [
 *     m0.mul(β₁).add(g.mul(1 − β₁)),
 *     v0.mul(β₂).add(g.square().mul(1 − β₂)),
 *   ]);
 *
 * The body runs once per call on symbolic values (`Expr`), recording a small program; the
 * numbers in it become the program's scalars, so the program is the same on every call
 * (a bias correction that changes each step changes a scalar, not the program) and backends
 * compile it once. Each intermediate is rounded to the dtype as the separate op would round
 * it, so the result equals the unfused expression (bit for bit on the cpu backend).
 *
 * Not recorded on the tape: fuse is for arithmetic outside autograd (optimiser updates) and
 * for ops that record their own backward (linear's bias + activation).
 */
import type { BinaryOp, FusedInstruction, UnaryOp } from '../backend/contract.js';
import { isGradEnabled } from '../autograd/tape.js';
import { ConfigError, ShapeError } from '../errors.js';
import { formatShape, sameShape, type Shape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkSameBackend, checkTensor, empty } from './util.js';

type Operand = Expr | number;

class ProgramBuilder {
  readonly instructions: FusedInstruction[] = [];
  readonly scalars: number[] = [];

  push(ins: FusedInstruction): Expr {
    this.instructions.push(ins);
    return new Expr(this, this.instructions.length - 1);
  }

  operand(x: Operand): number {
    if (typeof x === 'number') {
      this.scalars.push(x);
      return this.push({ kind: 'scalar', scalar: this.scalars.length - 1 }).register;
    }
    if (!(x instanceof Expr) || x.builder !== this) {
      throw new ConfigError('fuse: an operand must be a number or a value of the same fuse body.');
    }
    return x.register;
  }
}

/** A value inside a fuse body: one register of the program being recorded. */
export class Expr {
  constructor(
    readonly builder: ProgramBuilder,
    readonly register: number,
  ) {}

  private unary(op: UnaryOp, p0 = 0, p1 = 0): Expr {
    return this.builder.push({ kind: 'unary', op, a: this.register, p0, p1 });
  }

  private binary(op: BinaryOp, b: Operand): Expr {
    const a = this.register;
    return this.builder.push({ kind: 'binary', op, a, b: this.builder.operand(b) });
  }

  add(b: Operand): Expr {
    return this.binary('add', b);
  }
  sub(b: Operand): Expr {
    return this.binary('sub', b);
  }
  mul(b: Operand): Expr {
    return this.binary('mul', b);
  }
  div(b: Operand): Expr {
    return this.binary('div', b);
  }
  pow(b: Operand): Expr {
    return this.binary('pow', b);
  }
  maximum(b: Operand): Expr {
    return this.binary('max', b);
  }
  minimum(b: Operand): Expr {
    return this.binary('min', b);
  }
  eq(b: Operand): Expr {
    return this.binary('eq', b);
  }
  gt(b: Operand): Expr {
    return this.binary('gt', b);
  }
  ge(b: Operand): Expr {
    return this.binary('ge', b);
  }
  lt(b: Operand): Expr {
    return this.binary('lt', b);
  }
  le(b: Operand): Expr {
    return this.binary('le', b);
  }
  neg(): Expr {
    return this.unary('neg');
  }
  exp(): Expr {
    return this.unary('exp');
  }
  log(): Expr {
    return this.unary('log');
  }
  sqrt(): Expr {
    return this.unary('sqrt');
  }
  abs(): Expr {
    return this.unary('abs');
  }
  sign(): Expr {
    return this.unary('sign');
  }
  square(): Expr {
    return this.unary('square');
  }
  reciprocal(): Expr {
    return this.unary('reciprocal');
  }
  sigmoid(): Expr {
    return this.unary('sigmoid');
  }
  tanh(): Expr {
    return this.unary('tanh');
  }
  relu(): Expr {
    return this.unary('relu');
  }
  step(): Expr {
    return this.unary('step');
  }
  softplus(): Expr {
    return this.unary('softplus');
  }
  leakyRelu(alpha: number): Expr {
    return this.unary('leakyRelu', alpha);
  }
  elu(alpha: number): Expr {
    return this.unary('elu', alpha);
  }
  clamp(min: number, max: number): Expr {
    return this.unary('clamp', min, max);
  }
  powScalar(exponent: number): Expr {
    return this.unary('powScalar', exponent);
  }
  /** f(x) for any unary op of the kernel contract, with its constants. */
  apply(op: UnaryOp, p0 = 0, p1 = 0): Expr {
    return this.unary(op, p0, p1);
  }
}

/**
 * How an input of shape `s` is read under the output shape: same-size (period 0), or a
 * block of the output's dimensions repeated around (a bias [units] under [batch, units],
 * [C, 1, 1] under [N, C, H, W]).
 */
function layoutOf(s: Shape, out: Shape, index: number): { every: number; period: number } {
  const size = s.reduce((p, d) => p * d, 1);
  const outSize = out.reduce((p, d) => p * d, 1);
  if (size === outSize && (sameShape(s, out) || size === 1)) return { every: 1, period: size === 1 ? 1 : 0 };
  const fail = () =>
    new ShapeError(
      `fuse: input ${index} ${formatShape(s)} does not broadcast to ${formatShape(out)} as one block of dimensions.`,
    );
  if (s.length > out.length) throw fail();
  const aligned = [...new Array<number>(out.length - s.length).fill(1), ...s];
  const kept = aligned.flatMap((d, k) => (d !== 1 ? [k] : []));
  if (kept.some((k) => aligned[k] !== out[k])) throw fail();
  if (kept.length === 0) return { every: 1, period: 1 };
  const first = kept[0];
  const last = kept[kept.length - 1];
  for (let k = first; k <= last; k++) if (aligned[k] !== out[k]) throw fail();
  const every = out.slice(last + 1).reduce((p, d) => p * d, 1);
  return { every, period: size };
}

/**
 * Evaluates `body` over the inputs' elements in one kernel pass and returns its results as
 * new tensors of the first input's shape and dtype (float32 or float64). The other inputs
 * have that shape, one element, or a block of its dimensions (a bias) that repeats.
 */
export function fuse(inputs: readonly Tensor[], body: (...values: Expr[]) => Expr | Expr[]): Tensor[] {
  if (inputs.length === 0) throw new ConfigError('fuse: needs at least one input tensor.');
  inputs.forEach((t, i) => checkTensor('fuse', `inputs[${i}]`, t));
  const [first] = inputs;
  const { dtype, shape } = first;
  if (dtype === 'int32') throw new ConfigError('fuse: inputs must be float32 or float64, got int32.');
  inputs.forEach((t, i) => {
    checkSameBackend('fuse', first, t);
    if (t.dtype !== dtype)
      throw new ConfigError(`fuse: input ${i} is ${t.dtype}, input 0 is ${dtype}; cast first.`);
  });
  if (isGradEnabled() && inputs.some((t) => t.requiresGrad)) {
    throw new ConfigError(
      'fuse: an input requires a gradient, but fused programs are not recorded on the tape; ' +
        'run it under noGrad, or record the backward yourself.',
    );
  }
  const builder = new ProgramBuilder();
  const values = inputs.map((t, i) =>
    builder.push({ kind: 'input', input: i, ...layoutOf(t.shape, shape, i) }),
  );
  const result = body(...values);
  const results = Array.isArray(result) ? result : [result];
  const outputs = results.map((r) => builder.operand(r));
  const key = builder.instructions
    .map((ins) => {
      switch (ins.kind) {
        case 'input':
          return `i${ins.input}:${ins.every}:${ins.period}`;
        case 'scalar':
          return `s${ins.scalar}`;
        case 'unary':
          return `${ins.op}(${ins.a},${ins.p0},${ins.p1})`;
        case 'binary':
          return `${ins.op}(${ins.a},${ins.b})`;
      }
    })
    .join(';');
  const program = { instructions: builder.instructions, outputs, key: `${key}>${outputs.join(',')}` };
  const out = results.map(() => empty(first.backend, dtype, shape));
  first.backend.fused(
    program,
    inputs.map((t) => t.storage),
    builder.scalars,
    out.map((t) => t.storage),
    dtype,
    first.size,
  );
  return out;
}

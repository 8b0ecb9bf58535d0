// Element-wise float32 kernels: unary functions, their gradients and broadcast binary ops.
// Op codes match the tables in src/backend/wasm/backend.ts. Simple functions run four lanes
// at a time; transcendental ones use AssemblyScript's Mathf, one lane at a time.

// Unary op codes.
const NEG = 0, EXP = 1, LOG = 2, SQRT = 3, ABS = 4, SIGN = 5, SQUARE = 6, RECIPROCAL = 7;
const SIGMOID = 8, TANH = 9, RELU = 10, STEP = 11, LEAKY_RELU = 12, ELU = 13, SOFTPLUS = 14;
const CLAMP = 15, POW_SCALAR = 16;

// Binary op codes.
const ADD = 0, SUB = 1, MUL = 2, DIV = 3, POW = 4, MAX = 5, MIN = 6;
const EQ = 7, GT = 8, GE = 9, LT = 10, LE = 11;

// @ts-ignore: decorator
@inline function sigmoid(v: f32): f32 {
  if (v >= 0) return 1 / (1 + Mathf.exp(-v));
  const e = Mathf.exp(v);
  return e / (1 + e);
}

function unaryScalar(op: i32, v: f32, p0: f32, p1: f32): f32 {
  switch (op) {
    case NEG: return -v;
    case EXP: return Mathf.exp(v);
    case LOG: return Mathf.log(v);
    case SQRT: return Mathf.sqrt(v);
    case ABS: return Mathf.abs(v);
    case SIGN: return v > 0 ? 1 : v < 0 ? -1 : v; // keeps ±0 and NaN, like Math.sign
    case SQUARE: return v * v;
    case RECIPROCAL: return 1 / v;
    case SIGMOID: return sigmoid(v);
    case TANH: return Mathf.tanh(v);
    case RELU: return v <= 0 ? 0 : v; // NaN propagates, as in PyTorch
    case STEP: return v >= 0 ? 1 : 0;
    case LEAKY_RELU: return v > 0 ? v : p0 * v;
    case ELU: return v > 0 ? v : p0 * Mathf.expm1(v);
    case SOFTPLUS: return max<f32>(v, 0) + Mathf.log1p(Mathf.exp(-Mathf.abs(v)));
    case CLAMP: {
      // Math.min(Math.max(v, p0), p1) with NaN propagating.
      if (v != v) return v;
      const lo = v < p0 ? p0 : v;
      return lo > p1 ? p1 : lo;
    }
    case POW_SCALAR: return Mathf.pow(v, p0);
  }
  return 0;
}

// @ts-ignore: decorator
@inline function unaryVec(op: i32, v: v128, p0: v128, p1: v128): v128 {
  const zero = f32x4.splat(0);
  const one = f32x4.splat(1);
  switch (op) {
    case NEG: return f32x4.neg(v);
    case SQRT: return f32x4.sqrt(v);
    case ABS: return f32x4.abs(v);
    case SQUARE: return f32x4.mul(v, v);
    case RECIPROCAL: return f32x4.div(one, v);
    case RELU: return v128.andnot(v, f32x4.le(v, zero)); // NaN propagates
    case STEP: return v128.and(one, f32x4.ge(v, zero));
    case LEAKY_RELU: return v128.bitselect(v, f32x4.mul(p0, v), f32x4.gt(v, zero));
    case CLAMP: {
      // max then min, NaN-propagating like Math.max/Math.min.
      const lo = v128.bitselect(p0, v, f32x4.lt(v, p0));
      const r = v128.bitselect(p1, lo, f32x4.gt(lo, p1));
      return r;
    }
  }
  return v;
}

// @ts-ignore: decorator
@inline function isVectorUnary(op: i32): bool {
  return op == NEG || op == SQRT || op == ABS || op == SQUARE || op == RECIPROCAL || op == RELU ||
    op == STEP || op == LEAKY_RELU || op == CLAMP;
}

// @ts-ignore: decorator
@inline function unaryLoop(op: i32, x: usize, out: usize, n: i32, p0: f32, p1: f32): void {
  let i = 0;
  if (isVectorUnary(op)) {
    const v0 = f32x4.splat(p0);
    const v1 = f32x4.splat(p1);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, unaryVec(op, v128.load(x + o), v0, v1));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, unaryScalar(op, load<f32>(x + o), p0, p1));
  }
}

/** out[i] = f(x[i]) for i < n; out may equal x. */
export function unaryF32(op: i32, x: usize, out: usize, n: i32, p0: f32, p1: f32): void {
  // One specialised loop per op (the op is a constant inside each inlined copy).
  switch (op) {
    case NEG: unaryLoop(NEG, x, out, n, p0, p1); break;
    case SQRT: unaryLoop(SQRT, x, out, n, p0, p1); break;
    case ABS: unaryLoop(ABS, x, out, n, p0, p1); break;
    case SQUARE: unaryLoop(SQUARE, x, out, n, p0, p1); break;
    case RECIPROCAL: unaryLoop(RECIPROCAL, x, out, n, p0, p1); break;
    case RELU: unaryLoop(RELU, x, out, n, p0, p1); break;
    case STEP: unaryLoop(STEP, x, out, n, p0, p1); break;
    case LEAKY_RELU: unaryLoop(LEAKY_RELU, x, out, n, p0, p1); break;
    case CLAMP: unaryLoop(CLAMP, x, out, n, p0, p1); break;
    case EXP: unaryLoop(EXP, x, out, n, p0, p1); break;
    case LOG: unaryLoop(LOG, x, out, n, p0, p1); break;
    case SIGMOID: unaryLoop(SIGMOID, x, out, n, p0, p1); break;
    case TANH: unaryLoop(TANH, x, out, n, p0, p1); break;
    default: unaryLoop(op, x, out, n, p0, p1);
  }
}

/** dx = dy · f′(x) for i < n, from the input x and output y; dx may equal dy. */
export function unaryGradF32(op: i32, x: usize, y: usize, dy: usize, dx: usize, n: i32, p0: f32, p1: f32): void {
  let i = 0;
  const zero = f32x4.splat(0);
  const one = f32x4.splat(1);
  switch (op) {
    case RELU: {
      for (; i + 4 <= n; i += 4) {
        const o = <usize>i << 2;
        v128.store(dx + o, v128.and(v128.load(dy + o), f32x4.gt(v128.load(x + o), zero)));
      }
      break;
    }
    case SIGMOID: {
      for (; i + 4 <= n; i += 4) {
        const o = <usize>i << 2;
        const yv = v128.load(y + o);
        v128.store(dx + o, f32x4.mul(f32x4.mul(v128.load(dy + o), yv), f32x4.sub(one, yv)));
      }
      break;
    }
    case TANH: {
      for (; i + 4 <= n; i += 4) {
        const o = <usize>i << 2;
        const yv = v128.load(y + o);
        v128.store(dx + o, f32x4.mul(v128.load(dy + o), f32x4.sub(one, f32x4.mul(yv, yv))));
      }
      break;
    }
    case NEG: {
      for (; i + 4 <= n; i += 4) {
        const o = <usize>i << 2;
        v128.store(dx + o, f32x4.neg(v128.load(dy + o)));
      }
      break;
    }
    case SQUARE: {
      const two = f32x4.splat(2);
      for (; i + 4 <= n; i += 4) {
        const o = <usize>i << 2;
        v128.store(dx + o, f32x4.mul(f32x4.mul(two, v128.load(x + o)), v128.load(dy + o)));
      }
      break;
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const xv = load<f32>(x + o);
    const yv = load<f32>(y + o);
    const d = load<f32>(dy + o);
    let r: f32 = 0;
    switch (op) {
      case NEG: r = -d; break;
      case EXP: r = d * yv; break;
      case LOG: r = d / xv; break;
      case SQRT: r = d / (2 * yv); break;
      case ABS: r = d * (xv > 0 ? 1 : xv < 0 ? -1 : xv); break;
      case SIGN: case STEP: r = 0; break;
      case SQUARE: r = 2 * xv * d; break;
      case RECIPROCAL: r = -d * yv * yv; break;
      case SIGMOID: r = d * yv * (1 - yv); break;
      case TANH: r = d * (1 - yv * yv); break;
      case RELU: r = xv > 0 ? d : 0; break;
      case LEAKY_RELU: r = xv > 0 ? d : p0 * d; break;
      case ELU: r = xv > 0 ? d : d * (yv + p0); break;
      case SOFTPLUS: r = d * sigmoid(xv); break;
      case CLAMP: r = xv >= p0 && xv <= p1 ? d : 0; break;
      case POW_SCALAR: r = d * p0 * Mathf.pow(xv, p0 - 1); break;
    }
    store<f32>(dx + o, r);
  }
}

// @ts-ignore: decorator
@inline function binScalar(op: i32, a: f32, b: f32): f32 {
  switch (op) {
    case ADD: return a + b;
    case SUB: return a - b;
    case MUL: return a * b;
    case DIV: return a / b;
    case POW: return Mathf.pow(a, b);
    case MAX: return max<f32>(a, b); // f32.max: NaN-propagating, −0 < +0, like Math.max
    case MIN: return min<f32>(a, b);
    case EQ: return a == b ? 1 : 0;
    case GT: return a > b ? 1 : 0;
    case GE: return a >= b ? 1 : 0;
    case LT: return a < b ? 1 : 0;
    case LE: return a <= b ? 1 : 0;
  }
  return 0;
}

// @ts-ignore: decorator
@inline function binVec(op: i32, a: v128, b: v128): v128 {
  const one = f32x4.splat(1);
  switch (op) {
    case ADD: return f32x4.add(a, b);
    case SUB: return f32x4.sub(a, b);
    case MUL: return f32x4.mul(a, b);
    case DIV: return f32x4.div(a, b);
    case MAX: return f32x4.max(a, b);
    case MIN: return f32x4.min(a, b);
    case EQ: return v128.and(one, f32x4.eq(a, b));
    case GT: return v128.and(one, f32x4.gt(a, b));
    case GE: return v128.and(one, f32x4.ge(a, b));
    case LT: return v128.and(one, f32x4.lt(a, b));
    case LE: return v128.and(one, f32x4.le(a, b));
  }
  return a;
}

/** One run: out[i] = a[i·as] ∘ b[i·bs] for i < n, with as, bs ∈ {0, 1}. */
// @ts-ignore: decorator
@inline function binRun(op: i32, a: usize, as: i32, b: usize, bs: i32, out: usize, n: i32): void {
  let i = 0;
  if (op != POW) {
    if (as != 0 && bs != 0) {
      for (; i + 4 <= n; i += 4) {
        const o = <usize>i << 2;
        v128.store(out + o, binVec(op, v128.load(a + o), v128.load(b + o)));
      }
    } else if (as != 0) {
      const vb = v128.load32_splat(b);
      for (; i + 4 <= n; i += 4) {
        const o = <usize>i << 2;
        v128.store(out + o, binVec(op, v128.load(a + o), vb));
      }
    } else if (bs != 0) {
      const va = v128.load32_splat(a);
      for (; i + 4 <= n; i += 4) {
        const o = <usize>i << 2;
        v128.store(out + o, binVec(op, va, v128.load(b + o)));
      }
    }
  }
  for (; i < n; i++) {
    store<f32>(out + (<usize>i << 2), binScalar(op, load<f32>(a + (<usize>(i * as) << 2)), load<f32>(b + (<usize>(i * bs) << 2))));
  }
}

// @ts-ignore: decorator
@inline function binRows(
  op: i32, a: usize, aso: i32, asi: i32, b: usize, bso: i32, bsi: i32, out: usize, outer: i32, inner: i32,
): void {
  for (let o = 0; o < outer; o++) {
    binRun(
      op, a + (<usize>(o * aso) << 2), asi, b + (<usize>(o * bso) << 2), bsi,
      out + (<usize>o * <usize>inner << 2), inner,
    );
  }
}

/**
 * out[o, i] = a[o·aso + i·asi] ∘ b[o·bso + i·bsi] for o < outer, i < inner (strides in
 * elements; asi, bsi ∈ {0, 1}). The backend folds any broadcast into this 2-D form.
 */
export function binaryF32(
  op: i32, a: usize, aso: i32, asi: i32, b: usize, bso: i32, bsi: i32, out: usize, outer: i32, inner: i32,
): void {
  switch (op) {
    case ADD: binRows(ADD, a, aso, asi, b, bso, bsi, out, outer, inner); break;
    case SUB: binRows(SUB, a, aso, asi, b, bso, bsi, out, outer, inner); break;
    case MUL: binRows(MUL, a, aso, asi, b, bso, bsi, out, outer, inner); break;
    case DIV: binRows(DIV, a, aso, asi, b, bso, bsi, out, outer, inner); break;
    case POW: binRows(POW, a, aso, asi, b, bso, bsi, out, outer, inner); break;
    case MAX: binRows(MAX, a, aso, asi, b, bso, bsi, out, outer, inner); break;
    case MIN: binRows(MIN, a, aso, asi, b, bso, bsi, out, outer, inner); break;
    case EQ: binRows(EQ, a, aso, asi, b, bso, bsi, out, outer, inner); break;
    case GT: binRows(GT, a, aso, asi, b, bso, bsi, out, outer, inner); break;
    case GE: binRows(GE, a, aso, asi, b, bso, bsi, out, outer, inner); break;
    case LT: binRows(LT, a, aso, asi, b, bso, bsi, out, outer, inner); break;
    case LE: binRows(LE, a, aso, asi, b, bso, bsi, out, outer, inner); break;
  }
}

/** out[i] = value for i < n (32-bit pattern, so it serves float32 and int32). */
export function fill32(out: usize, n: i32, bits: i32): void {
  let i = 0;
  const v = i32x4.splat(bits);
  for (; i + 4 <= n; i += 4) v128.store(out + (<usize>i << 2), v);
  for (; i < n; i++) store<i32>(out + (<usize>i << 2), bits);
}

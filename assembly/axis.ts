// Axis-wise float32 kernels over an [outer, axis, inner] view: reductions, softmax and its
// gradient. When inner > 1 the inner dimension is processed four lanes at a time in the same
// order as the cpu reference (so sums match it bit for bit); when inner == 1 rows are
// contiguous and reduced with four partial sums.

const SUM = 0, MAX = 1, MIN = 2;

// @ts-ignore: decorator
@inline function combine(op: i32, acc: v128, v: v128): v128 {
  if (op == SUM) return f32x4.add(acc, v);
  if (op == MAX) return f32x4.max(acc, v);
  return f32x4.min(acc, v);
}

// @ts-ignore: decorator
@inline function combineScalar(op: i32, acc: f32, v: f32): f32 {
  if (op == SUM) return acc + v;
  if (op == MAX) return max<f32>(acc, v);
  return min<f32>(acc, v);
}

// @ts-ignore: decorator
@inline function reduceLoop(op: i32, x: usize, outer: i32, axis: i32, inner: i32, out: usize): void {
  const rowBytes = <usize>inner << 2;
  if (inner == 1) {
    for (let o = 0; o < outer; o++) {
      const base = x + (<usize>o * <usize>axis << 2);
      let k = 0;
      let r: f32;
      if (axis >= 8) {
        let acc = v128.load(base);
        for (k = 4; k + 4 <= axis; k += 4) acc = combine(op, acc, v128.load(base + (<usize>k << 2)));
        r = combineScalar(
          op,
          combineScalar(op, f32x4.extract_lane(acc, 0), f32x4.extract_lane(acc, 1)),
          combineScalar(op, f32x4.extract_lane(acc, 2), f32x4.extract_lane(acc, 3)),
        );
      } else {
        r = load<f32>(base);
        k = 1;
      }
      for (; k < axis; k++) r = combineScalar(op, r, load<f32>(base + (<usize>k << 2)));
      store<f32>(out + (<usize>o << 2), r);
    }
    return;
  }
  for (let o = 0; o < outer; o++) {
    const base = x + <usize>o * <usize>axis * rowBytes;
    const ob = out + <usize>o * rowBytes;
    memory.copy(ob, base, rowBytes);
    for (let k = 1; k < axis; k++) {
      const row = base + <usize>k * rowBytes;
      let i = 0;
      for (; i + 4 <= inner; i += 4) {
        const p = <usize>i << 2;
        v128.store(ob + p, combine(op, v128.load(ob + p), v128.load(row + p)));
      }
      for (; i < inner; i++) {
        const p = <usize>i << 2;
        store<f32>(ob + p, combineScalar(op, load<f32>(ob + p), load<f32>(row + p)));
      }
    }
  }
}

/** out[o, i] = reduce_k x[o, k, i] (axis ≥ 1; the backend handles empty axes). */
export function reduceF32(op: i32, x: usize, outer: i32, axis: i32, inner: i32, out: usize): void {
  if (op == SUM) reduceLoop(SUM, x, outer, axis, inner, out);
  else if (op == MAX) reduceLoop(MAX, x, outer, axis, inner, out);
  else reduceLoop(MIN, x, outer, axis, inner, out);
}

/** Softmax (or log-softmax) along the axis, stabilised by the maximum; sums in float64. */
export function softmaxF32(x: usize, outer: i32, axis: i32, inner: i32, out: usize, log: bool): void {
  const stride = <usize>inner << 2;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = (<usize>o * <usize>axis * <usize>inner + <usize>i) << 2;
      const xb = x + base;
      const ob = out + base;
      let mx: f32 = -Infinity;
      for (let k = 0; k < axis; k++) mx = max<f32>(mx, load<f32>(xb + <usize>k * stride));
      let sum: f64 = 0;
      if (log) {
        for (let k = 0; k < axis; k++) sum += <f64>Mathf.exp(load<f32>(xb + <usize>k * stride) - mx);
        const logSum = <f32>(Math.log(sum) + <f64>mx);
        for (let k = 0; k < axis; k++) {
          const p = <usize>k * stride;
          store<f32>(ob + p, load<f32>(xb + p) - logSum);
        }
      } else {
        for (let k = 0; k < axis; k++) {
          const p = <usize>k * stride;
          const e = Mathf.exp(load<f32>(xb + p) - mx);
          store<f32>(ob + p, e);
          sum += <f64>e;
        }
        const inv = 1 / sum;
        for (let k = 0; k < axis; k++) {
          const p = <usize>k * stride;
          store<f32>(ob + p, <f32>(<f64>load<f32>(ob + p) * inv));
        }
      }
    }
  }
}

/** softmax: dx = y ⊙ (dy − Σ dy ⊙ y); log-softmax: dx = dy − exp(y) ⊙ Σ dy. */
export function softmaxGradF32(y: usize, dy: usize, outer: i32, axis: i32, inner: i32, dx: usize, log: bool): void {
  const stride = <usize>inner << 2;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = (<usize>o * <usize>axis * <usize>inner + <usize>i) << 2;
      let s: f64 = 0;
      if (log) {
        for (let k = 0; k < axis; k++) s += <f64>load<f32>(dy + base + <usize>k * stride);
        for (let k = 0; k < axis; k++) {
          const p = base + <usize>k * stride;
          store<f32>(dx + p, <f32>(<f64>load<f32>(dy + p) - <f64>Mathf.exp(load<f32>(y + p)) * s));
        }
      } else {
        for (let k = 0; k < axis; k++) {
          const p = base + <usize>k * stride;
          s += <f64>load<f32>(dy + p) * <f64>load<f32>(y + p);
        }
        for (let k = 0; k < axis; k++) {
          const p = base + <usize>k * stride;
          const yv = <f64>load<f32>(y + p);
          store<f32>(dx + p, <f32>(yv * (<f64>load<f32>(dy + p) - s)));
        }
      }
    }
  }
}

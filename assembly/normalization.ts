// Batch normalisation (Backend.batchNorm, batchNormGrad) for float32, x seen as
// [outer, C, inner] with the channels in the middle. Each (outer, channel) row of `inner`
// contiguous values is one SIMD loop; the per-channel sums add the rows' four-lane partial
// sums in float64, in row order, so the result does not depend on how the work is split.
//
//   forward:  μ = Σx/m   σ² = Σ(x − μ)²/m   r = 1/√(σ² + ε)   y = (x − μ)·r·γ + β
//   backward: x̂ = (x − μ)·r   dβ = Σdy   dγ = Σdy·x̂   dx = γ·r·(dy − dβ/m − x̂·dγ/m)
// gamma, beta, dx, dGamma, dBeta may be 0 (none).

// @ts-ignore: decorator
@inline function lanes(v: v128): f64 {
  return <f64>f32x4.extract_lane(v, 0) + <f64>f32x4.extract_lane(v, 1) +
    <f64>f32x4.extract_lane(v, 2) + <f64>f32x4.extract_lane(v, 3);
}

/** Σ p[i] for i < n. */
function rowSum(p: usize, n: i32): f64 {
  let acc = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) acc = f32x4.add(acc, v128.load(p + (<usize>i << 2)));
  let s = lanes(acc);
  for (; i < n; i++) s += <f64>load<f32>(p + (<usize>i << 2));
  return s;
}

/** Σ (p[i] − mu)² for i < n. */
function rowSquares(p: usize, n: i32, mu: f32): f64 {
  const m = f32x4.splat(mu);
  let acc = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const d = f32x4.sub(v128.load(p + (<usize>i << 2)), m);
    acc = f32x4.add(acc, f32x4.mul(d, d));
  }
  let s = lanes(acc);
  for (; i < n; i++) {
    const d = load<f32>(p + (<usize>i << 2)) - mu;
    s += <f64>(d * d);
  }
  return s;
}

/** out[i] = (p[i] − mu)·a + b·q[i] + c for i < n (q may be 0, then without the b·q term). */
function rowAffine(p: usize, q: usize, out: usize, n: i32, mu: f32, a: f32, b: f32, c: f32): void {
  const vm = f32x4.splat(mu), va = f32x4.splat(a), vb = f32x4.splat(b), vc = f32x4.splat(c);
  let i = 0;
  if (q == 0) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, f32x4.add(f32x4.mul(f32x4.sub(v128.load(p + o), vm), va), vc));
    }
    for (; i < n; i++) {
      const o = <usize>i << 2;
      store<f32>(out + o, (load<f32>(p + o) - mu) * a + c);
    }
  } else {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const t = f32x4.add(f32x4.mul(f32x4.sub(v128.load(p + o), vm), va), f32x4.mul(v128.load(q + o), vb));
      v128.store(out + o, f32x4.add(t, vc));
    }
    for (; i < n; i++) {
      const o = <usize>i << 2;
      store<f32>(out + o, (load<f32>(p + o) - mu) * a + load<f32>(q + o) * b + c);
    }
  }
}

// @ts-ignore: decorator
@inline function row(base: usize, o: i32, C: i32, c: i32, inner: i32): usize {
  return base + ((<usize>o * <usize>C + <usize>c) * <usize>inner << 2);
}

export function batchNormF32(
  x: usize, outer: i32, C: i32, inner: i32, eps: f64, gamma: usize, beta: usize,
  y: usize, mean: usize, variance: usize, invStd: usize,
): void {
  const m = <f64>outer * <f64>inner;
  for (let c = 0; c < C; c++) {
    let s: f64 = 0;
    for (let o = 0; o < outer; o++) s += rowSum(row(x, o, C, c, inner), inner);
    const mu = <f32>(s / m);
    let q: f64 = 0;
    for (let o = 0; o < outer; o++) q += rowSquares(row(x, o, C, c, inner), inner, mu);
    const v = <f32>(q / m);
    const r = <f32>(1 / Math.sqrt(<f64>v + eps));
    const cc = <usize>c << 2;
    store<f32>(mean + cc, mu);
    store<f32>(variance + cc, v);
    store<f32>(invStd + cc, r);
    const scale = r * (gamma ? load<f32>(gamma + cc) : <f32>1);
    const shift = beta ? load<f32>(beta + cc) : <f32>0;
    for (let o = 0; o < outer; o++) {
      rowAffine(row(x, o, C, c, inner), 0, row(y, o, C, c, inner), inner, mu, scale, 0, shift);
    }
  }
}

export function batchNormGradF32(
  x: usize, dy: usize, outer: i32, C: i32, inner: i32, gamma: usize, mean: usize, invStd: usize,
  dx: usize, dGamma: usize, dBeta: usize,
): void {
  const m = <f64>outer * <f64>inner;
  for (let c = 0; c < C; c++) {
    const cc = <usize>c << 2;
    const mu = load<f32>(mean + cc);
    const r = load<f32>(invStd + cc);
    let sdy: f64 = 0;
    let sdyxc: f64 = 0; // Σ dy·(x − μ)
    const vm = f32x4.splat(mu);
    for (let o = 0; o < outer; o++) {
      const px = row(x, o, C, c, inner), pd = row(dy, o, C, c, inner);
      let a1 = f32x4.splat(0), a2 = f32x4.splat(0);
      let i = 0;
      for (; i + 4 <= inner; i += 4) {
        const off = <usize>i << 2;
        const g = v128.load(pd + off);
        a1 = f32x4.add(a1, g);
        a2 = f32x4.add(a2, f32x4.mul(g, f32x4.sub(v128.load(px + off), vm)));
      }
      let s1 = lanes(a1), s2 = lanes(a2);
      for (; i < inner; i++) {
        const off = <usize>i << 2;
        const g = load<f32>(pd + off);
        s1 += <f64>g;
        s2 += <f64>(g * (load<f32>(px + off) - mu));
      }
      sdy += s1;
      sdyxc += s2;
    }
    const sdyx = sdyxc * <f64>r;
    if (dBeta) store<f32>(dBeta + cc, <f32>sdy);
    if (dGamma) store<f32>(dGamma + cc, <f32>sdyx);
    if (!dx) continue;
    // dx = k·dy − k·r·(dγ/m)·(x − μ) − k·dβ/m, k = γ·r.
    const k = <f64>(gamma ? load<f32>(gamma + cc) : <f32>1) * <f64>r;
    const a = <f32>(-k * <f64>r * sdyx / m);
    const shift = <f32>(-k * sdy / m);
    for (let o = 0; o < outer; o++) {
      rowAffine(row(x, o, C, c, inner), row(dy, o, C, c, inner), row(dx, o, C, c, inner), inner, mu, a, <f32>k, shift);
    }
  }
}

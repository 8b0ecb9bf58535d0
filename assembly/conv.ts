// Convolution helpers (im2col, col2im) and 2-D pooling over NCHW batches, for float32 and
// float64 (one generic source, two instantiations). The window geometry arrives as 16 i32
// values at `g`, in the order of the Window2d interface:
//   batch, channels, inH, inW, kH, kW, strideH, strideW, padTop, padLeft, padBottom,
//   padRight, dilationH, dilationW, outH, outW.

const MAX = 0, AVG = 1, AVG_INCLUDE_PAD = 2;

// @ts-ignore: decorator
@inline function gi(g: usize, i: i32): i32 {
  return load<i32>(g + (<usize>i << 2));
}

/** Copies n elements of T from src to dst (non-overlapping), 16 bytes at a time. */
// @ts-ignore: decorator
@inline function copyElems<T>(dst: usize, src: usize, n: i32): void {
  const bytes = <usize>n * sizeof<T>();
  let b: usize = 0;
  for (; b + 16 <= bytes; b += 16) v128.store(dst + b, v128.load(src + b));
  for (; b < bytes; b += sizeof<T>()) store<T>(dst + b, load<T>(src + b));
}

/** dst[k] += src[k] for k < n. */
// @ts-ignore: decorator
@inline function addElems<T>(dst: usize, src: usize, n: i32): void {
  const bytes = <usize>n * sizeof<T>();
  let b: usize = 0;
  if (sizeof<T>() == 4) {
    for (; b + 16 <= bytes; b += 16) v128.store(dst + b, f32x4.add(v128.load(dst + b), v128.load(src + b)));
  } else {
    for (; b + 16 <= bytes; b += 16) v128.store(dst + b, f64x2.add(v128.load(dst + b), v128.load(src + b)));
  }
  for (; b < bytes; b += sizeof<T>()) store<T>(dst + b, load<T>(dst + b) + load<T>(src + b));
}

/** The outputs t < count whose tap t·stride + off lands inside [0, size): [lo, hi). */
// @ts-ignore: decorator
@inline function validLo(off: i32, stride: i32): i32 {
  return off >= 0 ? 0 : (-off + stride - 1) / stride;
}
// @ts-ignore: decorator
@inline function validHi(off: i32, stride: i32, size: i32, count: i32): i32 {
  const last = size - 1 - off;
  return last < 0 ? 0 : min(count, last / stride + 1);
}

function im2col<T>(x: usize, g: usize, out: usize): void {
  const N = gi(g, 0), C = gi(g, 1), inH = gi(g, 2), inW = gi(g, 3), kH = gi(g, 4), kW = gi(g, 5);
  const sH = gi(g, 6), sW = gi(g, 7), pT = gi(g, 8), pL = gi(g, 9), dH = gi(g, 12), dW = gi(g, 13);
  const outH = gi(g, 14), outW = gi(g, 15);
  const cols = <usize>N * <usize>outH * <usize>outW;
  const size = <usize>sizeof<T>();
  for (let c = 0; c < C; c++) {
    for (let i = 0; i < kH; i++) {
      const ihOff = i * dH - pT;
      const ohLo = min(outH, validLo(ihOff, sH));
      const ohHi = max(ohLo, validHi(ihOff, sH, inH, outH));
      for (let j = 0; j < kW; j++) {
        const iwOff = j * dW - pL;
        const owLo = min(outW, validLo(iwOff, sW));
        const owHi = max(owLo, validHi(iwOff, sW, inW, outW));
        let dst = out + <usize>((c * kH + i) * kW + j) * cols * size;
        for (let n = 0; n < N; n++) {
          const plane = x + (<usize>(n * C + c) * <usize>inH * <usize>inW) * size;
          if (ohLo > 0) memory.fill(dst, 0, <usize>(ohLo * outW) * size);
          for (let oh = ohLo; oh < ohHi; oh++) {
            const d = dst + <usize>(oh * outW) * size;
            const row = plane + <usize>((oh * sH + ihOff) * inW + iwOff) * size;
            if (owLo > 0) memory.fill(d, 0, <usize>owLo * size);
            if (sW == 1) {
              copyElems<T>(d + <usize>owLo * size, row + <usize>owLo * size, owHi - owLo);
            } else {
              for (let ow = owLo; ow < owHi; ow++) store<T>(d + <usize>ow * size, load<T>(row + <usize>(ow * sW) * size));
            }
            if (owHi < outW) memory.fill(d + <usize>owHi * size, 0, <usize>(outW - owHi) * size);
          }
          if (ohHi < outH) memory.fill(dst + <usize>(ohHi * outW) * size, 0, <usize>((outH - ohHi) * outW) * size);
          dst += <usize>(outH * outW) * size;
        }
      }
    }
  }
}

function col2im<T>(cols_: usize, g: usize, out: usize): void {
  const N = gi(g, 0), C = gi(g, 1), inH = gi(g, 2), inW = gi(g, 3), kH = gi(g, 4), kW = gi(g, 5);
  const sH = gi(g, 6), sW = gi(g, 7), pT = gi(g, 8), pL = gi(g, 9), dH = gi(g, 12), dW = gi(g, 13);
  const outH = gi(g, 14), outW = gi(g, 15);
  const cols = <usize>N * <usize>outH * <usize>outW;
  const size = <usize>sizeof<T>();
  memory.fill(out, 0, <usize>N * <usize>C * <usize>inH * <usize>inW * size);
  for (let c = 0; c < C; c++) {
    for (let i = 0; i < kH; i++) {
      const ihOff = i * dH - pT;
      const ohLo = min(outH, validLo(ihOff, sH));
      const ohHi = max(ohLo, validHi(ihOff, sH, inH, outH));
      for (let j = 0; j < kW; j++) {
        const iwOff = j * dW - pL;
        const owLo = min(outW, validLo(iwOff, sW));
        const owHi = max(owLo, validHi(iwOff, sW, inW, outW));
        let src = cols_ + <usize>((c * kH + i) * kW + j) * cols * size;
        for (let n = 0; n < N; n++) {
          const plane = out + (<usize>(n * C + c) * <usize>inH * <usize>inW) * size;
          for (let oh = ohLo; oh < ohHi; oh++) {
            const s = src + <usize>(oh * outW) * size;
            const row = plane + <usize>((oh * sH + ihOff) * inW + iwOff) * size;
            if (sW == 1) {
              addElems<T>(row + <usize>owLo * size, s + <usize>owLo * size, owHi - owLo);
            } else {
              for (let ow = owLo; ow < owHi; ow++) {
                const p = row + <usize>(ow * sW) * size;
                store<T>(p, load<T>(p) + load<T>(s + <usize>ow * size));
              }
            }
          }
          src += <usize>(outH * outW) * size;
        }
      }
    }
  }
}

/** The divisor of an average window (0 when the window has no position to count). */
// @ts-ignore: decorator
@inline function avgDivisor(op: i32, g: usize, oh: i32, ow: i32): i32 {
  const inH = gi(g, 2), inW = gi(g, 3), kH = gi(g, 4), kW = gi(g, 5);
  const sH = gi(g, 6), sW = gi(g, 7), pT = gi(g, 8), pL = gi(g, 9), pB = gi(g, 10), pR = gi(g, 11);
  const dH = gi(g, 12), dW = gi(g, 13);
  const loH = op == AVG ? 0 : -pT, hiH = op == AVG ? inH : inH + pB;
  const loW = op == AVG ? 0 : -pL, hiW = op == AVG ? inW : inW + pR;
  let rows = 0, colsN = 0;
  for (let i = 0; i < kH; i++) {
    const ih = oh * sH - pT + i * dH;
    if (ih >= loH && ih < hiH) rows++;
  }
  for (let j = 0; j < kW; j++) {
    const iw = ow * sW - pL + j * dW;
    if (iw >= loW && iw < hiW) colsN++;
  }
  return rows * colsN;
}

function pool2d<T>(op: i32, x: usize, g: usize, out: usize, argmax: usize): void {
  const N = gi(g, 0), C = gi(g, 1), inH = gi(g, 2), inW = gi(g, 3), kH = gi(g, 4), kW = gi(g, 5);
  const sH = gi(g, 6), sW = gi(g, 7), pT = gi(g, 8), pL = gi(g, 9), dH = gi(g, 12), dW = gi(g, 13);
  const outH = gi(g, 14), outW = gi(g, 15);
  const size = <usize>sizeof<T>();
  const fast2x2 = kH == 2 && kW == 2 && sH == 2 && sW == 2 && dH == 1 && dW == 1 && pT == 0 && pL == 0 &&
    2 * outH <= inH && 2 * outW <= inW;
  let o: usize = 0;
  for (let plane = 0; plane < N * C; plane++) {
    const xp = x + <usize>plane * <usize>inH * <usize>inW * size;
    for (let oh = 0; oh < outH; oh++) {
      const ih0 = oh * sH - pT;
      // Taps i of the window whose row ih0 + i·dH is inside the image.
      const iLo = min(kH, validLo(ih0, dH));
      const iHi = max(iLo, validHi(ih0, dH, inH, kH));
      let owStart = 0;
      if (sizeof<T>() == 4 && op == MAX && fast2x2) {
        // 2×2 windows, stride 2, inside the image: four outputs per step, branch-free.
        owStart = outW & ~3;
        const r0 = xp + (<usize>(2 * oh * inW) << 2);
        const r1 = r0 + (<usize>inW << 2);
        const colOffsets = i32x4(0, 2, 4, 6);
        for (let ow = 0; ow < owStart; ow += 4) {
          const p = <usize>ow << 3;
          const a0 = v128.load(r0 + p), a1 = v128.load(r0 + p, 16);
          const b0 = v128.load(r1 + p), b1 = v128.load(r1 + p, 16);
          const idx0 = i32x4.add(i32x4.splat(2 * oh * inW + 2 * ow), colOffsets);
          let best = v128.shuffle<f32>(a0, a1, 0, 2, 4, 6);
          let idx = idx0;
          let v = v128.shuffle<f32>(a0, a1, 1, 3, 5, 7);
          let take = v128.or(f32x4.gt(v, best), f32x4.ne(v, v));
          best = v128.bitselect(v, best, take);
          idx = v128.bitselect(i32x4.add(idx0, i32x4.splat(1)), idx, take);
          v = v128.shuffle<f32>(b0, b1, 0, 2, 4, 6);
          take = v128.or(f32x4.gt(v, best), f32x4.ne(v, v));
          best = v128.bitselect(v, best, take);
          idx = v128.bitselect(i32x4.add(idx0, i32x4.splat(inW)), idx, take);
          v = v128.shuffle<f32>(b0, b1, 1, 3, 5, 7);
          take = v128.or(f32x4.gt(v, best), f32x4.ne(v, v));
          best = v128.bitselect(v, best, take);
          idx = v128.bitselect(i32x4.add(idx0, i32x4.splat(inW + 1)), idx, take);
          v128.store(out + ((o + <usize>ow) << 2), best);
          v128.store(argmax + ((o + <usize>ow) << 2), idx);
        }
        o += <usize>owStart;
      }
      for (let ow = owStart; ow < outW; ow++) {
        const iw0 = ow * sW - pL;
        const jLo = min(kW, validLo(iw0, dW));
        const jHi = max(jLo, validHi(iw0, dW, inW, kW));
        if (op == MAX) {
          let best: T = <T>-Infinity;
          let bestIndex = -1;
          if (iLo < iHi && jLo < jHi) {
            bestIndex = (ih0 + iLo * dH) * inW + iw0 + jLo * dW;
            best = load<T>(xp + <usize>bestIndex * size);
          }
          for (let i = iLo; i < iHi; i++) {
            const r = (ih0 + i * dH) * inW + iw0;
            for (let j = jLo; j < jHi; j++) {
              const at = r + j * dW;
              const v = load<T>(xp + <usize>at * size);
              // As the cpu reference: the first maximum wins ties; a NaN wins (the last one).
              // Branch-free: random data would mispredict a branch half the time.
              const take = v > best || v != v;
              best = select<T>(v, best, take);
              bestIndex = select<i32>(at, bestIndex, take);
            }
          }
          store<T>(out + o * size, best);
          store<i32>(argmax + (o << 2), bestIndex);
        } else {
          let sum: f64 = 0;
          for (let i = iLo; i < iHi; i++) {
            const r = (ih0 + i * dH) * inW + iw0;
            for (let j = jLo; j < jHi; j++) sum += <f64>load<T>(xp + <usize>(r + j * dW) * size);
          }
          const divisor = avgDivisor(op, g, oh, ow);
          store<T>(out + o * size, divisor > 0 ? <T>(sum / <f64>divisor) : <T>0);
        }
        o++;
      }
    }
  }
}

function pool2dGrad<T>(op: i32, dy: usize, g: usize, argmax: usize, dx: usize): void {
  const N = gi(g, 0), C = gi(g, 1), inH = gi(g, 2), inW = gi(g, 3), kH = gi(g, 4), kW = gi(g, 5);
  const sH = gi(g, 6), sW = gi(g, 7), pT = gi(g, 8), pL = gi(g, 9), dH = gi(g, 12), dW = gi(g, 13);
  const outH = gi(g, 14), outW = gi(g, 15);
  const size = <usize>sizeof<T>();
  memory.fill(dx, 0, <usize>N * <usize>C * <usize>inH * <usize>inW * size);
  let o: usize = 0;
  for (let plane = 0; plane < N * C; plane++) {
    const dp = dx + <usize>plane * <usize>inH * <usize>inW * size;
    for (let oh = 0; oh < outH; oh++) {
      for (let ow = 0; ow < outW; ow++) {
        const d = load<T>(dy + o * size);
        if (op == MAX) {
          const idx = load<i32>(argmax + (o << 2));
          if (idx >= 0) {
            const p = dp + <usize>idx * size;
            store<T>(p, load<T>(p) + d);
          }
        } else {
          const divisor = avgDivisor(op, g, oh, ow);
          if (divisor > 0) {
            const share = <T>(<f64>d / <f64>divisor);
            for (let i = 0; i < kH; i++) {
              const ih = oh * sH - pT + i * dH;
              if (ih < 0 || ih >= inH) continue;
              for (let j = 0; j < kW; j++) {
                const iw = ow * sW - pL + j * dW;
                if (iw < 0 || iw >= inW) continue;
                const p = dp + <usize>(ih * inW + iw) * size;
                store<T>(p, load<T>(p) + share);
              }
            }
          }
        }
        o++;
      }
    }
  }
}

export function im2colF32(x: usize, g: usize, out: usize): void { im2col<f32>(x, g, out); }
export function im2colF64(x: usize, g: usize, out: usize): void { im2col<f64>(x, g, out); }
export function col2imF32(cols: usize, g: usize, out: usize): void { col2im<f32>(cols, g, out); }
export function col2imF64(cols: usize, g: usize, out: usize): void { col2im<f64>(cols, g, out); }
export function pool2dF32(op: i32, x: usize, g: usize, out: usize, argmax: usize): void { pool2d<f32>(op, x, g, out, argmax); }
export function pool2dF64(op: i32, x: usize, g: usize, out: usize, argmax: usize): void { pool2d<f64>(op, x, g, out, argmax); }
export function pool2dGradF32(op: i32, dy: usize, g: usize, argmax: usize, dx: usize): void {
  pool2dGrad<f32>(op, dy, g, argmax, dx);
}
export function pool2dGradF64(op: i32, dy: usize, g: usize, argmax: usize, dx: usize): void {
  pool2dGrad<f64>(op, dy, g, argmax, dx);
}

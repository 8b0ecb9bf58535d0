// Data movement: n-D permutation (transpose) of 4- or 8-byte elements.
//
// The backend folds the permutation first (size-1 dimensions dropped, output dimensions that
// stay adjacent in the input merged), then passes, at `p`, three i32 arrays of `nd` entries:
// the output shape, the input stride (in elements) of each output dimension, and scratch for
// the loop counters.

// @ts-ignore: decorator
@inline function at(p: usize, i: i32): i32 {
  return load<i32>(p + (<usize>i << 2));
}

// @ts-ignore: decorator
@inline function copyRow<T>(dst: usize, src: usize, n: i32, stride: i32): void {
  const size = <usize>sizeof<T>();
  if (stride == 1) {
    const bytes = <usize>n * size;
    let b: usize = 0;
    for (; b + 16 <= bytes; b += 16) v128.store(dst + b, v128.load(src + b));
    for (; b < bytes; b += size) store<T>(dst + b, load<T>(src + b));
  } else {
    const step = <usize>stride * size;
    for (let i = 0; i < n; i++) {
      store<T>(dst, load<T>(src));
      dst += size;
      src += step;
    }
  }
}

function permute<T>(x: usize, out: usize, nd: i32, p: usize): void {
  const shape = p;
  const strides = p + (<usize>nd << 2);
  const index = p + (<usize>(2 * nd) << 2);
  const size = <usize>sizeof<T>();
  let total: i32 = 1;
  for (let d = 0; d < nd; d++) {
    total *= at(shape, d);
    store<i32>(index + (<usize>d << 2), 0);
  }
  if (total == 0) return;
  const inner = at(shape, nd - 1);
  const innerStride = at(strides, nd - 1);
  // A transpose of the last two dimensions (the inner one strided, the one before it
  // contiguous in the input) goes in 8×8 tiles, so both sides are read in cache lines.
  if (nd >= 2 && innerStride != 1 && at(strides, nd - 2) == 1) {
    const rows = at(shape, nd - 2);
    const slab = rows * inner;
    const lead = nd - 2;
    let s: usize = 0; // input offset (elements) of the current slab
    for (let o = 0; o < total; o += slab) {
      for (let r0 = 0; r0 < rows; r0 += 8) {
        const r1 = min(rows, r0 + 8);
        for (let c0 = 0; c0 < inner; c0 += 8) {
          const c1 = min(inner, c0 + 8);
          for (let r = r0; r < r1; r++) {
            const dst = out + <usize>(o + r * inner) * size;
            const src = x + (s + <usize>r) * size;
            for (let c = c0; c < c1; c++) store<T>(dst + <usize>c * size, load<T>(src + <usize>c * <usize>innerStride * size));
          }
        }
      }
      for (let d = lead - 1; d >= 0; d--) {
        const ip = index + (<usize>d << 2);
        const k = load<i32>(ip) + 1;
        s += <usize>at(strides, d);
        if (k < at(shape, d)) {
          store<i32>(ip, k);
          break;
        }
        s -= <usize>at(strides, d) * <usize>at(shape, d);
        store<i32>(ip, 0);
      }
    }
    return;
  }
  let s: usize = 0;
  for (let o = 0; o < total; o += inner) {
    copyRow<T>(out + <usize>o * size, x + s * size, inner, innerStride);
    for (let d = nd - 2; d >= 0; d--) {
      const ip = index + (<usize>d << 2);
      const k = load<i32>(ip) + 1;
      s += <usize>at(strides, d);
      if (k < at(shape, d)) {
        store<i32>(ip, k);
        break;
      }
      s -= <usize>at(strides, d) * <usize>at(shape, d);
      store<i32>(ip, 0);
    }
  }
}

export function permute32(x: usize, out: usize, nd: i32, p: usize): void { permute<u32>(x, out, nd, p); }
export function permute64(x: usize, out: usize, nd: i32, p: usize): void { permute<u64>(x, out, nd, p); }

// Dropout's mask (Backend.dropoutMask) for float32: out[i] = scale where u(i) ≥ threshold,
// else 0, with u(i) = fmix32(fmix32(i·0x9e3779b9 + k0) ^ k1), four elements per SIMD step —
// the same bits as src/backend/cpu/random.ts. `threshold` is ⌈rate·2³²⌉ as a float64, so
// that rate 1 (2³², above every u) keeps nothing.

// @ts-ignore: decorator
@inline function fmix(h: v128): v128 {
  h = i32x4.mul(v128.xor(h, i32x4.shr_u(h, 16)), i32x4.splat(0x85ebca6b));
  h = i32x4.mul(v128.xor(h, i32x4.shr_u(h, 13)), i32x4.splat(0xc2b2ae35));
  return v128.xor(h, i32x4.shr_u(h, 16));
}

// @ts-ignore: decorator
@inline function fmixScalar(h: u32): u32 {
  h = (h ^ (h >>> 16)) * 0x85ebca6b;
  h = (h ^ (h >>> 13)) * 0xc2b2ae35;
  return h ^ (h >>> 16);
}

export function dropoutMaskF32(out: usize, size: i32, threshold: f64, scale: f32, k0: u32, k1: u32): void {
  if (threshold > 4294967295) {
    memory.fill(out, 0, <usize>size << 2);
    return;
  }
  const t = <u32>threshold;
  const vt = i32x4.splat(<i32>t), vs = f32x4.splat(scale), vk0 = i32x4.splat(<i32>k0), vk1 = i32x4.splat(<i32>k1);
  const golden = i32x4.splat(<i32>0x9e3779b9);
  let idx = i32x4(0, 1, 2, 3);
  const four = i32x4.splat(4);
  let i = 0;
  for (; i + 4 <= size; i += 4) {
    const u = fmix(v128.xor(fmix(i32x4.add(i32x4.mul(idx, golden), vk0)), vk1));
    v128.store(out + (<usize>i << 2), v128.and(vs, i32x4.ge_u(u, vt)));
    idx = i32x4.add(idx, four);
  }
  for (; i < size; i++) {
    const u = fmixScalar(fmixScalar(<u32>i * 0x9e3779b9 + k0) ^ k1);
    store<f32>(out + (<usize>i << 2), u >= t ? scale : 0);
  }
}

// Shared SIMD helpers. `ASC_FEATURE_RELAXED_SIMD` is a compile-time constant: the plain
// build (--enable simd) and the relaxed build (--enable simd,relaxed-simd) come from the
// same source, and the unused branch is removed by the compiler.

/** a·b + c, fused where the relaxed build and the hardware allow it. */
// @ts-ignore: decorator
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/** Whether this build uses relaxed SIMD (reported to JavaScript for diagnostics). */
export function relaxedSimd(): bool {
  return ASC_FEATURE_RELAXED_SIMD;
}

/** The first byte after the module's static data; JavaScript allocates from here up. */
export function heapBase(): usize {
  return __heap_base;
}

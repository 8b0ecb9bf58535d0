/**
 * Matrix product for the cpu backend: C = op(A) · op(B).
 *
 * Transposed operands are first packed into row-major scratch (O(mk + kn) work against
 * the product's O(mnk)), so one kernel serves all four transpose combinations. The
 * kernel is blocked over k and n so that a KC×NC panel of B stays in cache while four
 * rows of C are updated per pass (each loaded b serves four multiply-adds).
 */
import type { MatmulArgs, TypedArray } from '../contract.js';

const KC = 256;
const NC = 256;

const scratch = new Map<string, TypedArray[]>();

/** A reusable scratch array (slot 0 or 1) of at least `size` elements, same type as `like`. */
function scratchLike(like: TypedArray, slot: number, size: number): TypedArray {
  const key = like.constructor.name;
  let slots = scratch.get(key);
  if (!slots) scratch.set(key, (slots = []));
  let buf = slots[slot];
  if (!buf || buf.length < size) {
    const Ctor = like.constructor as new (n: number) => TypedArray;
    buf = slots[slot] = new Ctor(Math.max(size, 1024));
  }
  return buf;
}

/** dst[c·rows + r] = src[off + r·cols + c] — a cache-blocked 2-D transpose. */
export function transpose2d(
  src: TypedArray,
  off: number,
  rows: number,
  cols: number,
  dst: TypedArray,
  dstOff = 0,
): void {
  const B = 32;
  for (let r0 = 0; r0 < rows; r0 += B) {
    const r1 = Math.min(rows, r0 + B);
    for (let c0 = 0; c0 < cols; c0 += B) {
      const c1 = Math.min(cols, c0 + B);
      for (let r = r0; r < r1; r++) {
        const s = off + r * cols;
        for (let c = c0; c < c1; c++) dst[dstOff + c * rows + r] = src[s + c];
      }
    }
  }
}

/** C[m×n] (at cOff) = A[m×k] (at aOff) · B[k×n] (at bOff), all row-major. */
export function gemmRowMajor(
  A: TypedArray,
  aOff: number,
  B: TypedArray,
  bOff: number,
  C: TypedArray,
  cOff: number,
  m: number,
  n: number,
  k: number,
): void {
  C.fill(0, cOff, cOff + m * n);
  for (let j0 = 0; j0 < n; j0 += NC) {
    const j1 = Math.min(n, j0 + NC);
    for (let p0 = 0; p0 < k; p0 += KC) {
      const p1 = Math.min(k, p0 + KC);
      let i = 0;
      for (; i + 4 <= m; i += 4) {
        const c0 = cOff + i * n;
        const c1 = c0 + n;
        const c2 = c1 + n;
        const c3 = c2 + n;
        const r0 = aOff + i * k;
        for (let p = p0; p < p1; p++) {
          const a0 = A[r0 + p];
          const a1 = A[r0 + k + p];
          const a2 = A[r0 + 2 * k + p];
          const a3 = A[r0 + 3 * k + p];
          // ReLU networks feed many exact zeros; skipping them is free accuracy-wise.
          if (a0 === 0 && a1 === 0 && a2 === 0 && a3 === 0) continue;
          const b = bOff + p * n;
          for (let j = j0; j < j1; j++) {
            const bv = B[b + j];
            C[c0 + j] += a0 * bv;
            C[c1 + j] += a1 * bv;
            C[c2 + j] += a2 * bv;
            C[c3 + j] += a3 * bv;
          }
        }
      }
      for (; i < m; i++) {
        const c0 = cOff + i * n;
        const r0 = aOff + i * k;
        for (let p = p0; p < p1; p++) {
          const a0 = A[r0 + p];
          if (a0 === 0) continue;
          const b = bOff + p * n;
          for (let j = j0; j < j1; j++) C[c0 + j] += a0 * B[b + j];
        }
      }
    }
  }
}

export function matmulKernel(A: TypedArray, B: TypedArray, C: TypedArray, args: MatmulArgs): void {
  const { batch, m, n, k, transA, transB, aBatchStride, bBatchStride } = args;
  for (let t = 0; t < batch; t++) {
    let a = A;
    let aOff = t * aBatchStride;
    let b = B;
    let bOff = t * bBatchStride;
    if (transA) {
      a = scratchLike(A, 0, m * k);
      transpose2d(A, aOff, k, m, a);
      aOff = 0;
    }
    if (transB) {
      b = scratchLike(B, 1, k * n);
      transpose2d(B, bOff, n, k, b);
      bOff = 0;
    }
    gemmRowMajor(a, aOff, b, bOff, C, t * m * n, m, n, k);
  }
}

// Single-precision GEMM, C = op(A)·op(B), in the style of Goto/BLIS:
//
//   for each column block jc of C (NC wide)
//     for each depth block pc (KC deep)           — pack B[pc, jc] into NR-wide panels
//       for each row block ic (MC tall)           — pack A[ic, pc] into MR-tall panels
//         for each NR panel of B, each MR panel of A: an MR×NR register-blocked micro-kernel
//
// Operands are addressed through (row stride, column stride) pairs, so the four transpose
// combinations cost nothing extra: packing reads them in whatever order they are stored.
//
// Determinism: every element of C is the same sequence of operations whatever the tile
// it falls in and whichever thread computes it — depth blocks depend only on k, edge tiles
// run the full micro-kernel on zero-padded panels and are then copied — so results do not
// depend on the thread count or on how the work is split.
import { madd } from './simd';

const MR: i32 = 6;
const NR: i32 = 8;
const KC_MAX: i32 = 256;
const MC_MAX: i32 = 96; // a multiple of MR
const NC_MAX: i32 = 1024; // a multiple of NR

/** Bytes of packing scratch a thread needs for A, for B, and for one edge tile. */
export function gemmScratchBytes(): i32 {
  return (MC_MAX * KC_MAX + KC_MAX * NC_MAX + MR * NR) * 4;
}

// @ts-ignore: decorator
@inline function ceilDiv(a: i32, b: i32): i32 {
  return (a + b - 1) / b;
}

/**
 * Packs rows [i0, i0 + mc) and depths [p0, p0 + kc) of A (element (i, p) at a + 4·(i·rs + p·cs))
 * into MR-row panels: panel r holds, for each p, the MR values A[i0 + r·MR + 0..MR-1, p].
 * Rows past the matrix are zero.
 */
function packA(a: usize, rs: i32, cs: i32, i0: i32, mc: i32, p0: i32, kc: i32, dst: usize): void {
  for (let ir = 0; ir < mc; ir += MR) {
    const rows = min(MR, mc - ir);
    if (rows == MR && cs == 1) {
      // A stored row-major: each of the MR rows is read forward.
      for (let r = 0; r < MR; r++) {
        let src = a + ((<usize>(i0 + ir + r) * <usize>rs + <usize>p0) << 2);
        let d = dst + (<usize>r << 2);
        for (let p = 0; p < kc; p++) {
          store<f32>(d, load<f32>(src));
          src += 4;
          d += MR << 2;
        }
      }
    } else if (rows == MR && rs == 1) {
      // A stored transposed: the MR values of one depth are adjacent.
      let src = a + ((<usize>p0 * <usize>cs + <usize>(i0 + ir)) << 2);
      let d = dst;
      const step = <usize>cs << 2;
      for (let p = 0; p < kc; p++) {
        v128.store(d, v128.load(src));
        store<u64>(d, load<u64>(src, 16), 16);
        src += step;
        d += MR << 2;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        const d = dst + (<usize>(p * MR) << 2);
        for (let r = 0; r < MR; r++) {
          const v: f32 =
            r < rows ? load<f32>(a + ((<usize>(i0 + ir + r) * <usize>rs + <usize>(p0 + p) * <usize>cs) << 2)) : 0;
          store<f32>(d + (<usize>r << 2), v);
        }
      }
    }
    dst += <usize>(MR * kc) << 2;
  }
}

/**
 * Packs depths [p0, p0 + kc) and columns [j0, j0 + nc) of B (element (p, j) at
 * b + 4·(p·rs + j·cs)) into NR-column panels; columns past the matrix are zero.
 */
function packB(b: usize, rs: i32, cs: i32, p0: i32, kc: i32, j0: i32, nc: i32, dst: usize): void {
  for (let jr = 0; jr < nc; jr += NR) {
    const cols = min(NR, nc - jr);
    if (cols == NR && cs == 1) {
      let src = b + ((<usize>p0 * <usize>rs + <usize>(j0 + jr)) << 2);
      let d = dst;
      const step = <usize>rs << 2;
      for (let p = 0; p < kc; p++) {
        v128.store(d, v128.load(src));
        v128.store(d, v128.load(src, 16), 16);
        src += step;
        d += NR << 2;
      }
    } else if (cols == NR && rs == 1) {
      // B stored transposed ([n, k]): each column is read forward.
      for (let c = 0; c < NR; c++) {
        let src = b + ((<usize>(j0 + jr + c) * <usize>cs + <usize>p0) << 2);
        let d = dst + (<usize>c << 2);
        for (let p = 0; p < kc; p++) {
          store<f32>(d, load<f32>(src));
          src += 4;
          d += NR << 2;
        }
      }
    } else {
      for (let p = 0; p < kc; p++) {
        const d = dst + (<usize>(p * NR) << 2);
        for (let c = 0; c < NR; c++) {
          const v: f32 =
            c < cols ? load<f32>(b + ((<usize>(p0 + p) * <usize>rs + <usize>(j0 + jr + c) * <usize>cs) << 2)) : 0;
          store<f32>(d + (<usize>c << 2), v);
        }
      }
    }
    dst += <usize>(NR * kc) << 2;
  }
}

/**
 * The MR×NR (6×8) micro-kernel: twelve f32x4 accumulators hold the tile while kc rank-1
 * updates stream through; then the tile is stored at c (row stride ldc bytes), added to
 * what is there when `accumulate`.
 */
// @ts-ignore: decorator
@inline function micro(kc: i32, ap: usize, bp: usize, c: usize, ldc: usize, accumulate: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let c40 = f32x4.splat(0), c41 = f32x4.splat(0);
  let c50 = f32x4.splat(0), c51 = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(bp);
    const b1 = v128.load(bp, 16);
    let a = v128.load32_splat(ap);
    c00 = madd(a, b0, c00);
    c01 = madd(a, b1, c01);
    a = v128.load32_splat(ap, 4);
    c10 = madd(a, b0, c10);
    c11 = madd(a, b1, c11);
    a = v128.load32_splat(ap, 8);
    c20 = madd(a, b0, c20);
    c21 = madd(a, b1, c21);
    a = v128.load32_splat(ap, 12);
    c30 = madd(a, b0, c30);
    c31 = madd(a, b1, c31);
    a = v128.load32_splat(ap, 16);
    c40 = madd(a, b0, c40);
    c41 = madd(a, b1, c41);
    a = v128.load32_splat(ap, 20);
    c50 = madd(a, b0, c50);
    c51 = madd(a, b1, c51);
    ap += MR << 2;
    bp += NR << 2;
  }
  if (accumulate) {
    c00 = f32x4.add(v128.load(c), c00);
    c01 = f32x4.add(v128.load(c, 16), c01);
    c10 = f32x4.add(v128.load(c + ldc), c10);
    c11 = f32x4.add(v128.load(c + ldc, 16), c11);
    c20 = f32x4.add(v128.load(c + 2 * ldc), c20);
    c21 = f32x4.add(v128.load(c + 2 * ldc, 16), c21);
    c30 = f32x4.add(v128.load(c + 3 * ldc), c30);
    c31 = f32x4.add(v128.load(c + 3 * ldc, 16), c31);
    c40 = f32x4.add(v128.load(c + 4 * ldc), c40);
    c41 = f32x4.add(v128.load(c + 4 * ldc, 16), c41);
    c50 = f32x4.add(v128.load(c + 5 * ldc), c50);
    c51 = f32x4.add(v128.load(c + 5 * ldc, 16), c51);
  }
  v128.store(c, c00);
  v128.store(c, c01, 16);
  v128.store(c + ldc, c10);
  v128.store(c + ldc, c11, 16);
  v128.store(c + 2 * ldc, c20);
  v128.store(c + 2 * ldc, c21, 16);
  v128.store(c + 3 * ldc, c30);
  v128.store(c + 3 * ldc, c31, 16);
  v128.store(c + 4 * ldc, c40);
  v128.store(c + 4 * ldc, c41, 16);
  v128.store(c + 5 * ldc, c50);
  v128.store(c + 5 * ldc, c51, 16);
}

/**
 * C[i0..i1, j0..j1] of one product (C row-major with row stride n), with A element (i, p)
 * at a + 4·(i·ars + p·acs) and B element (p, j) at b + 4·(p·brs + j·bcs).
 * `scratch` is this thread's gemmScratchBytes() of packing space.
 */
function gemmRange(
  a: usize, ars: i32, acs: i32, b: usize, brs: i32, bcs: i32, c: usize, n: i32, k: i32,
  i0: i32, i1: i32, j0: i32, j1: i32, scratch: usize,
): void {
  const ap = scratch;
  const bp = ap + (<usize>(MC_MAX * KC_MAX) << 2);
  const tile = bp + (<usize>(KC_MAX * NC_MAX) << 2);
  const ldc = <usize>n << 2;
  if (k == 0) {
    for (let i = i0; i < i1; i++) memory.fill(c + <usize>i * ldc + (<usize>j0 << 2), 0, <usize>(j1 - j0) << 2);
    return;
  }
  // Depth blocks depend on k only (never on the range), which keeps results split-independent.
  const kBlocks = ceilDiv(k, KC_MAX);
  const kcStep = ceilDiv(k, kBlocks);
  const mRange = i1 - i0;
  const mBlocks = ceilDiv(mRange, MC_MAX);
  const mcStep = ceilDiv(ceilDiv(mRange, mBlocks), MR) * MR;
  for (let jc = j0; jc < j1; jc += NC_MAX) {
    const nc = min(NC_MAX, j1 - jc);
    for (let pc = 0; pc < k; pc += kcStep) {
      const kc = min(kcStep, k - pc);
      const accumulate = pc > 0;
      packB(b, brs, bcs, pc, kc, jc, nc, bp);
      for (let ic = i0; ic < i1; ic += mcStep) {
        const mc = min(mcStep, i1 - ic);
        packA(a, ars, acs, ic, mc, pc, kc, ap);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = min(NR, nc - jr);
          const bpan = bp + (<usize>(jr * kc) << 2);
          for (let ir = 0; ir < mc; ir += MR) {
            const mr = min(MR, mc - ir);
            const apan = ap + (<usize>(ir * kc) << 2);
            const cp = c + <usize>(ic + ir) * ldc + (<usize>(jc + jr) << 2);
            if (mr == MR && nr == NR) {
              micro(kc, apan, bpan, cp, ldc, accumulate);
            } else {
              micro(kc, apan, bpan, tile, NR << 2, false);
              for (let r = 0; r < mr; r++) {
                const crow = cp + <usize>r * ldc;
                const trow = tile + (<usize>(r * NR) << 2);
                for (let q = 0; q < nr; q++) {
                  const t = load<f32>(trow + (<usize>q << 2));
                  const o = crow + (<usize>q << 2);
                  store<f32>(o, accumulate ? load<f32>(o) + t : t);
                }
              }
            }
          }
        }
      }
    }
  }
}

/**
 * A range of a batched product: products t0..t1 and, within each, rows i0..i1 and columns
 * j0..j1 of C [batch, m, n]. A is [m, k] (or [k, m] when transA), B [k, n] (or [n, k]);
 * aBatch/bBatch are element strides between products (0 broadcasts).
 */
export function gemmF32(
  a: usize, b: usize, c: usize, m: i32, n: i32, k: i32, transA: bool, transB: bool,
  aBatch: i32, bBatch: i32, t0: i32, t1: i32, i0: i32, i1: i32, j0: i32, j1: i32, scratch: usize,
): void {
  const ars = transA ? 1 : k;
  const acs = transA ? m : 1;
  const brs = transB ? 1 : n;
  const bcs = transB ? k : 1;
  for (let t = t0; t < t1; t++) {
    gemmRange(
      a + (<usize>t * <usize>aBatch << 2), ars, acs,
      b + (<usize>t * <usize>bBatch << 2), brs, bcs,
      c + (<usize>t * <usize>m * <usize>n << 2), n, k, i0, i1, j0, j1, scratch,
    );
  }
}

/**
 * The batched product split into `chunks` pieces along columns (axis 0, in NR-wide blocks),
 * rows (axis 1, MR-tall blocks) or products (axis 2), which every calling thread takes one at
 * a time from a shared counter until none is left: a thread that the OS pauses simply takes
 * fewer. counters[0] is the next chunk, counters[1] counts finished ones (both start at 0).
 * The pieces depend on the shape and `chunks` only, and no piece changes the arithmetic of
 * an element, so the result is the same whichever thread computes which piece.
 */
export function gemmF32Chunks(
  a: usize, b: usize, c: usize, m: i32, n: i32, k: i32, transA: bool, transB: bool,
  aBatch: i32, bBatch: i32, batch: i32, axis: i32, chunks: i32, counters: usize, scratch: usize,
): void {
  for (;;) {
    let chunk: i32;
    if (ASC_FEATURE_THREADS) {
      chunk = atomic.add<i32>(counters, 1);
    } else {
      chunk = load<i32>(counters);
      store<i32>(counters, chunk + 1);
    }
    if (chunk >= chunks) break;
    let t0 = 0, t1 = batch, i0 = 0, i1 = m, j0 = 0, j1 = n;
    if (axis == 0) {
      const blocks = <i64>ceilDiv(n, NR);
      j0 = min(n, <i32>((blocks * chunk) / chunks) * NR);
      j1 = min(n, <i32>((blocks * (chunk + 1)) / chunks) * NR);
    } else if (axis == 1) {
      const blocks = <i64>ceilDiv(m, MR);
      i0 = min(m, <i32>((blocks * chunk) / chunks) * MR);
      i1 = min(m, <i32>((blocks * (chunk + 1)) / chunks) * MR);
    } else {
      t0 = <i32>((<i64>batch * chunk) / chunks);
      t1 = <i32>((<i64>batch * (chunk + 1)) / chunks);
    }
    if (t0 < t1 && i0 < i1 && j0 < j1) {
      gemmF32(a, b, c, m, n, k, transA, transB, aBatch, bBatch, t0, t1, i0, i1, j0, j1, scratch);
    }
    if (ASC_FEATURE_THREADS) {
      atomic.add<i32>(counters + 4, 1);
    } else {
      store<i32>(counters + 4, load<i32>(counters + 4) + 1);
    }
  }
}

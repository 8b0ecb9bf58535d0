/**
 * WGSL for the matrix product C = op(A) · op(B), batched, with transpose flags.
 *
 * The classic shared-memory tiling with register blocking:
 * - a workgroup of 256 threads computes a BM×BN tile of C, walking k in steps of BK;
 * - each step, the threads copy a BM×BK tile of A and a BK×BN tile of B into workgroup
 *   memory, both k-major (As[kk][m], Bs[kk][n]) as vec4s, whatever the operands' layouts;
 * - each thread then accumulates a TM×TN block of C in registers: per kk it reads TM/4 vec4s
 *   of A and TN/4 vec4s of B from workgroup memory and does TM·TN/4 vec4 fused multiply-adds;
 * - a thread's rows and columns are interleaved by vec4 (row group r of thread ty is
 *   (r·TY + ty)·4), so that neighbouring threads read neighbouring vec4s of workgroup memory.
 *
 * Global loads are vec4 when the operand's contiguous dimension and batch stride are
 * multiples of 4 (the buffer is then bound as array<vec4>), scalar with per-element bounds
 * checks otherwise; stores are vec4 when n is a multiple of 4. Edges (m, n, k not multiples of
 * the tile) are handled by bounds checks that load zeros.
 *
 * Bounds-checked loads use `if`, not `select()`: SwiftShader miscompiled a select() whose
 * operand is a storage-buffer load inside the k loop (results wrong from the second k-step on).
 *
 * Not yet: subgroup operations, double-buffered tiles, split-k for small m·n with large k.
 */
import { header, type BindingDecl } from '../wgsl.js';

export interface GemmTile {
  /** Rows and columns of C per workgroup. */
  bm: number;
  bn: number;
  /** The k step. */
  bk: number;
  /** Rows and columns of C per thread (multiples of 4). */
  tm: number;
  tn: number;
}

/** 64×64 tiles, 4×4 per thread: many workgroups for middling products. */
export const GEMM_SMALL: GemmTile = { bm: 64, bn: 64, bk: 16, tm: 4, tn: 4 };
/** 128×128 tiles, 8×8 per thread: 16 KiB of workgroup memory, four times the reuse per load. */
export const GEMM_LARGE: GemmTile = { bm: 128, bn: 128, bk: 16, tm: 8, tn: 8 };

export interface GemmVariant {
  transA: boolean;
  transB: boolean;
  /** A, B, C are read/written as vec4. */
  vecA: boolean;
  vecB: boolean;
  vecC: boolean;
  type: 'f32' | 'i32';
}

const LANES = ['x', 'y', 'z', 'w'];

/** Words: 0 m, 1 n, 2 k, 3 A's batch stride, 4 B's batch stride, 5 first batch of this dispatch. */
export function gemmSource(tile: GemmTile, v: GemmVariant): string {
  const { bm, bn, bk, tm, tn } = tile;
  const T = v.type;
  const V = `vec4<${T}>`;
  const TX = bn / tn;
  const TY = bm / tm;
  const threads = TX * TY;
  if (threads !== 256 || tm % 4 || tn % 4 || bm % 4 || bn % 4 || bk % 4) {
    throw new Error(`gemm: unsupported tile ${JSON.stringify(tile)}`);
  }
  const BM4 = bm / 4;
  const BN4 = bn / 4;
  const BK4 = bk / 4;
  const RM = tm / 4;
  const CN = tn / 4;
  const zero = T === 'f32' ? '0.0' : '0';
  const bindings: BindingDecl[] = [
    { name: 'A', type: v.vecA ? V : T, access: 'read' },
    { name: 'B', type: v.vecB ? V : T, access: 'read' },
    { name: 'C', type: v.vecC ? V : T, access: 'read_write' },
  ];

  // ---- loading one k-step of A (BM×BK) and B (BK×BN) into workgroup memory ----
  const loads: string[] = [];
  /** A vec4 of the operand X along its contiguous dimension at (row, col) of its stored layout. */
  const load4 = (
    X: 'A' | 'B',
    vec: boolean,
    off: string,
    rows: string,
    cols: string,
    r: string,
    c: string,
  ) =>
    vec
      ? `ld${X}4(${off}, ${rows}, ${cols}, ${r}, ${c})`
      : `${V}(${LANES.map((_, e) => `ld${X}(${off}, ${rows}, ${cols}, ${r}, ${c} + ${e}u)`).join(', ')})`;
  const perThreadA = (bm * bk) / 4 / threads;
  const perThreadB = (bn * bk) / 4 / threads;
  for (let l = 0; l < perThreadA; l++) {
    const id = `(${l * threads}u + lid)`;
    if (!v.transA) {
      // A stored [m, k]: contiguous along k; scatter the 4 k's into 4 rows of As.
      loads.push(`  {
    let row = ${id} / ${BK4}u;
    let kq = ${id} % ${BK4}u;
    let a = ${load4('A', v.vecA, 'aOff', 'm', 'k', 'm0 + row', 'k0 + kq * 4u')};
${LANES.map((lane, e) => `    As[(kq * 4u + ${e}u) * ${BM4}u + (row >> 2u)][row & 3u] = a.${lane};`).join('\n')}
  }`);
    } else {
      // A stored [k, m]: contiguous along m; one vec4 per row of As.
      loads.push(`  {
    let kk = ${id} / ${BM4}u;
    let mq = ${id} % ${BM4}u;
    As[kk * ${BM4}u + mq] = ${load4('A', v.vecA, 'aOff', 'k', 'm', 'k0 + kk', 'm0 + mq * 4u')};
  }`);
    }
  }
  for (let l = 0; l < perThreadB; l++) {
    const id = `(${l * threads}u + lid)`;
    if (!v.transB) {
      // B stored [k, n]: contiguous along n.
      loads.push(`  {
    let kk = ${id} / ${BN4}u;
    let nq = ${id} % ${BN4}u;
    Bs[kk * ${BN4}u + nq] = ${load4('B', v.vecB, 'bOff', 'k', 'n', 'k0 + kk', 'n0 + nq * 4u')};
  }`);
    } else {
      // B stored [n, k]: contiguous along k.
      loads.push(`  {
    let row = ${id} / ${BK4}u;
    let kq = ${id} % ${BK4}u;
    let b = ${load4('B', v.vecB, 'bOff', 'n', 'k', 'n0 + row', 'k0 + kq * 4u')};
${LANES.map((lane, e) => `    Bs[(kq * 4u + ${e}u) * ${BN4}u + (row >> 2u)][row & 3u] = b.${lane};`).join('\n')}
  }`);
    }
  }

  // ---- the register-blocked inner product over one k-step ----
  const acc = (i: number, c: number) => `acc${i}_${c}`;
  const decl: string[] = [];
  for (let i = 0; i < tm; i++) for (let c = 0; c < CN; c++) decl.push(`  var ${acc(i, c)} = ${V}(${zero});`);
  const inner: string[] = [];
  for (let r = 0; r < RM; r++) inner.push(`      let a${r} = As[kk * ${BM4}u + ${r * TY}u + ty];`);
  for (let c = 0; c < CN; c++) inner.push(`      let b${c} = Bs[kk * ${BN4}u + ${c * TX}u + tx];`);
  for (let r = 0; r < RM; r++) {
    for (let e = 0; e < 4; e++) {
      const i = r * 4 + e;
      for (let c = 0; c < CN; c++) {
        inner.push(
          T === 'f32'
            ? `      ${acc(i, c)} = fma(${V}(a${r}.${LANES[e]}), b${c}, ${acc(i, c)});`
            : `      ${acc(i, c)} = ${acc(i, c)} + ${V}(a${r}.${LANES[e]}) * b${c};`,
        );
      }
    }
  }

  // ---- writing the TM×TN block ----
  const stores: string[] = [];
  for (let r = 0; r < RM; r++) {
    for (let e = 0; e < 4; e++) {
      const i = r * 4 + e;
      const lines: string[] = [];
      for (let c = 0; c < CN; c++) {
        const gn = `n0 + (${c * TX}u + tx) * 4u`;
        if (v.vecC) {
          lines.push(`    { let gn = ${gn}; if (gn < n) { C[(cOff + gm * n + gn) / 4u] = ${acc(i, c)}; } }`);
        } else {
          lines.push(
            `    { let gn = ${gn};\n` +
              LANES.map(
                (lane, e2) =>
                  `      if (gn + ${e2}u < n) { C[cOff + gm * n + gn + ${e2}u] = ${acc(i, c)}.${lane}; }`,
              ).join('\n') +
              `\n    }`,
          );
        }
      }
      stores.push(`  {
    let gm = m0 + (${r * TY}u + ty) * 4u + ${e}u;
    if (gm < m) {
${lines.join('\n')}
    }
  }`);
    }
  }

  const scalarLoader = (X: 'A' | 'B') => `
fn ld${X}(off: u32, rows: u32, cols: u32, r: u32, c: u32) -> ${T} {
  if (r < rows && c < cols) { return ${X}[off + r * cols + c]; }
  return ${zero};
}`;

  const vectorLoader = (X: 'A' | 'B') => `
fn ld${X}4(off: u32, rows: u32, cols: u32, r: u32, c: u32) -> ${V} {
  if (r < rows && c < cols) { return ${X}[(off + r * cols + c) / 4u]; }
  return ${V}(${zero});
}`;

  return `${header(bindings)}
var<workgroup> As: array<${V}, ${bk * BM4}>;
var<workgroup> Bs: array<${V}, ${bk * BN4}>;
${v.vecA ? vectorLoader('A') : scalarLoader('A')}
${v.vecB ? vectorLoader('B') : scalarLoader('B')}

@compute @workgroup_size(${threads})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let m = pu(0u);
  let n = pu(1u);
  let k = pu(2u);
  let z = wid.z + pu(5u);
  let aOff = z * pu(3u);
  let bOff = z * pu(4u);
  let cOff = z * m * n;
  let m0 = wid.y * ${bm}u;
  let n0 = wid.x * ${bn}u;
  let tx = lid % ${TX}u;
  let ty = lid / ${TX}u;
${decl.join('\n')}
  for (var k0 = 0u; k0 < k; k0 += ${bk}u) {
${loads.join('\n')}
    workgroupBarrier();
    for (var kk = 0u; kk < ${bk}u; kk++) {
${inner.join('\n')}
    }
    workgroupBarrier();
  }
${stores.join('\n')}
}`;
}

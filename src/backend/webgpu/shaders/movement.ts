/**
 * WGSL for data movement: permute, copyRegion, gather, scatterAdd and oneHot.
 *
 * Copies are dtype-blind (every supported dtype is 4 bytes, so they move u32 bits); each
 * thread writes one output element, so every kernel here is deterministic.
 *
 * n-D indexing: the host merges dimensions that stay contiguous on both sides, so at most
 * MAX_RANK dimensions remain; words 8–15 hold the (merged) shape and 16–23, 24–31 strides.
 */
import type { DType } from '../../contract.js';
import { header, main1d, wgslType } from '../wgsl.js';

/** Words: 0 count, 1 rank, 2 source base; 8.. shape, 16.. source strides of the output's axes. */
export function permuteSource(): string {
  return (
    header([
      { name: 'X', type: 'u32', access: 'read' },
      { name: 'O', type: 'u32', access: 'read_write' },
    ]) +
    main1d(`  var rest = i;
  var s = pu(2u);
  for (var d = i32(pu(1u)) - 1; d >= 0; d--) {
    let du = u32(d);
    let c = rest % pu(8u + du);
    rest = rest / pu(8u + du);
    s += c * pu(16u + du);
  }
  O[i] = X[s];`)
  );
}

/** Words: 0 count, 1 rank, 2 source base, 3 destination base; 8.. box, 16.. source strides, 24.. destination strides. */
export function copyRegionSource(): string {
  return (
    header([
      { name: 'X', type: 'u32', access: 'read' },
      { name: 'O', type: 'u32', access: 'read_write' },
    ]) +
    main1d(`  var rest = i;
  var s = pu(2u);
  var t = pu(3u);
  for (var d = i32(pu(1u)) - 1; d >= 0; d--) {
    let du = u32(d);
    let c = rest % pu(8u + du);
    rest = rest / pu(8u + du);
    s += c * pu(16u + du);
    t += c * pu(24u + du);
  }
  O[t] = X[s];`)
  );
}

/**
 * out[o, j, i] = x[o, indices[j], i]; an index outside [0, axis) gives 0 (the ops layer checks
 * indices where it can read them synchronously, which it cannot here).
 * Words: 0 count (outer·count·inner), 1 axis, 2 count, 3 inner.
 */
export function gatherSource(): string {
  return (
    header([
      { name: 'X', type: 'u32', access: 'read' },
      { name: 'IDX', type: 'i32', access: 'read' },
      { name: 'O', type: 'u32', access: 'read_write' },
    ]) +
    main1d(`  let axis = pu(1u);
  let count = pu(2u);
  let inner = pu(3u);
  let ii = i % inner;
  let j = (i / inner) % count;
  let o = i / (inner * count);
  let v = IDX[j];
  if (v < 0 || u32(v) >= axis) { O[i] = 0u; return; }
  O[i] = X[(o * axis + u32(v)) * inner + ii];`)
  );
}

/**
 * scatterAdd, deterministically and in the cpu's order (j ascending), in two passes instead
 * of float atomics (which WGSL lacks, and whose order would vary from run to run):
 * 1. one thread per j: head[a] = the first j with indices[j] = a (atomicMin, order-free), and
 *    next[j] = the following j′ > j with the same index (or NONE);
 * 2. one thread per dx element (o, a, i): walks head[a], next[…] and adds dy[o, j, i].
 * Pass 1 costs O(count) per j; that is O(count²) in all, fine for mini-batch sizes.
 *
 * Pass 1 words: 0 count, 1 axis. head must be filled with NONE first.
 */
export function scatterLinkSource(): string {
  return (
    header([
      { name: 'IDX', type: 'i32', access: 'read' },
      { name: 'HEAD', type: 'atomic<u32>', access: 'read_write' },
      { name: 'NEXT', type: 'u32', access: 'read_write' },
    ]) +
    main1d(`  let count = pu(0u);
  let v = IDX[i];
  var next = 0xffffffffu;
  if (v >= 0 && u32(v) < pu(1u)) {
    atomicMin(&HEAD[u32(v)], i);
    for (var j = i + 1u; j < count; j++) {
      if (IDX[j] == v) { next = j; break; }
    }
  }
  NEXT[i] = next;`)
  );
}

/** Pass 2. Words: 0 count (outer·axis·inner), 1 axis, 2 count (indices), 3 inner. */
export function scatterAddSource(dtype: DType): string {
  const t = wgslType(dtype);
  return (
    header([
      { name: 'DY', type: t, access: 'read' },
      { name: 'HEAD', type: 'u32', access: 'read' },
      { name: 'NEXT', type: 'u32', access: 'read' },
      { name: 'O', type: t, access: 'read_write' },
    ]) +
    main1d(`  let axis = pu(1u);
  let count = pu(2u);
  let inner = pu(3u);
  let ii = i % inner;
  let a = (i / inner) % axis;
  let o = i / (inner * axis);
  var acc = O[i];
  var j = HEAD[a];
  while (j < count) {
    acc += DY[(o * count + j) * inner + ii];
    j = NEXT[j];
  }
  O[i] = acc;`)
  );
}

/** out[j, c] = (indices[j] == c) as 1 or 0 (word 3: the bits of 1 in the dtype). Words: 0 count, 1 depth. */
export function oneHotSource(): string {
  return (
    header([
      { name: 'IDX', type: 'i32', access: 'read' },
      { name: 'O', type: 'u32', access: 'read_write' },
    ]) +
    main1d(`  let depth = pu(1u);
  let j = i / depth;
  let c = i32(i - j * depth);
  O[i] = select(0u, pu(3u), IDX[j] == c);`)
  );
}

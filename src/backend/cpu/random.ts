/**
 * The counter-based hash behind Backend.dropoutMask: element i of a mask keyed by (k0, k1) is
 *
 *   u(i) = fmix32(fmix32(i·0x9e3779b9 + k0) ^ k1)
 *
 * with fmix32 MurmurHash3's 32-bit finaliser. Each element depends on its index and the key
 * only, so a mask can be computed in any order, on any number of threads, and every backend
 * that implements the same arithmetic (assembly/random.ts) gives the same bits.
 */
import type { TypedArray } from '../contract.js';

export function fmix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export function maskHash(i: number, k0: number, k1: number): number {
  return fmix32(fmix32((Math.imul(i, 0x9e3779b9) + k0) | 0) ^ k1);
}

/** The threshold t with u ≥ t keeping an element: ⌈rate·2³²⌉ (a value above every u for rate ≥ 1). */
export function dropThreshold(rate: number): number {
  return Math.ceil(rate * 4294967296);
}

export function dropoutMaskKernel(
  out: TypedArray,
  size: number,
  rate: number,
  scale: number,
  k0: number,
  k1: number,
): void {
  const t = dropThreshold(rate);
  for (let i = 0; i < size; i++) out[i] = maskHash(i, k0, k1) >= t ? scale : 0;
}

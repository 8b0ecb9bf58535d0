/**
 * The one seeded random number generator of descent.
 *
 * Algorithm: xoshiro128** (Blackman & Vigna, 2018) — 128 bits of state, 32-bit
 * arithmetic only (exact in JavaScript via Math.imul), period 2^128 − 1. The state is
 * seeded from a single integer with SplitMix32 so that nearby seeds give unrelated
 * streams. Normal variates use the Box–Muller transform (both outputs are used).
 *
 * Everything random in descent (initialisation, shuffling, dropout masks,
 * augmentation, synthetic data) draws from an `Rng`; by default from the global one
 * set by `setSeed`, so one seed reproduces a whole run bit for bit.
 */
import { stateValue, type StateDict } from './state.js';

export class Rng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spareNormal = NaN;

  constructor(seed = 0) {
    this.seed(seed);
  }

  seed(seed: number): void {
    let x = seed >>> 0;
    const splitmix = (): number => {
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = splitmix();
    this.s1 = splitmix();
    this.s2 = splitmix();
    this.s3 = splitmix();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
    this.spareNormal = NaN;
  }

  /** A uniformly distributed unsigned 32-bit integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  uniform(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform in [low, high). */
  uniformIn(low: number, high: number): number {
    return low + (high - low) * this.uniform();
  }

  /** Standard normal N(0, 1) by Box–Muller. */
  normal(): number {
    if (!Number.isNaN(this.spareNormal)) {
      const z = this.spareNormal;
      this.spareNormal = NaN;
      return z;
    }
    let u1 = this.uniform();
    while (u1 === 0) u1 = this.uniform();
    const u2 = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u1));
    this.spareNormal = r * Math.sin(2 * Math.PI * u2);
    return r * Math.cos(2 * Math.PI * u2);
  }

  /** An integer in [0, n), without modulo bias. */
  int(n: number): number {
    if (n <= 0) throw new RangeError(`Rng.int: n must be positive, got ${n}`);
    const limit = 4294967296 - (4294967296 % n);
    let x = this.nextUint32();
    while (x >= limit) x = this.nextUint32();
    return x % n;
  }

  /** Shuffles `a` in place (Fisher–Yates). */
  shuffle<T extends { length: number; [i: number]: number }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = a[i];
      a[i] = a[j];
      a[j] = tmp;
    }
    return a;
  }

  /** A random permutation of 0..n−1. */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    return this.shuffle(p);
  }

  /** The full state, for checkpoints. */
  getState(): number[] {
    return [this.s0, this.s1, this.s2, this.s3, this.spareNormal];
  }

  setState(state: readonly number[]): void {
    if (state.length !== 5) throw new RangeError(`Rng.setState: expected 5 numbers, got ${state.length}`);
    [this.s0, this.s1, this.s2, this.s3, this.spareNormal] = state;
  }

  /** The state as a StateDict: the four 32-bit words and the spare normal variate (NaN when none). */
  stateDict(): StateDict {
    return { words: [this.s0, this.s1, this.s2, this.s3], spareNormal: this.spareNormal };
  }

  loadStateDict(state: StateDict): void {
    const where = 'Rng.loadStateDict';
    const words = stateValue<number[]>(
      where,
      state,
      'words',
      (v) =>
        Array.isArray(v) &&
        v.length === 4 &&
        v.every((w) => Number.isInteger(w) && Math.abs(w as number) < 2 ** 32) &&
        v.some((w) => ((w as number) | 0) !== 0),
      'four 32-bit integers, not all zero',
    );
    const spare = stateValue<number>(where, state, 'spareNormal', (v) => typeof v === 'number', 'a number');
    this.setState([...words.map((w) => w | 0), spare]);
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

const globalRng = new Rng(0);

/** The global generator that every random operation uses unless given its own. */
export function rng(): Rng {
  return globalRng;
}

/** Seeds the global generator. */
export function setSeed(seed: number): void {
  globalRng.seed(seed);
}

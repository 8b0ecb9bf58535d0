// The seeded generator: xoshiro128** (checked against an independent implementation),
// its distributions, permutations and state round trips.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng, rng, setSeed } from '../../src/tensor/random.js';

/** xoshiro128** written from the paper with BigInt arithmetic, independently of src/. */
function referenceXoshiro128ss(state: [number, number, number, number], count: number): number[] {
  const M = 0xffffffffn;
  let [s0, s1, s2, s3] = state.map((v) => BigInt(v >>> 0));
  const rotl = (x: bigint, k: bigint) => ((x << k) | (x >> (32n - k))) & M;
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    out.push(Number((rotl((s1 * 5n) & M, 7n) * 9n) & M));
    const t = (s1 << 9n) & M;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11n);
  }
  return out;
}

function draw(r: Rng, count: number): number[] {
  return Array.from({ length: count }, () => r.nextUint32());
}

test('xoshiro128**: known answers from state [1, 2, 3, 4] and agreement with a reference implementation', () => {
  const r = new Rng();
  r.setState([1, 2, 3, 4, NaN]);
  // Worked by hand from the algorithm: rotl(2·5, 7)·9 = 11520; then s1 becomes 0; then
  // s1 = 1026 ^ 7 = 1029, giving rotl(1029·5, 7)·9 = 5927040.
  assert.deepEqual(draw(r, 3), [11520, 0, 5927040]);

  for (const state of [
    [1, 2, 3, 4],
    [0xdeadbeef, 0x12345678, 0xffffffff, 7],
  ] as [number, number, number, number][]) {
    const g = new Rng();
    g.setState([...state.map((v) => v | 0), NaN]);
    assert.deepEqual(draw(g, 2000), referenceXoshiro128ss(state, 2000));
  }
  // From a seeded state too (whatever SplitMix32 produced).
  const seeded = new Rng(2024);
  const [a, b, c, d] = seeded.getState();
  assert.deepEqual(draw(seeded, 500), referenceXoshiro128ss([a, b, c, d], 500));
});

test('a seed determines the stream; different seeds (even adjacent ones) give different streams', () => {
  assert.deepEqual(draw(new Rng(42), 1000), draw(new Rng(42), 1000));
  const r = new Rng(42);
  draw(r, 10);
  r.seed(42); // re-seeding restarts the stream
  assert.deepEqual(draw(r, 5), draw(new Rng(42), 5));

  const streams = [0, 1, 2, 3, 1000, -1].map((s) => draw(new Rng(s), 8));
  for (let i = 0; i < streams.length; i++) {
    for (let j = i + 1; j < streams.length; j++) {
      const same = streams[i].filter((v, k) => v === streams[j][k]).length;
      assert.equal(same, 0, `seeds #${i} and #${j} share ${same} of 8 outputs`);
    }
  }
  // Seed 0 must not give the all-zero (stuck) state.
  const zero = new Rng(0);
  assert.ok(
    zero
      .getState()
      .slice(0, 4)
      .some((v) => v !== 0),
  );
  assert.ok(new Set(draw(zero, 100)).size > 95);
  // Every output is an unsigned 32-bit integer.
  assert.ok(draw(new Rng(9), 1000).every((v) => Number.isInteger(v) && v >= 0 && v < 2 ** 32));
});

test('setSeed seeds the global generator that rng() returns', () => {
  setSeed(5);
  const first = draw(rng(), 4);
  setSeed(5);
  assert.deepEqual(draw(rng(), 4), first);
  assert.deepEqual(draw(new Rng(5), 4), first);
  setSeed(6);
  assert.notDeepEqual(draw(rng(), 4), first);
});

test('uniform() is in [0, 1) with the right mean, variance and a flat histogram', () => {
  const r = new Rng(11);
  const n = 100_000;
  const bins = new Array<number>(10).fill(0);
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const u = r.uniform();
    assert.ok(u >= 0 && u < 1, `uniform() gave ${u}`);
    s += u;
    s2 += u * u;
    bins[Math.floor(u * 10)]++;
  }
  const mean = s / n;
  const variance = s2 / n - mean * mean;
  assert.ok(Math.abs(mean - 0.5) < 0.005, `mean ${mean}`);
  assert.ok(Math.abs(variance - 1 / 12) < 0.002, `variance ${variance}`);
  // Chi-square with 9 degrees of freedom: 99.99th percentile ≈ 33.7.
  const chi2 = bins.reduce((acc, b) => acc + (b - n / 10) ** 2 / (n / 10), 0);
  assert.ok(chi2 < 33.7, `chi-square ${chi2} for bins ${bins}`);

  const w = new Rng(12);
  for (let i = 0; i < 10_000; i++) {
    const v = w.uniformIn(-2, 3);
    assert.ok(v >= -2 && v < 3);
  }
  assert.equal(new Rng(1).uniform(), new Rng(1).nextUint32() / 2 ** 32);
});

test('normal() has mean ≈ 0, std ≈ 1 and the normal shape over 100k draws', () => {
  const r = new Rng(13);
  const n = 100_000;
  let s = 0;
  let s2 = 0;
  let s4 = 0;
  let within1 = 0;
  let within2 = 0;
  for (let i = 0; i < n; i++) {
    const z = r.normal();
    assert.ok(Number.isFinite(z));
    s += z;
    s2 += z * z;
    s4 += z ** 4;
    if (Math.abs(z) < 1) within1++;
    if (Math.abs(z) < 2) within2++;
  }
  const mean = s / n;
  const std = Math.sqrt(s2 / n - mean * mean);
  assert.ok(Math.abs(mean) < 0.015, `mean ${mean}`);
  assert.ok(Math.abs(std - 1) < 0.015, `std ${std}`);
  assert.ok(Math.abs(s4 / n - 3) < 0.1, `fourth moment ${s4 / n} (3 for a normal)`);
  assert.ok(Math.abs(within1 / n - 0.6827) < 0.01, `P(|z| < 1) = ${within1 / n}`);
  assert.ok(Math.abs(within2 / n - 0.9545) < 0.006, `P(|z| < 2) = ${within2 / n}`);
});

test('int(n) is in range, integer and unbiased (no modulo bias)', () => {
  const r = new Rng(14);
  const counts = new Array<number>(6).fill(0);
  const n = 60_000;
  for (let i = 0; i < n; i++) {
    const k = r.int(6);
    assert.ok(Number.isInteger(k) && k >= 0 && k < 6, `int(6) gave ${k}`);
    counts[k]++;
  }
  const chi2 = counts.reduce((acc, c) => acc + (c - n / 6) ** 2 / (n / 6), 0);
  assert.ok(chi2 < 25.7, `chi-square ${chi2} (5 d.o.f.) for ${counts}`);

  // n = 3·2³⁰: a plain `uint32 % n` would put half the mass below 2³⁰ instead of a third.
  const big = 3 * 2 ** 30;
  let low = 0;
  const m = 30_000;
  for (let i = 0; i < m; i++) {
    const k = r.int(big);
    assert.ok(k >= 0 && k < big);
    if (k < 2 ** 30) low++;
  }
  assert.ok(Math.abs(low / m - 1 / 3) < 0.02, `fraction below 2^30: ${low / m}`);

  for (let i = 0; i < 100; i++) assert.equal(r.int(1), 0);
  assert.throws(() => r.int(0), RangeError);
  assert.throws(() => r.int(-3), RangeError);
});

test('permutation(n) is a permutation, seeded, and shuffles', () => {
  const p = new Rng(15).permutation(1000);
  assert.ok(p instanceof Int32Array);
  assert.equal(p.length, 1000);
  assert.deepEqual(
    Array.from(p).sort((a, b) => a - b),
    Array.from({ length: 1000 }, (_, i) => i),
  );
  const fixedPoints = Array.from(p).filter((v, i) => v === i).length;
  assert.ok(fixedPoints < 10, `${fixedPoints} fixed points`);
  assert.deepEqual(new Rng(15).permutation(1000), p);
  assert.notDeepEqual(new Rng(16).permutation(1000), p);
  const r = new Rng(17);
  assert.notDeepEqual(r.permutation(50), r.permutation(50));
  assert.equal(new Rng(1).permutation(0).length, 0);
  assert.deepEqual(Array.from(new Rng(1).permutation(1)), [0]);

  // Every position is equally likely to receive each element: first element of permutation(4).
  const g = new Rng(18);
  const firsts = [0, 0, 0, 0];
  for (let i = 0; i < 8000; i++) firsts[g.permutation(4)[0]]++;
  for (const c of firsts) assert.ok(Math.abs(c - 2000) < 200, `first-element counts ${firsts}`);

  const a = [10, 20, 30, 40, 50];
  const same = new Rng(3).shuffle(a);
  assert.equal(same, a, 'shuffle works in place');
  assert.deepEqual(
    [...a].sort((x, y) => x - y),
    [10, 20, 30, 40, 50],
  );
});

test('getState/setState round trip, including a pending Box–Muller spare', () => {
  const r = new Rng(19);
  draw(r, 7);
  r.normal(); // leaves the second Box–Muller value pending
  const state = r.getState();
  assert.equal(state.length, 5);
  const expected = [r.normal(), r.normal(), r.uniform(), r.nextUint32(), r.int(100), r.normal()];

  const copy = new Rng(999);
  copy.setState(state);
  assert.deepEqual(
    [copy.normal(), copy.normal(), copy.uniform(), copy.nextUint32(), copy.int(100), copy.normal()],
    expected,
  );
  r.setState(state);
  assert.deepEqual([r.normal(), r.normal(), r.uniform(), r.nextUint32(), r.int(100), r.normal()], expected);
  // The state is a copy, not a live view.
  state[0] = 0;
  copy.setState(r.getState());
  assert.equal(copy.nextUint32(), r.nextUint32());

  assert.throws(() => r.setState([1, 2, 3]), RangeError);
  // seed() clears a pending spare.
  const s = new Rng(20);
  s.normal();
  s.seed(20);
  assert.equal(s.normal(), new Rng(20).normal());
});

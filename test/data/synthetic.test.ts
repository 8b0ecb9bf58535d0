import { test } from 'node:test';
import assert from 'node:assert/strict';
import { circles, moons, noisySine, twoSpirals, xor } from '../../src/data/synthetic.js';
import { ConfigError } from '../../src/errors.js';
import { Rng } from '../../src/tensor/random.js';

function classCounts(labels: Int32Array, numClasses: number): number[] {
  const counts = new Array<number>(numClasses).fill(0);
  for (const label of labels) counts[label]++;
  return counts;
}

function radius(features: Float32Array, i: number): number {
  return Math.hypot(features[2 * i], features[2 * i + 1]);
}

test('xor gives the four exact corners, and noisy copies for larger counts', () => {
  const plain = xor();
  assert.equal(plain.count, 4);
  assert.deepEqual(Array.from(plain.features), [0, 0, 0, 1, 1, 0, 1, 1]);
  assert.deepEqual(Array.from(plain.labels), [0, 1, 1, 0]);
  assert.equal(plain.numClasses, 2);
  assert.equal(xor({ count: 2 }).count, 4);

  const copies = xor({ count: 400, noise: 0.05, rng: new Rng(1) });
  assert.equal(copies.count, 400);
  assert.deepEqual(classCounts(copies.labels, 2), [200, 200]);
  for (let i = 0; i < copies.count; i++) {
    const cornerX = Math.round(copies.features[2 * i]);
    const cornerY = Math.round(copies.features[2 * i + 1]);
    assert.equal(copies.labels[i], cornerX ^ cornerY, `point ${i}`);
  }
  assert.notEqual(copies.features[4], 0); // noise really was added
});

test('twoSpirals is deterministic per seed, balanced, and the arms mirror each other', () => {
  const a = twoSpirals({ count: 200, noise: 0.05, rng: new Rng(3) });
  const b = twoSpirals({ count: 200, noise: 0.05, rng: new Rng(3) });
  const c = twoSpirals({ count: 200, noise: 0.05, rng: new Rng(4) });
  assert.deepEqual(a.features, b.features);
  assert.deepEqual(a.labels, b.labels);
  assert.notDeepEqual(a.features, c.features);
  assert.equal(a.count, 200);
  assert.equal(a.features.length, 400);
  assert.deepEqual(classCounts(a.labels, 2), [100, 100]);

  const clean = twoSpirals({ count: 400 });
  for (let i = 0; i < clean.count; i += 2) {
    assert.ok(Math.abs(clean.features[2 * i] + clean.features[2 * i + 2]) < 1e-6);
    assert.ok(Math.abs(clean.features[2 * i + 1] + clean.features[2 * i + 3]) < 1e-6);
  }
  assert.ok(Math.abs(radius(clean.features, clean.count - 1) - 1) < 1e-6); // arms end on the unit circle
  assert.equal(twoSpirals({ count: 7 }).count, 7);
});

test('moons follow make_moons: outer arc class 0 on the unit circle, inner arc class 1', () => {
  const data = moons({ count: 101 });
  assert.equal(data.count, 101);
  assert.deepEqual(classCounts(data.labels, 2), [50, 51]);
  for (let i = 0; i < data.count; i++) {
    const x = data.features[2 * i];
    const y = data.features[2 * i + 1];
    if (data.labels[i] === 0) {
      assert.ok(Math.abs(Math.hypot(x, y) - 1) < 1e-6 && y >= -1e-6);
    } else {
      assert.ok(Math.abs(Math.hypot(x - 1, y - 0.5) - 1) < 1e-6 && y <= 0.5 + 1e-6);
    }
  }
  const noisy = moons({ count: 101, noise: 0.1, rng: new Rng(5) });
  assert.notDeepEqual(noisy.features, data.features);
});

test('circles puts class 1 on a circle of radius factor inside the unit circle', () => {
  const data = circles({ count: 60, factor: 0.3 });
  assert.deepEqual(classCounts(data.labels, 2), [30, 30]);
  for (let i = 0; i < data.count; i++) {
    assert.ok(Math.abs(radius(data.features, i) - (data.labels[i] === 0 ? 1 : 0.3)) < 1e-6);
  }
  assert.throws(() => circles({ factor: 1 }), /circles: factor must be in \[0, 1\), got 1/);
});

test('noisySine: x in [−π, π], residuals have the requested spread', () => {
  const data = noisySine({ count: 2000, noise: 0.2, rng: new Rng(11) });
  assert.equal(data.numFeatures, 1);
  assert.equal(data.targets.length, 2000);
  let sumSquares = 0;
  for (let i = 0; i < data.count; i++) {
    const x = data.features[i];
    assert.ok(x >= -Math.PI - 1e-6 && x <= Math.PI + 1e-6);
    sumSquares += (data.targets[i] - Math.sin(x)) ** 2;
  }
  const residualStd = Math.sqrt(sumSquares / data.count);
  assert.ok(Math.abs(residualStd - 0.2) < 0.02, `residual std ${residualStd}`);
  const exact = noisySine({ count: 10, noise: 0, rng: new Rng(1) });
  for (let i = 0; i < 10; i++) assert.ok(Math.abs(exact.targets[i] - Math.sin(exact.features[i])) < 1e-6);
});

test('generators validate count and noise, naming themselves and the argument', () => {
  assert.throws(
    () => twoSpirals({ count: 0 }),
    (e: Error) => e instanceof ConfigError && /twoSpirals: count/.test(e.message),
  );
  assert.throws(() => moons({ count: 2.5 }), /moons: count must be a positive integer, got 2\.5/);
  assert.throws(() => circles({ noise: -1 }), /circles: noise must be a non-negative/);
  assert.throws(() => noisySine({ noise: NaN }), /noisySine: noise/);
  assert.throws(() => xor({ count: -4 }), /xor: count/);
  assert.throws(() => twoSpirals({ turns: 0 }), /twoSpirals: turns/);
});

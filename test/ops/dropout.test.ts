// Dropout: gradcheck with a fixed mask, the two modes, seeded masks, and the backward
// pass reusing the forward's mask.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ops from '../../src/ops/index.js';
import { gradcheck } from '../../src/autograd/index.js';
import { ConfigError, ShapeError } from '../../src/errors.js';
import { fromArray, ones } from '../../src/tensor/creation.js';
import { Rng } from '../../src/tensor/random.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { randomTensor } from '../helpers/random.js';
import { getBackend } from '../../src/backend/registry.js';

const rng = new Rng(5);
const r = (...shape: number[]) => randomTensor(shape, rng);

/** A 0/1 float64 mask keeping each element with probability `keep`. */
function mask(shape: number[], keep: number, seed: number): Tensor {
  const g = new Rng(seed);
  const n = shape.reduce((p, d) => p * d, 1);
  return fromArray(
    Array.from({ length: n }, () => (g.uniform() < keep ? 1 : 0)),
    shape,
    { dtype: 'float64' },
  );
}

function check(name: string, fn: (x: Tensor) => Tensor, shape: number[]): void {
  test(`gradcheck ${name}`, () => {
    const result = gradcheck(fn, [r(...shape)]);
    assert.ok(result.ok, `${name}: max error ${result.maxError} at ${JSON.stringify(result.worst)}`);
  });
}

const m1 = mask([4, 5], 0.6, 1);
check(
  'dropoutWithMask, fixed mask, inverted scale 1/0.6',
  (x) => ops.dropoutWithMask(x, m1, 1 / 0.6),
  [4, 5],
);
const m2 = mask([2, 3, 1, 1], 0.5, 2);
check('dropoutWithMask, channel mask broadcast over H×W', (x) => ops.dropoutWithMask(x, m2, 2), [2, 3, 3, 2]);
const m3 = mask([3, 4], 0.7, 3);
check('dropoutWithMask inside a network', (x) => ops.tanh(ops.dropoutWithMask(ops.mul(x, x), m3, 1)), [3, 4]);

test('dropout (inverted, training): drops about `rate`, scales survivors by 1/(1 − rate)', () => {
  const x = ones([200, 50], { dtype: 'float64' });
  const y = ops.dropout(x, 0.3, { rng: new Rng(1) }).dataSync();
  let kept = 0;
  for (const v of y) {
    if (v !== 0) {
      kept++;
      assert.ok(Math.abs(v - 1 / 0.7) < 1e-12);
    }
  }
  assert.ok(Math.abs(kept / y.length - 0.7) < 0.02, `kept fraction ${kept / y.length}`);
});

test('dropout: the same seed gives the same mask; the next call a new one', () => {
  const x = r(6, 7);
  const a = ops.dropout(x, 0.5, { rng: new Rng(9) }).dataSync();
  const b = ops.dropout(x, 0.5, { rng: new Rng(9) }).dataSync();
  assert.deepEqual(a, b);
  const g = new Rng(9);
  const first = ops.dropout(x, 0.5, { rng: g }).dataSync();
  const second = ops.dropout(x, 0.5, { rng: g }).dataSync();
  assert.notDeepEqual(first, second);
});

test('dropout: backward multiplies by the same mask and scale', () => {
  const x = randomTensor([5, 8], rng, 0.5, 1.5);
  x.requiresGrad = true;
  const y = ops.dropout(x, 0.4, { rng: new Rng(3) });
  ops.sum(y).backward();
  const yv = y.dataSync();
  const g = x.grad!.dataSync();
  for (let i = 0; i < yv.length; i++) assert.equal(g[i], yv[i] === 0 ? 0 : 1 / 0.6);
});

test('dropout (inverted, inference) is the identity; scaleAtTest scales by the keep probability at test', () => {
  const x = r(3, 4);
  assert.equal(ops.dropout(x, 0.5, { training: false }), x);
  const test_ = ops.dropout(x, 0.25, { training: false, mode: 'scaleAtTest' }).dataSync();
  x.dataSync().forEach((v, i) => assert.ok(Math.abs(test_[i] - 0.75 * v) < 1e-15));
  // Training in scaleAtTest mode keeps values unscaled.
  const y = ops.dropout(x, 0.25, { mode: 'scaleAtTest', rng: new Rng(2) }).dataSync();
  x.dataSync().forEach((v, i) => assert.ok(y[i] === 0 || y[i] === v));
});

test('dropout: both modes agree in expectation with their test-time rule', () => {
  const x = ones([100, 100], { dtype: 'float64' });
  for (const mode of ['inverted', 'scaleAtTest'] as const) {
    const train = ops.mean(ops.dropout(x, 0.5, { mode, rng: new Rng(4) })).item();
    const atTest = ops.mean(ops.dropout(x, 0.5, { mode, training: false })).item();
    assert.ok(Math.abs(train - atTest) < 0.03, `${mode}: ${train} vs ${atTest}`);
  }
});

test('dropout: rate 0 is the identity, rate 1 gives zeros (no NaN)', () => {
  const x = r(3, 3);
  assert.equal(ops.dropout(x, 0), x);
  assert.ok([...ops.dropout(x, 1).dataSync()].every((v) => v === 0));
});

test('dropout: bad arguments', () => {
  assert.throws(() => ops.dropout(r(2), 1.5), ConfigError);
  assert.throws(() => ops.dropout(r(2), -0.1), /rate must be a probability in \[0, 1\], got -0.1/);
  assert.throws(
    () => ops.dropout(r(2), 0.5, { mode: 'gaussian' as 'inverted' }),
    /Valid modes: inverted, scaleAtTest/,
  );
  assert.throws(() => ops.dropoutWithMask(r(2, 3), mask([3, 2], 0.5, 1)), ShapeError);
});

test('dropout: the backend-drawn mask (cpu, wasm) keeps 1 − rate of the units, uncorrelated with the index', () => {
  // 100,000 units at rate 0.3: the kept share within 4σ of 0.7, and neighbours independent
  // (P(both kept) ≈ 0.49), which a poor counter-based hash would fail.
  const backend = getBackend();
  if (!backend.dropoutMask) return;
  const n = 100_000;
  const mask = new Float32Array(n);
  const s = backend.alloc('float32', n);
  backend.dropoutMask(s, 'float32', n, 0.3, 1, [12345, 678910]);
  mask.set(backend.readSync!(s, 'float32', n));
  backend.free(s);
  let kept = 0;
  let pairs = 0;
  for (let i = 0; i < n; i++) {
    kept += mask[i];
    if (i > 0) pairs += mask[i] * mask[i - 1];
  }
  const sigma = Math.sqrt((0.7 * 0.3) / n);
  assert.ok(Math.abs(kept / n - 0.7) < 4 * sigma, `kept ${kept / n}`);
  assert.ok(Math.abs(pairs / (n - 1) - 0.49) < 0.01, `neighbours both kept ${pairs / (n - 1)}`);
});

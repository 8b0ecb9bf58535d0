import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  applyStandardizer,
  fitStandardizer,
  oneHotLabels,
  takeLabels,
  takeRows,
  trainTestSplitIndices,
} from '../../src/data/prepare.js';
import { ConfigError, DataError, ShapeError } from '../../src/errors.js';
import { Rng } from '../../src/tensor/random.js';

test('trainTestSplitIndices: sizes, disjoint, covering, seeded', () => {
  const { train, test: held } = trainTestSplitIndices(100, 0.2, new Rng(7));
  assert.equal(held.length, 20);
  assert.equal(train.length, 80);
  const seen = new Set<number>([...train, ...held]);
  assert.equal(seen.size, 100);
  for (const i of seen) assert.ok(i >= 0 && i < 100);

  const again = trainTestSplitIndices(100, 0.2, new Rng(7));
  assert.deepEqual(again.test, held);
  assert.notDeepEqual(trainTestSplitIndices(100, 0.2, new Rng(8)).test, held);
  // Shuffled: the test set is not simply the first or last rows.
  assert.notDeepEqual(
    Array.from(held).sort((a, b) => a - b),
    Array.from({ length: 20 }, (_, i) => i),
  );

  const tiny = trainTestSplitIndices(3, 0.01, new Rng(1));
  assert.equal(tiny.test.length, 1);
  assert.equal(tiny.train.length, 2);
});

test('trainTestSplitIndices validates its arguments', () => {
  assert.throws(
    () => trainTestSplitIndices(10, 0),
    (e: Error) => e instanceof ConfigError && /testFraction must be in \(0, 1\), got 0/.test(e.message),
  );
  assert.throws(() => trainTestSplitIndices(10, 1), /testFraction/);
  assert.throws(() => trainTestSplitIndices(10, NaN), /testFraction/);
  assert.throws(() => trainTestSplitIndices(1, 0.5), /at least 2 rows/);
  assert.throws(() => trainTestSplitIndices(2.5, 0.5), /count must be a positive integer/);
});

test('stratified split keeps the class proportions', () => {
  const labels = new Int32Array(100);
  for (let i = 0; i < 100; i++) labels[i] = i < 80 ? 0 : 1;
  const { train, test: held } = trainTestSplitIndices(100, 0.25, new Rng(2), { stratify: labels });
  assert.equal(held.length, 25);
  assert.equal(train.length, 75);
  assert.equal(Array.from(held).filter((i) => labels[i] === 1).length, 5);
  assert.equal(new Set([...train, ...held]).size, 100);
  assert.throws(
    () => trainTestSplitIndices(100, 0.25, new Rng(2), { stratify: new Int32Array(3) }),
    ShapeError,
  );
});

test('takeRows and takeLabels gather rows in index order', () => {
  const features = Float32Array.from([0, 1, 10, 11, 20, 21]);
  assert.deepEqual(Array.from(takeRows(features, 2, Int32Array.from([2, 0, 2]))), [20, 21, 0, 1, 20, 21]);
  assert.deepEqual(Array.from(takeLabels(Int32Array.from([5, 6, 7]), Int32Array.from([1, 2]))), [6, 7]);
  assert.throws(() => takeRows(features, 2, Int32Array.from([3])), /takeRows: index 0 is 3, expected 0\.\.2/);
  assert.throws(() => takeRows(features, 4, Int32Array.from([0])), ShapeError);
  assert.throws(
    () => takeLabels(Int32Array.from([1]), Int32Array.from([0, -1])),
    /takeLabels: index 1 is -1/,
  );
});

test('standardizer: training columns get mean 0 and std 1, constant columns stay finite', () => {
  const random = new Rng(4);
  const rows = 500;
  const features = new Float32Array(rows * 3);
  for (let r = 0; r < rows; r++) {
    features[r * 3] = 100 + 15 * random.normal();
    features[r * 3 + 1] = random.uniformIn(-0.001, 0.003);
    features[r * 3 + 2] = 0.1; // constant, and not exactly representable
  }
  const stats = fitStandardizer(features, 3);
  assert.ok(Math.abs(stats.mean[0] - 100) < 3);
  assert.ok(Math.abs(stats.std[0] - 15) < 2);
  assert.equal(stats.std[2], 1);

  const original = features.slice();
  const scaled = applyStandardizer(features, 3, stats);
  assert.deepEqual(features, original); // a new array; the input is left untouched
  for (let j = 0; j < 2; j++) {
    let sum = 0;
    let sumSquares = 0;
    for (let r = 0; r < rows; r++) sum += scaled[r * 3 + j];
    const mean = sum / rows;
    for (let r = 0; r < rows; r++) sumSquares += (scaled[r * 3 + j] - mean) ** 2;
    assert.ok(Math.abs(mean) < 1e-4, `column ${j} mean ${mean}`);
    assert.ok(Math.abs(Math.sqrt(sumSquares / rows) - 1) < 1e-4, `column ${j} std`);
  }
  for (let r = 0; r < rows; r++) assert.ok(Math.abs(scaled[r * 3 + 2]) < 1e-6);

  // Population (not sample) standard deviation: [1, 3] has std 1.
  assert.deepEqual(Array.from(fitStandardizer(Float32Array.from([1, 3]), 1).std), [1]);
  assert.throws(() => applyStandardizer(features, 1, stats), ShapeError);
  assert.throws(() => fitStandardizer(new Float32Array(0), 2), /no rows/);
});

test('oneHotLabels sets one 1 per row and names bad labels', () => {
  assert.deepEqual(Array.from(oneHotLabels(Int32Array.from([2, 0]), 3)), [0, 0, 1, 1, 0, 0]);
  assert.throws(
    () => oneHotLabels(Int32Array.from([0, 1, 3]), 3),
    (e: Error) =>
      e instanceof DataError && e.message === 'oneHotLabels: label at index 2 is 3, expected 0..2.',
  );
  assert.throws(() => oneHotLabels(Int32Array.from([-1]), 3), /index 0 is -1/);
  assert.throws(() => oneHotLabels(Int32Array.from([0]), 0), ConfigError);
});

// Batch vs mini-batch vs stochastic GD on real training: per epoch SGD makes the most progress
// and batch GD the least; the statistics over seeds are consistent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/autograd/index.js';
import { batchComparison } from '../../src/lab/batch.js';
import { synthetic } from '../../src/data/sets.js';
import { Rng } from '../../src/tensor/random.js';

test('batchComparison: loss per epoch and time for three methods over seeds', () => {
  const sets = synthetic('moons', { count: 300, rng: new Rng(5) });
  try {
    const series = batchComparison({ data: sets, epochs: 3, seeds: [1, 2, 3], hidden: [16] });
    assert.deepEqual(
      series.map((s) => s.method),
      ['sgd', 'minibatch', 'batch'],
    );
    for (const s of series) {
      assert.equal(s.runs.length, 3);
      assert.equal(s.mean.length, 4);
      for (let k = 0; k < 4; k++) {
        assert.ok(s.min[k] <= s.mean[k] + 1e-12 && s.mean[k] <= s.max[k] + 1e-12);
        assert.ok(s.std[k] >= 0);
        const values = s.runs.map((r) => r.loss[k]);
        assert.ok(Math.abs(s.mean[k] - values.reduce((a, b) => a + b, 0) / 3) < 1e-12);
      }
      for (const r of s.runs)
        for (let k = 1; k < r.seconds.length; k++) assert.ok(r.seconds[k] >= r.seconds[k - 1]);
      assert.equal(s.meanSeconds[0], 0);
    }
    const [sgd, mini, full] = series;
    // The same seeds start from the same weights: identical epoch-0 losses across methods.
    assert.deepEqual(
      sgd.runs.map((r) => r.loss[0]),
      full.runs.map((r) => r.loss[0]),
    );
    assert.ok(
      sgd.mean[1] < mini.mean[1] && mini.mean[1] < full.mean[1],
      `after one epoch: ${sgd.mean[1]}, ${mini.mean[1]}, ${full.mean[1]}`,
    );
  } finally {
    sets.train.dispose();
    sets.test.dispose();
  }
});

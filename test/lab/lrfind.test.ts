// The learning-rate range test: geometric rates, a smoothed loss, a suggestion where the loss
// falls fastest (below the rate of lowest loss), and an early stop when the loss blows up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/autograd/index.js';
import { lrFind, steepestIndex } from '../../src/lab/lrfind.js';
import { synthetic } from '../../src/data/sets.js';
import { Rng } from '../../src/tensor/random.js';

test('steepestIndex finds the steepest fall before the minimum', () => {
  const lrs = Array.from({ length: 50 }, (_, i) => 1e-4 * Math.pow(10, i / 10));
  // A loss that falls fastest around index 25 and turns up after 40.
  const loss = lrs.map((_, i) =>
    i < 40 ? 2 - 1.5 / (1 + Math.exp(-(i - 25) / 2)) : 0.5 + 0.1 * (i - 40) ** 2,
  );
  const k = steepestIndex(lrs, loss);
  assert.ok(Math.abs(k - 25) <= 1, `index ${k}`);
});

test('lrFind on a real network: suggestion between the ends, below the lowest-loss rate, early stop on blow-up', () => {
  const sets = synthetic('moons', { count: 400, rng: new Rng(1) });
  try {
    const r = lrFind({ data: sets, minLr: 1e-4, maxLr: 100, steps: 120, batchSize: 16, hidden: [16] });
    assert.ok(r.lrs.length > 10 && r.lrs.length <= 120);
    for (let i = 1; i < r.lrs.length; i++)
      assert.ok(Math.abs(r.lrs[i] / r.lrs[i - 1] - Math.pow(1e6, 1 / 119)) < 1e-9);
    assert.equal(r.losses.length, r.lrs.length);
    assert.equal(r.smoothed.length, r.lrs.length);
    assert.ok(r.suggested > 1e-4 && r.suggested < 100);
    assert.ok(r.suggested <= r.minimum, `suggested ${r.suggested}, lowest ${r.minimum}`);
    assert.ok(r.stoppedEarly, 'a rate of 100 blows the loss up before the end');
  } finally {
    sets.train.dispose();
    sets.test.dispose();
  }
});

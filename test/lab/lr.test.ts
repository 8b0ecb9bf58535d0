// Learning-rate regimes: on J(θ) = θ² the paths are the closed form (1 − 2η)ᵏθ₀ and classify
// as the lecture says; on a network a tiny rate is slow, a good one converges and a huge one
// diverges.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/autograd/index.js';
import {
  classifyLossCurve,
  classifyPath,
  networkLrCurves,
  predictedRegime,
  quadraticRegimes,
} from '../../src/lab/lr.js';
import { synthetic } from '../../src/data/sets.js';
import { Rng } from '../../src/tensor/random.js';

test('quadraticRegimes: the four default rates are slow, converging, oscillating and diverging', () => {
  const q = quadraticRegimes();
  assert.deepEqual(
    q.runs.map((r) => r.kind),
    ['slow', 'converging', 'oscillating', 'diverging'],
  );
  for (const run of q.runs) {
    assert.equal(run.thetas.length, q.steps + 1);
    run.thetas.forEach((theta, k) =>
      assert.ok(Math.abs(theta - Math.pow(1 - 2 * run.lr, k) * q.theta0) < 1e-12),
    );
  }
  // Diverging: |θ| grows at every step; oscillating: the sign alternates while |θ| shrinks.
  const diverging = q.runs[3].thetas.map(Math.abs);
  for (let k = 1; k < diverging.length; k++) assert.ok(diverging[k] > diverging[k - 1]);
  const osc = q.runs[2].thetas;
  for (let k = 1; k < osc.length; k++) {
    assert.ok(osc[k] * osc[k - 1] < 0);
    assert.ok(Math.abs(osc[k]) < Math.abs(osc[k - 1]));
  }
  assert.equal(q.curve.theta.length, q.curve.loss.length);
});

test('classifyPath agrees with the theory for a sweep of learning rates', () => {
  for (const lr of [0.001, 0.01, 0.05, 0.2, 0.3, 0.45, 0.5, 0.55, 0.7, 0.9, 0.99, 1.01, 1.2, 2]) {
    const q = quadraticRegimes({ rates: [{ label: '', lr }], steps: 15 });
    assert.equal(q.runs[0].kind, predictedRegime(lr, 15), `η = ${lr}`);
  }
  assert.equal(classifyPath([1, 2, 4]), 'diverging');
  assert.equal(classifyPath([1, NaN]), 'diverging');
});

test('classifyLossCurve: falling, flat, noisy and exploding curves', () => {
  const fall = Array.from({ length: 100 }, (_, k) => 2.3 * Math.exp(-k / 10));
  const flat = Array.from({ length: 100 }, (_, k) => 2.3 - 0.001 * k);
  const noisy = Array.from({ length: 100 }, (_, k) => 1.5 + (k % 2 ? 0.8 : -0.8));
  assert.equal(classifyLossCurve(fall, null), 'converging');
  assert.equal(classifyLossCurve(flat, null), 'slow');
  assert.equal(classifyLossCurve(noisy, null), 'oscillating');
  assert.equal(classifyLossCurve(fall.slice(0, 5), 4), 'diverging');
});

test('networkLrCurves: tiny rate slow, good rate converges, huge rate diverges (real training)', () => {
  const sets = synthetic('moons', { rng: new Rng(3) });
  try {
    const runs = networkLrCurves({ data: sets, lrs: [1e-4, 0.5, 1e4], epochs: 3, hidden: [16], seed: 2 });
    assert.deepEqual(
      runs.map((r) => r.lr),
      [1e-4, 0.5, 1e4],
    );
    const [small, good, huge] = runs;
    assert.equal(small.kind, 'slow');
    assert.equal(good.kind, 'converging');
    assert.ok(good.testAccuracy > 0.8, `accuracy ${good.testAccuracy}`);
    assert.equal(huge.kind, 'diverging');
    assert.equal(good.epochLoss.length, 3);
    assert.ok(good.epochLoss[2] < small.epochLoss[2]);
  } finally {
    sets.train.dispose();
    sets.test.dispose();
  }
});

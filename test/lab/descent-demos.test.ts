// The lectures' gradient-descent demonstrations (issue 18, items 1–6): each test checks the
// property its figure shows, at the default size or a reduced one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/index.js';
import { leastSquares, linearRegressionStudy, regressionCost } from '../../src/lab/regression.js';
import { findMinima, localMinimaStudy, wells1d, wells2d } from '../../src/lab/minima.js';
import { gradientNoise, logLogSlope } from '../../src/lab/gradient-noise.js';
import { lagMismatch, orderStudy } from '../../src/lab/order.js';
import { divergenceStudy } from '../../src/lab/divergence.js';
import { mseSeparationStudy } from '../../src/lab/mse-separation.js';
import {
  divergenceFigures,
  minimaFigures,
  noiseFigures,
  orderFigures,
  regressionFigures,
  separationFigures,
} from '../../src/viz/lab-descent.js';
import type { Figure } from '../../src/viz/figure.js';

/** Every figure has an id, a title and a caption of at least a sentence, with no NaN quoted. */
function checkFigures(figures: readonly Figure[], prefix: string): void {
  assert.ok(figures.length > 0);
  assert.equal(new Set(figures.map((f) => f.id)).size, figures.length, 'unique ids');
  for (const f of figures) {
    assert.ok(f.id.startsWith(`${prefix}-`), `${f.id} starts with ${prefix}-`);
    assert.ok(f.title.length > 0 && f.chart, `${f.id}: a title and a chart`);
    assert.match(f.caption, /\S.{30,}[.)]$/s, `${f.id}: a caption of at least a sentence`);
    assert.doesNotMatch(f.caption, /NaN|undefined|Infinity/, `${f.id}: the caption quotes real numbers`);
  }
}

test('regression: J(θ₁) is the slide’s parabola and gradient descent reaches the normal equations’ solution', () => {
  const study = linearRegressionStudy();
  // On (1,1), (2,2), (3,3): J(θ₁) = (1 − θ₁)² · (1 + 4 + 9)/6.
  for (const row of study.one.table)
    assert.ok(Math.abs(row.cost - (14 / 6) * (1 - row.theta1) ** 2) < 1e-5, `J(${row.theta1}) = ${row.cost}`);
  const jHalf = study.one.table.find((r) => r.theta1 === 0.5)!.cost;
  assert.ok(Math.abs(jHalf - 0.58) < 0.01, `J(0.5) ≈ 0.58, got ${jHalf}`);
  // One-parameter descent moves towards θ₁ = 1 and never raises J.
  const d = study.one.descent;
  for (let k = 1; k < d.cost.length; k++) assert.ok(d.cost[k] <= d.cost[k - 1] + 1e-9, `step ${k} raised J`);
  assert.ok(Math.abs(d.theta1.at(-1)! - 1) < Math.abs(d.theta1[0] - 1) / 4);
  // Two parameters: the end of the path is the least-squares fit, whose gradient vanishes.
  const two = study.two;
  const end = two.path.at(-1)!;
  assert.ok(Math.hypot(end[0] - two.optimum[0], end[1] - two.optimum[1]) < 0.02, `ended at ${end}`);
  const [t0, t1] = leastSquares(two.data);
  const residual = two.data.x.map((x, i) => t0 + t1 * x - two.data.y[i]);
  assert.ok(Math.abs(residual.reduce((s, r) => s + r, 0)) < 1e-8);
  assert.ok(Math.abs(residual.reduce((s, r, i) => s + r * two.data.x[i], 0)) < 1e-8);
  for (let k = 1; k < two.cost.length; k++) assert.ok(two.cost[k] <= two.cost[k - 1] + 1e-6);
  assert.ok(two.cost.at(-1)! - two.optimumCost < 1e-3);
  // The contour's grid holds J (checked at one cell against regressionCost).
  const i = 17;
  const j = 40;
  const n = two.grid.xs.length;
  const [expected] = regressionCost(two.data, [[two.grid.xs[i], two.grid.ys[j]]]);
  assert.ok(Math.abs(two.grid.values[j * n + i] - expected) < 1e-4 * Math.max(1, expected));
  checkFigures(regressionFigures(study), 'regression');
});

test('minima: gradient descent from different starts ends in different minima; momentum and a large step escape the shallow one', () => {
  const study = localMinimaStudy({ startsPerAxis2d: 5, seeds: 8, epochs: 200, points: 31 });
  const minima1 = findMinima(wells1d);
  assert.equal(minima1.length, 3, 'three minima on the line');
  assert.equal(findMinima(wells2d).length, 4, 'four minima in the plane');
  const ends = (runs: typeof study.oneD.runs) => new Set(runs.map((r) => r.minimum));
  assert.equal(ends(study.oneD.runs).size, 3, 'the 1-D starts end in all three minima');
  assert.ok(ends(study.twoD.runs).size >= 3, `the 2-D starts end in ${ends(study.twoD.runs).size} minima`);
  // Each run really ends at (not just nearest to) its minimum.
  for (const r of study.oneD.runs)
    assert.ok(Math.abs(r.points.at(-1)![0] - study.oneD.minima[r.minimum].point[0]) < 0.02);
  // From the same start: plain GD stays in the shallow well, momentum and η = 0.7 reach a deeper one.
  const [plain, momentum, large] = study.escape.runs;
  const shallow = study.oneD.minima.length - 1;
  assert.equal(plain.minimum, shallow, 'plain gradient descent is caught by the shallow well');
  for (const r of [momentum, large]) {
    assert.notEqual(r.minimum, shallow, `${r.label} escapes`);
    assert.ok(study.oneD.minima[r.minimum].value < study.oneD.minima[shallow].value);
  }
  // The network's final loss spreads over seeds: some solve the task, some do not.
  const losses = study.seeds.finalLoss;
  assert.equal(losses.length, 8);
  assert.ok(
    Math.max(...losses) > 3 * Math.min(...losses),
    `spread ${Math.min(...losses)}…${Math.max(...losses)}`,
  );
  checkFigures(minimaFigures(study), 'minima');
});

test('noise: the mini-batch gradient variance falls like tr Σ / b (within 25%), the error estimate like √(p(1 − p)/N)', () => {
  const study = gradientNoise({ batchSizes: [1, 4, 16, 64, 256], draws: 120 });
  const b = study.rows.map((r) => r.batchSize);
  const slope = logLogSlope(
    b,
    study.rows.map((r) => r.gradientVariance),
  );
  assert.ok(Math.abs(slope + 1) < 0.08, `log-log slope ${slope}, expected −1 ± 0.08`);
  for (const r of study.rows) {
    const ratio = (r.gradientVariance * r.batchSize) / study.traceSigma;
    assert.ok(ratio > 0.75 && ratio < 1.25, `b = ${r.batchSize}: measured / (tr Σ / b) = ${ratio}`);
    // Without replacement: the finite-population factor (N − b)/(N − 1) on top.
    const n = study.trainSamples;
    const without =
      (r.gradientVarianceWithout * r.batchSize) / study.traceSigma / ((n - r.batchSize) / (n - 1));
    assert.ok(without > 0.7 && without < 1.3, `b = ${r.batchSize}, without replacement: ${without}`);
    const loss = (r.lossVariance * r.batchSize) / study.lossSigma2;
    assert.ok(loss > 0.6 && loss < 1.5, `b = ${r.batchSize}: loss variance ratio ${loss}`);
  }
  const p = study.testError;
  for (const r of study.errorRows) {
    const expected = Math.sqrt((p * (1 - p)) / r.samples);
    assert.ok(Math.abs(r.std / expected - 1) < 0.2, `N = ${r.samples}: std ${r.std}, expected ${expected}`);
    assert.ok(Math.abs(r.mean - p) < (3 * expected) / Math.sqrt(400) + 1e-9, 'the estimate is unbiased');
  }
  const errorSlope = logLogSlope(
    study.errorRows.map((r) => r.samples),
    study.errorRows.map((r) => r.std),
  );
  assert.ok(Math.abs(errorSlope + 0.5) < 0.08, `error slope ${errorSlope}`);
  checkFigures(noiseFigures(study), 'noise');
});

test('order: fixed-order SGD’s loss has a period of exactly one epoch; reshuffling has none', () => {
  const study = orderStudy({ epochs: 20 });
  const n = study.epochLength;
  assert.equal(study.period.fixed, n, 'the period is the epoch length');
  const fixed = study.fixed.loss;
  const range = Math.max(...fixed.slice(-n)) - Math.min(...fixed.slice(-n));
  assert.ok(range > 0.05, `the cycle is a real wave (range ${range})`);
  for (let t = fixed.length - 2 * n; t + n < fixed.length; t++)
    assert.ok(Math.abs(fixed[t + n] - fixed[t]) < 1e-3 * range, `L(${t} + n) ≠ L(${t})`);
  const shuffled = study.shuffled.mismatch;
  assert.ok(shuffled[n - 1] > 0.5 * shuffled[n / 2 - 1], 'no dip at one epoch when reshuffled');
  assert.notEqual(study.period.shuffled, n);
  // lagMismatch on a sequence of known period.
  const wave = Array.from({ length: 100 }, (_, t) => Math.sin((2 * Math.PI * t) / 7));
  const m = lagMismatch(wave, 50, 10);
  assert.ok(m[6] < 1e-12 && m[2] > 0.5);
  checkFigures(orderFigures(study), 'order');
});

test('divergence: cross-entropy moves a saturated unit at once, L2 barely; cross-entropy trains the network better', () => {
  const study = divergenceStudy({ points: 21, epochs: 4 });
  const [l2, ce] = study.unit.surfaces;
  assert.equal(l2.loss, 'mse');
  const drop = (losses: number[]) => (losses[0] - losses[10]) / losses[0];
  assert.ok(
    drop(ce.losses) > 10 * drop(l2.losses),
    `relative drop in 10 steps: CE ${drop(ce.losses)}, L2 ${drop(l2.losses)}`,
  );
  // The L2 surface is flat where the unit saturates: its spread of values is bounded by 1, CE's is not.
  assert.ok(l2.grid.max <= 1 + 1e-6 && ce.grid.max > 3);
  const final = (name: string) => study.network.curves.find((c) => c.label.startsWith(name))!;
  for (const init of ['Glorot', 'large']) {
    const mse = study.network.curves.find((c) => c.loss === 'mse' && c.label.includes(init))!;
    const xent = study.network.curves.find((c) => c.loss === 'crossEntropy' && c.label.includes(init))!;
    assert.ok(
      xent.testError.at(-1)! < mse.testError.at(-1)!,
      `${init}: CE ${xent.testError.at(-1)} < L2 ${mse.testError.at(-1)}`,
    );
  }
  assert.ok(final('softmax + cross-entropy, Glorot').testError.at(-1)! < 0.15);
  checkFigures(divergenceFigures(study), 'divergence');
});

test('separation: the perceptron separates the separable set, MSE backprop leaves the extra point wrong', () => {
  const study = mseSeparationStudy({ epochs: 200 });
  assert.ok(study.separator.margin > 0, 'the set is linearly separable');
  const run = (name: string) => study.runs.find((r) => r.name === name)!;
  assert.equal(run('perceptron').errors.at(-1), 0, 'the perceptron rule separates it');
  assert.equal(run('crossEntropy').errors.at(-1), 0, 'cross-entropy separates it');
  const mse = run('mse');
  assert.ok(mse.errors.at(-1)! >= 1, 'L2 leaves a point misclassified');
  assert.ok(
    mse.outlierOutput.at(-1)! < 0.1,
    `σ(z) at the extra point ${mse.outlierOutput.at(-1)}: a confident mistake`,
  );
  // A plateau, not slow progress: the last half of the epochs has the same error count.
  const half = mse.errors.slice(Math.floor(mse.errors.length / 2));
  assert.ok(half.every((e) => e === half[0]));
  checkFigures(separationFigures(study), 'separation');
});

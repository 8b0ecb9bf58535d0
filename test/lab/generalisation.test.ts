// The lectures' demonstrations of what training ends with (issue 18, items 7–10): each test
// checks the property its figure shows, at a reduced size.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/index.js';
import { overfittingStudy } from '../../src/lab/overfitting.js';
import { averageProbabilities, ensembleStudy, scoreProbabilities } from '../../src/lab/ensemble.js';
import { rowSpread, symmetryStudy } from '../../src/lab/symmetry.js';
import { averagingStudy } from '../../src/lab/averaging.js';
import {
  averagingFigures,
  ensembleFigures,
  overfittingFigures,
  symmetryFigures,
} from '../../src/viz/lab-generalisation.js';
import type { Figure } from '../../src/viz/figure.js';

function checkFigures(figures: readonly Figure[], prefix: string): void {
  assert.equal(new Set(figures.map((f) => f.id)).size, figures.length, 'unique ids');
  for (const f of figures) {
    assert.ok(f.id.startsWith(`${prefix}-`) && f.title.length > 0 && f.chart, f.id);
    assert.match(f.caption, /\S.{30,}[.)]$/s, `${f.id}: a caption of at least a sentence`);
    assert.doesNotMatch(f.caption, /NaN|undefined|Infinity/, `${f.id}: the caption quotes real numbers`);
  }
}

test('overfitting: the validation gap grows without a constraint, L2 shrinks it, early stopping stops at the best epoch', () => {
  const study = overfittingStudy({ lambdas: [0, 1e-2], epochs: 600, patience: 60 });
  const [plain, l2] = study.runs;
  const gapAt = (r: typeof plain, e: number) => r.validation[e] - r.train[e];
  const best = plain.validation.indexOf(Math.min(...plain.validation));
  // Without L2 the training error keeps falling below what the validation error can reach…
  assert.ok(
    plain.train.at(-1)! < 0.5 * plain.train[best],
    'training error keeps falling after the best epoch',
  );
  assert.ok(plain.validation.at(-1)! > 1.1 * plain.validation[best], 'validation error rises again');
  assert.ok(gapAt(plain, plain.train.length - 1) > 1.5 * gapAt(plain, best), 'the gap grows');
  // …and the L2 penalty shrinks the gap and the weights.
  assert.ok(
    gapAt(l2, l2.train.length - 1) < 0.6 * gapAt(plain, plain.train.length - 1),
    'L2 shrinks the gap',
  );
  assert.ok(l2.weightNorm2 < 0.2 * plain.weightNorm2, `Σw² ${l2.weightNorm2} against ${plain.weightNorm2}`);
  assert.ok(l2.validation.at(-1)! < plain.validation.at(-1)!);
  // Early stopping: it stops once `patience` epochs in a row have not improved (so on the
  // patience + 1-th), and its best epoch is the best so far then.
  assert.ok(plain.stoppedEpoch !== null && plain.bestEpoch !== null);
  assert.equal(plain.stoppedEpoch - plain.bestEpoch, study.patience + 1);
  const upToStop = plain.validation.slice(1, plain.stoppedEpoch + 1);
  assert.equal(plain.bestEpoch, 1 + upToStop.indexOf(Math.min(...upToStop)));
  // The fitted function without L2 wiggles more: a larger total variation over the grid.
  const variation = (v: number[]) => v.slice(1).reduce((s, y, i) => s + Math.abs(y - v[i]), 0);
  assert.ok(variation(plain.fit) > variation(l2.fit));
  checkFigures(overfittingFigures(study), 'overfitting');
});

test('ensemble: averaging the bagged members beats a typical member; dropout sub-networks average towards the scaled network', async () => {
  const study = await ensembleStudy({
    seeds: [1, 2],
    epochs: 15,
    members: 5,
    trainSamples: 300,
    mcCounts: [1, 4, 16],
  });
  for (const s of study.seeds) {
    const memberError = s.members.reduce((a, m) => a + m.error, 0) / s.members.length;
    const memberLoss = s.members.reduce((a, m) => a + m.logLoss, 0) / s.members.length;
    assert.ok(
      s.ensemble.error <= memberError,
      `seed ${s.seed}: ensemble ${s.ensemble.error} vs members ${memberError}`,
    );
    // Jensen: −ln of the mean probability ≤ the mean of −ln, per sample, so also on average.
    assert.ok(s.ensemble.logLoss <= memberLoss + 1e-12);
    assert.deepEqual(s.prefixes[0], s.members[0], 'an ensemble of one is its member');
    assert.ok(new Set(s.members.map((m) => m.error)).size > 1, 'the members differ (a spread)');
    assert.ok(s.monteCarlo.at(-1)!.logLoss < s.monteCarlo[0].logLoss, 'more sub-networks, lower log loss');
    for (const score of [s.single, s.dropout, s.ensemble]) assert.ok(score.error < 0.25);
  }
  // The averaging itself, on numbers worked by hand.
  const a = Float64Array.from([0.9, 0.1, 0.2, 0.8]);
  const b = Float64Array.from([0.5, 0.5, 0.6, 0.4]);
  assert.deepEqual(
    Array.from(averageProbabilities([a, b])).map((v) => +v.toFixed(12)),
    [0.7, 0.3, 0.4, 0.6],
  );
  const score = scoreProbabilities(averageProbabilities([a, b]), [0, 0], 2);
  assert.equal(score.error, 0.5);
  assert.ok(Math.abs(score.logLoss - -(Math.log(0.7) + Math.log(0.4)) / 2) < 1e-12);
  checkFigures(ensembleFigures(study), 'ensemble');
});

test('symmetry: identical initialisation gives identical rows of W₁ after training; random initialisation breaks it', () => {
  const study = symmetryStudy({ epochs: 2 });
  const run = (name: string) => study.runs.find((r) => r.name === name)!;
  const identical = run('identical');
  assert.equal(identical.distinctRows, 1, 'one distinct row after training');
  assert.ok(
    identical.spread.every((v) => v === 0),
    'the rows never differ, at any recorded step',
  );
  assert.notDeepEqual(identical.after, identical.before, 'yet the weights did change');
  assert.equal(rowSpread(identical.after, study.hidden, study.inputs), 0);
  const random = run('random');
  assert.equal(random.distinctRows, study.hidden);
  assert.ok(random.testError < identical.testError, 'the broken symmetry learns more');
  const perturbed = run('perturbed');
  assert.ok(perturbed.spread.at(-1)! > 10 * perturbed.spread[0], 'a tiny perturbation grows');
  // rowSpread on a hand-made matrix: rows (1, 0), (1, 0), (0, 1) → √2.
  assert.ok(Math.abs(rowSpread([1, 0, 1, 0, 0, 1], 3, 2) - Math.SQRT2) < 1e-12);
  checkFigures(symmetryFigures(study), 'symmetry');
});

test('averaging: the averaged iterates end closer to the optimum than the last iterate, and keep approaching it', () => {
  const study = averagingStudy({ epochs: 10, seeds: [1, 2, 3] });
  for (const r of study.runs) assert.ok(r.averaged.at(-1)! < 0.5 * r.last.at(-1)!, `seed ${r.seed}`);
  assert.ok(study.meanAveraged.at(-1)! < 0.2 * study.meanLast.at(-1)!);
  // The last iterate has stalled over the second half; the average is still falling, about like 1/√k.
  const k = study.runs[0].steps;
  const half = Math.floor(k.length / 2);
  const slope = (v: number[]) =>
    Math.log(v.at(-1)! / v[half]) / Math.log((k.at(-1)! - study.burnIn) / (k[half] - study.burnIn));
  assert.ok(
    slope(study.meanAveraged) < -0.2 && slope(study.meanAveraged) > -0.8,
    `average slope ${slope(study.meanAveraged)}`,
  );
  assert.ok(
    Math.abs(Math.log(study.meanLast.at(-1)! / study.meanLast[half])) < 0.7,
    'the last iterate has stalled',
  );
  checkFigures(averagingFigures(study), 'averaging');
});

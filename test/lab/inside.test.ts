// Looking inside (issue 18, items 11–13): a trained LeNet's filters and maps, K-means from
// many starts, and the Hessian by power iteration checked against a dense Hessian.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/index.js';
import { featuresStudy } from '../../src/lab/features.js';
import { blobs, kmeansCost, kmeansMiniBatch, kmeansSeedSpread } from '../../src/lab/kmeans.js';
import {
  doubleWell,
  extremeEigenvalues,
  gradientAt,
  hessianStudy,
  tinyNetwork,
} from '../../src/lab/hessian.js';
import type { Objective } from '../../src/lab/trajectories.js';
import { featuresFigures, hessianFigures, kmeansSpreadFigures } from '../../src/viz/lab-inside.js';
import type { Figure } from '../../src/viz/figure.js';

function checkFigures(figures: readonly Figure[], prefix: string): void {
  assert.equal(new Set(figures.map((f) => f.id)).size, figures.length, 'unique ids');
  for (const f of figures) {
    assert.ok(f.id.startsWith(`${prefix}-`) && f.title.length > 0 && f.chart, f.id);
    assert.match(f.caption, /\S.{30,}[.)]$/s, `${f.id}: a caption of at least a sentence`);
    assert.doesNotMatch(f.caption, /NaN|undefined|Infinity/, `${f.id}: the caption quotes real numbers`);
  }
}

test('features: a trained LeNet classifies the digits, its filters changed, its maps have the layers’ shapes', () => {
  const study = featuresStudy({ epochs: 6 });
  assert.ok(study.testAccuracy > 0.85, `test accuracy ${study.testAccuracy}`);
  assert.ok(study.epochLoss.at(-1)! < 0.5 * study.epochLoss[0]);
  assert.equal(study.filtersAfter.length, 4);
  for (let k = 0; k < 4; k++)
    assert.notDeepEqual(study.filtersAfter[k].values, study.filtersBefore[k].values);
  assert.equal(study.examples.length, 4);
  assert.equal(new Set(study.examples.map((e) => e.label)).size, 4, 'four different classes');
  for (const e of study.examples) {
    assert.equal(e.maps1.length, 4);
    assert.equal(e.maps2.length, 12);
    assert.deepEqual(
      [e.maps1[0].height, e.maps1[0].width, e.maps2[0].height, e.maps2[0].width],
      [8, 8, 4, 4],
    );
    // After tanh: every activation in (−1, 1), and the maps are not blank.
    for (const m of [...e.maps1, ...e.maps2]) assert.ok(m.values.every((v) => Math.abs(v) < 1));
    assert.ok(e.maps1.some((m) => Math.max(...m.values.map(Math.abs)) > 0.3));
  }
  checkFigures(featuresFigures(study), 'features');
});

test('kmeans: the final cost spreads over starts (local minima); the best start of every method reaches the true centres’ cost', () => {
  const data = blobs({ k: 4, count: 400, seed: 1 });
  const spread = kmeansSeedSpread(
    data,
    4,
    8,
    Array.from({ length: 12 }, (_, i) => 1000 + i),
  );
  for (const m of spread.methods) {
    assert.ok(Math.min(...m.final) <= 1.02 * spread.atTrueCentres, `${m.name}: best ${Math.min(...m.final)}`);
    assert.ok(m.min.every((v, i) => v <= m.mean[i] + 1e-12 && m.mean[i] <= m.max[i] + 1e-12));
  }
  const batch = spread.methods.find((m) => m.method === 'batch')!;
  assert.ok(Math.max(...batch.final) > 1.5 * Math.min(...batch.final), 'some start ends in a local minimum');
  // Mini-batch K-means lowers the cost from its start and its curve is J of its centres.
  const run = kmeansMiniBatch(data, 4, 5, { seed: 1001, batchSize: 20 });
  assert.ok(run.cost.at(-1)! < run.cost[0]);
  assert.ok(
    Math.abs(kmeansCost(data.points, Float64Array.from(run.centres.flat())) - run.cost.at(-1)!) < 1e-12,
  );
  checkFigures(kmeansSpreadFigures(spread), 'kmeans');
});

/** The dense Hessian by central differences of autograd gradients, symmetrised. */
function denseHessian(objective: Objective, theta: readonly number[], h = 1e-5): number[][] {
  const n = theta.length;
  const columns = Array.from({ length: n }, (_, j) => {
    const plus = gradientAt(
      objective,
      theta.map((t, i) => (i === j ? t + h : t)),
    );
    const minus = gradientAt(
      objective,
      theta.map((t, i) => (i === j ? t - h : t)),
    );
    return Array.from(plus, (p, i) => (p - minus[i]) / (2 * h));
  });
  return columns.map((_, i) => columns.map((_, j) => (columns[j][i] + columns[i][j]) / 2));
}

/** Eigenvalues of a symmetric matrix by cyclic Jacobi rotations. */
function symmetricEigenvalues(matrix: number[][]): number[] {
  const a = matrix.map((row) => [...row]);
  const n = a.length;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p][q] ** 2;
    if (off < 1e-24) break;
    for (let p = 0; p < n; p++)
      for (let q = p + 1; q < n; q++) {
        if (Math.abs(a[p][q]) < 1e-300) continue;
        const theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k][p];
          const akq = a[k][q];
          a[k][p] = c * akp - s * akq;
          a[k][q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p][k];
          const aqk = a[q][k];
          a[p][k] = c * apk - s * aqk;
          a[q][k] = s * apk + c * aqk;
        }
      }
  }
  return a.map((row, i) => row[i]).sort((x, y) => x - y);
}

test('hessian: power iteration on HVPs matches the dense Hessian; a negative eigenvalue at the saddle, none at the minimum', () => {
  // The double well, whose Hessian is known: diag(3x² − 1, 1).
  // (At (0, 0) the two eigenvalues ±1 have equal size and power iteration cannot pick one: x = 0.3.)
  const inStrip = extremeEigenvalues(doubleWell, [0.3, 0], { iterations: 60 });
  assert.ok(Math.abs(inStrip.min.value - (3 * 0.09 - 1)) < 1e-3 && Math.abs(inStrip.max.value - 1) < 1e-3);
  const atMinimum = extremeEigenvalues(doubleWell, [1, 0], { iterations: 60 });
  assert.ok(Math.abs(atMinimum.min.value - 1) < 1e-3 && Math.abs(atMinimum.max.value - 2) < 1e-3);
  const study = hessianStudy({ iterations: 120, costSizes: [2, 4, 8, 16] });
  const net = tinyNetwork(3, 1);
  const [gd, newton] = study.network.runs;
  assert.equal(newton.optimizer, 'newton');
  for (const run of [gd, newton]) {
    const dense = symmetricEigenvalues(denseHessian(net.objective, run.end.theta));
    const { min, max } = run.end.eigenvalues;
    const scale = Math.max(...dense.map(Math.abs));
    assert.ok(
      Math.abs(max.value - dense.at(-1)!) < 2e-3 * scale,
      `${run.label}: λ_max ${max.value} vs dense ${dense.at(-1)}`,
    );
    assert.ok(
      Math.abs(min.value - dense[0]) < 2e-3 * scale,
      `${run.label}: λ_min ${min.value} vs dense ${dense[0]}`,
    );
  }
  // Newton converges onto the saddle (every weight 0); gradient descent escapes to a minimum.
  assert.ok(
    newton.end.gradientNorm < 1e-6 && newton.end.eigenvalues.min.value < -0.1,
    'Newton: stationary, with negative curvature',
  );
  assert.ok(Math.abs(newton.end.loss - study.network.saddleLoss) < 1e-6);
  assert.ok(
    gd.end.eigenvalues.min.value > -1e-3,
    `gradient descent's end has no negative curvature (${gd.end.eigenvalues.min.value})`,
  );
  assert.ok(gd.end.loss < 0.1 * study.network.saddleLoss);
  // On the double well: the starts inside |x| < 1/√3 take Newton to the saddle, never gradient descent.
  for (const r of study.well.runs) {
    const inside = Math.abs(r.start[0]) < 1 / Math.sqrt(3);
    assert.equal(
      r.ended,
      r.optimizer === 'newton' && inside ? 'saddle' : 'minimum',
      `${r.optimizer} from ${r.start}`,
    );
  }
  // The cost rows: a Newton step takes 2n + 1 gradients, SGD one.
  for (const row of study.cost) {
    if (row.optimizer === 'newton') assert.equal(row.evaluationsPerStep, 2 * row.parameters + 1);
    if (row.optimizer === 'sgd') assert.equal(row.evaluationsPerStep, 1);
  }
  checkFigures(hessianFigures(study), 'hessian');
});

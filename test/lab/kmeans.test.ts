import { test } from 'node:test';
import assert from 'node:assert/strict';
import { blobs, kmeansBatch, kmeansCost, kmeansOnline, kmeansStudy } from '../../src/lab/kmeans.js';
import { kmeansFigures } from '../../src/viz/lab.js';

// K-means has local minima (two centres sharing a blob); seed 1 starts in the global basin.
test("Lloyd's batch K-means never increases the cost and finds the blobs", () => {
  const data = blobs({ k: 4, count: 400, seed: 1 });
  const run = kmeansBatch(data, 4, 15, 1);
  const atTruth = kmeansCost(data.points, Float64Array.from(data.trueCentres.flat()));
  assert.ok(
    run.cost.at(-1)! <= atTruth * 1.05,
    `J ${run.cost.at(-1)} near the cost at the true centres ${atTruth}`,
  );
  for (let p = 1; p < run.cost.length; p++)
    assert.ok(run.cost[p] <= run.cost[p - 1] + 1e-12, `pass ${p} increased J`);
  for (const [x, y] of data.trueCentres) {
    const d = Math.min(...run.centres.map(([cx, cy]) => Math.hypot(cx - x, cy - y)));
    assert.ok(d < 0.3, `a centre lies within 0.3 of the blob at (${x}, ${y}); nearest is ${d}`);
  }
});

test('online K-means with η = 1/nₖ keeps each centre at the running mean and reaches the batch cost', () => {
  const data = blobs({ k: 4, count: 400, seed: 3 });
  const batch = kmeansBatch(data, 4, 20, 3);
  const online = kmeansOnline(data, 4, 5, { seed: 3 });
  const jBatch = batch.cost.at(-1)!;
  const jOnline = online.cost.at(-1)!;
  assert.ok(jOnline <= jBatch * 1.05, `online J ${jOnline} within 5% of batch J ${jBatch}`);
  assert.equal(kmeansCost(data.points, Float64Array.from(online.centres.flat())), jOnline);
});

test('online updates are most of the way down within the first pass; batch needs whole passes', () => {
  const study = kmeansStudy({ seed: 1, passes: 10 });
  const [batch, online] = study.runs;
  const start = batch.cost[0];
  const onlineAfterOnePass = online.cost[online.passes.indexOf(1)];
  assert.ok(
    onlineAfterOnePass < batch.cost[1],
    `after one pass online J ${onlineAfterOnePass} < batch J ${batch.cost[1]}`,
  );
  assert.ok(onlineAfterOnePass < 0.5 * start);
  const figures = kmeansFigures(study);
  assert.deepEqual(
    figures.map((f) => f.id),
    ['kmeans-cost', 'kmeans-centres'],
  );
});

test('bad arguments are refused with the argument named', () => {
  assert.throws(() => blobs({ k: 0 }), /blobs: need integers k ≥ 1/);
  assert.throws(() => kmeansOnline(blobs(), 4, 1, { lr: 2 }), /lr must be in \(0, 1\]/);
});

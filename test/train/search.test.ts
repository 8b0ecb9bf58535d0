// Grid and random search: every configuration trained on the same split from the same
// seed, ranked by validation accuracy; diverging runs ranked last with their error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/autograd/index.js';
import * as nn from '../../src/nn/index.js';
import * as data from '../../src/data/index.js';
import { Dataset } from '../../src/data/dataset.js';
import { Model, gridSearch, searchConfigs, type SearchConfig } from '../../src/train/index.js';
import { Rng } from '../../src/tensor/random.js';
import { memory } from '../../src/tensor/scope.js';
import { ConfigError } from '../../src/errors.js';
import type { OptimizerName } from '../../src/optim/index.js';

function moons(count: number, seed: number): Dataset {
  const t = data.raw.moons({ count, noise: 0.1, rng: new Rng(seed) });
  return Dataset.fromArrays(t.features, [2], t.labels, { numClasses: 2, name: 'moons' });
}

const build = (c: SearchConfig) =>
  new Model(
    nn.mlp({ inputShape: [2], hidden: [c.hidden as number], activation: 'tanh', numClasses: 2 }),
  ).compile({
    optimizer: (c.optimizer as OptimizerName | undefined) ?? 'sgd',
    lr: c.lr as number,
    loss: 'crossEntropy',
    metrics: ['accuracy'],
  });

test('gridSearch: every combination, ranked by validation accuracy, as a table', async () => {
  const set = moons(120, 1);
  const live = memory().numTensors;
  const seen: number[] = [];
  const result = await gridSearch({
    space: { lr: [0.5, 0.001], hidden: [2, 16] },
    build,
    data: set,
    epochs: 8,
    batchSize: 8,
    validationSplit: 0.25,
    onResult: (_row, i, total) => void seen.push(i, total),
  });
  assert.equal(memory().numTensors, live, 'the models and the split are freed');
  assert.deepEqual(seen, [0, 4, 1, 4, 2, 4, 3, 4]);
  assert.equal(result.metric, 'valAccuracy');
  assert.equal(result.mode, 'max');
  assert.equal(result.rows.length, 4);
  assert.deepEqual(
    result.rows.map((r) => r.rank),
    [1, 2, 3, 4],
  );
  for (let i = 1; i < result.rows.length; i++) assert.ok(result.rows[i - 1].score >= result.rows[i].score);
  assert.equal(result.best, result.rows[0]);
  assert.equal(result.best.config.lr, 0.5, 'a rate of 0.001 cannot learn moons in 8 epochs');
  assert.ok(result.best.score > 0.7, `best validation accuracy ${result.best.score}`);
  assert.deepEqual(result.rows.map((r) => `${r.config.lr}/${r.config.hidden}`).sort(), [
    '0.001/16',
    '0.001/2',
    '0.5/16',
    '0.5/2',
  ]);
  for (const r of result.rows) {
    assert.equal(r.epochs, 8);
    assert.ok('valLoss' in r.logs && 'accuracy' in r.logs);
  }
  const table = result.table().split('\n');
  assert.match(table[0], /^rank\s+lr\s+hidden\s+valAccuracy\s+valLoss\s+accuracy\s+loss\s+epochs\s+seconds$/);
  assert.equal(table.length, 5);
  assert.match(table[1], /^1\s+0\.5\s/);

  // The same seed gives the same table (timings aside).
  const again = await gridSearch({
    space: { lr: [0.5, 0.001], hidden: [2, 16] },
    build,
    data: set,
    epochs: 8,
    batchSize: 8,
    validationSplit: 0.25,
  });
  assert.deepEqual(
    again.rows.map((r) => [r.config, r.score]),
    result.rows.map((r) => [r.config, r.score]),
  );
  set.dispose();
});

test('random search: n points of the grid, or draws from ranges; fit keys set fit options', async () => {
  const grid = searchConfigs({ a: [1, 2, 3], b: ['x', 'y'] });
  assert.equal(grid.length, 6);
  assert.deepEqual(grid[0], { a: 1, b: 'x' });
  assert.deepEqual(grid[1], { a: 1, b: 'y' });
  const some = searchConfigs({ a: [1, 2, 3], b: ['x', 'y'] }, { random: 3, seed: 2 });
  assert.equal(some.length, 3);
  assert.equal(new Set(some.map((c) => JSON.stringify(c))).size, 3, 'distinct grid points');
  assert.deepEqual(searchConfigs({ a: [1, 2, 3], b: ['x', 'y'] }, { random: 3, seed: 2 }), some);
  const drawn = searchConfigs(
    { lr: { min: 1e-4, max: 1, log: true }, units: { min: 2, max: 9, integer: true }, act: ['relu', 'tanh'] },
    { random: 20 },
  );
  assert.equal(drawn.length, 20);
  for (const c of drawn) {
    assert.ok((c.lr as number) >= 1e-4 && (c.lr as number) <= 1);
    assert.ok(Number.isInteger(c.units) && (c.units as number) >= 2 && (c.units as number) <= 9);
    assert.ok(c.act === 'relu' || c.act === 'tanh');
  }
  assert.ok(
    drawn.some((c) => (c.lr as number) < 1e-2),
    'log-uniform reaches the small rates',
  );

  const set = moons(60, 3);
  const result = await gridSearch({
    space: { lr: { min: 0.05, max: 0.5 }, hidden: [4], batchSize: [10, 30], epochs: [2] },
    build,
    data: set,
    random: 2,
    metric: 'valLoss',
  });
  assert.equal(result.mode, 'min');
  assert.equal(result.rows.length, 2);
  assert.ok(result.rows[0].score <= result.rows[1].score);
  assert.ok(result.rows.every((r) => r.epochs === 2));
  set.dispose();
});

test('gridSearch: a diverging configuration is ranked last with its error; bad spaces are ConfigErrors', async () => {
  const set = moons(40, 4);
  const result = await gridSearch({
    space: { lr: [1e38, 0.3], hidden: [4] },
    build,
    data: set,
    epochs: 2,
    batchSize: 8,
  });
  assert.equal(result.rows[1].config.lr, 1e38);
  assert.ok(Number.isNaN(result.rows[1].score));
  assert.match(result.rows[1].error ?? '', /diverged/);
  assert.match(result.table(), /failed/);
  assert.equal(result.best.config.lr, 0.3);
  await assert.rejects(
    gridSearch({ space: { lr: { min: 0.1, max: 1 } }, build, data: set }),
    (e: unknown) => e instanceof ConfigError && /random/.test(e.message),
  );
  await assert.rejects(gridSearch({ space: {}, build, data: set }), ConfigError);
  await assert.rejects(gridSearch({ space: { lr: [] }, build, data: set }), ConfigError);
  await assert.rejects(gridSearch({ space: { batchSize: [0.5] }, build, data: set }), ConfigError);
  await assert.rejects(
    gridSearch({ space: { lr: [0.1], hidden: [2] }, build, data: set, epochs: 1, metric: 'valF1' }),
    (e: unknown) => e instanceof ConfigError && /valF1/.test(e.message),
  );
  set.dispose();
});

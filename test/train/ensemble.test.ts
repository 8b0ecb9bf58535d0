// train.ensemble (issue 17 item 9): k networks on bootstrap samples (or seeds), predictions
// averaged; on a noisy set the ensemble beats its average member.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/autograd/index.js';
import * as nn from '../../src/nn/index.js';
import * as data from '../../src/data/index.js';
import { Dataset } from '../../src/data/dataset.js';
import { Model, ensemble, bootstrapSample } from '../../src/train/index.js';
import { fromArray } from '../../src/tensor/creation.js';
import { Rng } from '../../src/tensor/random.js';
import { memory } from '../../src/tensor/scope.js';
import { ConfigError } from '../../src/errors.js';

function moons(count: number, seed: number): Dataset {
  const t = data.raw.moons({ count, noise: 0.35, rng: new Rng(seed) });
  return Dataset.fromArrays(t.features, [2], t.labels, { numClasses: 2 });
}

const member = () =>
  new Model(
    nn.sequential([
      nn.dense({ units: 32, inFeatures: 2, activation: 'relu' }),
      nn.dense({ units: 32, activation: 'relu' }),
      nn.dense({ units: 2 }),
    ]),
  ).compile({ optimizer: 'adam', lr: 0.02, loss: 'crossEntropy', metrics: ['accuracy'] });

test('a bagged ensemble beats its average member on noisy moons', async () => {
  const trainSet = moons(120, 1);
  const testSet = moons(600, 2);
  const live = memory().numTensors;
  const bag = ensemble({ build: member, k: 5, bootstrap: true });
  const histories = await bag.fit(trainSet, { epochs: 40, batchSize: 16 });
  assert.equal(histories.length, 5);
  const members = await Promise.all(bag.members.map((m) => m.evaluate(testSet)));
  const average = members.reduce((s, m) => s + m.accuracy, 0) / members.length;
  const score = await bag.evaluate(testSet);
  assert.ok('accuracy' in score);
  console.log(
    `# ensemble: accuracy ${score.accuracy.toFixed(3)}, members ${members.map((m) => m.accuracy.toFixed(3)).join(' ')} (mean ${average.toFixed(3)})`,
  );
  assert.ok(score.accuracy > average, `ensemble ${score.accuracy} vs mean member ${average}`);
  const p = bag.predict(testSet.x);
  assert.deepEqual(p.shape, [600, 2]);
  const rows = p.dataSync();
  for (let i = 0; i < 600; i++)
    assert.ok(Math.abs(rows[2 * i] + rows[2 * i + 1] - 1) < 1e-5, 'probabilities');
  p.dispose();
  bag.dispose();
  assert.equal(memory().numTensors, live, 'members and samples are freed');
  trainSet.dispose();
  testSet.dispose();
});

test('seeds give different members on the whole set; outputs average for regression; bad options are named', async () => {
  const x = fromArray([0, 1, 2, 3, 4, 5, 6, 7], [8, 1]);
  const set = Dataset.fromArrays(
    [0, 1, 2, 3, 4, 5, 6, 7],
    [1],
    new Float32Array([0, 2, 4, 6, 8, 10, 12, 14]),
    { targetShape: [1] },
  );
  const bag = ensemble({
    k: 2,
    seeds: [7, 8],
    combine: 'outputs',
    build: () =>
      new Model(nn.sequential([nn.dense({ units: 1, inFeatures: 1 })])).compile({
        optimizer: 'sgd',
        lr: 0.01,
        loss: 'mse',
      }),
  });
  await bag.fit(set, { epochs: 1, batchSize: 8 });
  const [a, b] = bag.members.map((m) => Array.from(m.predict(x).dataSync()));
  assert.notDeepEqual(a, b, 'different seeds, different members');
  const mean = Array.from(bag.predict(x).dataSync());
  mean.forEach((v, i) => assert.ok(Math.abs(v - (a[i] + b[i]) / 2) < 1e-5));
  const score = await bag.evaluate(set);
  assert.ok('mse' in score && score.mse > 0);
  bag.dispose();
  assert.throws(() => ensemble({ build: member, k: 0 }), /k must be a positive integer/);
  assert.throws(() => ensemble({ build: member, k: 2, seeds: [1] }), ConfigError);
  assert.throws(() => ensemble({ build: member, k: 2, combine: 'vote' as 'outputs' }), /combine must be/);
  // The bootstrap: n draws with replacement.
  const sample = bootstrapSample(set, new Rng(3));
  assert.equal(sample.length, 8);
  assert.ok(new Set(Array.from(sample.x.dataSync())).size < 8, 'some samples repeat');
  sample.dispose();
  set.dispose();
  x.dispose();
});

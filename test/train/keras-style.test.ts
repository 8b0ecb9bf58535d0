// Keras as the lectures write it: nn.sequential() filled by add(), dense's inputDim, summary()
// complete before any data (with or without the batch dimension), and fit/evaluate/predict
// on tensors or plain arrays as well as on a Dataset.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/autograd/index.js';
import * as nn from '../../src/nn/index.js';
import '../../src/train/index.js';
import { Dataset } from '../../src/data/dataset.js';
import { fromArray } from '../../src/tensor/creation.js';
import { setSeed } from '../../src/tensor/random.js';
import { memory } from '../../src/tensor/scope.js';
import { ConfigError, ShapeError } from '../../src/errors.js';

function lectureModel(): nn.Sequential {
  const model = nn.sequential();
  model.add(nn.dense({ units: 5, inputDim: 4, activation: 'sigmoid' }));
  model.add(nn.dense({ units: 5, activation: 'sigmoid' }));
  model.add(nn.dense({ units: 3, activation: 'softmax' }));
  return model;
}

test('sequential() + add(): named in order, built as soon as the first layer knows its input size', () => {
  const model = lectureModel();
  assert.deepEqual(
    model.layers.map((l) => l.name),
    ['dense_1', 'dense_2', 'dense_3'],
  );
  assert.ok(model.isBuilt);
  // 4·5+5, 5·5+5, 5·3+3 parameters, counted before any data, with or without the batch dimension.
  const table = model.summary([4]);
  assert.match(table, /dense_1\s+dense\s+\[batch, 5\]\s+25/);
  assert.match(table, /dense_3\s+dense\s+\[batch, 3\]\s+18/);
  assert.match(table, /total\s+73/);
  assert.equal(model.summary([1, 4]), table);
  assert.equal(model.summary(), table);
  assert.throws(
    () => model.summary([3, 4, 5]),
    (e: unknown) => e instanceof ShapeError && /does not fit/.test(String(e)),
  );
  assert.throws(() => model.add(nn.dense({ units: 2, name: 'dense_1' })), /already in/);
  assert.throws(() => nn.dense({ units: 2, inputDim: 3, inFeatures: 4 }), ConfigError);
  // Added to an unbuilt stack: built on the first input.
  const lazy = nn
    .sequential()
    .add(nn.dense({ units: 2 }))
    .add(nn.relu());
  assert.equal(lazy.isBuilt, false);
  assert.deepEqual(lazy.call(fromArray([[1, 2, 3]])).shape, [1, 2]);
  assert.throws(() => nn.sequential().call(fromArray([[1]])), /no layers yet; add some/);
});

test('fit, evaluate and predict take plain arrays: integer labels, one-hot rows, float targets', async () => {
  setSeed(2);
  const x = Array.from({ length: 90 }, (_, i) => [Math.cos(i), Math.sin(i), (i % 3) - 1, 0.5]);
  const labels = x.map((_, i) => i % 3);
  const oneHot = labels.map((l) => [0, 1, 2].map((c) => (c === l ? 1 : 0)));
  const model = lectureModel();
  model.compile({ optimizer: 'sgd', lr: 1, loss: 'categoricalCrossEntropy', metrics: ['accuracy'] });
  const history = await model.fit(x, oneHot, { epochs: 30, batchSize: 10 });
  const before = memory().numTensors;
  assert.ok(history.history.loss.at(-1)! < history.history.loss[0]);
  const byRows = await model.evaluate(x, oneHot);
  assert.ok(byRows.accuracy > 0.9, `accuracy ${byRows.accuracy}`);
  // Integer labels [N] give the same loss and accuracy as their one-hot rows.
  const byLabels = await model.evaluate(x, labels);
  assert.ok(Math.abs(byLabels.loss - byRows.loss) < 1e-6);
  assert.equal(byLabels.accuracy, byRows.accuracy);
  const p = model.predict(x.slice(0, 2));
  assert.deepEqual(p.shape, [2, 3]);
  // One sample without its batch dimension: one row of probabilities, the same as in the batch.
  const sample = fromArray(x[1]);
  const one = model.predict(sample);
  sample.dispose();
  assert.deepEqual(one.shape, [3]);
  assert.deepEqual(Array.from(one.dataSync()), Array.from(p.dataSync().slice(3, 6)));
  one.dispose();
  p.dispose();
  // The tensors made from the arrays are freed after each call.
  await model.fit(x, labels, { epochs: 1, batchSize: 10 });
  assert.equal(memory().numTensors, before);

  // Float targets (regression): [N] numbers that are not all integers become [N, 1].
  const reg = nn.sequential([nn.dense({ units: 1, inputDim: 2 })]);
  reg.compile({ optimizer: 'sgd', lr: 0.1, loss: 'mse' });
  const xs = Array.from({ length: 40 }, (_, i) => [i / 40, 1 - i / 40]);
  const ys = xs.map(([a, b]) => 2 * a - b + 0.25);
  await reg.fit(xs, ys, { epochs: 200, batchSize: 40 });
  assert.ok((await reg.evaluate(xs, ys)).loss < 1e-3);
});

test("fit and evaluate take tensors too, and leave the caller's tensors alive", async () => {
  setSeed(3);
  const x = fromArray(Array.from({ length: 30 }, (_, i) => [i % 2, 1 - (i % 2), 0, 1]));
  const y = fromArray(
    Int32Array.from({ length: 30 }, (_, i) => i % 2),
    [30],
    { dtype: 'int32' },
  );
  const model = nn.sequential([nn.dense({ units: 2, inputDim: 4 })]);
  model.compile({ optimizer: 'sgd', lr: 0.5, loss: 'crossEntropy', metrics: ['accuracy'] });
  await model.fit(x, y, { epochs: 20, batchSize: 10 });
  assert.equal((await model.evaluate(x, y)).accuracy, 1);
  assert.equal(x.isDisposed, false);
  assert.equal(y.isDisposed, false);
  // A Dataset as before.
  const set = new Dataset(x, y, 2);
  assert.equal((await model.evaluate(set)).accuracy, 1);
  await assert.rejects(() => model.fit(x as never), /give a Dataset, or the inputs x and the targets y/);
  await assert.rejects(() => model.fit([[1, 2, 3, 4]], [0, 1]), /x has 1 samples .* but y has 2/);
});

// Model.fit(x, y) and Model.evaluate(x, y) with tensors or plain arrays, as Keras takes them:
// the same run, bit for bit, as with the Dataset made from them, and nothing left alive.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/autograd/index.js';
import * as nn from '../../src/nn/index.js';
import { Dataset } from '../../src/data/dataset.js';
import { Model } from '../../src/train/index.js';
import { fromArray } from '../../src/tensor/creation.js';
import { setSeed } from '../../src/tensor/random.js';
import { memory } from '../../src/tensor/scope.js';

const rows = Array.from({ length: 40 }, (_, i) => [Math.cos(i), Math.sin(2 * i), (i % 4) / 4]);
const labels = rows.map((r) => (r[0] + r[1] > 0 ? 1 : 0));

function model(): Model {
  setSeed(7);
  const m = new Model(nn.sequential([nn.dense({ units: 6, activation: 'tanh' }), nn.dense({ units: 2 })]));
  return m.compile({ optimizer: 'sgd', lr: 0.5, loss: 'crossEntropy', metrics: ['accuracy'] });
}

test('Model.fit(x, y) on arrays and on tensors runs as fit(Dataset): same losses, same evaluation', async () => {
  const x = fromArray(rows, undefined, { dtype: 'float32' });
  const y = fromArray(Int32Array.from(labels), [labels.length], { dtype: 'int32' });
  const dataset = new Dataset(x, y, undefined, 'same');

  const reference = model();
  const h0 = await reference.fit(dataset, { epochs: 4, batchSize: 8 });
  const e0 = await reference.evaluate(dataset);

  const fromArrays = model();
  const h1 = await fromArrays.fit(rows, labels, { epochs: 4, batchSize: 8 });
  const e1 = await fromArrays.evaluate(rows, labels);
  const before = memory().numTensors; // once built, with its optimiser state
  await fromArrays.fit(rows, labels, { epochs: 1 });
  await fromArrays.evaluate(rows, labels);
  assert.equal(memory().numTensors, before, 'the tensors made from the arrays are freed');

  const fromTensors = model();
  const h2 = await fromTensors.fit(x, y, { epochs: 4, batchSize: 8 });
  const e2 = await fromTensors.evaluate(x, y);
  assert.ok(!x.isDisposed && !y.isDisposed, "the caller's tensors stay the caller's");

  const losses = (h: typeof h0) => h.history.loss;
  assert.deepEqual(losses(h1), losses(h0));
  assert.deepEqual(losses(h2), losses(h0));
  assert.ok(losses(h0)[3] < losses(h0)[0], 'it trains');
  assert.equal(e1.loss, e0.loss);
  assert.equal(e2.accuracy, e0.accuracy);
  for (const m of [reference, fromArrays, fromTensors]) m.dispose();
  dataset.dispose();
});

test('Model.fit and evaluate name the mismatch or the missing targets', async () => {
  const m = model();
  await assert.rejects(() => m.fit(rows, labels.slice(1)), /fit: x has 40 samples .* but y has 39/);
  await assert.rejects(
    () => m.evaluate(rows as never),
    /evaluate: give a Dataset, or the inputs x and the targets y/,
  );
  m.dispose();
});

// Model.predict for throughput: batches written into one output (the same values as one big
// call), intermediates freed per batch, one sample without the batch dimension.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/autograd/index.js';
import * as nn from '../../src/nn/index.js';
import { Model } from '../../src/train/index.js';
import { randn } from '../../src/tensor/creation.js';
import { setSeed } from '../../src/tensor/random.js';
import { memory } from '../../src/tensor/scope.js';
import { slice } from '../../src/ops/shape.js';

test('predict in batches gives the values of one call, into one output, freeing every batch', () => {
  setSeed(1);
  const model = new Model(
    nn.sequential([nn.dense({ units: 16, inFeatures: 5, activation: 'relu' }), nn.dense({ units: 3 })]),
  );
  const x = randn([50, 5]);
  const whole = model.predict(x);
  assert.deepEqual(whole.shape, [50, 3]);
  const live = memory().numTensors;
  const batched = model.predict(x, { batchSize: 7 });
  assert.equal(memory().numTensors, live + 1, 'only the output remains');
  assert.deepEqual(Array.from(batched.dataSync()), Array.from(whole.dataSync()));
  [x, whole, batched].forEach((t) => t.dispose());
  model.dispose();
});

test('one sample without the batch dimension: dense, and a CNN behind dropout', () => {
  setSeed(2);
  const mlp = new Model(nn.sequential([nn.dense({ units: 4, inFeatures: 3 }), nn.dense({ units: 2 })]));
  const xs = randn([4, 3]);
  const all = mlp.predict(xs);
  const first = slice(xs, [0, 0], [1, 3]);
  const one = mlp.predict(first.reshape([3]));
  assert.deepEqual(one.shape, [2]);
  assert.deepEqual(Array.from(one.dataSync()), Array.from(all.dataSync()).slice(0, 2));
  const cnn = new Model(
    nn.sequential([
      nn.dropout(0.2),
      nn.conv2d({ outChannels: 2, kernelSize: 3, inChannels: 1 }),
      nn.flatten(),
      nn.dense({ units: 3 }),
    ]),
  );
  const image = randn([1, 6, 6]);
  const out = cnn.predict(image);
  assert.deepEqual(out.shape, [3]);
  const batch = cnn.predict(image.reshape([1, 1, 6, 6]));
  assert.deepEqual(batch.shape, [1, 3]);
  assert.deepEqual(Array.from(out.dataSync()), Array.from(batch.dataSync()));
  [xs, all, first, one, image, out, batch].forEach((t) => t.dispose());
  mlp.dispose();
  cnn.dispose();
});

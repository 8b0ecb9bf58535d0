// Freezing (issue 17 item 4): `layer.trainable = false` and per-parameter `requiresGrad = false`
// keep weights fixed in fit and in a hand loop and hold no optimiser state; a frozen batch norm
// runs in inference mode (Keras). And the README's transfer example: a digits CNN, its
// convolutions frozen, a new head trained on them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/autograd/index.js';
import * as nn from '../../src/nn/index.js';
import * as data from '../../src/data/index.js';
import { Dataset } from '../../src/data/dataset.js';
import { Model } from '../../src/train/index.js';
import { Optimizer, optimizers } from '../../src/optim/index.js';
import { crossEntropy } from '../../src/losses/index.js';
import { fromArray } from '../../src/tensor/creation.js';
import { Rng, setSeed } from '../../src/tensor/random.js';
import { tidy } from '../../src/tensor/scope.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { ConfigError } from '../../src/errors.js';

const values = (ts: readonly Tensor[]) => ts.map((t) => Array.from(t.dataSync()));

function moons(): Dataset {
  const t = data.raw.moons({ count: 64, noise: 0.1, rng: new Rng(5) });
  return Dataset.fromArrays(t.features, [2], t.labels, { numClasses: 2 });
}

test('trainable = false keeps a layer fixed in fit; the optimiser holds no state for it', async () => {
  setSeed(1);
  const first = nn.dense({ units: 8, inFeatures: 2, activation: 'tanh' });
  const net = nn.sequential([first, nn.dense({ units: 2 })]);
  first.trainable = false;
  assert.deepEqual(
    net.parameters().map((p) => p.requiresGrad),
    [false, false, true, true],
  );
  assert.equal(net.trainableParameters().length, 2);
  const before = values(net.parameters());
  const set = moons();
  const model = new Model(net).compile({ optimizer: 'adam', lr: 0.05, loss: 'crossEntropy' });
  await model.fit(set, { epochs: 2, batchSize: 16 });
  const after = values(net.parameters());
  assert.deepEqual(after.slice(0, 2), before.slice(0, 2), 'the frozen layer is unchanged');
  assert.notDeepEqual(after.slice(2), before.slice(2), 'the rest trained');
  assert.deepEqual(Object.keys(model.optimizer!.parameterState()), ['dense_2.weight', 'dense_2.bias']);
  model.dispose();
  set.dispose();
});

test('requiresGrad = false on one parameter: fixed in a hand loop, no state; all frozen is a clear error', () => {
  setSeed(2);
  const net = nn.sequential([
    nn.dense({ units: 4, inFeatures: 2, activation: 'tanh' }),
    nn.dense({ units: 2 }),
  ]);
  const [w1, b1, w2, b2] = net.parameters();
  b1.requiresGrad = false;
  const opt = new Optimizer(optimizers.momentum({ lr: 0.1 }), net.parameters());
  assert.deepEqual(opt.parameters, [w1, w2, b2]);
  const x = fromArray([0, 1, 1, 0, 0.5, 0.5, -1, 2], [4, 2]);
  const y = fromArray([0, 1, 1, 0], [4], { dtype: 'int32' });
  const fixed = Array.from(b1.dataSync());
  const moving = Array.from(w1.dataSync());
  for (let i = 0; i < 5; i++)
    tidy(() => {
      opt.zeroGrad();
      crossEntropy(net.call(x, { training: true }), y).backward();
      opt.step();
    });
  assert.deepEqual(Array.from(b1.dataSync()), fixed);
  assert.notDeepEqual(Array.from(w1.dataSync()), moving);
  assert.equal(b1.grad, null, 'no gradient is computed for it');
  // Frozen after the optimiser was made: still left as it is.
  w2.requiresGrad = false;
  const w2Before = Array.from(w2.dataSync());
  tidy(() => {
    opt.zeroGrad();
    crossEntropy(net.call(x, { training: true }), y).backward();
    opt.step();
  });
  assert.deepEqual(Array.from(w2.dataSync()), w2Before);
  net.trainable = false;
  assert.throws(() => new Optimizer(optimizers.sgd({ lr: 0.1 }), net.parameters()), ConfigError);
  assert.throws(() => (net.trainable = 'no' as unknown as boolean), /trainable must be true or false/);
  opt.dispose();
  [x, y].forEach((t) => t.dispose());
  net.dispose();
});

test('a frozen batch norm runs in inference mode in training: its statistics and output stay fixed', () => {
  setSeed(3);
  const bn = nn.batchNorm1d(3);
  const net = nn.sequential([nn.dense({ units: 3, inFeatures: 2 }), bn]);
  bn.trainable = false;
  const x = fromArray([1, 2, 3, 4, 5, 7, -1, 0], [4, 2]);
  const inference = net.call(x, { training: false }).toArray();
  const training = net.call(x, { training: true }).toArray();
  assert.deepEqual(training, inference, 'training mode gives the inference output');
  assert.deepEqual(Array.from(bn.runningMean.dataSync()), [0, 0, 0]);
  assert.equal(bn.stateDict().num_batches_tracked.item(), 0);
  bn.trainable = true;
  net.call(x, { training: true }).dispose();
  assert.notDeepEqual(Array.from(bn.runningMean.dataSync()), [0, 0, 0]);
  x.dispose();
  net.dispose();
});

test('a lazily built layer frozen before it is built is frozen once built (with its learned activation)', () => {
  const layer = nn.dense({ units: 3, activation: 'prelu' });
  layer.trainable = false;
  const net = nn.sequential([layer, nn.dense({ units: 1 })]);
  net.buildFor([1, 4]);
  assert.deepEqual(
    net.namedParameters().map(([n, p]) => [n, p.requiresGrad]),
    [
      ['dense_1.weight', false],
      ['dense_1.bias', false],
      ['dense_1.activation.alpha', false],
      ['dense_2.weight', true],
      ['dense_2.bias', true],
    ],
  );
  net.dispose();
});

// ---- the README's transfer example ------------------------------------------------------

test('README transfer: a digits CNN, its convolutions frozen, a new head retrained on them', async () => {
  setSeed(1);
  const digits = data.digits();
  const images = (d: Dataset) =>
    Dataset.fromArrays(d.x.dataSync() as Float32Array, [1, 8, 8], d.y.dataSync() as Int32Array, {
      numClasses: 10,
    });
  const [trainSet, testSet] = [images(digits.train), images(digits.test)];
  const features = nn.sequential([
    nn.conv2d({ outChannels: 8, kernelSize: 3, padding: 1, inputShape: [1, 8, 8], activation: 'relu' }),
    nn.maxPool2d(2),
    nn.flatten(),
  ]);
  const cnn = nn.sequential([features, nn.dense({ units: 10 })]);
  cnn.compile({ optimizer: 'adam', lr: 0.01, loss: 'crossEntropy', metrics: ['accuracy'] });
  await cnn.fit(trainSet, { epochs: 3 });
  const base = (await cnn.evaluate(testSet)).accuracy;

  features.trainable = false; // the convolutions stay as they are
  const convolutions = values(features.parameters());
  const retrained = nn.sequential([
    features,
    nn.dense({ units: 32, activation: 'relu' }),
    nn.dense({ units: 10 }),
  ]);
  retrained.compile({ optimizer: 'adam', lr: 0.01, loss: 'crossEntropy', metrics: ['accuracy'] });
  await retrained.fit(trainSet, { epochs: 3 });
  const transfer = (await retrained.evaluate(testSet)).accuracy;

  assert.deepEqual(values(features.parameters()), convolutions, 'frozen convolutions unchanged');
  assert.ok(base > 0.85, `the CNN learns the digits (${base})`);
  assert.ok(transfer > 0.85, `the new head learns on the frozen features (${transfer})`);
  console.log(
    `# transfer: CNN test accuracy ${base.toFixed(3)}, new head on frozen convolutions ${transfer.toFixed(3)}`,
  );
  for (const d of [trainSet, testSet, digits.train, digits.test]) d.dispose();
  cnn.dispose();
  retrained.dispose();
});

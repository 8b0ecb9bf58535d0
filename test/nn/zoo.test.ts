// The model zoo: output shapes, parameter counts checked by arithmetic, one training step
// that lowers the loss, and errors that name the valid models and the layer that does not fit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/autograd/index.js';
import * as nn from '../../src/nn/index.js';
import { ConfigError, ShapeError } from '../../src/errors.js';
import { crossEntropy } from '../../src/losses/index.js';
import { adam, Optimizer } from '../../src/optim/index.js';
import { fromArray, randn } from '../../src/tensor/creation.js';
import { setSeed } from '../../src/tensor/random.js';
import { tidy } from '../../src/tensor/scope.js';
import { noGrad } from '../../src/autograd/index.js';

const IMAGE = [1, 28, 28];

test('flatten: [N, C, H, W] → [N, C·H·W] in row-major order; 2-D input passes through; no parameters', () => {
  const f = nn.flatten();
  assert.equal(f.isBuilt, true);
  const x = fromArray(
    Float32Array.from({ length: 24 }, (_, i) => i),
    [2, 3, 2, 2],
  );
  const y = f.call(x);
  assert.deepEqual(y.shape, [2, 12]);
  assert.deepEqual(Array.from(y.dataSync()), Array.from(x.dataSync()));
  assert.deepEqual(f.outputShape([5, 3, 4, 2]), [5, 24]);
  assert.deepEqual(f.parameters(), []);
  const z = fromArray([1, 2, 3, 4], [2, 2]);
  assert.equal(f.call(z), z);
  assert.deepEqual(f.config(), {});
});

test('lenet5 has 61,706 parameters for 1×28×28 and 10 classes (arithmetic below); output [N, 10]', () => {
  setSeed(1);
  const model = nn.lenet5({ inputShape: IMAGE, numClasses: 10 });
  // conv 6@5×5 on 1 channel, padding 2: 28×28 → 28×28 → pool 14×14; conv 16@5×5: 10×10 → pool 5×5.
  const conv1 = 6 * 1 * 5 * 5 + 6; // 156
  const conv2 = 16 * 6 * 5 * 5 + 16; // 2,416
  const fc1 = 16 * 5 * 5 * 120 + 120; // 48,120
  const fc2 = 120 * 84 + 84; // 10,164
  const fc3 = 84 * 10 + 10; // 850
  assert.equal(conv1 + conv2 + fc1 + fc2 + fc3, 61706);
  assert.equal(nn.parameterCount(model), 61706);
  assert.deepEqual(model.outputShape([3, ...IMAGE]), [3, 10]);
  const y = tidy(() => noGrad(() => model.call(randn([3, ...IMAGE])).shape));
  assert.deepEqual(y, [3, 10]);
  // 32×32 inputs are not padded: the same count.
  assert.equal(nn.parameterCount(nn.lenet5({ inputShape: [1, 32, 32] })), 61706);
  // The paper's tanh and average pooling.
  const classic = nn.lenet5({ inputShape: IMAGE, activation: 'tanh', pool: 'avg' });
  assert.ok(classic.layers.some((l) => l.kind === 'avgPool2d'));
  assert.equal(nn.parameterCount(classic), 61706);
});

test('lenet1990: 4 and 12 tanh maps of 5×5, average pooling: 3,246 parameters for 1×28×28', () => {
  const model = nn.lenet1990({ inputShape: IMAGE });
  const conv1 = 4 * 25 + 4; // 104; 28 → 24 → pool 12
  const conv2 = 12 * 4 * 25 + 12; // 1,212; 12 → 8 → pool 4
  const out = 12 * 4 * 4 * 10 + 10; // 1,930
  assert.equal(nn.parameterCount(model), conv1 + conv2 + out);
  assert.deepEqual(
    model.layers.map((l) => l.kind),
    ['conv2d', 'avgPool2d', 'conv2d', 'avgPool2d', 'flatten', 'dense'],
  );
  assert.equal((model.layers[0].config() as { activation: string }).activation, 'tanh');
  assert.deepEqual(model.outputShape([2, ...IMAGE]), [2, 10]);
});

test('fashionCnn: parameter count with and without batch norm; dropout layers switch off', () => {
  const model = nn.fashionCnn({ inputShape: IMAGE });
  const expected =
    32 * 9 +
    2 * 32 + // conv without bias, batch norm γ, β
    64 * 32 * 9 +
    2 * 64 +
    64 * 7 * 7 * 128 +
    2 * 128 + // flatten 3,136 → 128, batch norm
    128 * 10 +
    10;
  assert.equal(nn.parameterCount(model), expected);
  assert.equal(model.layers.filter((l) => l.kind === 'dropout').length, 3);
  assert.deepEqual(model.outputShape([4, ...IMAGE]), [4, 10]);
  const plain = nn.fashionCnn({
    inputShape: IMAGE,
    batchNorm: false,
    dropout: false,
    filters: [8, 16],
    hiddenUnits: 32,
  });
  assert.ok(!plain.layers.some((l) => l.kind === 'dropout' || l.kind.startsWith('batchNorm')));
  assert.equal(nn.parameterCount(plain), 8 * 9 + 8 + 16 * 8 * 9 + 16 + 16 * 7 * 7 * 32 + 32 + 32 * 10 + 10);
});

test('mlp: flattens images; 784-256-128-100-10 by default; tables need no flatten', () => {
  const model = nn.mlp({ inputShape: IMAGE });
  assert.equal(model.layers[0].kind, 'flatten');
  assert.equal(nn.parameterCount(model), 784 * 256 + 256 + 256 * 128 + 128 + 128 * 100 + 100 + 100 * 10 + 10);
  const table = nn.mlp({ inputShape: [64], hidden: [32], activation: 'tanh', numClasses: 3 });
  assert.deepEqual(
    table.layers.map((l) => l.kind),
    ['dense', 'dense'],
  );
  assert.equal(nn.parameterCount(table), 64 * 32 + 32 + 32 * 3 + 3);
  assert.deepEqual(
    nn.mlp({ inputShape: [5], hidden: [] }).layers.map((l) => l.kind),
    ['dense'],
  );
  // Without an input shape: built from the first batch.
  const lazy = nn.mlp({ hidden: [4] });
  assert.equal(lazy.isBuilt, false);
  assert.deepEqual(
    tidy(() => noGrad(() => lazy.call(randn([2, 1, 3, 3])).shape)),
    [2, 10],
  );
});

test('buildModel: by name, with the zoo options; unknown names list the valid ones', () => {
  assert.equal(nn.parameterCount(nn.buildModel('lenet5', { inputShape: IMAGE, numClasses: 10 })), 61706);
  assert.equal(nn.buildModel('fashion-cnn', { inputShape: IMAGE }).name, 'fashion-cnn');
  assert.equal(
    nn.buildModel('mlp', { inputShape: [8], hidden: [3], numClasses: 2 }).outputShape([1, 8])[1],
    2,
  );
  assert.throws(
    () => nn.buildModel('resnet', {}),
    (e: unknown) =>
      e instanceof ConfigError &&
      nn.modelNames.every((n) => e.message.includes(n)) &&
      e.message.includes("'resnet'"),
  );
});

test('zoo errors: images too small name the layer; tabular input for a CNN; bad options', () => {
  assert.throws(
    () => nn.lenet5({ inputShape: [1, 8, 8] }),
    (e: unknown) => e instanceof ShapeError && /conv2d_2/.test(e.message),
  );
  assert.throws(
    () => nn.lenet1990({ inputShape: [64] }),
    (e: unknown) => e instanceof ConfigError && /mlp/.test(e.message),
  );
  assert.throws(() => nn.fashionCnn({ dropout: 1 }), ConfigError);
  assert.throws(() => nn.mlp({ activation: 'softmax' }), ConfigError);
  assert.throws(() => nn.mlp({ hidden: [0] }), ConfigError);
  assert.throws(() => nn.lenet5({ pool: 'median' as never }), ConfigError);
  assert.throws(() => nn.mlp({ numClasses: 0 }), ConfigError);
});

test('every zoo model: one Adam step on a batch lowers its loss', () => {
  setSeed(5);
  const x = randn([16, ...IMAGE]);
  const y = fromArray(
    Int32Array.from({ length: 16 }, (_, i) => i % 10),
    [16],
    { dtype: 'int32' },
  );
  for (const name of nn.modelNames) {
    // Without dropout, so that the two losses are of the same function (batch norm uses the batch's statistics).
    const model = nn.buildModel(name, { inputShape: IMAGE, dropout: false, hidden: [32] });
    const opt = new Optimizer(adam({ lr: 1e-3 }), model.parameters());
    const lossOf = () => tidy(() => noGrad(() => crossEntropy(model.call(x, { training: true }), y).item()));
    const before = lossOf();
    tidy(() => {
      opt.zeroGrad();
      crossEntropy(model.call(x, { training: true }), y).backward();
      opt.step();
    });
    const after = lossOf();
    assert.ok(after < before, `${name}: loss ${before} → ${after}`);
    opt.dispose();
    model.dispose();
  }
  x.dispose();
  y.dispose();
});

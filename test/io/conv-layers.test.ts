// saveModel / loadModel for the convolutional-network layers: conv2d, the poolings,
// flatten, batch norm (its statistics and batch count) and dropout give identical
// predictions after a round trip, alone and in a small CNN; a dense or conv2d with a
// prelu activation trains and saves its slope.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '../../src/autograd/index.js';
import * as nn from '../../src/nn/index.js';
import * as io from '../../src/io/index.js';
import { noGrad } from '../../src/autograd/index.js';
import { assignValues } from '../../src/io/model-io.js';
import { crossEntropy } from '../../src/losses/index.js';
import { Optimizer, sgd } from '../../src/optim/index.js';
import { fromArray } from '../../src/tensor/creation.js';
import { Rng, setSeed } from '../../src/tensor/random.js';
import { tidy } from '../../src/tensor/scope.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { FormatError } from '../../src/errors.js';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'descent-conv-'));
}

function randomize(layer: nn.Layer, seed: number): void {
  const r = new Rng(seed);
  for (const p of layer.parameters())
    assignValues(
      p,
      Float64Array.from({ length: p.size }, () => r.uniformIn(-1, 1)),
    );
}

function input(shape: number[], seed: number): Tensor {
  const r = new Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return fromArray(
    Float32Array.from({ length: n }, () => r.uniformIn(-2, 2)),
    shape,
  );
}

function outputs(layer: nn.Layer, x: Tensor): number[] {
  return tidy(() => noGrad(() => Array.from(layer.call(x).dataSync())));
}

/** A few training-mode calls, so that batch norm's statistics are not their initial values. */
function trainCalls(layer: nn.Layer, x: Tensor, times = 3): void {
  for (let i = 0; i < times; i++) tidy(() => noGrad(() => layer.call(x, { training: true })));
}

async function roundTrip(layer: nn.Layer, x: Tensor): Promise<nn.Layer> {
  const dir = tempDir();
  try {
    const before = outputs(layer, x);
    await io.saveModel(layer, dir);
    const loaded = await io.loadModel(dir);
    assert.deepEqual(outputs(loaded, x), before, `${layer.kind} predictions differ after loading`);
    assert.deepEqual(
      io
        .namedTensors(loaded)
        .map((t) => [t.key, t.tensor.shape, t.tensor.dtype, Array.from(t.tensor.dataSync())]),
      io
        .namedTensors(layer)
        .map((t) => [t.key, t.tensor.shape, t.tensor.dtype, Array.from(t.tensor.dataSync())]),
    );
    assert.deepEqual(loaded.config(), layer.config());
    assert.equal(loaded.kind, layer.kind);
    assert.equal(loaded.name, layer.name);
    return loaded;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('conv2d: every option, lazily and eagerly built, with and without bias and activation', async () => {
  setSeed(1);
  const x = input([2, 4, 9, 8], 1);
  const variants: nn.Conv2dLayerOptions[] = [
    { outChannels: 3, kernelSize: 3 },
    { outChannels: 5, kernelSize: [3, 2], stride: [2, 1], padding: 1, useBias: false },
    { outChannels: 4, kernelSize: 3, padding: 'same', dilation: 2, activation: 'tanh' },
    { outChannels: 2, kernelSize: 2, padding: [1, 0, 2, 1], groups: 2, activation: 'relu' },
    { outChannels: 3, kernelSize: 3, padding: 'valid', inputShape: [4, 9, 8] },
    { outChannels: 6, kernelSize: [2, 3], padding: [0, 1], inChannels: 4, activation: 'prelu' },
  ];
  for (const options of variants) {
    const layer = nn.conv2d({ ...options, name: 'c' });
    outputs(layer, x); // builds
    randomize(layer, 3);
    (await roundTrip(layer, x)).dispose();
    layer.dispose();
  }
  x.dispose();
});

test('pooling and flatten: every option round-trips', async () => {
  const x = input([2, 3, 7, 6], 2);
  const layers: nn.Layer[] = [
    nn.maxPool2d(2),
    nn.maxPool2d({ kernelSize: [3, 2], stride: [2, 1], padding: [1, 0], dilation: 1, ceilMode: true }),
    nn.avgPool2d({ kernelSize: 3, stride: 2, padding: 1, countIncludePad: false }),
    nn.avgPool2d({ kernelSize: 2, padding: 'same' }),
    nn.globalAvgPool2d(),
    nn.globalAvgPool2d({ keepDims: true }),
    nn.flatten(),
  ];
  for (const layer of layers) (await roundTrip(layer, x)).dispose();
  // Never called, standalone: nothing to build, so it saves and loads as it is.
  (await roundTrip(nn.maxPool2d(3), x)).dispose();
  x.dispose();
});

test('batch norm: running statistics, population sums and their batch count survive a round trip', async () => {
  setSeed(4);
  const x2 = input([5, 3, 4, 4], 3);
  const x1 = input([6, 4], 4);
  for (const inference of ['running', 'population'] as const) {
    const bn2 = nn.batchNorm2d({ inference, momentum: 0.3 });
    trainCalls(bn2, x2);
    randomize(bn2, 5);
    const loaded2 = (await roundTrip(bn2, x2)) as nn.BatchNorm;
    assert.equal(loaded2.populationBatches, 3);
    assert.equal(loaded2.inference, inference);
    loaded2.dispose();
    bn2.dispose();

    const bn1 = nn.batchNorm1d({ numFeatures: 4, inference, affine: false, eps: 1e-3 });
    trainCalls(bn1, x1, 2);
    const loaded1 = (await roundTrip(bn1, x1)) as nn.BatchNorm;
    assert.equal(loaded1.populationBatches, 2);
    loaded1.dispose();
    bn1.dispose();
  }
  x1.dispose();
  x2.dispose();
});

test('batch norm: a corrupt batch count in model.json is refused, naming the path', async () => {
  const bn = nn.batchNorm1d(3);
  const x = input([4, 3], 6);
  trainCalls(bn, x, 1);
  const dir = tempDir();
  try {
    await io.saveModel(bn, dir);
    const info = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    assert.equal(info.state.batchNorm1d.populationBatches, 1);
    info.state.batchNorm1d.populationBatches = -2;
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(dir, 'model.json'), JSON.stringify(info));
    await assert.rejects(
      io.loadModel(dir),
      (e: unknown) => e instanceof FormatError && /populationBatches/.test(e.message),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
    bn.dispose();
    x.dispose();
  }
});

test('dropout: both modes round-trip; inference predictions are identical', async () => {
  const x = input([3, 10], 7);
  for (const mode of ['inverted', 'scaleAtTest'] as const) {
    const layer = nn.dropout({ rate: 0.3, mode });
    const loaded = (await roundTrip(layer, x)) as nn.Dropout;
    assert.equal(loaded.rate, 0.3);
    assert.equal(loaded.mode, mode);
  }
  x.dispose();
});

test('a CNN with every layer type: identical predictions after save → load', async () => {
  setSeed(7);
  const net = nn.sequential(
    [
      nn.conv2d({ outChannels: 4, kernelSize: 3, padding: 1, inputShape: [1, 8, 8] }),
      nn.batchNorm2d(4),
      nn.relu(),
      nn.maxPool2d(2),
      nn.dropout(0.25),
      nn.conv2d({ outChannels: 6, kernelSize: 3, activation: 'prelu' }),
      nn.avgPool2d(2),
      nn.flatten(),
      nn.dense({ units: 5, activation: 'prelu' }),
      nn.batchNorm1d(),
      nn.dropout({ rate: 0.5, mode: 'scaleAtTest' }),
      nn.dense({ units: 3 }),
    ],
    'cnn',
  );
  const x = input([4, 1, 8, 8], 8);
  randomize(net, 9);
  trainCalls(net, x);
  const loaded = await roundTrip(net, x);
  const keys = io.namedTensors(loaded).map((t) => t.key);
  for (const key of [
    'conv2d_2.activation.alpha',
    'dense_1.activation.alpha',
    'batchNorm2d_1.runningMean',
    'batchNorm1d_1.populationVarSum',
  ])
    assert.ok(keys.includes(key), `${key} in ${keys.join(', ')}`);
  loaded.dispose();
  net.dispose();
  x.dispose();
});

test('dense/conv2d with a prelu activation: α is a parameter, trained by the optimiser and saved', async () => {
  setSeed(3);
  const d = nn.dense({ units: 4, inFeatures: 3, activation: 'prelu' });
  const net = nn.sequential([d, nn.dense({ units: 2 })]);
  assert.deepEqual(
    net.parameters().map((p) => p.name),
    ['dense_1.weight', 'dense_1.bias', 'dense_1.activation.alpha', 'dense_2.weight', 'dense_2.bias'],
  );
  assert.deepEqual(
    net.namedParameters().map(([n]) => n),
    ['dense_1.weight', 'dense_1.bias', 'dense_1.activation.alpha', 'dense_2.weight', 'dense_2.bias'],
  );
  const alpha = d.parameters()[2];
  assert.deepEqual(alpha.shape, [4]);
  const before = Array.from(alpha.dataSync());
  const opt = new Optimizer(sgd({ lr: 0.5 }), net.parameters());
  const x = input([8, 3], 1);
  const y = fromArray(
    Int32Array.from({ length: 8 }, (_, i) => i % 2),
    [8],
    { dtype: 'int32' },
  );
  for (let i = 0; i < 3; i++) {
    tidy(() => {
      opt.zeroGrad();
      crossEntropy(net.call(x, { training: true }), y).backward();
      opt.step();
    });
  }
  assert.notDeepEqual(Array.from(alpha.dataSync()), before, 'α did not change: it is not trained');
  (await roundTrip(net, x)).dispose();
  opt.dispose();
  net.dispose();

  const conv = nn.conv2d({ outChannels: 3, kernelSize: 2, inChannels: 2, activation: 'prelu' });
  conv.buildFor([1, 2, 4, 4]);
  assert.deepEqual(
    conv.parameters().map((p) => [p.name, p.shape]),
    [
      ['conv2d.weight', [3, 2, 2, 2]],
      ['conv2d.bias', [3]],
      ['conv2d.activation.alpha', [3]],
    ],
  );
  conv.dispose();
  x.dispose();
  y.dispose();
});

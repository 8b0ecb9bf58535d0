// Convolution and pooling layers: lazy and eager builds, shapes, errors naming the
// layer, equality with the ops, and a small CNN that learns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/autograd/index.js'; // Tensor.prototype.backward
import { memory, tidy } from '../../src/autograd/index.js';
import { ShapeError } from '../../src/errors.js';
import { Conv2d, conv2d } from '../../src/nn/conv2d.js';
import { dense } from '../../src/nn/dense.js';
import { avgPool2d, globalAvgPool2d, maxPool2d } from '../../src/nn/pool.js';
import { sequential } from '../../src/nn/sequential.js';
import { activation } from '../../src/nn/activations.js';
import { crossEntropy } from '../../src/losses/index.js';
import * as ops from '../../src/ops/index.js';
import { Optimizer, sgd } from '../../src/optim/index.js';
import { fromArray, randn } from '../../src/tensor/creation.js';
import { Rng, setSeed } from '../../src/tensor/random.js';
import { assertClose } from '../helpers/random.js';

test('conv2d layer: builds from the first input; weight [O, C, kH, kW]; equals the op', () => {
  setSeed(1);
  const layer = conv2d({ outChannels: 4, kernelSize: [3, 2], stride: [2, 1], padding: 1 });
  assert.equal(layer.isBuilt, false);
  const x = randn([2, 3, 7, 6]);
  const y = layer.call(x);
  assert.deepEqual(layer.weight.shape, [4, 3, 3, 2]);
  assert.deepEqual(layer.bias!.shape, [4]);
  assert.deepEqual(y.shape, layer.outputShape(x.shape));
  assert.deepEqual(y.shape, [2, 4, 4, 7]);
  assertClose(
    y.dataSync(),
    ops.conv2d(x, layer.weight, layer.bias, { stride: [2, 1], padding: 1 }).dataSync(),
    1e-6,
  );
  assert.deepEqual(
    layer.parameters().map((p) => p.name),
    ['conv2d.weight', 'conv2d.bias'],
  );
});

test('conv2d layer: glorot-uniform weights with fans counting the kernel area; groups; no bias', () => {
  setSeed(2);
  const layer = conv2d({ inChannels: 4, outChannels: 6, kernelSize: 3, groups: 2, useBias: false });
  layer.buildFor([1, 4, 5, 5]);
  assert.deepEqual(layer.weight.shape, [6, 2, 3, 3]);
  assert.equal(layer.bias, null);
  const limit = Math.sqrt(6 / (2 * 9 + 3 * 9));
  assert.ok([...layer.weight.dataSync()].every((v) => Math.abs(v) <= limit));
  assert.ok(Math.max(...layer.weight.dataSync()) > limit * 0.8);
});

test("conv2d layer with inputShape: a whole CNN builds before any data; 'same' keeps the size", () => {
  const model = sequential([
    conv2d({ inputShape: [1, 12, 10], outChannels: 4, kernelSize: 5, padding: 'same', activation: 'relu' }),
    maxPool2d(2),
    conv2d({ outChannels: 6, kernelSize: 3 }),
    avgPool2d({ kernelSize: 2, stride: 1 }),
    globalAvgPool2d(),
    dense({ units: 3 }),
  ]);
  assert.ok(model.layers.every((l) => l.isBuilt));
  assert.equal(model.parameters().length, 6);
  assert.deepEqual(model.outputShape([8, 1, 12, 10]), [8, 3]);
  assert.match(model.summary([1, 1, 12, 10]), /maxPool2d_1 +maxPool2d +\[batch, 4, 6, 5\]/);
  assert.deepEqual(model.call(randn([2, 1, 12, 10])).shape, [2, 3]);
});

test('conv and pool layers: shape errors name the layer, the input shape and the window', () => {
  const model = sequential([conv2d({ inChannels: 3, outChannels: 2, kernelSize: 5 }), maxPool2d(3)]);
  assert.throws(
    () => model.call(randn([1, 4, 9, 9])),
    (e: unknown) =>
      e instanceof ShapeError &&
      /^conv2d_1 \(conv2d\): expected input shaped \[batch, 3, height, width\] \(3 channels\), got \[1, 4, 9, 9\]/.test(
        e.message,
      ),
  );
  assert.throws(
    () => model.call(randn([1, 3, 4, 9])),
    (e: unknown) =>
      e instanceof ShapeError &&
      /^conv2d_1 \(conv2d\): input \[1, 3, 4, 9\] is too small for kernel \[5, 5\] with stride \[1, 1\], padding \[0, 0, 0, 0\]/.test(
        e.message,
      ),
  );
  assert.throws(
    () => model.call(randn([1, 3, 6, 9])),
    (e: unknown) =>
      e instanceof ShapeError &&
      /^maxPool2d_1 \(maxPool2d\): input \[1, 2, 2, 5\] is too small for kernel \[3, 3\] with stride \[3, 3\]/.test(
        e.message,
      ),
  );
  assert.throws(() => model.outputShape([1, 3, 6, 9]), /maxPool2d_1 \(maxPool2d\)/);
  assert.throws(
    () => maxPool2d(2).call(randn([2, 3])),
    /maxPool2d \(maxPool2d\): expected input shaped \[batch, channels, height, width\], got \[2, 3\]/,
  );
  assert.throws(
    () => conv2d({ outChannels: 3, kernelSize: 3, groups: 2 }),
    /outChannels 3 must be divisible by groups 2/,
  );
  assert.throws(() => new Conv2d({ outChannels: 3, kernelSize: 0 }), /kernelSize must be a positive integer/);
});

test('pooling layers: config and output shapes; globalAvgPool2d keepDims', () => {
  assert.deepEqual(maxPool2d(2).config(), {
    kernelSize: [2, 2],
    stride: [2, 2],
    padding: 0,
    dilation: 1,
    ceilMode: false,
  });
  assert.deepEqual(
    avgPool2d({ kernelSize: [3, 2], stride: 1, countIncludePad: false }).outputShape([4, 2, 5, 5]),
    [4, 2, 3, 4],
  );
  assert.deepEqual(globalAvgPool2d({ keepDims: true }).call(randn([2, 3, 4, 4])).shape, [2, 3, 1, 1]);
  assert.deepEqual(globalAvgPool2d().call(randn([2, 3, 4, 4])).shape, [2, 3]);
});

test('a small CNN learns to tell horizontal from vertical bars', () => {
  setSeed(3);
  const rng = new Rng(3);
  const n = 32;
  const images = new Float64Array(n * 36);
  const labels = new Int32Array(n);
  for (let s = 0; s < n; s++) {
    const vertical = s % 2;
    const at = rng.int(6);
    labels[s] = vertical;
    for (let k = 0; k < 6; k++) images[s * 36 + (vertical ? k * 6 + at : at * 6 + k)] = 1;
    for (let k = 0; k < 36; k++) images[s * 36 + k] += 0.1 * rng.normal();
  }
  const x = fromArray(images, [n, 1, 6, 6], { dtype: 'float32' });
  const y = fromArray(labels, [n]);
  const model = sequential([
    conv2d({ inputShape: [1, 6, 6], outChannels: 4, kernelSize: 3, padding: 1 }),
    activation('relu'),
    maxPool2d(2),
    globalAvgPool2d(),
    dense({ units: 2 }),
  ]);
  const opt = new Optimizer(sgd({ lr: 0.5 }), model.parameters());
  const lossAt = () => tidy(() => crossEntropy(model.call(x, { training: false }), y).item());
  const first = lossAt();
  const step = () =>
    tidy(() => {
      opt.zeroGrad();
      crossEntropy(model.call(x, { training: true }), y).backward();
      opt.step();
    });
  step(); // the first step makes the .grad tensors
  const before = memory().numTensors;
  for (let k = 1; k < 150; k++) step();
  assert.equal(memory().numTensors, before, 'no tensors leak across steps');
  const last = lossAt();
  assert.ok(last < first * 0.3, `loss ${first} → ${last}`);
  const predicted = Array.from(tidy(() => ops.argmax(model.call(x), 1).dataSync()));
  const accuracy = predicted.reduce((a, p, i) => a + (p === labels[i] ? 1 : 0), 0) / n;
  assert.ok(accuracy >= 0.9, `accuracy ${accuracy}`);
});

// Functional models: layers applied to symbolic inputs make a graph with residual links,
// concatenations and several inputs and outputs; summary() is complete before any data; the
// model trains with fit (a residual MLP on spirals, a small residual CNN on the digits),
// and saves and loads through the model format with the same outputs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '../../src/autograd/index.js';
import * as nn from '../../src/nn/index.js';
import * as data from '../../src/data/index.js';
import { Dataset } from '../../src/data/dataset.js';
import { Model } from '../../src/train/index.js';
import { loadModel, saveModel } from '../../src/io/model-io.js';
import { add, matmul } from '../../src/ops/index.js';
import { transpose, reshape } from '../../src/ops/shape.js';
import { fromArray, randn } from '../../src/tensor/creation.js';
import { setSeed } from '../../src/tensor/random.js';
import { ConfigError, ShapeError } from '../../src/errors.js';

function residualMlp(width = 32): nn.FunctionalModel {
  const x = nn.input({ shape: [2] });
  const h = nn.dense({ units: width, activation: 'relu' }).apply(x);
  const r1 = nn.add([h, nn.dense({ units: width, activation: 'relu' }).apply(h)]);
  const r2 = nn.add([r1, nn.dense({ units: width, activation: 'relu' }).apply(r1)]);
  return nn.model({ inputs: x, outputs: nn.dense({ units: 2 }).apply(r2) });
}

test('a residual graph computes h + f(h), named and counted before any data', () => {
  setSeed(1);
  const x = nn.input({ shape: [3] });
  const inner = nn.dense({ units: 3 });
  const y = nn.add([x, inner.apply(x)]);
  const net = nn.model({ inputs: x, outputs: y });
  const v = randn([4, 3]);
  const expected = add(v, add(matmul(v, transpose(inner.weight)), inner.bias!));
  assert.deepEqual(Array.from(net.call(v).dataSync()), Array.from(expected.dataSync()));
  const table = residualMlp().summary();
  assert.match(table, /^input\s+input\s+\[batch, 2\]\s+0/m);
  assert.match(table, /^dense_1\s+dense\s+\[batch, 32\]\s+96\s+input$/m);
  assert.match(table, /^add_3\s+add\s+\[batch, 32\]\s+0\s+dense_1, dense_2$/m);
  assert.match(table, /^total\s+2274$/m); // 96 + 2·1056 + 66
});

test('two inputs, concatenate, two outputs; a layer applied twice shares its weights', () => {
  setSeed(2);
  const a = nn.input({ shape: [2], name: 'a' });
  const b = nn.input({ shape: [3], name: 'b' });
  const joined = nn.concatenate([a, b]);
  const shared = nn.dense({ units: 4, activation: 'tanh' });
  const left = shared.apply(joined);
  const right = shared.apply(nn.concatenate([b, a]));
  const net = nn.model({ inputs: [a, b], outputs: [left, nn.dense({ units: 1 }).apply(right)] });
  assert.equal(net.parameters().length, 4); // the shared dense once, the head once
  const [xa, xb] = [randn([5, 2]), randn([5, 3])];
  const [outLeft, outRight] = net.run([xa, xb]);
  assert.deepEqual(outLeft.shape, [5, 4]);
  assert.deepEqual(outRight.shape, [5, 1]);
  const byHand = shared.call(
    fromArray(
      Array.from({ length: 5 }, (_, i) => [
        ...xa.dataSync().slice(2 * i, 2 * i + 2),
        ...xb.dataSync().slice(3 * i, 3 * i + 3),
      ]),
    ),
  );
  assert.deepEqual(Array.from(outLeft.dataSync()), Array.from(byHand.dataSync()));
  assert.throws(() => net.call(xa), /2 inputs and 2 outputs; use model.run/);
  assert.throws(
    () => net.run([xa, reshape(xb, [5, 3, 1])]),
    (e: unknown) => e instanceof ShapeError && /input 1 \(b\)/.test(String(e)),
  );
  assert.throws(() => nn.add([a, b]), /shapes must be equal/);
  assert.throws(() => nn.concatenate([a, nn.input({ shape: [2, 2] })]), ShapeError);
  assert.throws(() => nn.model({ inputs: a, outputs: left }), /not among the model's inputs/);
  assert.throws(() => nn.input({ shape: [0] }), ConfigError);
});

test('a residual MLP learns the two spirals with fit (≥ 95% training accuracy)', async () => {
  setSeed(1);
  const sets = data.synthetic('spirals');
  const model = new Model(residualMlp(32)).compile({
    optimizer: 'adam',
    lr: 0.01,
    loss: 'crossEntropy',
    metrics: ['accuracy'],
  });
  const history = await model.fit(sets.train, { epochs: 150, batchSize: 32 });
  const acc = history.history.accuracy.at(-1)!;
  assert.ok(acc >= 0.95, `training accuracy ${acc}`);
  sets.train.dispose();
  sets.test.dispose();
});

test('a small residual CNN trains on the digits (8×8 images)', async () => {
  setSeed(3);
  const sets = data.digits();
  const images = (d: Dataset) => new Dataset(reshape(d.x, [d.length, 1, 8, 8]), d.y, 10);
  const [trainSet, testSet] = [images(sets.train), images(sets.test)];
  const x = nn.input({ shape: [1, 8, 8] });
  const c1 = nn.conv2d({ outChannels: 8, kernelSize: 3, padding: 1, activation: 'relu' }).apply(x);
  const c2 = nn.conv2d({ outChannels: 8, kernelSize: 3, padding: 1 }).apply(c1);
  const r = nn.relu().apply(nn.add([c1, c2]));
  const out = nn.dense({ units: 10 }).apply(nn.flatten().apply(nn.maxPool2d({ kernelSize: 2 }).apply(r)));
  const net = nn.model({ inputs: x, outputs: out });
  const model = new Model(net).compile({
    optimizer: 'adam',
    lr: 0.01,
    loss: 'crossEntropy',
    metrics: ['accuracy'],
  });
  await model.fit(trainSet, { epochs: 4, batchSize: 32 });
  const test = await model.evaluate(testSet);
  assert.ok(test.accuracy >= 0.9, `test accuracy ${test.accuracy}`);
});

test('save and load: the graph and its weights come back, the same outputs', async () => {
  setSeed(4);
  const a = nn.input({ shape: [2] });
  const b = nn.dense({ units: 3, activation: 'tanh' }).apply(a);
  const net = nn.model({
    inputs: a,
    outputs: nn.dense({ units: 2 }).apply(nn.concatenate([a, nn.add([b, nn.dense({ units: 3 }).apply(b)])])),
  });
  const dir = mkdtempSync(join(tmpdir(), 'descent-functional-'));
  try {
    await saveModel(net, join(dir, 'm'));
    const loaded = await loadModel(join(dir, 'm'));
    assert.ok(loaded instanceof nn.FunctionalModel);
    const v = randn([6, 2]);
    assert.deepEqual(Array.from(loaded.call(v).dataSync()), Array.from(net.call(v).dataSync()));
    assert.equal(loaded.summary(), net.summary());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

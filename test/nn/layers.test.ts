// Layers: dense (lazy build, shapes, errors), sequential naming and parameters,
// initialisers' statistics, activation names, PReLU's learned slope, summaries.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/autograd/index.js'; // Tensor.prototype.backward
import * as nn from '../../src/nn/index.js';
import { getInitializer, type InitializerName } from '../../src/nn/initializers.js';
import { Model } from '../../src/train/model.js';
import { Dataset } from '../../src/data/dataset.js';
import { fromArray, ones, zeros } from '../../src/tensor/creation.js';
import { Rng, setSeed } from '../../src/tensor/random.js';
import { memory } from '../../src/tensor/scope.js';
import { sum } from '../../src/ops/reduce.js';
import { ConfigError, ShapeError } from '../../src/errors.js';

function stats(a: ArrayLike<number>): { mean: number; variance: number; min: number; max: number } {
  let s = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < a.length; i++) {
    s += a[i];
    min = Math.min(min, a[i]);
    max = Math.max(max, a[i]);
  }
  const mean = s / a.length;
  let v = 0;
  for (let i = 0; i < a.length; i++) v += (a[i] - mean) ** 2;
  return { mean, variance: v / a.length, min, max };
}

// ---- dense ----------------------------------------------------------------------------

test('dense builds lazily from its first input', () => {
  const d = nn.dense({ units: 3 });
  assert.equal(d.isBuilt, false);
  assert.deepEqual(d.parameters(), []);
  const y = d.call(ones([2, 5]));
  assert.equal(d.isBuilt, true);
  assert.equal(d.inFeatures, 5);
  assert.deepEqual(d.weight.shape, [3, 5], 'weight is [units, inFeatures]');
  assert.deepEqual(d.bias!.shape, [3]);
  assert.deepEqual(y.shape, [2, 3]);
  assert.equal(d.weight.requiresGrad, true);
  assert.equal(d.weight.kept, true, 'parameters outlive tidy scopes');
  assert.deepEqual(Array.from(d.bias!.dataSync()), [0, 0, 0], 'biases are zero by default');
  // A second call reuses the same parameters.
  const w = d.weight;
  d.call(ones([7, 5]));
  assert.equal(d.weight, w);
  assert.deepEqual(d.outputShape([7, 5]), [7, 3]);
});

test('dense with inFeatures builds at once; y = x·Wᵀ + b', () => {
  const d = nn.dense({ units: 2, inFeatures: 3, kernelInitializer: 'ones', biasInitializer: 'ones' });
  assert.equal(d.isBuilt, true);
  assert.deepEqual(d.weight.shape, [2, 3]);
  const y = d.call(
    fromArray([
      [1, 2, 3],
      [0, -1, 4],
    ]),
  );
  assert.deepEqual(y.toArray(), [
    [7, 7],
    [4, 4],
  ]);
  const noBias = nn.dense({ units: 4, inFeatures: 2, useBias: false });
  assert.equal(noBias.bias, null);
  assert.equal(noBias.parameters().length, 1);
  const act = nn.dense({
    units: 2,
    inFeatures: 1,
    activation: 'relu',
    kernelInitializer: 'ones',
    biasInitializer: 'zeros',
  });
  assert.deepEqual(act.call(fromArray([[-3], [2]])).toArray(), [
    [0, 0],
    [2, 2],
  ]);
  assert.throws(
    () => nn.dense({ units: 0 }),
    (e: Error) => e instanceof ConfigError && /units/.test(e.message),
  );
  assert.throws(
    () => nn.dense({ units: 2, inFeatures: -1 }),
    (e: Error) => e instanceof ConfigError && /inFeatures/.test(e.message),
  );
});

test('a dense layer expecting 64 features fed 63 names the layer and both shapes', () => {
  const net = nn.sequential([nn.dense({ units: 32, activation: 'relu' }), nn.dense({ units: 10 })]);
  net.call(zeros([4, 64]));
  const check = (e: Error) =>
    e instanceof ShapeError &&
    e.message.includes('dense_1') &&
    e.message.includes('[batch, 64]') &&
    e.message.includes('[8, 63]');
  assert.throws(() => net.call(zeros([8, 63])), check);
  // Built from inFeatures, directly.
  const direct = nn.dense({ units: 10, inFeatures: 64, name: 'hidden' });
  assert.throws(
    () => direct.call(zeros([2, 63])),
    (e: Error) =>
      e instanceof ShapeError &&
      e.message.includes('hidden') &&
      e.message.includes('64') &&
      e.message.includes('[2, 63]'),
  );
  // Not a matrix at all.
  assert.throws(
    () => nn.dense({ units: 3 }).call(zeros([2, 4, 4])),
    (e: Error) => e instanceof ShapeError && e.message.includes('[2, 4, 4]') && /flatten/.test(e.message),
  );
});

test('Model.fit on data with the wrong number of features names the layer and both shapes', async () => {
  const net = nn.sequential([nn.dense({ units: 4, inFeatures: 64 }), nn.dense({ units: 2 })]);
  const model = new Model(net).compile({ optimizer: 'sgd', lr: 0.1, loss: 'crossEntropy' });
  const data = Dataset.fromArrays(new Float32Array(5 * 63), [63], new Int32Array(5));
  await assert.rejects(
    () => model.fit(data, { epochs: 1, batchSize: 5 }),
    (e: Error) =>
      e instanceof ShapeError &&
      e.message.includes('dense_1') &&
      e.message.includes('64') &&
      e.message.includes('[5, 63]'),
  );
});

// ---- sequential -----------------------------------------------------------------------

test('sequential names unnamed layers <kind>_<n> and keeps given names', () => {
  const net = nn.sequential([
    nn.dense({ units: 4 }),
    nn.relu(),
    nn.dense({ units: 4 }),
    nn.relu(),
    nn.dense({ units: 2, name: 'logits' }),
    nn.sigmoid(),
  ]);
  assert.deepEqual(
    net.layers.map((l) => l.name),
    ['dense_1', 'relu_1', 'dense_2', 'relu_2', 'logits', 'sigmoid_1'],
  );
  // A user name that looks like a generated one is skipped over, not duplicated.
  const clash = nn.sequential([nn.dense({ units: 1 }), nn.dense({ units: 1, name: 'dense_1' })]);
  assert.deepEqual(
    clash.layers.map((l) => l.name),
    ['dense_2', 'dense_1'],
  );
  assert.throws(
    () => nn.sequential([nn.dense({ units: 1, name: 'x' }), nn.dense({ units: 1, name: 'x' })]),
    (e: Error) => e instanceof ConfigError && /unique/.test(e.message),
  );
  assert.throws(
    () => nn.sequential([]).buildFor([1, 2]),
    (e: Error) => e instanceof ConfigError && /no layers yet/.test(e.message),
  );
  assert.throws(
    () => nn.sequential([{} as nn.Layer]),
    (e: Error) => e instanceof ConfigError && /element 0/.test(e.message),
  );
});

test('parameters come in layer order, weight before bias, named <layer>.<param>', () => {
  const net = nn.sequential([nn.dense({ units: 5 }), nn.tanh(), nn.dense({ units: 3 }), nn.prelu()]);
  assert.deepEqual(net.parameters(), [], 'nothing before the build');
  net.call(zeros([2, 4]));
  const named = net.namedParameters();
  assert.deepEqual(
    named.map(([n]) => n),
    ['dense_1.weight', 'dense_1.bias', 'dense_2.weight', 'dense_2.bias', 'prelu_1.alpha'],
  );
  assert.deepEqual(
    named.map(([, t]) => t.shape),
    [[5, 4], [5], [3, 5], [3], [3]],
  );
  for (const [name, t] of named) assert.equal(t.name, name, 'the tensor carries its qualified name');
  assert.deepEqual(
    net.parameters(),
    named.map(([, t]) => t),
  );
});

test('parameters of layers built before joining a sequential get the sequential names', () => {
  // inFeatures builds the layer in its constructor, before sequential names it.
  const net = nn.sequential([nn.dense({ units: 3, inFeatures: 2 }), nn.dense({ units: 1, inFeatures: 3 })]);
  assert.deepEqual(
    net.namedParameters().map(([name, t]) => [name, t.name]),
    [
      ['dense_1.weight', 'dense_1.weight'],
      ['dense_1.bias', 'dense_1.bias'],
      ['dense_2.weight', 'dense_2.weight'],
      ['dense_2.bias', 'dense_2.bias'],
    ],
  );
});

test('disposing a network frees its parameters', () => {
  const start = memory().numTensors;
  const net = nn.sequential([nn.dense({ units: 3, inFeatures: 2 }), nn.dense({ units: 1 })]);
  net.buildFor([1, 2]);
  assert.equal(memory().numTensors, start + 4);
  net.dispose();
  assert.equal(memory().numTensors, start);
});

// ---- initialisers ---------------------------------------------------------------------

test('initialisers have the documented distributions', () => {
  const fanIn = 300;
  const fanOut = 200;
  const shape = [200, 300];
  const draw = (name: InitializerName, seed: number) =>
    stats(getInitializer(name)(shape, { fanIn, fanOut, rng: new Rng(seed) }).dataSync());
  const cases: Array<[InitializerName, number, number | null]> = [
    // name, variance, bound (uniform) or null (normal)
    ['glorotUniform', 2 / (fanIn + fanOut), Math.sqrt(6 / (fanIn + fanOut))],
    ['glorotNormal', 2 / (fanIn + fanOut), null],
    ['heNormal', 2 / fanIn, null],
    ['heUniform', 2 / fanIn, Math.sqrt(6 / fanIn)],
    ['lecunNormal', 1 / fanIn, null],
    ['randomNormal', 0.05 ** 2, null],
    ['randomUniform', 0.1 ** 2 / 12, 0.05],
  ];
  for (const [i, [name, variance, bound]] of cases.entries()) {
    const s = draw(name, i + 1);
    const std = Math.sqrt(variance);
    assert.ok(Math.abs(s.mean) < 0.03 * std, `${name}: mean ${s.mean}`);
    assert.ok(
      Math.abs(s.variance / variance - 1) < 0.03,
      `${name}: variance ${s.variance}, expected ${variance}`,
    );
    if (bound !== null) {
      assert.ok(s.min >= -bound && s.max <= bound, `${name}: values in [${s.min}, ${s.max}], bound ${bound}`);
      assert.ok(s.max > 0.99 * bound && s.min < -0.99 * bound, `${name}: should fill [−${bound}, ${bound}]`);
    } else {
      assert.ok(s.max > 3.5 * std && s.min < -3.5 * std, `${name}: normal tails (not truncated)`);
    }
  }
  const z = getInitializer('zeros')([3, 4], { fanIn: 4, fanOut: 3 });
  assert.deepEqual(Array.from(z.dataSync()), new Array(12).fill(0));
  const o = getInitializer('ones')([5], { fanIn: 1, fanOut: 1 });
  assert.deepEqual(Array.from(o.dataSync()), [1, 1, 1, 1, 1]);
  assert.equal(
    getInitializer('heNormal')([2, 2], { fanIn: 2, fanOut: 2, dtype: 'float64' }).dtype,
    'float64',
  );
  // Parameterised forms.
  const n = stats(
    nn.initializers
      .randomNormal({ mean: 2, std: 0.5 })([100, 100], { fanIn: 1, fanOut: 1, rng: new Rng(8) })
      .dataSync(),
  );
  assert.ok(Math.abs(n.mean - 2) < 0.02 && Math.abs(Math.sqrt(n.variance) - 0.5) < 0.02);
  const u = stats(
    nn.initializers
      .randomUniform({ low: 1, high: 3 })([100, 100], { fanIn: 1, fanOut: 1, rng: new Rng(9) })
      .dataSync(),
  );
  assert.ok(u.min >= 1 && u.max <= 3 && Math.abs(u.mean - 2) < 0.03);
  assert.throws(() => nn.initializers.randomUniform({ low: 1, high: 0 }), ConfigError);
});

test('dense passes fanIn = inFeatures and fanOut = units to its initialiser, seeded by setSeed', () => {
  const d = nn.dense({ units: 200, inFeatures: 300, kernelInitializer: 'heNormal' });
  const s = stats(d.weight.dataSync());
  assert.ok(Math.abs(s.variance / (2 / 300) - 1) < 0.03, `heNormal variance ${s.variance}`);
  const g = stats(nn.dense({ units: 100, inFeatures: 400 }).weight.dataSync());
  const a = Math.sqrt(6 / 500);
  assert.ok(g.max <= a && g.min >= -a && g.max > 0.99 * a, 'glorotUniform is the default kernel initialiser');
  assert.ok(Math.abs(g.variance / (2 / 500) - 1) < 0.03);

  setSeed(4);
  const w1 = Array.from(nn.dense({ units: 3, inFeatures: 3 }).weight.dataSync());
  setSeed(4);
  const w2 = Array.from(nn.dense({ units: 3, inFeatures: 3 }).weight.dataSync());
  assert.deepEqual(w1, w2);
  // A custom initialiser function is used as given.
  const custom = nn.dense({
    units: 2,
    inFeatures: 2,
    kernelInitializer: (shape) => fromArray([1, 2, 3, 4], shape),
  });
  assert.deepEqual(Array.from(custom.weight.dataSync()), [1, 2, 3, 4]);
});

// ---- names ----------------------------------------------------------------------------

test('an unknown activation or initialiser name lists the valid ones', () => {
  const listsActivations = (e: Error) =>
    e instanceof ConfigError &&
    e.message.includes("'swish'") &&
    nn.activationNames.every((n) => e.message.includes(n)) &&
    ['relu', 'sigmoid', 'tanh', 'prelu'].every((n) => e.message.includes(n));
  assert.throws(() => nn.activation('swish'), listsActivations);
  assert.throws(() => nn.dense({ units: 3, activation: 'swish' as never }), listsActivations);
  const listsInitializers = (e: Error) =>
    e instanceof ConfigError &&
    e.message.includes("'xavier'") &&
    [
      'zeros',
      'ones',
      'randomNormal',
      'randomUniform',
      'glorotUniform',
      'glorotNormal',
      'heNormal',
      'heUniform',
      'lecunNormal',
    ].every((n) => e.message.includes(n));
  assert.throws(() => nn.dense({ units: 3, kernelInitializer: 'xavier' as never }), listsInitializers);
  assert.throws(() => getInitializer('xavier' as never), listsInitializers);
  // Every listed name works.
  for (const name of nn.activationNames) {
    const y = nn.activation(name).call(fromArray([[-1, 0.5]]));
    assert.deepEqual(y.shape, [1, 2], name);
  }
});

// ---- prelu ----------------------------------------------------------------------------

test('prelu: y = x for x > 0, αx otherwise; the gradient reaches α', () => {
  const layer = nn.prelu();
  const x = fromArray([
    [-2, 1, -1],
    [3, -4, 0.5],
  ]);
  const y = layer.call(x);
  assert.deepEqual(layer.alpha.shape, [3], 'one α per feature by default');
  assert.deepEqual(Array.from(layer.alpha.dataSync()), [0.25, 0.25, 0.25]);
  assert.deepEqual(y.toArray(), [
    [-0.5, 1, -0.25],
    [3, -1, 0.5],
  ]);
  sum(y).backward();
  // ∂Σy/∂αⱼ = Σ over the batch of min(xⱼ, 0).
  assert.deepEqual(Array.from(layer.alpha.grad!.dataSync()), [-2, -4, -1]);

  const shared = nn.prelu({ alphaPer: 'shared', init: 0.1 });
  sum(shared.call(x)).backward();
  assert.deepEqual(shared.alpha.shape, [1]);
  assert.deepEqual(Array.from(shared.alpha.grad!.dataSync()), [-7]);
  assert.throws(() => nn.prelu({ alphaPer: 'pixel' as never }), ConfigError);
});

test('prelu learns α by gradient descent', async () => {
  // Targets from a leaky unit with slope 0.1: a prelu layer alone must learn α ≈ 0.1.
  const r = new Rng(21);
  const n = 64;
  const xs = Array.from({ length: n * 2 }, () => r.uniformIn(-2, 2));
  const ys = xs.map((v) => (v > 0 ? v : 0.1 * v));
  const layer = nn.prelu();
  const model = new Model(nn.sequential([layer])).compile({ optimizer: 'sgd', lr: 0.5, loss: 'mse' });
  const data = Dataset.fromArrays(xs, [2], new Float32Array(ys), { targetShape: [2] });
  const history = await model.fit(data, { epochs: 30, batchSize: n, shuffle: false });
  const alpha = Array.from(layer.alpha.dataSync());
  for (const a of alpha) assert.ok(Math.abs(a - 0.1) < 0.01, `α = ${alpha}`);
  assert.ok(history.history.loss.at(-1)! < history.history.loss[0] / 100);
});

// ---- summary --------------------------------------------------------------------------

test('summary() lists layers, output shapes and parameter counts', () => {
  const net = nn.sequential(
    [nn.dense({ units: 32, activation: 'relu' }), nn.dense({ units: 10 }), nn.softmax()],
    'mlp',
  );
  net.buildFor([1, 64]);
  const text = net.summary([1, 64]);
  const lines = text.split('\n');
  assert.equal(lines.length, 5, text);
  assert.match(lines[0], /layer\s+kind\s+output shape\s+parameters/);
  assert.match(lines[1], /^dense_1\s+dense\s+\[batch, 32\]\s+2080\s*$/);
  assert.match(lines[2], /^dense_2\s+dense\s+\[batch, 10\]\s+330\s*$/);
  assert.match(lines[3], /^softmax_1\s+softmax\s+\[batch, 10\]\s+0\s*$/);
  assert.match(lines[4], /^total\s+2410\s*$/);
  // A built stack knows its input shape: the same table without one.
  assert.equal(net.summary(), text);
  // Not built and no input size: shapes unknown, no parameters yet.
  assert.match(nn.sequential([nn.dense({ units: 3 })]).summary(), /dense_1\s+dense\s+\?\s+0/);
});

// Batch-norm layers: parameters, training vs inference, running averages (PyTorch's rule),
// the lectures' population average with the m/(m − 1) correction, errors and memory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/autograd/index.js'; // Tensor.prototype.backward
import { memory, tidy } from '../../src/autograd/index.js';
import { ConfigError, ShapeError } from '../../src/errors.js';
import { batchNorm1d, batchNorm2d } from '../../src/nn/batchnorm.js';
import { conv2d } from '../../src/nn/conv2d.js';
import { sequential } from '../../src/nn/sequential.js';
import * as ops from '../../src/ops/index.js';
import { fromArray, randn } from '../../src/tensor/creation.js';
import { setSeed } from '../../src/tensor/random.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { assertClose } from '../helpers/random.js';

/** Per-channel mean and biased variance of [N, C, ...] values, in plain JavaScript. */
function channelStats(t: Tensor): { mean: number[]; variance: number[]; m: number } {
  const [n, c] = t.shape;
  const inner = t.size / (n * c);
  const v = t.dataSync();
  const mean: number[] = [];
  const variance: number[] = [];
  for (let ch = 0; ch < c; ch++) {
    const values: number[] = [];
    for (let s = 0; s < n; s++) for (let k = 0; k < inner; k++) values.push(v[(s * c + ch) * inner + k]);
    const mu = values.reduce((a, b) => a + b, 0) / values.length;
    mean.push(mu);
    variance.push(values.reduce((a, b) => a + (b - mu) ** 2, 0) / values.length);
  }
  return { mean, variance, m: n * inner };
}

test('batchNorm2d(C): γ = 1 and β = 0 as parameters; training normalises each channel', () => {
  setSeed(1);
  const bn = batchNorm2d(3);
  assert.ok(bn.isBuilt);
  assert.deepEqual(
    bn.parameters().map((p) => p.name),
    ['batchNorm2d.gamma', 'batchNorm2d.beta'],
  );
  const x = ops.add(ops.mul(randn([4, 3, 5, 2]), 3), 2);
  const y = bn.call(x, { training: true });
  const { mean, variance } = channelStats(y);
  mean.forEach((m) => assert.ok(Math.abs(m) < 1e-5));
  variance.forEach((v) => assert.ok(Math.abs(v - 1) < 1e-3));
});

test('batchNorm: running averages follow PyTorch; inference uses them', () => {
  setSeed(2);
  const bn = batchNorm2d({ momentum: 0.2 });
  const x = ops.add(randn([3, 2, 4, 4]), 5);
  bn.call(x, { training: true });
  const { mean, variance, m } = channelStats(x);
  assertClose(
    bn.runningMean.dataSync(),
    mean.map((u) => 0.2 * u),
    1e-5,
  );
  assertClose(
    bn.runningVar.dataSync(),
    variance.map((v) => 0.8 + 0.2 * v * (m / (m - 1))),
    1e-5,
  );
  const xi = randn([2, 2, 4, 4]);
  const expected = ops.batchNorm(xi, bn.gamma, bn.beta, {
    runningMean: bn.runningMean,
    runningVar: bn.runningVar,
  }).output;
  assertClose(bn.call(xi).dataSync(), expected.dataSync(), 1e-6);
  assertClose(bn.call(xi, { training: false }).dataSync(), expected.dataSync(), 1e-6);
});

test("batchNorm 'population' inference: the average of the batch means and of the corrected batch variances", () => {
  setSeed(3);
  const bn = batchNorm1d({ inference: 'population' });
  const batches = [randn([5, 3]), ops.add(randn([5, 3]), 1), ops.mul(randn([4, 3]), 2)];
  for (const b of batches) bn.call(b, { training: true });
  assert.equal(bn.populationBatches, 3);
  const stats = batches.map(channelStats);
  const meanAvg = [0, 1, 2].map((c) => stats.reduce((a, s) => a + s.mean[c], 0) / 3);
  // Var[x] = mean over batches of (m/(m − 1))·σ²_B — the lectures' unbiased estimate.
  const varAvg = [0, 1, 2].map((c) => stats.reduce((a, s) => a + (s.m / (s.m - 1)) * s.variance[c], 0) / 3);
  const population = bn.populationStatistics()!;
  assertClose(population.mean.dataSync(), meanAvg, 1e-5);
  assertClose(population.variance.dataSync(), varAvg, 1e-5);
  const x = randn([2, 3]);
  const expected = ops.batchNorm(x, bn.gamma, bn.beta, {
    runningMean: population.mean,
    runningVar: population.variance,
  }).output;
  assertClose(bn.call(x).dataSync(), expected.dataSync(), 1e-6);
  // Switching estimates is a property; resetting starts a new average.
  bn.inference = 'running';
  const running = ops.batchNorm(x, bn.gamma, bn.beta, {
    runningMean: bn.runningMean,
    runningVar: bn.runningVar,
  }).output;
  assertClose(bn.call(x).dataSync(), running.dataSync(), 1e-6);
  bn.resetPopulationStatistics();
  assert.equal(bn.populationBatches, 0);
  assert.equal(bn.populationStatistics(), null);
});

test('batchNorm: gradients reach γ and β, and flow through the batch statistics to the layer below', () => {
  setSeed(4);
  const model = sequential([
    conv2d({ inputShape: [2, 5, 4], outChannels: 3, kernelSize: 3, padding: 1 }),
    batchNorm2d(),
  ]);
  const x = randn([4, 2, 5, 4]);
  ops.sum(ops.square(model.call(x, { training: true }))).backward();
  const [weight, bias, gamma, beta] = model.parameters();
  assert.equal(gamma.name, 'batchNorm2d_1.gamma');
  for (const p of model.parameters()) assert.ok(p.grad, `${p.name} has a gradient`);
  // With γ = 1, β = 0: Σ y² = Σ x̂² = m per channel (up to ε) whatever the conv computes, so
  // ∂/∂γ = 2 Σ y x̂ = 2m, ∂/∂β = 2 Σ y = 0, and the conv's gradients vanish — they do only
  // because backprop goes through μ_B and σ²_B (treating them as constants would not cancel).
  assertClose(gamma.grad!.dataSync(), [160, 160, 160], 1e-2);
  assert.ok([...beta.grad!.dataSync()].every((v) => Math.abs(v) < 1e-3));
  assert.ok([...weight.grad!.dataSync(), ...bias.grad!.dataSync()].every((v) => Math.abs(v) < 1e-2));
});

test('batchNorm1d accepts [N, C] and [N, C, L]; errors name the layer', () => {
  const bn = batchNorm1d(4);
  assert.deepEqual(bn.call(randn([3, 4]), { training: true }).shape, [3, 4]);
  assert.deepEqual(bn.call(randn([3, 4, 2]), { training: true }).shape, [3, 4, 2]);
  assert.throws(
    () => bn.call(randn([3, 5])),
    (e: unknown) =>
      e instanceof ShapeError &&
      /^batchNorm1d \(batchNorm1d\): expected input shaped \[batch, features\] or \[batch, channels, length\] with 4 channels on axis 1, got \[3, 5\]/.test(
        e.message,
      ),
  );
  assert.throws(
    () => batchNorm2d().call(randn([3, 4])),
    /batchNorm2d \(batchNorm2d\): expected input shaped \[batch, channels, height, width\]/,
  );
  assert.throws(() => bn.call(randn([1, 4]), { training: true }), /more than one value per channel/);
  assert.throws(() => batchNorm2d({ momentum: 2 }), ConfigError);
  assert.throws(() => batchNorm2d({ inference: 'average' as 'running' }), /'running' or 'population'/);
});

test('batchNorm: buffers are listed for saving, freed on dispose, and nothing grows across steps', () => {
  const bn = batchNorm2d(2);
  assert.deepEqual(
    bn.namedBuffers().map(([n]) => n),
    [
      'batchNorm2d.runningMean',
      'batchNorm2d.runningVar',
      'batchNorm2d.populationMeanSum',
      'batchNorm2d.populationVarSum',
    ],
  );
  const x = fromArray(
    Array.from({ length: 24 }, (_, i) => Math.sin(i)),
    [3, 2, 2, 2],
  );
  const before = memory().numTensors;
  for (let k = 0; k < 3; k++) tidy(() => void bn.call(x, { training: true }));
  assert.equal(memory().numTensors, before);
  bn.dispose();
  // γ, β, the two running averages, the two population sums, num_batches_tracked and its increment.
  assert.equal(memory().numTensors, before - 8);
});

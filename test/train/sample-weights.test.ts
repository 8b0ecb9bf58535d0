// fit's classWeight and sampleWeight: a batch's loss is Σᵢ wᵢ·lᵢ / N (Keras's default
// reduction). Weights 1 are no weights, bit for bit; a class of weight 0 has no say in the
// update (checked against the gradient of the weighted loss worked out by hand); class
// weights raise an imbalanced set's minority recall; bad weights are refused by name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/autograd/index.js';
import * as nn from '../../src/nn/index.js';
import { Dataset } from '../../src/data/dataset.js';
import { Model } from '../../src/train/index.js';
import { losses } from '../../src/losses/index.js';
import { fromArray } from '../../src/tensor/creation.js';
import { Rng, setSeed } from '../../src/tensor/random.js';
import { memory } from '../../src/tensor/scope.js';
import { ConfigError } from '../../src/errors.js';
import type { FitOptions } from '../../src/train/fit-options.js';

function blobs(counts: number[], spread: number, seed: number): { x: number[][]; y: number[] } {
  const rng = new Rng(seed);
  const x: number[][] = [];
  const y: number[] = [];
  counts.forEach((count, c) => {
    for (let i = 0; i < count; i++) {
      x.push([c + spread * rng.normal(), c + spread * rng.normal(), rng.normal()]);
      y.push(c);
    }
  });
  return { x, y };
}

function linear(seed: number, loss: 'crossEntropy' | 'mse' = 'crossEntropy', lr = 0.3): Model {
  setSeed(seed);
  return new Model(nn.sequential([nn.dense({ units: 2 })])).compile({ optimizer: 'sgd', lr, loss });
}

async function values(m: Model): Promise<number[][]> {
  return Promise.all(m.parameters().map(async (p) => Array.from(await p.data())));
}

test('weights all 1 (classWeight and sampleWeight) give the same bits as no weights', async () => {
  const { x, y } = blobs([30, 20], 0.8, 1);
  const runs: Array<[FitOptions, number[]]> = [];
  for (const extra of [
    {},
    { sampleWeight: y.map(() => 1) },
    { classWeight: { 0: 1, 1: 1 } },
  ] as FitOptions[]) {
    const m = linear(3);
    const h = await m.fit(x, y, { epochs: 3, batchSize: 8, rng: new Rng(5), validationSplit: 0.2, ...extra });
    runs.push([extra, [...h.history.loss, ...(await values(m)).flat()]]);
    m.dispose();
  }
  for (const [extra, bits] of runs.slice(1)) assert.deepEqual(bits, runs[0][1], JSON.stringify(extra));
});

test('a class of weight 0 does not move the weights: one step equals the hand-computed weighted gradient', async () => {
  const { x, y } = blobs([6, 4], 1, 2);
  const weights = { 0: 0.5, 1: 0 };
  const m = linear(4, 'crossEntropy', 0.5);
  m.net.buildFor([1, 3]);
  const [w0, b0] = await values(m);
  await m.fit(x, y, { epochs: 1, batchSize: x.length, shuffle: false, classWeight: weights });
  const [w1, b1] = await values(m);
  // ∂/∂W of Σᵢ wᵢ·(−log softmax(W xᵢ + b)[yᵢ]) / N is Σᵢ wᵢ (pᵢ − onehot(yᵢ)) xᵢᵀ / N (W is [out, in]).
  const gw = new Array(6).fill(0);
  const gb = [0, 0];
  x.forEach((xi, i) => {
    const z = [0, 1].map((o) => b0[o] + xi.reduce((s, v, k) => s + w0[o * 3 + k] * v, 0));
    const e = z.map((v) => Math.exp(v - Math.max(...z)));
    const p = e.map((v) => v / (e[0] + e[1]));
    const wi = weights[y[i] as 0 | 1];
    for (let o = 0; o < 2; o++) {
      const g = (wi * (p[o] - (o === y[i] ? 1 : 0))) / x.length;
      gb[o] += g;
      for (let k = 0; k < 3; k++) gw[o * 3 + k] += g * xi[k];
    }
  });
  w1.forEach((v, j) => assert.ok(Math.abs(v - (w0[j] - 0.5 * gw[j])) < 1e-6, `W[${j}]`));
  b1.forEach((v, j) => assert.ok(Math.abs(v - (b0[j] - 0.5 * gb[j])) < 1e-6, `b[${j}]`));

  // The class-1 samples have no say at all: moving them anywhere gives the same bits.
  const moved = x.map((xi, i) => (y[i] === 1 ? xi.map((v) => v * 7 - 3) : xi));
  const again = linear(4, 'crossEntropy', 0.5);
  await again.fit(moved, y, { epochs: 2, batchSize: 4, rng: new Rng(1), classWeight: weights });
  const first = linear(4, 'crossEntropy', 0.5);
  await first.fit(x, y, { epochs: 2, batchSize: 4, rng: new Rng(1), classWeight: weights });
  assert.deepEqual(await values(again), await values(first));
  for (const model of [m, again, first]) model.dispose();
});

test('sampleWeight stays with its sample when shuffled; mse weighs rows the same way', async () => {
  // Weight 0 on half the samples, given per sample, equals moving those samples anywhere.
  const { x, y } = blobs([10, 10], 1, 3);
  const targets = x.map((r) => [r[0] - r[1], r[2]]);
  const w = x.map((_, i) => (i % 2 === 0 ? 1.5 : 0));
  const moved = x.map((r, i) => (w[i] === 0 ? r.map((v) => -5 * v) : r));
  const runs: number[][][] = [];
  for (const features of [x, moved]) {
    const m = linear(6, 'mse', 0.05);
    await m.fit(features, targets, { epochs: 3, batchSize: 6, rng: new Rng(9), sampleWeight: w });
    runs.push(await values(m));
    m.dispose();
  }
  assert.deepEqual(runs[1], runs[0]);
  assert.equal(y.length, w.length);
});

test('class weights raise the minority recall of a 19:1 imbalanced set', async () => {
  const { x, y } = blobs([380, 20], 0.9, 4);
  const recall = async (options: FitOptions): Promise<number> => {
    const m = linear(8, 'crossEntropy', 0.2);
    await m.fit(x, y, { epochs: 20, batchSize: 32, rng: new Rng(2), ...options });
    const out = m.net.predict(x);
    const z = await out.data();
    out.dispose();
    m.dispose();
    let found = 0;
    y.forEach((c, i) => (found += c === 1 && z[2 * i + 1] > z[2 * i] ? 1 : 0));
    return found / 20;
  };
  const plain = await recall({});
  const balanced = await recall({ classWeight: { 0: 1, 1: 19 } });
  assert.ok(balanced >= plain + 0.3, `minority recall ${plain} without class weights, ${balanced} with`);
});

test('bad weights are refused naming the option, and nothing is left alive', async () => {
  const { x, y } = blobs([4, 4], 1, 5);
  const m = linear(1);
  await m.fit(x, y, { epochs: 1 });
  const before = memory().numTensors;
  const refused = async (options: FitOptions, pattern: RegExp) =>
    assert.rejects(
      () => m.fit(x, y, options),
      (e: unknown) => e instanceof ConfigError && pattern.test(String(e)),
    );
  await refused(
    { sampleWeight: [1, 2, 3] },
    /sampleWeight must have one weight per training sample \(8\), got 3/,
  );
  await refused({ sampleWeight: y.map((_, i) => (i === 5 ? -1 : 1)) }, /sampleWeight\[5\] is -1/);
  await refused(
    { classWeight: { 0: 1, 7: 2 } },
    /classWeight names class 7, which no training label has \(labels: 0, 1\)/,
  );
  await refused({ classWeight: { 1: -2 } }, /classWeight\[1\] is -2/);
  const floats = fromArray(x, undefined, { dtype: 'float32' });
  const targets = fromArray(
    y.map((c) => [c, 1 - c]),
    undefined,
    { dtype: 'float32' },
  );
  await assert.rejects(
    () => m.fit(new Dataset(floats, targets), { classWeight: { 0: 2 } }),
    /classWeight needs integer class labels \(int32 \[N\]\); the targets are float32 \[8, 2\]/,
  );
  const custom = linear(1).compile({ optimizer: 'sgd', loss: (p, t) => losses.crossEntropy(p, t) });
  await assert.rejects(() => custom.fit(x, y, { sampleWeight: y }), /need a loss that takes weights/);
  floats.dispose();
  targets.dispose();
  assert.equal(memory().numTensors, before);
  m.dispose();
  custom.dispose();
});

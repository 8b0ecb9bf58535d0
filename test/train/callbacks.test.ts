// Callbacks that act on the model: early stopping that restores the best weights (and
// buffers), reduce-on-plateau through the optimiser's lrScale, model checkpoints; fit's
// per-batch augmentation and batch norm's per-epoch population statistics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '../../src/autograd/index.js';
import * as nn from '../../src/nn/index.js';
import * as data from '../../src/data/index.js';
import { Dataset } from '../../src/data/dataset.js';
import {
  Model,
  earlyStopping,
  modelCheckpoint,
  reduceLROnPlateau,
  WeightsSnapshot,
  trainedTensors,
  type Callback,
} from '../../src/train/index.js';
import { loadModel } from '../../src/io/index.js';
import { adam, Optimizer, sgd } from '../../src/optim/index.js';
import { crossEntropy } from '../../src/losses/index.js';
import { fromArray } from '../../src/tensor/creation.js';
import { Rng, setSeed } from '../../src/tensor/random.js';
import { memory, tidy } from '../../src/tensor/scope.js';
import { noGrad } from '../../src/autograd/index.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { reshape } from '../../src/ops/shape.js';
import { ConfigError, ShapeError } from '../../src/errors.js';
import { assertClose } from '../helpers/random.js';

function moons(count: number, seed: number): Dataset {
  const t = data.raw.moons({ count, noise: 0.1, rng: new Rng(seed) });
  return Dataset.fromArrays(t.features, [2], t.labels, { numClasses: 2, name: 'moons' });
}

function net(): nn.Sequential {
  return nn.sequential([
    nn.dense({ units: 6, inFeatures: 2 }),
    nn.batchNorm1d(),
    nn.relu(),
    nn.dense({ units: 2 }),
  ]);
}

const values = (net: nn.Layer) => trainedTensors(net).map((t) => Array.from(t.dataSync()));

/** Writes a scripted value into the logs as 'score', before the callbacks that read it. */
function scripted(scores: number[]): Callback {
  return { onEpochEnd: (info) => void (info.logs.score = scores[info.epoch]) };
}

/** Records the parameters and buffers at the end of every epoch. */
function recorder(into: number[][][]): Callback {
  return { onEpochEnd: (_info, control) => void into.push(values(control.net)) };
}

test('earlyStopping({ restoreBestWeights }): the parameters and buffers of the best epoch are put back', async () => {
  setSeed(2);
  const set = moons(48, 1);
  const model = new Model(net()).compile({
    optimizer: 'adam',
    lr: 0.05,
    loss: 'crossEntropy',
    metrics: ['accuracy'],
  });
  const seen: number[][][] = [];
  const stopper = earlyStopping({ monitor: 'score', patience: 2, restoreBestWeights: true });
  const history = await model.fit(set, {
    epochs: 10,
    batchSize: 8,
    callbacks: [scripted([3, 1, 2, 4, 5, 6, 7, 8, 9, 10]), recorder(seen), stopper],
  });
  // Best at epoch 1, then epochs 2, 3 and 4 without improvement: the third exceeds patience 2.
  assert.equal(history.epochs.length, 5);
  assert.equal(stopper.stoppedEpoch, 4);
  assert.equal(stopper.bestEpoch, 1);
  assert.equal(stopper.best, 1);
  assert.equal(stopper.restored, true);
  assert.notDeepEqual(seen[4], seen[1]);
  assert.deepEqual(values(model.net), seen[1], 'weights and batch-norm statistics are those of epoch 2');

  // Without the option the model keeps the last epoch's weights; no copies are left behind.
  const live = memory().numTensors;
  const plain = earlyStopping({ monitor: 'score', patience: 0 });
  seen.length = 0;
  await model.fit(set, { epochs: 3, batchSize: 8, callbacks: [scripted([2, 3, 4]), recorder(seen), plain] });
  assert.equal(plain.restored, false);
  assert.deepEqual(values(model.net), seen[1]);
  assert.equal(memory().numTensors, live);
  model.dispose();
  set.dispose();
});

test('earlyStopping: restoring leaves no tensors behind; bad options are ConfigErrors', async () => {
  setSeed(3);
  const set = moons(32, 2);
  const model = new Model(net()).compile({ optimizer: 'sgd', lr: 0.1, loss: 'crossEntropy' });
  await model.fit(set, { epochs: 1 }); // builds the network and the optimiser state
  const live = memory().numTensors;
  await model.fit(set, { epochs: 4, callbacks: [earlyStopping({ patience: 1, restoreBestWeights: true })] });
  assert.equal(memory().numTensors, live);
  assert.throws(() => earlyStopping({ minDelta: -1 }), ConfigError);
  assert.throws(() => earlyStopping({ mode: 'up' as never }), ConfigError);
  model.dispose();
  set.dispose();
});

test('WeightsSnapshot: capture and restore in place, batch count included', () => {
  setSeed(4);
  const n = net();
  const x = fromArray(
    Float32Array.from({ length: 10 }, (_, i) => i / 10),
    [5, 2],
  );
  const snap = new WeightsSnapshot(n);
  const before = values(n);
  tidy(() => noGrad(() => n.call(x, { training: true }))); // moves the running statistics
  const bn = n.layers[1] as nn.BatchNorm;
  assert.equal(bn.populationBatches, 1);
  assert.notDeepEqual(values(n), before);
  snap.restore();
  assert.deepEqual(values(n), before);
  assert.equal(bn.populationBatches, 0);
  snap.dispose();
  assert.throws(() => snap.restore(), /disposed/);
  n.dispose();
  x.dispose();
});

test('Optimizer.lrScale: sgd and adam with scale s step as with learning rate s·η', () => {
  for (const [make, lr] of [
    [(l: number) => sgd({ lr: l, momentum: 0.9 }), 0.1],
    [(l: number) => adam({ lr: l }), 0.01],
  ] as const) {
    setSeed(5);
    const a = nn.dense({ units: 3, inFeatures: 4 });
    setSeed(5);
    const b = nn.dense({ units: 3, inFeatures: 4 });
    const scaled = new Optimizer(make(lr), a.parameters());
    scaled.lrScale = 0.25;
    const direct = new Optimizer(make(lr * 0.25), b.parameters());
    const x = fromArray(
      Float32Array.from({ length: 8 }, (_, i) => Math.sin(i)),
      [2, 4],
    );
    const y = fromArray([0, 2], [2], { dtype: 'int32' });
    for (let step = 0; step < 4; step++) {
      for (const [layer, opt] of [
        [a, scaled],
        [b, direct],
      ] as const) {
        tidy(() => {
          opt.zeroGrad();
          crossEntropy(layer.call(x), y).backward();
          opt.step();
        });
      }
    }
    assertClose(a.weight.dataSync(), b.weight.dataSync(), 1e-6);
    scaled.baseLr = lr;
    assert.equal(scaled.lr, lr * 0.25);
    assert.throws(() => (scaled.lrScale = -1), ConfigError);
    assert.throws(() => (scaled.lrScale = NaN), ConfigError);
    for (const t of [x, y]) t.dispose();
    scaled.dispose();
    direct.dispose();
    a.dispose();
    b.dispose();
  }
});

test('reduceLROnPlateau: divides the rate by 1/factor after patience epochs, down to minLr', async () => {
  setSeed(6);
  const set = moons(32, 3);
  const model = new Model(net()).compile({ optimizer: 'sgd', lr: 0.1, loss: 'crossEntropy' });
  const plateau = reduceLROnPlateau({ monitor: 'score', factor: 0.5, patience: 1, minLr: 0.03 });
  const scales: number[] = [];
  const watch: Callback = { onEpochEnd: (_i, control) => void scales.push(control.optimizer.lrScale) };
  await model.fit(set, {
    epochs: 7,
    batchSize: 16,
    callbacks: [scripted([1, 1, 1, 1, 1, 0.5, 0.5]), plateau, watch],
  });
  // Best 1 at epoch 0; epochs 1, 2 bad → halve after epoch 2; 3, 4 bad → 0.25, but minLr 0.03 = 0.3·η.
  assert.deepEqual(scales, [1, 1, 0.5, 0.5, 0.3, 0.3, 0.3]);
  assert.deepEqual(plateau.reductions, [
    { epoch: 2, scale: 0.5 },
    { epoch: 4, scale: 0.3 },
  ]);
  assert.equal(plateau.scale, 0.3);
  assertClose([plateau.lr!], [0.03], 1e-12);
  assertClose([model.optimizer!.lr!], [0.03], 1e-12);

  // A new run starts again at scale 1.
  scales.length = 0;
  await model.fit(set, { epochs: 1, callbacks: [scripted([1]), plateau, watch] });
  assert.deepEqual(scales, [1]);
  model.dispose();

  // minLr is absolute: without a known base rate it is refused at the start of training.
  const anonymous = new Model(net()).compile({ optimizer: sgd({ lr: 0.1 }), loss: 'crossEntropy' });
  await assert.rejects(
    anonymous.fit(set, { callbacks: [reduceLROnPlateau({ minLr: 1e-3 })] }),
    (e: unknown) => e instanceof ConfigError && /base rate/.test(e.message),
  );
  await anonymous.fit(set, { callbacks: [reduceLROnPlateau({ minLr: 1e-3, lr: 0.1 })] });
  anonymous.dispose();
  assert.throws(() => reduceLROnPlateau({ factor: 2 }), ConfigError);
  assert.throws(() => reduceLROnPlateau({ patience: -1 }), ConfigError);
  set.dispose();
});

test('modelCheckpoint: saves the best epoch’s model, loadable with the same predictions', async () => {
  setSeed(7);
  const set = moons(40, 4);
  const dir = mkdtempSync(join(tmpdir(), 'descent-mc-'));
  try {
    const model = new Model(net()).compile({ optimizer: 'adam', lr: 0.05, loss: 'crossEntropy' });
    const outputsAt: number[][] = [];
    const predict: Callback = {
      onEpochEnd: (_i, control) =>
        void outputsAt.push(tidy(() => noGrad(() => Array.from(control.net.call(set.x).dataSync())))),
    };
    const saver = modelCheckpoint({ dir, monitor: 'score', metadata: { run: 'test' } });
    await model.fit(set, { epochs: 4, batchSize: 8, callbacks: [scripted([5, 2, 3, 4]), predict, saver] });
    assert.equal(saver.saves, 2);
    assert.equal(saver.bestEpoch, 1);
    const loaded = await loadModel(dir);
    assert.deepEqual(
      tidy(() => noGrad(() => Array.from(loaded.call(set.x).dataSync()))),
      outputsAt[1],
    );
    loaded.dispose();
    model.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.throws(() => modelCheckpoint({ dir: '' }), ConfigError);
  set.dispose();
});

test('fit({ augment }): every training batch, never validation; seeded, so a run repeats exactly', async () => {
  const images = (seed: number) => {
    const r = new Rng(seed);
    return Dataset.fromArrays(
      Float32Array.from({ length: 24 * 1 * 6 * 6 }, () => r.uniform()),
      [1, 6, 6],
      Int32Array.from({ length: 24 }, (_, i) => i % 3),
      { numClasses: 3 },
    );
  };
  const set = images(1);
  const build = () =>
    nn.sequential([
      nn.conv2d({ outChannels: 2, kernelSize: 3, inputShape: [1, 6, 6] }),
      nn.flatten(),
      nn.dense({ units: 3 }),
    ]);
  const run = async (augment?: (x: Tensor, r: Rng) => Tensor) => {
    setSeed(11);
    const model = new Model(build()).compile({ optimizer: 'sgd', lr: 0.1, loss: 'crossEntropy' });
    const history = await model.fit(set, { epochs: 2, batchSize: 5, validationSplit: 0.25, augment });
    model.dispose();
    return { loss: history.history.loss, valLoss: history.history.valLoss };
  };
  const shapes: number[][] = [];
  const aug = data.augmenter('rotate,shift,noise');
  const spy = (x: Tensor, r: Rng) => {
    shapes.push([...x.shape]);
    return aug.applyTensor(x, r);
  };
  const live = memory().numTensors;
  const first = await run(spy);
  assert.equal(memory().numTensors, live, 'augmented batches are freed with their step');
  // 18 training samples in batches of 5: 4 batches per epoch, 2 epochs; validation is never augmented.
  assert.deepEqual(shapes, [
    [5, 1, 6, 6],
    [5, 1, 6, 6],
    [5, 1, 6, 6],
    [3, 1, 6, 6],
    [5, 1, 6, 6],
    [5, 1, 6, 6],
    [5, 1, 6, 6],
    [3, 1, 6, 6],
  ]);
  assert.deepEqual(await run(spy), first, 'the same seed gives the same augmented run');
  assert.notDeepEqual(await run(), first);
  await assert.rejects(
    run((x) => reshape(x, [x.shape[0], 36])),
    (e: unknown) => e instanceof ShapeError && /augment/.test(e.message),
  );
  set.dispose();
});

test("fit: batch norm with 'population' inference averages the last epoch's batches only", async () => {
  setSeed(8);
  const set = moons(40, 5);
  const bn = nn.batchNorm1d({ inference: 'population' });
  const model = new Model(
    nn.sequential([nn.dense({ units: 4, inFeatures: 2 }), bn, nn.dense({ units: 2 })]),
  ).compile({
    optimizer: 'sgd',
    lr: 0.1,
    loss: 'crossEntropy',
  });
  await model.fit(set, { epochs: 3, batchSize: 10 });
  assert.equal(bn.populationBatches, 4, '40 samples in batches of 10: one epoch');
  // The running ('running') mode keeps counting: no reset.
  const running = nn.batchNorm1d();
  const m2 = new Model(
    nn.sequential([nn.dense({ units: 4, inFeatures: 2 }), running, nn.dense({ units: 2 })]),
  ).compile({
    optimizer: 'sgd',
    lr: 0.1,
    loss: 'crossEntropy',
  });
  await m2.fit(set, { epochs: 3, batchSize: 10 });
  assert.equal(running.populationBatches, 12);
  model.dispose();
  m2.dispose();
  set.dispose();
});

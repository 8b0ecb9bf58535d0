// Model.compile/fit/evaluate/predict end to end: the acceptance runs (XOR, two spirals,
// digits), memory stability, reproducibility, the three flavours of gradient descent,
// validation, argument errors, divergence, early stopping.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/autograd/index.js'; // Tensor.prototype.backward
import * as nn from '../../src/nn/index.js';
import * as data from '../../src/data/index.js';
import { Dataset } from '../../src/data/dataset.js';
import { Model } from '../../src/train/index.js'; // also gives layers compile/fit/predict
import { earlyStopping, type Callback, type History } from '../../src/train/callbacks.js';
import { optimizers } from '../../src/optim/index.js';
import { losses } from '../../src/losses/index.js';
import { fromArray } from '../../src/tensor/creation.js';
import { Rng, setSeed } from '../../src/tensor/random.js';
import { memory, tidy } from '../../src/tensor/scope.js';
import { argmax } from '../../src/ops/reduce.js';
import { crossEntropy } from '../../src/losses/index.js';
import { ConfigError, DataError } from '../../src/errors.js';

/** A small two-class set (moons) as a Dataset, drawn from its own Rng. */
function moons(count: number, seed: number): Dataset {
  const t = data.raw.moons({ count, noise: 0.1, rng: new Rng(seed) });
  return Dataset.fromArrays(t.features, [2], t.labels, { numClasses: 2, name: 'moons' });
}

function mlp(hidden: number[], outputs: number, activation: nn.ActivationName = 'tanh'): nn.Sequential {
  return nn.sequential([
    ...hidden.map((units) => nn.dense({ units, activation })),
    nn.dense({ units: outputs }),
  ]);
}

// ---- acceptance -----------------------------------------------------------------------

const XOR_X = [0, 0, 0, 1, 1, 0, 1, 1];
const XOR_Y = [0, 1, 1, 0];

async function trainXor(seed: number): Promise<{ accuracy: number; outputs: number[] }> {
  setSeed(seed);
  const net = nn.sequential([
    nn.dense({ units: 2, activation: 'sigmoid' }),
    nn.dense({ units: 1, activation: 'sigmoid' }),
  ]);
  const xor = Dataset.fromArrays(XOR_X, [2], new Float32Array(XOR_Y), { targetShape: [1], name: 'xor' });
  const model = new Model(net).compile({ optimizer: 'sgd', lr: 5, loss: 'mse', metrics: ['accuracy'] });
  await model.fit(xor, { epochs: 2000, batchSize: 4 });
  const { accuracy } = await model.evaluate(xor);
  const outputs = Array.from(model.predict(xor.x).dataSync());
  model.dispose();
  xor.dispose();
  return { accuracy, outputs };
}

test('XOR is learned to 100% by a 2-2-1 sigmoid network (sgd, mse)', async () => {
  const { accuracy, outputs } = await trainXor(1);
  assert.equal(accuracy, 1);
  outputs.forEach((o, i) =>
    assert.ok(Math.abs(o - XOR_Y[i]) < 0.1, `output for ${XOR_X.slice(2 * i, 2 * i + 2)}: ${o}`),
  );
});

test('XOR: most seeds converge (2-2-1 has local minima where a few stall)', async () => {
  let solved = 0;
  for (let seed = 1; seed <= 10; seed++) if ((await trainXor(seed)).accuracy === 1) solved++;
  assert.ok(solved >= 6, `only ${solved} of 10 seeds learned XOR`);
});

test('two spirals: ≥ 98% training accuracy with a 2-64-64-2 relu MLP', async () => {
  setSeed(1);
  const sets = data.synthetic('spirals');
  const model = new Model(mlp([64, 64], 2, 'relu')).compile({
    optimizer: 'sgd',
    lr: 0.2,
    loss: 'crossEntropy',
    metrics: ['accuracy'],
  });
  await model.fit(sets.train, { epochs: 400, batchSize: 16 });
  const { accuracy } = await model.evaluate(sets.train);
  assert.ok(accuracy >= 0.98, `training accuracy ${accuracy}`);
  model.dispose();
  sets.train.dispose();
  sets.test.dispose();
});

test('digits: ≥ 95% test accuracy on a held-out 20% with the default CLI configuration', async () => {
  // descent train: hidden 64,32 relu, sgd lr 0.1, batch 32, 20 epochs, seed 1, crossEntropy.
  setSeed(1);
  const sets = data.digits({ testFraction: 0.2 });
  assert.equal(sets.train.length + sets.test.length, 1797);
  assert.ok(Math.abs(sets.test.length - 0.2 * 1797) < 10, `test part has ${sets.test.length} samples`);
  const net = nn.sequential(
    [
      nn.dense({ units: 64, activation: 'relu' }),
      nn.dense({ units: 32, activation: 'relu' }),
      nn.dense({ units: 10 }),
    ],
    'mlp',
  );
  const model = new Model(net).compile({
    optimizer: 'sgd',
    lr: 0.1,
    loss: 'crossEntropy',
    metrics: ['accuracy'],
  });
  const counts: number[] = [];
  const bytes: number[] = [];
  const history = await model.fit(sets.train, {
    epochs: 20,
    batchSize: 32,
    callbacks: [
      { onEpochEnd: () => void (counts.push(memory().numTensors), bytes.push(memory().totalBytes)) },
    ],
  });
  const test = await model.evaluate(sets.test);
  assert.ok(test.accuracy >= 0.95, `test accuracy ${test.accuracy}`);
  assert.equal(history.epochs.length, 20);
  assert.ok(history.history.loss[19] < history.history.loss[0]);
  assert.ok(
    counts.every((c) => c === counts[0]),
    `live tensors per epoch: ${counts}`,
  );
  assert.ok(
    bytes.every((b) => b === bytes[0]),
    `live bytes per epoch: ${bytes}`,
  );
  model.dispose();
  sets.train.dispose();
  sets.test.dispose();
});

// ---- memory and reproducibility -------------------------------------------------------

test('memory(): the live tensor count after epoch 1 equals that after epoch 10, with metrics and validation', async () => {
  setSeed(2);
  const train = moons(96, 1);
  const model = new Model(mlp([16], 2)).compile({
    optimizer: 'sgd',
    lr: 0.1,
    loss: 'crossEntropy',
    metrics: ['accuracy'],
  });
  model.net.buildFor([1, 2]);
  const counts: number[] = [];
  const start = memory().numTensors;
  const history = await model.fit(train, {
    epochs: 10,
    batchSize: 10, // 96 is not a multiple: the last batch is smaller
    validationSplit: 0.25,
    callbacks: [{ onEpochEnd: () => void counts.push(memory().numTensors) }],
  });
  assert.equal(counts.length, 10);
  assert.equal(counts[9], counts[0], `live tensors per epoch: ${counts}`);
  assert.ok(counts.every((c) => c === counts[0]));
  // After fit: only what training legitimately adds (one gradient per parameter) remains.
  assert.equal(memory().numTensors, start + model.parameters().length);
  assert.equal(history.history.valLoss.length, 10);
  model.dispose();
  train.dispose();
});

async function seededRun(seed: number): Promise<History> {
  setSeed(seed);
  const sets = data.synthetic('moons');
  const model = new Model(mlp([8], 2)).compile({
    optimizer: 'sgd',
    lr: 0.3,
    loss: 'crossEntropy',
    metrics: ['accuracy'],
  });
  const history = await model.fit(sets.train, { epochs: 5, batchSize: 16, validationSplit: 0.2 });
  model.dispose();
  sets.train.dispose();
  sets.test.dispose();
  return history;
}

test('the same seed gives identical losses; another seed does not', async () => {
  const a = await seededRun(7);
  const b = await seededRun(7);
  assert.deepEqual(a.history.loss, b.history.loss);
  assert.deepEqual(a.history.accuracy, b.history.accuracy);
  assert.deepEqual(a.history.valLoss, b.history.valLoss);
  const c = await seededRun(8);
  assert.notDeepEqual(c.history.loss, a.history.loss);
});

// ---- the training loop ----------------------------------------------------------------

test('batch GD, SGD and mini-batch GD are the same loop with batch size N, 1 and b', async () => {
  const n = 40;
  for (const [label, batchSize, expectedBatches] of [
    ['batch GD', n, 1],
    ['stochastic GD', 1, n],
    ['mini-batch GD', 8, 5],
    ['mini-batch GD, ragged last batch', 16, 3],
  ] as const) {
    setSeed(3);
    const train = moons(n, 2);
    const model = new Model(mlp([8], 2)).compile({
      optimizer: 'sgd',
      lr: batchSize === 1 ? 0.05 : 0.5,
      loss: 'crossEntropy',
    });
    let begin: { batchesPerEpoch: number; batchSize: number; samplesPerEpoch: number } | null = null;
    const batchesSeen: number[] = [];
    const samplesSeen: number[] = [];
    let perEpoch = 0;
    const cb: Callback = {
      onTrainBegin: (info) => void (begin = info),
      onBatchEnd: (info) => {
        perEpoch++;
        samplesSeen.push(info.samples);
        assert.equal(info.batchesPerEpoch, expectedBatches);
      },
      onEpochEnd: () => {
        batchesSeen.push(perEpoch);
        perEpoch = 0;
      },
    };
    const history = await model.fit(train, { epochs: 30, batchSize, callbacks: [cb] });
    assert.deepEqual(
      begin,
      { epochs: 30, batchesPerEpoch: expectedBatches, samplesPerEpoch: n, batchSize },
      label,
    );
    assert.ok(
      batchesSeen.every((b) => b === expectedBatches),
      `${label}: batches per epoch ${batchesSeen}`,
    );
    assert.equal(samplesSeen[expectedBatches - 1], n, `${label}: every sample is seen once per epoch`);
    const loss = history.history.loss;
    assert.ok(loss[29] < 0.8 * loss[0], `${label}: loss ${loss[0]} → ${loss[29]}`);
    model.dispose();
    train.dispose();
  }
});

test('with batch size N one epoch is exactly one full-batch gradient step', async () => {
  setSeed(4);
  const train = moons(32, 3);
  const net = nn.sequential([
    nn.dense({ units: 4, inFeatures: 2, activation: 'tanh' }),
    nn.dense({ units: 2 }),
  ]);
  const before = net.parameters().map((p) => Float64Array.from(p.dataSync()));
  // The gradient of the mean loss over the whole set, by hand.
  const grads = tidy(() => {
    const loss = crossEntropy(net.call(train.x), train.y);
    loss.backward();
    return net.parameters().map((p) => Float64Array.from(p.grad!.dataSync()));
  });
  const lr = 0.3;
  const model = new Model(net).compile({ optimizer: 'sgd', lr, loss: 'crossEntropy' });
  await model.fit(train, { epochs: 1, batchSize: 32 }); // shuffled, but the full-batch mean is order-free
  net.parameters().forEach((p, i) => {
    const after = p.dataSync();
    for (let k = 0; k < after.length; k++) {
      const expected = before[i][k] - lr * grads[i][k];
      assert.ok(Math.abs(after[k] - expected) < 1e-6, `${p.name}[${k}]: ${after[k]} vs ${expected}`);
    }
  });
  model.dispose();
  train.dispose();
});

test('validationSplit holds out the last fraction and reports valLoss and valAccuracy', async () => {
  setSeed(5);
  const all = moons(80, 4);
  const model = new Model(mlp([8], 2)).compile({
    optimizer: 'sgd',
    lr: 0.3,
    loss: 'crossEntropy',
    metrics: ['accuracy'],
  });
  let samplesPerEpoch = 0;
  const history = await model.fit(all, {
    epochs: 4,
    batchSize: 16,
    validationSplit: 0.25,
    callbacks: [{ onTrainBegin: (info) => void (samplesPerEpoch = info.samplesPerEpoch) }],
  });
  assert.equal(samplesPerEpoch, 60);
  assert.deepEqual(history.epochs, [0, 1, 2, 3]);
  for (const key of ['loss', 'accuracy', 'valLoss', 'valAccuracy', 'samplesPerSec']) {
    assert.equal(history.history[key]?.length, 4, key);
    assert.ok(history.history[key].every(Number.isFinite), key);
  }
  for (const a of [...history.history.accuracy, ...history.history.valAccuracy]) assert.ok(a >= 0 && a <= 1);
  // The validation numbers are those of evaluate() on the last 20 samples.
  const tail = all.subset(Array.from({ length: 20 }, (_, i) => 60 + i));
  const v = await model.evaluate(tail);
  assert.ok(
    Math.abs(v.loss - history.history.valLoss[3]) < 1e-5,
    `${v.loss} vs ${history.history.valLoss[3]}`,
  );
  assert.equal(v.accuracy, history.history.valAccuracy[3]);
  // Explicit validation data works the same way.
  const h2 = await model.fit(all, { epochs: 1, batchSize: 16, validationData: tail });
  assert.equal(h2.history.valLoss.length, 1);
  model.dispose();
  all.dispose();
  tail.dispose();
});

// ---- errors ---------------------------------------------------------------------------

test('fit and compile refuse bad arguments with clear messages', async () => {
  const train = moons(20, 5);
  const model = new Model(mlp([4], 2));
  await assert.rejects(
    () => model.fit(train),
    (e: Error) => e instanceof ConfigError && /compile/.test(e.message),
  );
  model.compile({ optimizer: 'sgd', lr: 0.1, loss: 'crossEntropy' });
  const refuses = (name: string, value: unknown) => (e: Error) =>
    e instanceof ConfigError && e.message.includes(name) && e.message.includes(`got ${value}`);
  await assert.rejects(
    () => model.fit(train, { batchSize: 0 }),
    refuses('batchSize must be a positive integer', 0),
  );
  await assert.rejects(() => model.fit(train, { batchSize: -4 }), refuses('batchSize', -4));
  await assert.rejects(() => model.fit(train, { batchSize: 2.5 }), refuses('batchSize', 2.5));
  await assert.rejects(
    () => model.fit(train, { epochs: 0 }),
    refuses('epochs must be a positive integer', 0),
  );
  await assert.rejects(
    () => model.fit(train, { validationSplit: 1.5 }),
    (e: Error) => e instanceof ConfigError && /validationSplit/.test(e.message),
  );
  await assert.rejects(
    () => model.fit(train, { validationSplit: 0.2, validationData: train }),
    (e: Error) => e instanceof ConfigError && /not both/.test(e.message),
  );
  await assert.rejects(
    () => model.fit({} as Dataset),
    (e: Error) => e instanceof ConfigError && /Dataset/.test(e.message),
  );
  await assert.rejects(() => model.evaluate(train, { batchSize: 0 }), refuses('batchSize', 0));

  assert.throws(
    () => model.compile({ optimizer: 'sgd', lr: -1, loss: 'mse' }),
    refuses('learning rate must be positive', -1),
  );
  assert.throws(() => model.compile({ optimizer: 'sgd', lr: 0, loss: 'mse' }), refuses('learning rate', 0));
  assert.throws(
    () => model.compile({ optimizer: 'adamw-typo' as never, loss: 'mse' }),
    (e: Error) =>
      e instanceof ConfigError &&
      e.message.includes("'adamw-typo'") &&
      Object.keys(optimizers).every((n) => e.message.includes(n)),
  );
  assert.throws(
    () => model.compile({ optimizer: 'sgd', loss: 'hinge' as never }),
    (e: Error) =>
      e instanceof ConfigError &&
      e.message.includes("'hinge'") &&
      Object.keys(losses).every((n) => e.message.includes(n)),
  );
  assert.throws(
    () => model.compile({ optimizer: 'sgd', loss: 'mse', metrics: ['f2' as never] }),
    (e: Error) => e instanceof ConfigError && e.message.includes("'f2'") && e.message.includes('accuracy'),
  );
  assert.throws(
    () => model.compile({ optimizer: 'sgd' } as never),
    (e: Error) => e instanceof ConfigError && /loss/.test(e.message),
  );
  model.dispose();
  train.dispose();
});

test('divergence (a huge learning rate) stops with an error naming the step and a parameter, and frees its tensors', async () => {
  setSeed(6);
  const sets = data.synthetic('sine');
  const net = nn.sequential([
    nn.dense({ units: 16, inFeatures: 1, activation: 'tanh' }),
    nn.dense({ units: 1 }),
  ]);
  const model = new Model(net).compile({ optimizer: 'sgd', lr: 1e6, loss: 'mse' });
  const start = memory().numTensors;
  await assert.rejects(
    () => model.fit(sets.train, { epochs: 5, batchSize: 32 }),
    (e: Error) =>
      e instanceof DataError &&
      /Training diverged: the loss became (NaN|-?Infinity) at epoch \d+, batch \d+ \(step \d+\)\./.test(
        e.message,
      ) &&
      /dense_[12]\.(weight|bias)/.test(e.message) &&
      /lower learning rate/.test(e.message),
  );
  // Nothing but the parameters' gradients is left behind by the failed run.
  assert.equal(memory().numTensors, start + net.parameters().length);
  model.dispose();
  sets.train.dispose();
  sets.test.dispose();
});

// ---- evaluate, predict, callbacks -----------------------------------------------------

test('evaluate returns mean loss and metrics; predict returns [N, outputs] in batches', async () => {
  setSeed(8);
  const set = moons(50, 6);
  const model = new Model(mlp([8], 2)).compile({
    optimizer: 'sgd',
    lr: 0.5,
    loss: 'crossEntropy',
    metrics: ['accuracy'],
  });
  await model.fit(set, { epochs: 20, batchSize: 10 });
  const logs = await model.evaluate(set, { batchSize: 7 });
  assert.deepEqual(Object.keys(logs).sort(), ['accuracy', 'loss']);
  assert.ok(logs.accuracy > 0.7 && logs.accuracy <= 1, `accuracy ${logs.accuracy}`);
  const whole = await model.evaluate(set);
  assert.ok(Math.abs(whole.loss - logs.loss) < 1e-5, 'the batch size does not change the mean');
  assert.equal(whole.accuracy, logs.accuracy);

  const start = memory().numTensors;
  const p = model.predict(set.x);
  const pBatched = model.predict(set.x, { batchSize: 7 });
  assert.equal(memory().numTensors, start + 2, 'predict leaves only its result');
  assert.deepEqual(p.shape, [50, 2]);
  assert.deepEqual(pBatched.shape, [50, 2]);
  assert.deepEqual(Array.from(pBatched.dataSync()), Array.from(p.dataSync()));
  // Accuracy from predict agrees with evaluate.
  const predicted = argmax(p, 1).dataSync();
  const labels = set.y.dataSync();
  const correct = predicted.filter((c, i) => c === labels[i]).length;
  assert.equal(correct / 50, logs.accuracy);
  assert.equal(p.requiresGrad, false, 'inference records no graph');
  p.dispose();
  pBatched.dispose();

  // The Keras-style methods on a layer delegate to a Model.
  const net = mlp([4], 1, 'sigmoid');
  net.compile({ optimizer: 'sgd', lr: 0.1, loss: 'binaryCrossEntropyFromLogits', metrics: ['accuracy'] });
  const binary = Dataset.fromArrays(Array.from(set.x.dataSync()), [2], Float32Array.from(labels), {
    targetShape: [1],
  });
  const h = await net.fit(binary, { epochs: 2, batchSize: 25 });
  assert.equal(h.history.loss.length, 2);
  assert.deepEqual(
    net.predict(
      fromArray([
        [0, 0],
        [1, 1],
        [2, 0],
      ]),
    ).shape,
    [3, 1],
  );
  model.dispose();
  set.dispose();
  binary.dispose();
});

test('earlyStopping stops when the monitored value stops improving', async () => {
  setSeed(9);
  const set = moons(40, 7);
  const model = new Model(mlp([4], 2)).compile({
    optimizer: 'sgd',
    lr: 0.1,
    loss: 'crossEntropy',
    metrics: ['accuracy'],
  });
  // No change can beat a minDelta of 1e9: the first epoch sets the best, then patience runs out.
  const stopper = earlyStopping({ monitor: 'loss', patience: 2, minDelta: 1e9 });
  const history = await model.fit(set, { epochs: 50, batchSize: 8, callbacks: [stopper] });
  assert.equal(history.epochs.length, 4, 'best at epoch 1, then 3 epochs without improvement (patience 2)');
  assert.equal(stopper.stoppedEpoch, 3);
  assert.match(history.stoppedEarly ?? '', /stopped/);

  // Without validation data it watches the training loss by default and does not stop while it falls.
  const patient = earlyStopping({ patience: 0 });
  const h2 = await model.fit(set, { epochs: 3, batchSize: 40, callbacks: [patient] });
  assert.equal(h2.epochs.length, 3);
  assert.equal(patient.stoppedEpoch, null);
  assert.equal(h2.stoppedEarly, undefined);

  // A callback can stop training itself; a missing monitor is a clear error.
  const h3 = await model.fit(set, {
    epochs: 10,
    batchSize: 8,
    callbacks: [{ onEpochEnd: (info, control) => void (info.epoch === 1 && control.stop()) }],
  });
  assert.equal(h3.epochs.length, 2);
  await assert.rejects(
    () => model.fit(set, { epochs: 2, callbacks: [earlyStopping({ monitor: 'valAccuracy' })] }),
    (e: Error) => e instanceof ConfigError && /valAccuracy/.test(e.message) && /loss/.test(e.message),
  );
  assert.throws(() => earlyStopping({ patience: -1 }), ConfigError);
  model.dispose();
  set.dispose();
});

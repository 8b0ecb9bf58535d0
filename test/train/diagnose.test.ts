// Training health (fit's `diagnose`, `descent train --diagnose`): a deep sigmoid net's
// vanishing gradients, ReLUs killed by their bias, the first layer to overflow under a huge
// learning rate, silence on a healthy net, the pure analysis, option checks, and the CLI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import '../../src/autograd/index.js'; // Tensor.prototype.backward
import * as nn from '../../src/nn/index.js';
import * as data from '../../src/data/index.js';
import { Dataset } from '../../src/data/dataset.js';
import {
  Model,
  analyzeEpoch,
  checkDiagnoseOptions,
  type Diagnostic,
  type DiagnoseOptions,
  type History,
} from '../../src/train/index.js';
import { runTrain, type TrainFlags } from '../../src/cli/train.js';
import { full } from '../../src/tensor/creation.js';
import { Rng, setSeed } from '../../src/tensor/random.js';
import { memory } from '../../src/tensor/scope.js';
import { ConfigError, DataError } from '../../src/errors.js';

function moons(count = 256): Dataset {
  const t = data.raw.moons({ count, noise: 0.1, rng: new Rng(1) });
  return Dataset.fromArrays(t.features, [2], t.labels, { numClasses: 2, name: 'moons' });
}

/** Trains `layers` on moons with diagnosis on; the warnings as they were emitted, and the history. */
async function diagnose(
  layers: nn.Layer[],
  options: { lr: number; epochs?: number; diagnose?: boolean | DiagnoseOptions },
): Promise<{ emitted: Diagnostic[]; history: History }> {
  setSeed(1);
  const set = moons();
  const model = new Model(nn.sequential(layers)).compile({
    optimizer: 'sgd',
    lr: options.lr,
    loss: 'crossEntropy',
  });
  const emitted: Diagnostic[] = [];
  try {
    const history = await model.fit(set, {
      epochs: options.epochs ?? 2,
      batchSize: 32,
      diagnose: options.diagnose ?? true,
      callbacks: [{ onDiagnostic: (d) => void emitted.push(d) }],
    });
    return { emitted, history };
  } finally {
    model.dispose();
    set.dispose();
  }
}

const relu = (units: number) => nn.dense({ units, activation: 'relu', kernelInitializer: 'heNormal' });

test('a deep sigmoid net: vanishing gradients, named at the first layer', async () => {
  const layers = [
    ...Array.from({ length: 6 }, () => nn.dense({ units: 32, activation: 'sigmoid' })),
    nn.dense({ units: 2 }),
  ];
  const { emitted, history } = await diagnose(layers, { lr: 0.1 });
  const vanishing = emitted.filter((d) => d.kind === 'vanishing');
  assert.equal(vanishing.length, 1, 'reported once, not every epoch');
  assert.equal(vanishing[0].layer, 'dense_1');
  assert.ok(vanishing[0].value < 1e-2, `ratio ${vanishing[0].value}`);
  assert.match(
    vanishing[0].message,
    /dense_1: vanishing gradients: ‖∂C\/∂W‖ is .* × that of the output layer dense_7/,
  );
  assert.match(vanishing[0].advice, /ReLU/);
  assert.deepEqual(history.diagnostics, emitted);
  // The per-layer norms go into the history, one per epoch, shrinking towards the input.
  const first = history.history['gradNorm/dense_1'];
  const last = history.history['gradNorm/dense_7'];
  assert.equal(first.length, 2);
  assert.ok(first[0] * 100 < last[0], `${first[0]} vs ${last[0]}`);
  assert.doesNotThrow(() => JSON.parse(JSON.stringify(history)));
});

test('ReLUs killed by a very negative bias: a deadRelu warning with the percentage', async () => {
  const dead = nn.dense({ units: 16, activation: 'relu', biasInitializer: (shape) => full(shape, -10) });
  const { emitted, history } = await diagnose([dead, nn.dense({ units: 2 })], { lr: 0.1 });
  assert.deepEqual(
    emitted.map((d) => [d.kind, d.layer]),
    [['deadRelu', 'dense_1']],
  );
  assert.equal(emitted[0].value, 1);
  assert.equal(emitted[0].epoch, 0);
  assert.match(emitted[0].message, /dense_1: 100% of its ReLU units \(16 of 16\) never fired/);
  assert.match(emitted[0].advice, /leaky ReLU|PReLU/);
  assert.deepEqual(history.history['deadRelu/dense_1'], [1, 1]);
});

test('a huge learning rate: the first layer whose output became non-finite, with the step', async () => {
  const layers = [relu(16), relu(16), nn.dense({ units: 2 })];
  let error: unknown;
  let emitted: Diagnostic[] = [];
  setSeed(1);
  const before = memory().numTensors;
  const set = moons();
  const model = new Model(nn.sequential(layers)).compile({ optimizer: 'sgd', lr: 1e4, loss: 'crossEntropy' });
  try {
    await model.fit(set, {
      epochs: 2,
      batchSize: 32,
      diagnose: true,
      callbacks: [{ onDiagnostic: (d) => void emitted.push(d) }],
    });
  } catch (e) {
    error = e;
  }
  model.dispose();
  set.dispose();
  assert.equal(memory().numTensors, before, 'the probes are freed when training stops');
  assert.ok(error instanceof DataError, String(error));
  emitted = emitted.filter((d) => d.kind === 'nonFinite');
  assert.equal(emitted.length, 1);
  const [d] = emitted;
  assert.match(d.layer, /^dense_[123]$/);
  assert.ok(Number.isInteger(d.step) && d.step >= 1, `step ${d.step}`);
  assert.ok(!Number.isFinite(d.value));
  assert.match(
    d.message,
    new RegExp(`${d.layer}: the first layer whose output held NaN or ±∞, at step ${d.step}`),
  );
  assert.match(
    (error as Error).message,
    new RegExp(`first layer whose output held NaN or ±∞ is ${d.layer} \\(step ${d.step}\\)`),
  );
});

test('the first non-finite output is found by layer: an overflowing second layer, at step 1', async () => {
  // dense_1's outputs are about 10 (bias 10); dense_2's weights of 1e38 overflow float32 to ∞.
  const layers = [
    nn.dense({ units: 8, activation: 'relu', biasInitializer: (shape) => full(shape, 10) }),
    nn.dense({ units: 4, kernelInitializer: (shape) => full(shape, 1e38) }),
    nn.dense({ units: 2 }),
  ];
  const emitted: Diagnostic[] = [];
  setSeed(1);
  const set = moons(64);
  const model = new Model(nn.sequential(layers)).compile({ optimizer: 'sgd', lr: 0.1, loss: 'crossEntropy' });
  try {
    const fit = model.fit(set, {
      batchSize: 32,
      diagnose: true,
      callbacks: [{ onDiagnostic: (d) => void emitted.push(d) }],
    });
    await assert.rejects(fit, /The first layer whose output held NaN or ±∞ is dense_2 \(step 1\)/);
  } finally {
    model.dispose();
    set.dispose();
  }
  assert.deepEqual(
    emitted.map((d) => [d.kind, d.layer, d.epoch, d.step]),
    [['nonFinite', 'dense_2', 0, 1]],
  );
});

test('dead units are counted over every sampled batch of the epoch', async () => {
  // One ReLU unit, relu(x): it fires on the first sample (x = 1), not on the second (x = −1).
  const set = Dataset.fromArrays([1, -1], [1], [0, 1], { numClasses: 2 });
  const run = async (every: number) => {
    const unit = nn.dense({ units: 1, activation: 'relu', kernelInitializer: (shape) => full(shape, 1) });
    const model = new Model(nn.sequential([unit, nn.dense({ units: 2 })])).compile({
      optimizer: 'sgd',
      lr: 1e-9,
      loss: 'crossEntropy',
    });
    try {
      const history = await model.fit(set, { batchSize: 1, shuffle: false, diagnose: { every } });
      return { dead: history.history['deadRelu/dense_1'], kinds: history.diagnostics!.map((d) => d.kind) };
    } finally {
      model.dispose();
    }
  };
  try {
    assert.deepEqual(await run(1), { dead: [0], kinds: [] }, 'both batches sampled: the unit fired once');
    assert.deepEqual(await run(100), { dead: [1], kinds: ['deadRelu'] }, 'only the last batch sampled');
  } finally {
    set.dispose();
  }
});

test('a healthy small ReLU net on easy data: no warnings, and no tensors left behind', async () => {
  const before = memory().numTensors;
  const { emitted, history } = await diagnose([relu(16), relu(16), nn.dense({ units: 2 })], {
    lr: 0.1,
    epochs: 4,
  });
  assert.equal(memory().numTensors, before);
  assert.deepEqual(emitted, []);
  assert.deepEqual(history.diagnostics, []);
  for (const key of ['deadRelu/dense_1', 'deadRelu/dense_2', 'gradNorm/dense_1', 'gradNorm/dense_3']) {
    assert.equal(history.history[key]?.length, 4, key);
  }
  assert.ok(history.history['gradNorm/dense_1'].every((g) => g > 0 && g < 10));
});

test('thresholds are options: a lower explodingNorm flags large gradients', async () => {
  // Weights 3 × He's scale: every ReLU layer triples the signal, the logits and gradients are large.
  const large: nn.Initializer = (shape, context) =>
    nn.initializers.randomNormal({ std: 3 * Math.sqrt(2 / context.fanIn) })(shape, context);
  const layers = [
    ...Array.from({ length: 4 }, () => nn.dense({ units: 32, activation: 'relu', kernelInitializer: large })),
    nn.dense({ units: 2, kernelInitializer: large }),
  ];
  const { emitted } = await diagnose(layers, {
    lr: 1e-9,
    epochs: 1,
    diagnose: { explodingNorm: 1, every: 5 },
  });
  const exploding = emitted.filter((d) => d.kind === 'exploding');
  assert.equal(exploding.length, 1);
  assert.ok(exploding[0].value > 1);
  assert.match(exploding[0].advice, /--clip-norm/);
});

test('analyzeEpoch: the rules on numbers', () => {
  const base = { epoch: 2, step: 90 };
  assert.deepEqual(
    analyzeEpoch({
      ...base,
      layers: [
        { layer: 'dense_1', gradNorm: 0.5, deadFraction: 0.1, units: 10 },
        { layer: 'dense_2', gradNorm: 0.4 },
      ],
    }),
    [],
  );
  const found = analyzeEpoch({
    ...base,
    layers: [
      { layer: 'conv_1', gradNorm: 5e3, deadFraction: 0.75, units: 8, perChannel: true },
      { layer: 'conv_2', gradNorm: 2e-4 },
      { layer: 'dense_1', gradNorm: 1 },
    ],
  });
  assert.deepEqual(
    found.map((d) => [d.kind, d.layer, d.value, d.epoch, d.step]),
    [
      ['deadRelu', 'conv_1', 0.75, 2, 90],
      ['vanishing', 'conv_2', 2e-4, 2, 90],
      ['exploding', 'conv_1', 5e3, 2, 90],
    ],
  );
  assert.match(found[0].message, /75% of its ReLU channels \(6 of 8\)/);
  // The absolute bound alone (every layer large, none large relative to the output layer).
  const large = analyzeEpoch({
    ...base,
    layers: [
      { layer: 'a', gradNorm: 2e3 },
      { layer: 'b', gradNorm: 3e3 },
    ],
  });
  assert.deepEqual(
    large.map((d) => [d.kind, d.layer]),
    [['exploding', 'b']],
  );
  // A single weighted layer has no ratio; thresholds can be changed.
  assert.deepEqual(analyzeEpoch({ ...base, layers: [{ layer: 'a', gradNorm: 1 }] }), []);
  assert.deepEqual(
    analyzeEpoch({ ...base, layers: [{ layer: 'a', deadFraction: 0.3 }] }, { deadReluFraction: 0.2 }).map(
      (d) => d.kind,
    ),
    ['deadRelu'],
  );
});

test('diagnose options are checked, naming the option and what was expected', async () => {
  assert.equal(checkDiagnoseOptions('fit', undefined), null);
  assert.equal(checkDiagnoseOptions('fit', false), null);
  assert.equal(checkDiagnoseOptions('fit', true)?.every, 20);
  assert.equal(checkDiagnoseOptions('fit', { every: 5 })?.every, 5);
  assert.throws(
    () => checkDiagnoseOptions('fit', { every: 0 }),
    /fit: diagnose\.every must be a positive integer/,
  );
  assert.throws(
    () => checkDiagnoseOptions('fit', { deadReluFraction: 2 }),
    /diagnose\.deadReluFraction must be a fraction in \[0, 1\)/,
  );
  assert.throws(
    () => checkDiagnoseOptions('fit', { vanishing: 1 }),
    /unknown diagnose option 'vanishing'\. Valid options: every/,
  );
  assert.throws(() => checkDiagnoseOptions('fit', 'yes'), ConfigError);
  const set = moons(32);
  const model = new Model(nn.sequential([nn.dense({ units: 2 })])).compile({
    optimizer: 'sgd',
    loss: 'crossEntropy',
  });
  await assert.rejects(
    model.fit(set, { diagnose: { explodingRatio: 0.5 } }),
    /fit: diagnose\.explodingRatio must be a finite ratio > 1/,
  );
  model.dispose();
  set.dispose();
});

/** Runs `fn` with stdout and stderr captured. */
async function captured(fn: () => Promise<void>): Promise<{ out: string; err: string }> {
  const write = { out: process.stdout.write, err: process.stderr.write };
  let out = '';
  let err = '';
  const into = (append: (s: string) => void) =>
    ((chunk: string | Uint8Array) => {
      append(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString());
      return true;
    }) as typeof process.stdout.write;
  process.stdout.write = into((s) => (out += s));
  process.stderr.write = into((s) => (err += s));
  try {
    await fn();
    return { out, err };
  } finally {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
  }
}

const trainFlags = (extra: Partial<TrainFlags>): TrainFlags => ({
  data: 'digits',
  activation: 'relu',
  optimizer: 'sgd',
  epochs: '2',
  seed: '1',
  testFraction: '0.2',
  diagnose: true,
  ...extra,
});

test('descent train --diagnose on digits: a health line, and the warnings in the JSON', async () => {
  const healthy = await captured(() => runTrain(trainFlags({})));
  assert.match(healthy.err, /diagnosing training health/);
  assert.match(healthy.err, /^training health: no warnings/m);
  const sick = await captured(() =>
    runTrain(trainFlags({ hidden: '64,64,64,64,64', activation: 'sigmoid' })),
  );
  assert.match(sick.err, /^ {2}⚠ dense_1: vanishing gradients/m);
  assert.match(sick.err, /^ {4}advice: use ReLU-family activations/m);
  assert.match(sick.err, /^training health: 1 warning \(vanishing in dense_1\), see above/m);
  const json = await captured(() =>
    runTrain(trainFlags({ json: true, hidden: '64,64,64,64,64', activation: 'sigmoid' })),
  );
  assert.equal(json.err, '');
  const result = JSON.parse(json.out) as { diagnostics: Diagnostic[] };
  assert.deepEqual(
    result.diagnostics.map((d) => [d.kind, d.layer, d.epoch]),
    [['vanishing', 'dense_1', 0]],
  );
  const plain = await captured(() => runTrain(trainFlags({ json: true, diagnose: undefined })));
  assert.equal('diagnostics' in JSON.parse(plain.out), false, 'no diagnostics field without --diagnose');
});

test('the descent command takes --diagnose', () => {
  const bin = fileURLToPath(new URL('../../../bin/descent.js', import.meta.url));
  const run = spawnSync(
    process.execPath,
    [bin, 'train', '--diagnose', '--epochs', '1', '--lr', '1e4', '--json'],
    {
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
  assert.equal(run.status, 1, run.stderr);
  assert.match(
    run.stderr,
    /Training diverged: .* The first layer whose output held NaN or ±∞ is dense_\d \(step \d+\)\./,
  );
});

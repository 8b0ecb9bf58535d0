// `descent train` as a shell user meets it: the result on stdout (so `descent train > log`
// keeps it), progress and notes on stderr; --schedule counts epochs and starts from the
// optimiser's default rate without --lr; a CSV with float targets trains a regression.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '../../src/autograd/index.js';
import { runTrain, type TrainFlags } from '../../src/cli/train.js';
import { runEvaluate } from '../../src/cli/evaluate.js';
import { runExport } from '../../src/cli/export.js';
import { listCheckpoints } from '../../src/io/checkpoint.js';
import { ConfigError } from '../../src/errors.js';
import { Rng } from '../../src/tensor/random.js';
import { captured } from '../helpers/stdout.js';

const flags = (extra: Partial<TrainFlags>): TrainFlags => ({
  data: 'digits',
  hidden: '16',
  activation: 'relu',
  optimizer: 'sgd',
  batchSize: '64',
  epochs: '3',
  seed: '3',
  testFraction: '0.2',
  json: true,
  ...extra,
});

interface Result {
  testAccuracy: number | null;
  testLoss: number;
  losses: number[];
}

async function train(extra: Partial<TrainFlags>): Promise<Result> {
  const { out } = await captured(() => runTrain(flags(extra)));
  return JSON.parse(out) as Result;
}

test('descent train > log: the result on stdout, the progress and notes on stderr', () => {
  const run = spawnSync(
    process.execPath,
    ['bin/descent.js', 'train', '--data', 'xor', '--hidden', '4', '--epochs', '3', '--backend', 'cpu'],
    { encoding: 'utf8', env: { ...process.env, CI: '1' } },
  );
  assert.equal(run.status, 0, run.stderr);
  assert.match(
    run.stdout,
    /^done in \d+\.\ds \([\d,]+ samples\/s\): test accuracy \d+\.\d\d%, test loss \d\.\d{4}\n$/,
  );
  assert.match(run.stderr, /descent: training .* on xor/);
  assert.doesNotMatch(run.stdout, /descent: training/);
});

test('--schedule step:10:0.5 counts epochs: a 3-epoch run keeps the full rate; per step it decays', async () => {
  const plain = await train({ lr: '0.1' });
  const byEpoch = await train({ lr: '0.1', schedule: 'step:10:0.5' });
  assert.deepEqual(byEpoch.losses, plain.losses);
  // Halving every epoch leaves the first epoch as it was and changes the next.
  const halving = await train({ lr: '0.1', schedule: 'step:1:0.5' });
  assert.equal(halving.losses[0], plain.losses[0]);
  assert.notEqual(halving.losses[1], plain.losses[1]);
  const bySteps = await train({ lr: '0.1', schedule: 'step:10:0.5', schedulePer: 'step' });
  assert.notEqual(bySteps.losses[0], plain.losses[0]);
  await assert.rejects(
    () => runTrain(flags({ lr: '0.1', schedule: 'step:10', schedulePer: 'batch' })),
    (e: unknown) =>
      e instanceof ConfigError && /--schedule-per must be 'epoch' or 'step'/.test((e as Error).message),
  );
});

test("--schedule without --lr starts from the optimiser's default rate", async () => {
  const scheduled = await train({ optimizer: 'adam', schedule: 'constant' });
  const explicit = await train({ optimizer: 'adam', lr: '0.001' });
  assert.deepEqual(scheduled.losses, explicit.losses);
});

test('a CSV with float targets trains a regression with --loss mse (and refuses cross-entropy)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'descent-regression-'));
  try {
    const r = new Rng(5);
    const lines = ['x1,x2,y'];
    for (let i = 0; i < 200; i++) {
      const a = r.uniformIn(-1, 1);
      const b = r.uniformIn(-1, 1);
      lines.push(`${a},${b},${(2 * a - b + 0.5).toFixed(6)}`);
    }
    const file = join(dir, 'plane.csv');
    writeFileSync(file, lines.join('\n') + '\n');
    const result = await train({
      data: file,
      loss: 'mse',
      optimizer: 'adam',
      lr: '0.01',
      epochs: '40',
      batchSize: '16',
    });
    assert.equal(result.testAccuracy, null);
    // The target's variance is about 5/3; a fitted plane leaves far less.
    assert.ok(result.testLoss < 0.02, `test mse ${result.testLoss}`);
    assert.ok(
      result.losses[0] > 5 * result.losses.at(-1)!,
      `losses ${result.losses[0]} → ${result.losses.at(-1)}`,
    );
    await assert.rejects(
      () => runTrain(flags({ data: file, loss: 'crossEntropy' })),
      (e: unknown) =>
        e instanceof ConfigError && /float targets \(regression\); use --loss mse/.test((e as Error).message),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a checkpoint is a model: evaluate and export take a ckpt-N folder or the checkpoint directory', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'descent-ckpt-model-'));
  try {
    const checkpoints = join(dir, 'ckpt');
    const trained = await train({ checkpointDir: checkpoints, save: join(dir, 'model'), epochs: '2' });
    const saved = await captured(() => runEvaluate(join(dir, 'model'), { json: true }));
    const newest = await captured(() => runEvaluate(checkpoints, { json: true }));
    assert.equal(newest.value.accuracy, trained.testAccuracy);
    assert.equal(newest.value.accuracy, saved.value.accuracy);
    assert.equal(newest.value.loss, saved.value.loss);
    // The first epoch's checkpoint, by its own folder.
    const first = listCheckpoints(checkpoints).at(-1)!.path;
    const early = await captured(() => runEvaluate(first, { json: true }));
    assert.equal(early.value.samples, saved.value.samples);
    const onnx = join(dir, 'model.onnx');
    await captured(() => runExport(checkpoints, { onnx }));
    assert.ok(existsSync(onnx));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// The CLI around saved models: `descent train --save/--checkpoint-dir/--resume`,
// `descent evaluate` (same test accuracy as training reported, with the saved
// standardizer) and `descent predict`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import '../../src/autograd/index.js'; // Tensor.prototype.backward (main.ts gets it from index.ts)
import { runTrain, type TrainFlags } from '../../src/cli/train.js';
import { runEvaluate } from '../../src/cli/evaluate.js';
import { runPredict } from '../../src/cli/predict.js';
import { ConfigError, ShapeError } from '../../src/errors.js';
import { readModelInfo } from '../../src/io/model-io.js';
import { captured } from '../helpers/stdout.js';

const flags = (extra: Partial<TrainFlags>): TrainFlags => ({
  data: 'digits',
  hidden: '16',
  activation: 'relu',
  optimizer: 'sgd',
  lr: '0.1',
  batchSize: '32',
  epochs: '4',
  seed: '3',
  testFraction: '0.2',
  json: true,
  ...extra,
});

interface TrainResult {
  testAccuracy: number;
  testLoss: number;
  losses: number[];
}

async function train(extra: Partial<TrainFlags>): Promise<TrainResult> {
  const { out } = await captured(() => runTrain(flags(extra)));
  return JSON.parse(out) as TrainResult;
}

test('train --save, then evaluate: the same test accuracy and loss, with the saved standardizer', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'descent-cli-'));
  try {
    const trained = await train({ save: join(dir, 'model') });
    const info = readModelInfo(join(dir, 'model'));
    const meta = info.metadata as { seed: number; data: { standardizer: { mean: number[] } } };
    assert.equal(meta.seed, 3);
    assert.equal(meta.data.standardizer.mean.length, 64);
    const { value } = await captured(() => runEvaluate(join(dir, 'model'), { json: true }));
    assert.equal(value.split, 'test');
    assert.equal(value.samples, 359);
    assert.equal(value.accuracy, trained.testAccuracy);
    assert.ok(Math.abs(value.loss - trained.testLoss) < 1e-12, `${value.loss} vs ${trained.testLoss}`);
    const all = await captured(() => runEvaluate(join(dir, 'model'), { split: 'all' }));
    assert.equal(all.value.samples, 1797);
    assert.match(all.out, /on digits \(all rows, 1797 samples\): accuracy \d+\.\d\d%, loss/);
    await assert.rejects(runEvaluate(join(dir, 'model'), { split: 'some' }), ConfigError);
    await assert.rejects(runEvaluate(join(dir, 'model'), { data: 'xor' }), ShapeError);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('predict: labels and probabilities for a CSV of features, matching evaluate', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'descent-cli-'));
  try {
    await train({ save: join(dir, 'model'), epochs: '8' });
    const rows = gunzipSync(readFileSync('assets/digits.csv.gz')).toString().trim().split('\n').slice(0, 50);
    writeFileSync(
      join(dir, 'in.csv'),
      rows.map((r) => r.split(',').slice(0, 64).join(',')).join('\n') + '\n',
    );
    const labels = rows.map((r) => Number(r.split(',')[64]));
    const { value, out } = await captured(() => runPredict(join(dir, 'model'), join(dir, 'in.csv')));
    assert.equal(value.rows, 50);
    const correct = value.labels!.filter((l, i) => l === labels[i]).length;
    assert.ok(correct >= 45, `${correct}/50 correct`);
    for (const p of value.probabilities!) assert.ok(Math.abs(p.reduce((a, b) => a + b, 0) - 1) < 1e-9);
    const lines = out.trim().split('\n');
    assert.equal(lines[0], 'label,p0,p1,p2,p3,p4,p5,p6,p7,p8,p9');
    assert.equal(lines.length, 51);
    await captured(() => runPredict(join(dir, 'model'), join(dir, 'in.csv'), { out: join(dir, 'out.csv') }));
    assert.equal(readFileSync(join(dir, 'out.csv'), 'utf8'), out);
    // With the label column left in: a clear error.
    writeFileSync(join(dir, 'labelled.csv'), rows.join('\n') + '\n');
    await assert.rejects(
      runPredict(join(dir, 'model'), join(dir, 'labelled.csv')),
      /has 65 columns; .* takes 64 features \(is the last column a label\? leave it out\)/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('train --checkpoint-dir --resume: continues to the same losses as one uninterrupted run; refuses other flags', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'descent-cli-'));
  try {
    const full = await train({ epochs: '6' });
    const ckpt = join(dir, 'ckpt');
    // --resume with an empty folder starts afresh.
    const first = await train({ epochs: '2', checkpointDir: ckpt, resume: true });
    assert.deepEqual(first.losses, full.losses.slice(0, 2));
    assert.equal(readdirSync(ckpt).length, 2);
    const resumed = await train({ epochs: '6', checkpointDir: ckpt, resume: true });
    assert.deepEqual(resumed.losses, full.losses);
    assert.equal(resumed.testAccuracy, full.testAccuracy);
    assert.deepEqual(readdirSync(ckpt).sort(), ['ckpt-180', 'ckpt-225', 'ckpt-270']);
    await assert.rejects(
      train({ epochs: '8', lr: '0.05', checkpointDir: ckpt, resume: true }),
      /was made with other settings \(lr: "0\.1" there, "0\.05" now\)/,
    );
    await assert.rejects(train({ resume: true }), /--resume needs --checkpoint-dir/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

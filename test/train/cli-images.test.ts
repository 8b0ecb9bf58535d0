// `descent train` on image data with the model zoo, augmentation, early stopping and
// --limit, and `descent compare`, on a tiny generated Fashion-MNIST-shaped folder (four
// IDX files whose class is the bright quadrant of the image).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '../../src/autograd/index.js';
import { runTrain, type TrainFlags } from '../../src/cli/train.js';
import { runCompare, compareTable, type CompareRun } from '../../src/cli/compare.js';
import { writeIdxFile } from '../../src/data/idx.js';
import { Rng } from '../../src/tensor/random.js';
import { ConfigError } from '../../src/errors.js';

/** n images of 28×28 whose label (0..3) is the quadrant that is bright, plus noise. */
function writeSet(dir: string, prefix: 'train' | 't10k', n: number, seed: number): void {
  const r = new Rng(seed);
  const images = new Uint8Array(n * 784);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const label = i % 4;
    labels[i] = label;
    for (let y = 0; y < 28; y++) {
      for (let x = 0; x < 28; x++) {
        const quadrant = (y >= 14 ? 2 : 0) + (x >= 14 ? 1 : 0);
        const base = quadrant === label ? 180 : 30;
        images[i * 784 + y * 28 + x] = Math.max(0, Math.min(255, Math.round(base + 40 * r.normal())));
      }
    }
  }
  writeIdxFile(join(dir, `${prefix}-images-idx3-ubyte.gz`), images, [n, 28, 28]);
  writeIdxFile(join(dir, `${prefix}-labels-idx1-ubyte`), labels, [n]);
}

function makeData(): string {
  const dir = mkdtempSync(join(tmpdir(), 'descent-fmnist-'));
  writeSet(dir, 'train', 160, 1);
  writeSet(dir, 't10k', 40, 2);
  return dir;
}

async function captured<T>(fn: () => Promise<T>): Promise<string> {
  const write = process.stdout.write;
  let out = '';
  process.stdout.write = ((chunk: string | Uint8Array) => {
    out += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    return true;
  }) as typeof process.stdout.write;
  try {
    await fn();
    return out;
  } finally {
    process.stdout.write = write;
  }
}

const flags = (dir: string, extra: Partial<TrainFlags>): TrainFlags => ({
  data: 'fashion-mnist',
  dataDir: dir,
  activation: 'relu',
  optimizer: 'adam',
  lr: '0.003',
  batchSize: '16',
  epochs: '3',
  seed: '1',
  testFraction: '0.2',
  json: true,
  ...extra,
});

test('descent train --data fashion-mnist --model lenet5|lenet1990|fashion-cnn|mlp: NCHW images, test accuracy', async () => {
  const dir = makeData();
  try {
    for (const model of ['lenet5', 'lenet1990', 'fashion-cnn', 'mlp']) {
      const out = JSON.parse(await captured(() => runTrain(flags(dir, { model, hidden: '32' }))));
      assert.equal(out.data, 'fashion-mnist');
      assert.equal(out.model, model === 'mlp' ? '784-32-10' : model);
      assert.equal(out.epochs, 3);
      assert.ok(out.testAccuracy > 0.5, `${model}: test accuracy ${out.testAccuracy} on an easy set`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('descent train: --augment, --early-stopping with a validation split, --limit', async () => {
  const dir = makeData();
  try {
    const out = JSON.parse(
      await captured(() =>
        runTrain(
          flags(dir, {
            model: 'lenet5',
            augment: 'rotate,shift,noise',
            earlyStopping: '0',
            epochs: '6',
            limit: '96',
          }),
        ),
      ),
    );
    assert.ok(out.epochs >= 1 && out.epochs <= 6);
    assert.equal(typeof out.validationAccuracy, 'number');
    if (out.epochs < 6) assert.match(out.stoppedEarly, /stopped/);
    // --limit 96 with a validation split of 0.1: 86 training samples per epoch.
    const same = JSON.parse(
      await captured(() =>
        runTrain(
          flags(dir, {
            model: 'lenet5',
            augment: 'rotate,shift,noise',
            earlyStopping: '0',
            epochs: '6',
            limit: '96',
          }),
        ),
      ),
    );
    assert.deepEqual(same.losses, out.losses, 'the same seed gives the same augmented run');
    const plain = JSON.parse(
      await captured(() =>
        runTrain(flags(dir, { model: 'lenet5', epochs: '1', limit: '48', validationSplit: '0.25' })),
      ),
    );
    assert.equal(plain.epochs, 1);
    assert.equal(typeof plain.validationAccuracy, 'number');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('descent train: zoo and image flags are checked before any work', async () => {
  const digits = (extra: Partial<TrainFlags>): TrainFlags => ({
    ...flags('', {}),
    data: 'digits',
    dataDir: undefined,
    ...extra,
  });
  await assert.rejects(
    runTrain(digits({ model: 'lenet5' })),
    (e: unknown) => e instanceof ConfigError && /image data/.test(e.message),
  );
  await assert.rejects(
    runTrain(digits({ augment: 'rotate' })),
    (e: unknown) => e instanceof ConfigError && /--augment/.test(e.message),
  );
  await assert.rejects(
    runTrain(digits({ dataDir: '/tmp' })),
    (e: unknown) => e instanceof ConfigError && /--data-dir/.test(e.message),
  );
  await assert.rejects(
    runTrain(digits({ model: 'resnet' })),
    (e: unknown) => e instanceof ConfigError && /fashion-cnn/.test(e.message),
  );
  await assert.rejects(runTrain(digits({ augment: 'spin' })), ConfigError);
  await assert.rejects(runTrain(digits({ earlyStopping: '-1' })), ConfigError);
  await assert.rejects(runTrain(digits({ validationSplit: '1.5' })), ConfigError);
  await assert.rejects(runTrain(digits({ limit: '0' })), ConfigError);
  // --limit and --early-stopping work on tables too.
  const out = JSON.parse(
    await captured(() => runTrain(digits({ limit: '200', earlyStopping: '2', hidden: '16', epochs: '2' }))),
  );
  assert.equal(out.model, '64-16-10');
});

test('descent compare: four runs from one seed, a table of test accuracy and epochs to a target', async () => {
  const dir = makeData();
  try {
    const out = JSON.parse(
      await captured(() =>
        runCompare({
          data: 'fashion-mnist',
          dataDir: dir,
          model: 'fashion-cnn',
          epochs: '2',
          limit: '64',
          optimizer: 'adam',
          lr: '0.003',
          batchSize: '16',
          augment: 'shift',
          target: '0.5',
          seed: '1',
          json: true,
        }),
      ),
    );
    assert.deepEqual(
      out.runs.map((r: CompareRun) => r.name),
      ['reference', 'without dropout', 'without batch norm', 'with augmentation'],
    );
    assert.equal(out.trainSamples, 64);
    for (const r of out.runs as CompareRun[]) {
      assert.equal(r.perEpoch.length, 2);
      assert.equal(r.testAccuracy, r.perEpoch[1]);
      assert.ok(r.epochsToTarget === null || (r.epochsToTarget >= 1 && r.epochsToTarget <= 2));
    }
    const table = compareTable(out.runs, 0.5);
    assert.match(table, /\| run\s+\| batch norm \| dropout \| augmentation/);
    assert.match(table, /^dropout: [+−]\d+\.\d\d points/m);
    const lenet = JSON.parse(
      await captured(() =>
        runCompare({
          data: 'fashion-mnist',
          dataDir: dir,
          model: 'lenet5',
          epochs: '1',
          limit: '32',
          optimizer: 'sgd',
          batchSize: '16',
          augment: 'rotate',
          seed: '1',
          json: true,
        }),
      ),
    );
    assert.deepEqual(
      lenet.runs.map((r: CompareRun) => [r.name, r.batchNorm, r.dropout]),
      [
        ['reference', null, null],
        ['with augmentation', null, null],
      ],
    );
    await assert.rejects(
      runCompare({
        data: 'digits',
        model: 'fashion-cnn',
        epochs: '1',
        optimizer: 'adam',
        batchSize: '8',
        augment: 'shift',
        seed: '1',
      }),
      ConfigError,
    );
    await assert.rejects(
      runCompare({
        data: 'fashion-mnist',
        dataDir: dir,
        model: 'fashion-cnn',
        epochs: '1',
        optimizer: 'adam',
        batchSize: '8',
        augment: 'none',
        seed: '1',
      }),
      (e: unknown) => e instanceof ConfigError && /switches nothing/.test(e.message),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

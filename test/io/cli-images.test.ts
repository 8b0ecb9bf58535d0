// `descent evaluate` and `descent predict` for image models saved by
// `descent train --data fashion-mnist --model lenet5 --save DIR`: on a small synthetic set
// in the IDX format (28×28 images whose class is where a bright block lies), evaluate gives
// the test accuracy and loss that training reported, with the per-channel statistics saved
// in model.json; predict reads IDX files and CSVs of pixel rows and agrees with evaluate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '../../src/autograd/index.js'; // Tensor.prototype.backward (main.ts gets it from index.ts)
import { runTrain, type TrainFlags } from '../../src/cli/train.js';
import { runEvaluate } from '../../src/cli/evaluate.js';
import { runPredict } from '../../src/cli/predict.js';
import { encodeIdx } from '../../src/data/idx.js';
import { idxFileNames, loadImageSet } from '../../src/data/mnist.js';
import { ConfigError, DataError, ShapeError } from '../../src/errors.js';
import { loadModelWithInfo, readModelInfo } from '../../src/io/model-io.js';
import { Model } from '../../src/train/model.js';
import { captured } from '../helpers/stdout.js';

const SIDE = 28;
const TRAIN = 160;
const TEST = 40;

/** Image n: noise 0–40, and a bright 5×8 block whose position is the class. */
function images(count: number, offset: number): { pixels: Uint8Array; labels: Uint8Array } {
  const pixels = new Uint8Array(count * SIDE * SIDE);
  const labels = new Uint8Array(count);
  let s = 7 + offset;
  const next = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
  for (let n = 0; n < count; n++) {
    const c = (n * 7 + offset) % 10;
    labels[n] = c;
    const top = 2 + (c % 5) * 5;
    const left = 3 + Math.floor(c / 5) * 13;
    for (let i = 0; i < SIDE * SIDE; i++) {
      const [y, x] = [Math.floor(i / SIDE), i % SIDE];
      const inBlock = y >= top && y < top + 5 && x >= left && x < left + 8;
      pixels[n * SIDE * SIDE + i] = Math.floor(inBlock ? 180 + 75 * next() : 40 * next());
    }
  }
  return { pixels, labels };
}

/** A folder with the four IDX files (train images gzipped, as downloads are). */
function makeIdxDir(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const train = images(TRAIN, 0);
  const test = images(TEST, 3);
  writeFileSync(
    join(dir, idxFileNames.trainImages + '.gz'),
    encodeIdx(train.pixels, [TRAIN, SIDE, SIDE], { gzip: true }),
  );
  writeFileSync(join(dir, idxFileNames.trainLabels), encodeIdx(train.labels, [TRAIN]));
  writeFileSync(join(dir, idxFileNames.testImages), encodeIdx(test.pixels, [TEST, SIDE, SIDE]));
  writeFileSync(join(dir, idxFileNames.testLabels), encodeIdx(test.labels, [TEST]));
  return dir;
}

const flags = (extra: Partial<TrainFlags>): TrainFlags => ({
  data: 'fashion-mnist',
  model: 'lenet5',
  activation: 'relu',
  optimizer: 'adam',
  lr: '0.005',
  batchSize: '16',
  epochs: '4',
  seed: '2',
  testFraction: '0.2',
  json: true,
  ...extra,
});

test(
  'evaluate and predict a lenet5 saved by descent train --data fashion-mnist: the same test accuracy, the saved standardisation',
  { timeout: 300_000 },
  async () => {
    const root = mkdtempSync(join(tmpdir(), 'descent-cli-images-'));
    try {
      const dataDir = makeIdxDir(join(root, 'fashion'));
      const modelDir = join(root, 'model');
      const { out } = await captured(() => runTrain(flags({ dataDir, save: modelDir })));
      const trained = JSON.parse(out) as { testAccuracy: number; testLoss: number };
      assert.ok(
        trained.testAccuracy > 0.3,
        `the synthetic classes are learnable: test accuracy ${trained.testAccuracy}`,
      );

      const info = readModelInfo(modelDir);
      const saved = info.metadata.data as {
        name: string;
        dir: string;
        channelStandardizer: { mean: number[]; std: number[] };
      };
      assert.equal(saved.name, 'fashion-mnist');
      assert.equal(saved.channelStandardizer.mean.length, 1);
      assert.deepEqual(info.inputShape, [1, 1, SIDE, SIDE]);

      // From --data-dir (the folder model.json records is only a hint: evaluate does not open it unasked).
      for (const extra of [{ dataDir }]) {
        const { value, out: text } = await captured(() => runEvaluate(modelDir, { json: true, ...extra }));
        assert.equal(value.split, 'test');
        assert.equal(value.samples, TEST);
        assert.equal(value.accuracy, trained.testAccuracy);
        assert.ok(Math.abs(value.loss - trained.testLoss) < 1e-12, `${value.loss} vs ${trained.testLoss}`);
        assert.deepEqual(JSON.parse(text), value);
      }
      // The same files as MNIST, from another folder; every image with --split all.
      const mnistDir = makeIdxDir(join(root, 'mnist'));
      const asMnist = await captured(() => runEvaluate(modelDir, { data: 'mnist', dataDir: mnistDir }));
      assert.equal(asMnist.value.accuracy, trained.testAccuracy);
      assert.match(asMnist.out, /on mnist \(test images, 40 samples\): accuracy \d+\.\d\d%, loss \d/);
      const all = await captured(() => runEvaluate(modelDir, { split: 'all', json: true, dataDir }));
      assert.equal(all.value.samples, TRAIN + TEST);

      await assert.rejects(
        runEvaluate(modelDir, { data: 'digits' }),
        (e: unknown) =>
          e instanceof ConfigError &&
          /trained on images \(fashion-mnist\), digits is not; evaluate it on fashion-mnist or mnist/.test(
            e.message,
          ),
      );
      await assert.rejects(
        runEvaluate(modelDir, { dataDir: join(root, 'nothing') }),
        (e: unknown) =>
          e instanceof DataError && /cannot find the data set in the given folder/.test(e.message),
      );

      // predict: the test images' IDX file; its labels give evaluate's accuracy.
      const testImages = join(dataDir, idxFileNames.testImages);
      const { value: predicted, out: csv } = await captured(() => runPredict(modelDir, testImages));
      assert.equal(predicted.rows, TEST);
      const truth = images(TEST, 3).labels;
      const correct = predicted.labels!.filter((l, i) => l === truth[i]).length;
      assert.equal(correct / TEST, trained.testAccuracy);
      assert.equal(csv.trim().split('\n')[0], 'label,p0,p1,p2,p3,p4,p5,p6,p7,p8,p9');

      // The same probabilities as the model gives the test set prepared by training's own loader.
      const sets = loadImageSet('fashion-mnist', { dir: dataDir, standardize: true });
      const { layer } = loadModelWithInfo(modelDir);
      const model = new Model(layer);
      const logits = model.predict(sets.test.x);
      const rows = Array.from({ length: TEST }, (_, r) =>
        Array.from(logits.dataSync().subarray(r * 10, r * 10 + 10)),
      );
      rows.forEach((row, r) => {
        const max = Math.max(...row);
        const e = row.map((v) => Math.exp(v - max));
        const sum = e.reduce((a, b) => a + b, 0);
        e.forEach((v, k) =>
          assert.ok(Math.abs(v / sum - predicted.probabilities![r][k]) < 1e-12, `image ${r}, class ${k}`),
        );
      });
      logits.dispose();
      model.dispose();
      sets.train.dispose();
      sets.test.dispose();

      // A CSV of pixel rows (0–255): the same predictions as the IDX file.
      const pixels = images(TEST, 3).pixels;
      const csvPath = join(root, 'five.csv');
      writeFileSync(
        csvPath,
        Array.from({ length: 5 }, (_, n) =>
          Array.from(pixels.subarray(n * SIDE * SIDE, (n + 1) * SIDE * SIDE)).join(','),
        ).join('\n') + '\n',
      );
      const fromCsv = await captured(() => runPredict(modelDir, csvPath, { json: true }));
      assert.deepEqual(fromCsv.value.probabilities, predicted.probabilities!.slice(0, 5));

      // Clear errors: pixel values out of range, images of another size.
      writeFileSync(
        csvPath,
        Array.from({ length: SIDE * SIDE }, (_, i) => (i === 30 ? 300 : 0)).join(',') + '\n',
      );
      await assert.rejects(
        runPredict(modelDir, csvPath),
        (e: unknown) =>
          e instanceof DataError && /row 1, column 31 is 300; expected a pixel value 0–255/.test(e.message),
      );
      const small = join(root, 'small-idx3-ubyte');
      writeFileSync(small, encodeIdx(new Uint8Array(2 * 6 * 4), [2, 6, 4]));
      await assert.rejects(
        runPredict(modelDir, small),
        (e: unknown) =>
          e instanceof ShapeError && /images of 6×4 pixels; the model .* takes 28×28/.test(e.message),
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  },
);

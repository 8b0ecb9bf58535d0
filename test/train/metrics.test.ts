// Metrics against values worked out by hand (and sklearn's documented examples), alone and
// accumulated over batches by Model.evaluate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/autograd/index.js';
import * as nn from '../../src/nn/index.js';
import { Dataset } from '../../src/data/dataset.js';
import {
  Model,
  classificationReport,
  confusionMatrix,
  getMetric,
  metrics,
  type Metric,
} from '../../src/train/index.js';
import { fromArray } from '../../src/tensor/creation.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { ConfigError, ShapeError } from '../../src/errors.js';

const close = (a: number, b: number, tol = 1e-6) =>
  assert.ok(Math.abs(a - b) <= tol, `expected ${b}, got ${a}`);

// 7 samples, 3 classes: true 0 0 1 1 2 2 2, predicted 0 1 1 1 2 0 2.
// Confusion (rows true): [1 1 0; 0 2 0; 1 0 2].
// precision = 1/2, 2/3, 1;  recall = 1/2, 1, 2/3;  F1 = 1/2, 4/5, 4/5.
const labels = [0, 0, 1, 1, 2, 2, 2];
const predicted = [0, 1, 1, 1, 2, 0, 2];
const logits = predicted.flatMap((p) => [0, 1, 2].map((c) => (c === p ? 2 : -1 + 0.1 * c)));

function value(metric: Metric, prediction: Tensor, target: Tensor): number {
  const s = metric.batchSum(prediction, target);
  const v = s.dataSync();
  return metric.result ? metric.result(v, prediction.shape[0]) : v[0] / prediction.shape[0];
}

test('confusion matrix and classification report: per class and macro, as computed by hand', async () => {
  const out = fromArray(logits, [7, 3]);
  const y = fromArray(Int32Array.from(labels), [7], { dtype: 'int32' });
  const matrix = await confusionMatrix(out, y);
  assert.deepEqual(matrix, [
    [1, 1, 0],
    [0, 2, 0],
    [1, 0, 2],
  ]);
  // The same from predicted labels.
  assert.deepEqual(
    await confusionMatrix(fromArray(Int32Array.from(predicted), [7], { dtype: 'int32' }), y),
    matrix,
  );
  const r = classificationReport(matrix);
  [0.5, 2 / 3, 1].forEach((v, c) => close(r.precision[c], v));
  [0.5, 1, 2 / 3].forEach((v, c) => close(r.recall[c], v));
  [0.5, 0.8, 0.8].forEach((v, c) => close(r.f1[c], v));
  assert.deepEqual(r.support, [2, 2, 3]);
  close(r.macro.precision, (0.5 + 2 / 3 + 1) / 3);
  close(r.macro.recall, (0.5 + 1 + 2 / 3) / 3);
  close(r.macro.f1, 0.7);
  close(r.accuracy, 5 / 7);
  // A class never predicted: precision 0 (sklearn's zero_division=0), not NaN.
  assert.deepEqual(
    classificationReport([
      [1, 0],
      [1, 0],
    ]).precision,
    [0.5, 0],
  );
  assert.throws(() => classificationReport([[1, 2]]), ShapeError);
});

test('precision, recall, f1 metrics: macro over classes; one-hot targets alike', () => {
  const out = fromArray(logits, [7, 3]);
  const y = fromArray(Int32Array.from(labels), [7], { dtype: 'int32' });
  const hot = fromArray(
    labels.flatMap((l) => [0, 1, 2].map((c) => (c === l ? 1 : 0))),
    [7, 3],
  );
  close(value(metrics.precision(), out, y), (0.5 + 2 / 3 + 1) / 3);
  close(value(metrics.recall(), out, hot), (0.5 + 1 + 2 / 3) / 3);
  close(value(getMetric('f1'), out, y), 0.7);
  close(value(getMetric('accuracy'), out, y), 5 / 7);
});

test('binary precision/recall/f1 are those of the positive class (one output, threshold)', () => {
  // p > 0.5 → 1: predicted 1 1 0 0 1, true 1 0 0 1 1 → TP 2, FP 1, FN 1.
  const p = fromArray([0.9, 0.6, 0.2, 0.4, 0.7], [5, 1]);
  const y = fromArray([1, 0, 0, 1, 1], [5]);
  close(value(metrics.precision(), p, y), 2 / 3);
  close(value(metrics.recall(), p, y), 2 / 3);
  close(value(metrics.f1(), p, y), 2 / 3);
  // Logits with threshold 0: the same decisions.
  const z = fromArray([2.2, 0.4, -1.4, -0.4, 0.8], [5, 1]);
  close(value(metrics.precision({ threshold: 0 }), z, y), 2 / 3);
});

test('top-k accuracy: the label among the k largest outputs', () => {
  const out = fromArray([0.1, 0.5, 0.3, 0.1, 0.6, 0.1, 0.2, 0.1, 0.1, 0.2, 0.3, 0.4], [3, 4]);
  // label ranks: row 0 label 2 → 2nd; row 1 label 3 → 3rd; row 2 label 0 → 4th.
  const y = fromArray(Int32Array.from([2, 3, 0]), [3], { dtype: 'int32' });
  close(value(metrics.topKAccuracy({ k: 1 }), out, y), 0);
  close(value(metrics.topKAccuracy({ k: 2 }), out, y), 1 / 3);
  close(value(metrics.topKAccuracy({ k: 3 }), out, y), 2 / 3);
  close(value(metrics.topKAccuracy({ k: 4 }), out, y), 1);
  assert.equal(metrics.topKAccuracy({ k: 3 }).name, 'top3Accuracy');
  assert.throws(() => metrics.topKAccuracy({ k: 0 }), ConfigError);
});

test("mae, mse, r2: sklearn's documented examples", () => {
  const y = fromArray([3, -0.5, 2, 7], [4]);
  const yhat = fromArray([2.5, 0, 2, 8], [4, 1]);
  close(value(metrics.mae(), yhat, y), 0.5);
  close(value(metrics.mse(), yhat, y), 0.375);
  close(value(metrics.r2(), yhat, y), 0.9486081370449679);
  // Two outputs, R² averaged over them (sklearn's 'uniform_average').
  const y2 = fromArray([0.5, 1, -1, 1, 7, -6], [3, 2]);
  const p2 = fromArray([0, 2, -1, 2, 8, -5], [3, 2]);
  close(value(metrics.r2(), p2, y2), 0.9368005266622779);
  close(value(metrics.mae(), p2, y2), 0.75);
  assert.throws(() => value(metrics.mse(), fromArray([1, 2], [2, 1]), fromArray([1, 2, 3], [3])), ShapeError);
});

test('evaluate accumulates every metric exactly over batches of any size', async () => {
  const x = fromArray(logits, [7, 3]);
  const y = fromArray(Int32Array.from(labels), [7], { dtype: 'int32' });
  const set = new Dataset(x, y, 3);
  const model = new Model(nn.activation('linear'));
  model.compile({
    optimizer: 'sgd',
    loss: 'crossEntropy',
    metrics: ['accuracy', 'precision', 'recall', 'f1', 'topKAccuracy'],
  });
  const whole = await model.evaluate(set, { batchSize: 7 });
  const cut = await model.evaluate(set, { batchSize: 3 });
  close(whole.f1, 0.7);
  close(whole.precision, (0.5 + 2 / 3 + 1) / 3);
  close(whole.top5Accuracy, 1);
  for (const k of Object.keys(whole)) close(cut[k], whole[k], 1e-6);

  const reg = new Dataset(fromArray([2.5, 0, 2, 8], [4, 1]), fromArray([3, -0.5, 2, 7], [4, 1]));
  const regression = new Model(nn.activation('linear'));
  regression.compile({ optimizer: 'sgd', loss: 'mse', metrics: ['mae', 'mse', 'r2'] });
  const logs = await regression.evaluate(reg, { batchSize: 3 });
  close(logs.mae, 0.5);
  close(logs.mse, 0.375);
  close(logs.loss, 0.375);
  close(logs.r2, 0.9486081370449679);
  assert.throws(() => getMetric('f2' as never), /Unknown metric 'f2'.*f1/s);
});

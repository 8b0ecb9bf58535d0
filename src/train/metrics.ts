/**
 * Metrics for `compile({ metrics })`, computed per batch as sums on the backend (so the epoch's
 * value is exact however the last batch is cut) and turned into a number at the epoch's end.
 *
 *   accuracy        fraction of samples whose predicted class is the label
 *   topKAccuracy    fraction whose label is among the k highest outputs (ties do not push it out)
 *   precision_c     TP_c / (TP_c + FP_c)        recall_c = TP_c / (TP_c + FN_c)
 *   f1_c            2 P_c R_c / (P_c + R_c)     macro: the unweighted mean over classes
 *   mae             1/N Σᵢ mean_j |ŷᵢⱼ − yᵢⱼ|   mse = 1/N Σᵢ mean_j (ŷᵢⱼ − yᵢⱼ)²
 *   r2              1 − Σ(y − ŷ)² / Σ(y − ȳ)²   per output column, then averaged (sklearn's
 *                                              'uniform_average')
 *
 * The predicted class is the argmax of [N, C] outputs (C > 1) or, for one output ([N] or
 * [N, 1]), output > threshold (0.5 for probabilities, 0 for logits). Labels are integers [N]
 * or one-hot rows [N, C]. For one output, precision/recall/F1 are those of the positive class
 * (sklearn's average='binary', Keras's Precision); for C classes, the macro average. A class
 * never predicted has precision 0 (sklearn's zero_division=0), one never present recall 0.
 *
 * A metric's `batchSum` may return any shape (a confusion matrix, a few running sums): the
 * sums of all batches are added, and `result(sum, samples)` makes the number (default
 * sum[0] / samples). `confusionMatrix` and `classificationReport` give per-class values.
 */
import { ConfigError, ShapeError, unknownName } from '../errors.js';
import { abs, cast, equal, greater, mul, square, sub } from '../ops/arithmetic.js';
import { matmul } from '../ops/matmul.js';
import { argmax, mean, sum } from '../ops/reduce.js';
import { concat, oneHot, reshape, transpose } from '../ops/shape.js';
import { fromArray } from '../tensor/creation.js';
import { formatShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';

export interface Metric {
  name: string;
  /** The metric's sums over the batch's samples (a one-element tensor unless `result` is given). */
  batchSum(prediction: Tensor, target: Tensor): Tensor;
  /** The metric from the sums of every batch and the sample count (default sum[0] / samples). */
  result?(sum: ArrayLike<number>, samples: number): number;
}

/** The value of a metric from its summed batches. */
export function metricValue(metric: Metric, total: ArrayLike<number>, samples: number): number {
  return metric.result ? metric.result(total, samples) : total[0] / samples;
}

export interface ClassMetricOptions {
  /** Above it a single output counts as the positive class (default 0.5; 0 for logits). */
  threshold?: number;
}

/** Predicted class per sample, int32 [N]. */
function predictedClasses(prediction: Tensor, threshold: number): Tensor {
  const n = prediction.shape[0];
  if (prediction.rank === 2 && prediction.shape[1] > 1) return argmax(prediction, 1);
  return cast(greater(reshape(prediction, [n]), threshold), 'int32');
}

/** True class per sample, int32 [N]. */
function trueClasses(target: Tensor, n: number): Tensor {
  if (target.rank === 2 && target.shape[1] > 1) return argmax(target, 1);
  return cast(reshape(target, [n]), 'int32');
}

function classCount(prediction: Tensor): number {
  return prediction.rank === 2 && prediction.shape[1] > 1 ? prediction.shape[1] : 2;
}

export function accuracy(options: ClassMetricOptions = {}): Metric {
  const threshold = options.threshold ?? 0.5;
  return {
    name: 'accuracy',
    batchSum(prediction, target) {
      const n = prediction.shape[0];
      const hits = equal(predictedClasses(prediction, threshold), trueClasses(target, n));
      return sum(cast(hits, 'float32'));
    },
  };
}

/** The label's output is among the k largest: fewer than k outputs are strictly greater. */
export function topKAccuracy(options: { k?: number } = {}): Metric {
  const k = options.k ?? 5;
  if (!(Number.isInteger(k) && k >= 1))
    throw new ConfigError(`topKAccuracy: k must be a positive integer, got ${String(k)}.`);
  return {
    name: `top${k}Accuracy`,
    batchSum(prediction, target) {
      if (prediction.rank !== 2)
        throw new ShapeError(
          `metric 'top${k}Accuracy': expected outputs shaped [batch, classes], got ${formatShape(prediction.shape)}.`,
        );
      const [n, classes] = prediction.shape;
      const hot = oneHot(
        trueClasses(target, n),
        classes,
        prediction.dtype === 'float64' ? 'float64' : 'float32',
      );
      const labelOutput = sum(mul(prediction, hot), 1, true);
      const above = sum(cast(greater(prediction, labelOutput), 'float32'), 1);
      return sum(cast(greater(k, above), 'float32'));
    },
  };
}

/** counts[t][p]: samples of true class t predicted as p (rows true, columns predicted, as sklearn). */
function confusionSum(prediction: Tensor, target: Tensor, threshold: number): Tensor {
  const n = prediction.shape[0];
  const c = classCount(prediction);
  const t = oneHot(trueClasses(target, n), c);
  const p = oneHot(predictedClasses(prediction, threshold), c);
  return matmul(transpose(t), p);
}

export interface ClassScores {
  /** Per class c = 0 … C − 1. */
  precision: number[];
  recall: number[];
  f1: number[];
  /** Samples of each true class. */
  support: number[];
  /** Unweighted means over the classes. */
  macro: { precision: number; recall: number; f1: number };
  accuracy: number;
}

const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);

/** Precision, recall and F1 per class and macro-averaged, from a confusion matrix (rows true). */
export function classificationReport(matrix: readonly (readonly number[])[]): ClassScores {
  const c = matrix.length;
  if (c === 0 || matrix.some((row) => row.length !== c))
    throw new ShapeError(`classificationReport: expected a square confusion matrix, got ${c} rows.`);
  const col = (j: number) => matrix.reduce((s, row) => s + row[j], 0);
  const precision: number[] = [];
  const recall: number[] = [];
  const f1: number[] = [];
  const support: number[] = [];
  let correct = 0;
  let total = 0;
  for (let k = 0; k < c; k++) {
    const tp = matrix[k][k];
    const rowSum = matrix[k].reduce((s, v) => s + v, 0);
    precision.push(ratio(tp, col(k)));
    recall.push(ratio(tp, rowSum));
    f1.push(ratio(2 * tp, rowSum + col(k)));
    support.push(rowSum);
    correct += tp;
    total += rowSum;
  }
  const avg = (v: number[]) => v.reduce((s, x) => s + x, 0) / c;
  return {
    precision,
    recall,
    f1,
    support,
    macro: { precision: avg(precision), recall: avg(recall), f1: avg(f1) },
    accuracy: ratio(correct, total),
  };
}

/**
 * The confusion matrix of a model's outputs (or of predicted labels, int32 [N]) against the
 * targets, as rows of counts: matrix[true][predicted].
 */
export async function confusionMatrix(
  prediction: Tensor,
  labels: Tensor | readonly number[],
  options: ClassMetricOptions & { numClasses?: number } = {},
): Promise<number[][]> {
  const made = Array.isArray(labels)
    ? fromArray(Int32Array.from(labels), [labels.length], { dtype: 'int32' })
    : null;
  try {
    return await confusionOf(prediction, made ?? (labels as Tensor), options);
  } finally {
    made?.dispose();
  }
}

async function confusionOf(
  prediction: Tensor,
  target: Tensor,
  options: ClassMetricOptions & { numClasses?: number },
): Promise<number[][]> {
  const n = prediction.shape[0];
  if (target.shape[0] !== n)
    throw new ShapeError(`confusionMatrix: ${n} predictions but ${target.shape[0]} targets.`);
  if (prediction.dtype === 'int32' && prediction.rank === 1) {
    const classes = trueClasses(target, n);
    const labels = await classes.data();
    if (classes !== target) classes.dispose();
    const predicted = await prediction.data();
    const c = options.numClasses ?? Math.max(...Array.from(labels), ...Array.from(predicted)) + 1;
    const m = Array.from({ length: c }, () => new Array<number>(c).fill(0));
    for (let i = 0; i < n; i++) m[labels[i]][predicted[i]]++;
    return m;
  }
  const counts = confusionSum(prediction, target, options.threshold ?? 0.5);
  const c = counts.shape[0];
  const values = await counts.data();
  counts.dispose();
  return Array.from({ length: c }, (_, i) => Array.from(values.subarray(i * c, (i + 1) * c)));
}

function classScore(kind: 'precision' | 'recall' | 'f1', options: ClassMetricOptions): Metric {
  const threshold = options.threshold ?? 0.5;
  let singleOutput = false;
  return {
    name: kind,
    batchSum(prediction, target) {
      singleOutput = classCount(prediction) === 2 && !(prediction.rank === 2 && prediction.shape[1] === 2);
      return confusionSum(prediction, target, threshold);
    },
    result(total) {
      const c = Math.round(Math.sqrt(total.length));
      const matrix = Array.from({ length: c }, (_, i) =>
        Array.from({ length: c }, (_, j) => total[i * c + j]),
      );
      const report = classificationReport(matrix);
      // One output: the positive class's score; C outputs: the macro average.
      return singleOutput ? report[kind][1] : report.macro[kind];
    },
  };
}

export const precision = (options: ClassMetricOptions = {}): Metric => classScore('precision', options);
export const recall = (options: ClassMetricOptions = {}): Metric => classScore('recall', options);
export const f1 = (options: ClassMetricOptions = {}): Metric => classScore('f1', options);

/** Prediction and target as the same float shape ([N] targets against [N, 1] outputs). */
function alike(name: string, prediction: Tensor, target: Tensor): Tensor {
  let y = target.dtype === prediction.dtype ? target : cast(target, prediction.dtype);
  if (y.size === prediction.size && y.rank !== prediction.rank) y = reshape(y, prediction.shape);
  if (y.shape.join() !== prediction.shape.join())
    throw new ShapeError(
      `metric '${name}': prediction ${formatShape(prediction.shape)} and target ${formatShape(target.shape)} must have the same shape.`,
    );
  return y;
}

/** Per sample, the mean over its outputs of `f(ŷ − y)`, summed over the batch. */
function perSample(name: string, f: (d: Tensor) => Tensor): Metric {
  return {
    name,
    batchSum(prediction, target) {
      const d = f(sub(prediction, alike(name, prediction, target)));
      const n = prediction.shape[0];
      return sum(mean(reshape(d, [n, d.size / n]), 1));
    },
  };
}

export const mae = (): Metric => perSample('mae', abs);
export const mse = (): Metric => perSample('mse', square);

/** R² per output column, averaged; sums kept: [Σy, Σy², Σ(y − ŷ)²] per column. */
export function r2(): Metric {
  return {
    name: 'r2',
    batchSum(prediction, target) {
      const n = prediction.shape[0];
      const yhat = reshape(prediction, [n, prediction.size / n]);
      const y = reshape(alike('r2', prediction, target), yhat.shape);
      return concat([sum(y, 0, true), sum(square(y), 0, true), sum(square(sub(y, yhat)), 0, true)], 0);
    },
    result(total, samples) {
      const d = total.length / 3;
      let score = 0;
      for (let j = 0; j < d; j++) {
        const sy = total[j];
        const ssTotal = total[d + j] - (sy * sy) / samples;
        const ssResidual = total[2 * d + j];
        // A constant target: 1 when predicted exactly, else 0 (sklearn's convention).
        score += ssTotal > 0 ? 1 - ssResidual / ssTotal : ssResidual === 0 ? 1 : 0;
      }
      return score / d;
    },
  };
}

const makers = {
  accuracy,
  topKAccuracy: () => topKAccuracy(),
  precision,
  recall,
  f1,
  mae,
  mse,
  r2,
} as const satisfies Record<string, (options: ClassMetricOptions) => Metric>;

/** Metric names for `compile({ metrics: [...] })` (a typo is a compile error). */
export type MetricName =
  keyof typeof makers | 'acc' | 'top5Accuracy' | 'meanAbsoluteError' | 'meanSquaredError';
export const metricNames = Object.keys(makers) as readonly (keyof typeof makers)[];

const aliases: Record<string, keyof typeof makers> = {
  acc: 'accuracy',
  top5Accuracy: 'topKAccuracy',
  meanAbsoluteError: 'mae',
  meanSquaredError: 'mse',
};

export function getMetric(name: MetricName | Metric, options: ClassMetricOptions = {}): Metric {
  if (typeof name !== 'string') return name;
  const key = Object.hasOwn(aliases, name) ? aliases[name] : name;
  if (!Object.hasOwn(makers, key)) return unknownName('metric', name, metricNames);
  return makers[key as keyof typeof makers](options);
}

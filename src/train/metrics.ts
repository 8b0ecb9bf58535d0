/**
 * Metrics computed per batch as sums (so that epoch values are exact averages over
 * samples, however the last batch is cut).
 *
 *   accuracy: fraction of samples whose predicted class equals the label. For [N, C]
 *   outputs the prediction is argmax; for [N] or [N, 1] outputs (binary) it is
 *   output > threshold (0.5 for probabilities, 0 for logits).
 */
import { unknownName } from '../errors.js';
import { cast } from '../ops/arithmetic.js';
import { equal, greater } from '../ops/arithmetic.js';
import { argmax, sum } from '../ops/reduce.js';
import { reshape } from '../ops/shape.js';
import type { Tensor } from '../tensor/tensor.js';

export interface Metric {
  name: string;
  /** The metric summed over the batch's samples (a one-element tensor). */
  batchSum(prediction: Tensor, target: Tensor): Tensor;
}

export function accuracy(options: { threshold?: number } = {}): Metric {
  const threshold = options.threshold ?? 0.5;
  return {
    name: 'accuracy',
    batchSum(prediction, target) {
      const n = prediction.shape[0];
      let predicted: Tensor;
      if (prediction.rank === 2 && prediction.shape[1] > 1) predicted = argmax(prediction, 1);
      else predicted = greater(reshape(prediction, [n]), threshold);
      let labels = target;
      if (target.rank === 2 && target.shape[1] > 1) labels = argmax(target, 1);
      else if (target.rank === 2) labels = reshape(target, [n]);
      return sum(cast(equal(cast(predicted, 'float32'), cast(labels, 'float32')), 'float32'));
    },
  };
}

export const metricNames = ['accuracy'] as const;

export function getMetric(name: string | Metric, options: { threshold?: number } = {}): Metric {
  if (typeof name !== 'string') return name;
  if (name === 'accuracy' || name === 'acc') return accuracy(options);
  return unknownName('metric', name, metricNames);
}

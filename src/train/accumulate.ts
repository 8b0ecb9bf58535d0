/**
 * Metric accumulation over an epoch: running sums of the loss and of every metric, kept on
 * the backend (no read-back per step) and divided by the sample count at the end.
 *
 *   sums.reset();  for each batch: sums.update(prediction, y, loss, n);  await sums.result()
 */
import { noGrad } from '../autograd/tape.js';
import { add, mul } from '../ops/arithmetic.js';
import { zeros } from '../tensor/creation.js';
import { dispose, keep } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Logs } from './callbacks.js';
import { metricValue, type Metric } from './metrics.js';

export interface Accumulator {
  reset(): void;
  /** Adds a batch of `count` samples (call inside the step's tidy). */
  update(prediction: Tensor, y: Tensor, loss: Tensor, count: number): void;
  /** The means since the last reset, by name ('loss', then each metric's). */
  result(): Promise<Logs>;
  dispose(): void;
}

export class EpochMeans implements Accumulator {
  private sums: Tensor[] = [];
  private samples = 0;

  constructor(private readonly metrics: readonly Metric[]) {}

  reset(): void {
    dispose(this.sums);
    this.sums = [zeros([1]), ...this.metrics.map(() => zeros([1]))].map(keep);
    this.samples = 0;
  }

  update(prediction: Tensor, y: Tensor, loss: Tensor, count: number): void {
    const [lossSum, ...metricSums] = this.sums;
    const next = [
      add(
        lossSum,
        noGrad(() => mul(loss, count)),
      ),
      ...noGrad(() => this.metrics.map((m, i) => add(metricSums[i], m.batchSum(prediction, y)))),
    ];
    dispose(this.sums);
    this.sums = next.map(keep);
    this.samples += count;
  }

  async result(): Promise<Logs> {
    const values = await Promise.all(this.sums.map((t) => t.data()));
    const logs: Logs = { loss: values[0][0] / this.samples };
    this.metrics.forEach((m, i) => (logs[m.name] = metricValue(m, values[i + 1], this.samples)));
    return logs;
  }

  dispose(): void {
    dispose(this.sums);
    this.sums = [];
  }
}

/**
 * Batch, stochastic and mini-batch gradient descent: the same update w ← w − η∇C, with ∇C
 * averaged over all n training samples (batch GD: one exact step per epoch), over one
 * sample (SGD: n noisy steps per epoch) or over b samples (mini-batch: n/b steps of
 * moderate noise, each using vectorised arithmetic).
 *
 * For each method and seed, the network starts from the same seeded weights; after every
 * epoch the loss on the whole training set is measured (outside the timed part), so the
 * curves compare like with like. Across seeds we report the mean and the spread (min, max
 * and standard deviation), per epoch, against epochs and against wall-clock time.
 */
import type { Dataset } from '../data/dataset.js';
import { digits } from '../data/sets.js';
import { dense } from '../nn/dense.js';
import { sequential } from '../nn/sequential.js';
import { Rng } from '../tensor/random.js';
import { evaluateNet, seededInitializer, trainLoop } from './loop.js';

export interface BatchMethod {
  name: string;
  label: string;
  /** Samples per step; 0 or Infinity means the whole training set. */
  batchSize: number;
  lr: number;
}

export const defaultBatchMethods: readonly BatchMethod[] = [
  { name: 'sgd', label: 'SGD (batch 1)', batchSize: 1, lr: 0.01 },
  { name: 'minibatch', label: 'mini-batch (32)', batchSize: 32, lr: 0.1 },
  { name: 'batch', label: 'batch GD (all)', batchSize: Infinity, lr: 0.5 },
];

export interface BatchRun {
  seed: number;
  /** Training-set loss at epochs 0 (before training), 1, …, E. */
  loss: number[];
  /** Training seconds elapsed at those points (evaluation excluded). */
  seconds: number[];
}

export interface BatchSeries {
  method: string;
  label: string;
  batchSize: number;
  lr: number;
  runs: BatchRun[];
  /** Per epoch point: mean, standard deviation, minimum and maximum over seeds. */
  mean: number[];
  std: number[];
  min: number[];
  max: number[];
  /** Mean elapsed training seconds at each epoch point. */
  meanSeconds: number[];
}

export interface BatchOptions {
  methods?: readonly BatchMethod[];
  epochs?: number;
  seeds?: number[];
  hidden?: number[];
  /** Default: the bundled digits' training split. */
  data?: { train: Dataset; numClasses: number };
}

function stats(columns: number[][]): { mean: number[]; std: number[]; min: number[]; max: number[] } {
  const length = Math.min(...columns.map((c) => c.length));
  const mean: number[] = [];
  const std: number[] = [];
  const min: number[] = [];
  const max: number[] = [];
  for (let i = 0; i < length; i++) {
    const v = columns.map((c) => c[i]);
    const m = v.reduce((s, x) => s + x, 0) / v.length;
    mean.push(m);
    std.push(Math.sqrt(v.reduce((s, x) => s + (x - m) ** 2, 0) / v.length));
    min.push(Math.min(...v));
    max.push(Math.max(...v));
  }
  return { mean, std, min, max };
}

/** Loss against epochs and time for each method, over several seeds. */
export function batchComparison(options: BatchOptions = {}): BatchSeries[] {
  const methods = options.methods ?? defaultBatchMethods;
  const epochs = options.epochs ?? 10;
  const seeds = options.seeds ?? [1, 2, 3];
  const hidden = options.hidden ?? [32];
  const owned = options.data ? null : digits({ rng: new Rng(0) });
  const sets = options.data ?? owned!;
  try {
    return methods.map((method) => {
      const runs = seeds.map((seed) => {
        const rng = new Rng(seed);
        const net = sequential([
          ...hidden.map((units) =>
            dense({ units, activation: 'relu', kernelInitializer: seededInitializer('heNormal', rng) }),
          ),
          dense({ units: sets.numClasses, kernelInitializer: seededInitializer('glorotUniform', rng) }),
        ]);
        net.buildFor([1, sets.train.x.shape[1]]);
        const loss = [evaluateNet(net, sets.train).loss];
        const seconds = [0];
        let elapsed = 0;
        let epochStart = performance.now();
        const batchSize =
          Number.isFinite(method.batchSize) && method.batchSize > 0 ? method.batchSize : sets.train.length;
        trainLoop({
          net,
          data: sets.train,
          optimizer: 'sgd',
          lr: method.lr,
          batchSize,
          epochs,
          rng: new Rng(seed + 100),
          onEpochEnd: () => {
            elapsed += (performance.now() - epochStart) / 1000;
            seconds.push(elapsed);
            loss.push(evaluateNet(net, sets.train).loss);
            epochStart = performance.now();
          },
        });
        net.dispose();
        return { seed, loss, seconds };
      });
      const s = stats(runs.map((r) => r.loss));
      return {
        method: method.name,
        label: method.label,
        batchSize: method.batchSize,
        lr: method.lr,
        runs,
        ...s,
        meanSeconds: stats(runs.map((r) => r.seconds)).mean,
      };
    });
  } finally {
    owned?.train.dispose();
    owned?.test.dispose();
  }
}

/**
 * Why the order of presentation matters: stochastic gradient descent with the samples in a
 * fixed order, the same every epoch, against a fresh shuffle every epoch.
 *
 * With a constant step η, one epoch of fixed-order SGD is one fixed map θ ↦ Φ(θ) (the n
 * updates composed in the same order). Its iterates converge to a fixed point of Φ, so the
 * weights — and the training loss measured after every step — settle into a cycle whose
 * period is exactly one epoch (n steps): the same n-step wave, over and over, never reaching
 * the minimum. When the data are sorted by class (the slides' warning), the wave is large:
 * each epoch the model first learns one class, then forgets it while it learns the other.
 * Reshuffling breaks the cycle: the loss still jitters (constant-step SGD never settles),
 * but without a period.
 *
 * Both runs are descent's own training loop (trainLoop, with `shuffle: false` for the fixed
 * order) from the same initial weights.
 */
import { Dataset } from '../data/dataset.js';
import { ConfigError } from '../errors.js';
import { dense } from '../nn/dense.js';
import { Rng } from '../tensor/random.js';
import { evaluateNet, seededInitializer, trainLoop } from './loop.js';

export interface OrderRun {
  name: string;
  label: string;
  /** The training loss on the whole set after every step (index 0: before training). */
  loss: number[];
  /** Mean |L(t + lag) − L(t)| over the last epochs, for lag = 1 … maxLag (index lag − 1). */
  mismatch: number[];
}

export interface OrderStudy {
  /** Samples per epoch (one per step: batch size 1). */
  epochLength: number;
  epochs: number;
  lr: number;
  /** The epochs over which the mismatch is measured (the last ones). */
  tailEpochs: number;
  fixed: OrderRun;
  shuffled: OrderRun;
  /** The lag with the smallest mismatch, for each run (the fixed order's period). */
  period: { fixed: number; shuffled: number };
}

export interface OrderOptions {
  /** Samples per class (default 20). */
  perClass?: number;
  epochs?: number;
  lr?: number;
  seed?: number;
}

/** Two overlapping Gaussian classes in the plane, sorted by class (all of class 0 first). */
export function sortedClasses(perClass: number, seed: number): Dataset {
  const rng = new Rng(seed);
  const features: number[] = [];
  const labels: number[] = [];
  for (const label of [0, 1]) {
    for (let i = 0; i < perClass; i++) {
      const c = label === 0 ? -0.8 : 0.8;
      features.push(c + rng.normal(), 0.5 * c + rng.normal());
      labels.push(label);
    }
  }
  return Dataset.fromArrays(features, [2], Int32Array.from(labels), {
    numClasses: 2,
    name: 'two classes, sorted',
  });
}

/** Mean |v[t + lag] − v[t]| over t in the last `window` entries (t + lag within the array). */
export function lagMismatch(values: readonly number[], window: number, maxLag: number): number[] {
  const end = values.length;
  return Array.from({ length: maxLag }, (_, k) => {
    const lag = k + 1;
    let total = 0;
    let count = 0;
    for (let t = Math.max(0, end - window - lag); t + lag < end; t++) {
      total += Math.abs(values[t + lag] - values[t]);
      count++;
    }
    return count > 0 ? total / count : NaN;
  });
}

/** Fixed order against reshuffling; see the file comment. */
export function orderStudy(options: OrderOptions = {}): OrderStudy {
  const perClass = options.perClass ?? 20;
  const epochs = options.epochs ?? 40;
  const lr = options.lr ?? 0.5;
  const seed = options.seed ?? 1;
  if (!Number.isInteger(epochs) || epochs < 4)
    throw new ConfigError(
      `orderStudy: epochs must be an integer ≥ 4 (the cycle needs a few to settle), got ${epochs}.`,
    );
  const data = sortedClasses(perClass, seed);
  const n = data.length;
  const tailEpochs = Math.max(2, Math.floor(epochs / 4));
  try {
    const run = (name: string, label: string, shuffle: boolean): OrderRun => {
      // Softmax regression: one dense layer, the same initial weights for both runs.
      const net = dense({
        units: 2,
        inFeatures: 2,
        kernelInitializer: seededInitializer('glorotUniform', new Rng(seed)),
      });
      const loss = [evaluateNet(net, data).loss];
      trainLoop({
        net,
        data,
        optimizer: 'sgd',
        lr,
        batchSize: 1,
        epochs,
        shuffle,
        rng: new Rng(seed + 1),
        afterStep: () => void loss.push(evaluateNet(net, data).loss),
      });
      net.dispose();
      return { name, label, loss, mismatch: lagMismatch(loss, tailEpochs * n, 2 * n + n / 2) };
    };
    const fixed = run('fixed', 'fixed order (sorted by class)', false);
    const shuffled = run('shuffled', 'reshuffled every epoch', true);
    // The period: the lag of least mismatch beyond the first few (a step barely moves the loss).
    const period = (r: OrderRun) => {
      let best = 3;
      for (let lag = 3; lag <= r.mismatch.length; lag++)
        if (r.mismatch[lag - 1] < r.mismatch[best - 1]) best = lag;
      return best;
    };
    return {
      epochLength: n,
      epochs,
      lr,
      tailEpochs,
      fixed,
      shuffled,
      period: { fixed: period(fixed), shuffled: period(shuffled) },
    };
  } finally {
    data.dispose();
  }
}

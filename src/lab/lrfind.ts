/**
 * The learning-rate range test (Smith, 2017; popularised by fastai's lr_find): train for a
 * few hundred mini-batches while the learning rate grows exponentially,
 *
 *   η_k = η_min · (η_max / η_min)^(k / (N − 1)),
 *
 * and record the loss. It stays flat while η is too small to matter, falls once η is large
 * enough, and shoots up when η becomes too large. The suggestion is the rate where the
 * smoothed loss falls fastest (the steepest negative slope against log η), which sits well
 * below the rate at which the loss is lowest — that one is already on the edge of blowing up.
 *
 * The schedule is handed to the optimiser as a function of the step (descent's optimisers
 * take a schedule wherever they take a rate), so any registered optimiser can be tested.
 */
import type { Dataset } from '../data/dataset.js';
import { digits } from '../data/sets.js';
import { ConfigError } from '../errors.js';
import { dense } from '../nn/dense.js';
import { sequential } from '../nn/sequential.js';
import { getOptimizer, type OptimizerName } from '../optim/index.js';
import { Rng } from '../tensor/random.js';
import { seededInitializer, trainLoop } from './loop.js';

export interface LrFindResult {
  /** η at each step. */
  lrs: number[];
  /** Raw mini-batch loss at each step. */
  losses: number[];
  /** Exponentially smoothed, bias-corrected loss (β = smoothing). */
  smoothed: number[];
  /** The rate with the steepest fall of the smoothed loss. */
  suggested: number;
  /** The rate with the lowest smoothed loss. */
  minimum: number;
  /** Why the test stopped early (loss above 4 × its best, or not finite), if it did. */
  stoppedEarly?: string;
}

export interface LrFindOptions {
  minLr?: number;
  maxLr?: number;
  steps?: number;
  optimizer?: OptimizerName;
  batchSize?: number;
  /** EMA factor for the smoothed loss (default 0.9). */
  smoothing?: number;
  /** Stop once the smoothed loss exceeds this multiple of its best (default 4). */
  divergeFactor?: number;
  hidden?: number[];
  seed?: number;
  data?: { train: Dataset; numClasses: number };
}

/** The index of the steepest descent of `smoothed` against log η, ignoring the noisy ends. */
export function steepestIndex(lrs: readonly number[], smoothed: readonly number[]): number {
  const n = smoothed.length;
  if (n < 3) return 0;
  const skipStart = Math.min(Math.floor(n / 10), n - 2);
  const end = smoothed.indexOf(Math.min(...smoothed));
  let best = skipStart;
  let bestSlope = Infinity;
  // Central differences against log η, up to the minimum.
  for (let i = Math.max(1, skipStart); i < Math.max(end, 2) && i < n - 1; i++) {
    const slope = (smoothed[i + 1] - smoothed[i - 1]) / (Math.log(lrs[i + 1]) - Math.log(lrs[i - 1]));
    if (slope < bestSlope) {
      bestSlope = slope;
      best = i;
    }
  }
  return best;
}

/** Runs the range test on an MLP (default: on the bundled digits). */
export function lrFind(options: LrFindOptions = {}): LrFindResult {
  const minLr = options.minLr ?? 1e-4;
  const maxLr = options.maxLr ?? 10;
  const steps = options.steps ?? 200;
  if (!(minLr > 0 && maxLr > minLr))
    throw new ConfigError(`lrFind: need 0 < minLr < maxLr, got ${minLr} and ${maxLr}.`);
  const beta = options.smoothing ?? 0.9;
  const divergeFactor = options.divergeFactor ?? 4;
  const seed = options.seed ?? 1;
  const owned = options.data ? null : digits({ rng: new Rng(seed) });
  const sets = options.data ?? owned!;
  const schedule = (k: number) => minLr * Math.pow(maxLr / minLr, Math.min(k, steps - 1) / (steps - 1));
  const rng = new Rng(seed);
  const net = sequential([
    ...(options.hidden ?? [64, 32]).map((units) =>
      dense({ units, activation: 'relu', kernelInitializer: seededInitializer('heNormal', rng) }),
    ),
    dense({ units: sets.numClasses, kernelInitializer: seededInitializer('glorotUniform', rng) }),
  ]);
  const lrs: number[] = [];
  const smoothed: number[] = [];
  let avg = 0;
  let best = Infinity;
  let stoppedEarly: string | undefined;
  const batchSize = options.batchSize ?? 32;
  let losses: number[];
  try {
    const result = trainLoop({
      net,
      data: sets.train,
      optimizer: getOptimizer(options.optimizer ?? 'sgd', { lr: schedule }),
      batchSize,
      epochs: Math.ceil((steps * batchSize) / sets.train.length) + 1,
      maxSteps: steps,
      rng: new Rng(seed + 1),
      afterBackward: ({ step, loss }) => {
        avg = beta * avg + (1 - beta) * loss;
        const value = avg / (1 - Math.pow(beta, step + 1));
        lrs.push(schedule(step));
        smoothed.push(value);
        if (value < best) best = value;
        if (value > divergeFactor * best) {
          stoppedEarly = `the smoothed loss passed ${divergeFactor} × its best at η = ${schedule(step).toExponential(2)}`;
          return 'stop';
        }
      },
    });
    losses = result.losses.slice(0, lrs.length);
    if (result.divergedAt !== null)
      stoppedEarly ??= `the loss stopped being finite at η = ${schedule(result.divergedAt).toExponential(2)}`;
  } finally {
    net.dispose();
    owned?.train.dispose();
    owned?.test.dispose();
  }
  const minIndex = smoothed.indexOf(Math.min(...smoothed));
  return {
    lrs,
    losses,
    smoothed,
    suggested: lrs[steepestIndex(lrs, smoothed)] ?? minLr,
    minimum: lrs[minIndex] ?? minLr,
    ...(stoppedEarly ? { stoppedEarly } : {}),
  };
}

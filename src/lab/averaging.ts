/**
 * Iterate averaging (Polyak & Juditsky, 1992; Ruppert, 1988). Stochastic gradient descent with
 * a constant step η does not converge on a noisy problem: once near the optimum θ*, each
 * noisy gradient kicks it about, and it wanders in a cloud of radius ~√η around θ*. The
 * running mean of its iterates,
 *
 *   θ̄ₖ = 1/(k − k₀) Σ_{t = k₀+1…k} θₜ        (averaging from step k₀ on; k₀ = 0: from the start)
 *
 * averages that wandering out: on a convex problem its distance to θ* keeps falling, like
 * 1/√k, long after the last iterate has stalled — the speed of an optimal decreasing step
 * without having to choose one.
 *
 * The problem: least squares on noisy linear data, y = xᵀw + ε, whose optimum θ* (the
 * empirical risk minimiser) comes from the normal equations. The model is descent's dense
 * layer trained with descent's sgd, one sample per step; the average is kept beside it.
 */
import { Dataset } from '../data/dataset.js';
import { ConfigError } from '../errors.js';
import { dense } from '../nn/dense.js';
import { solveLinear } from '../optim/newton.js';
import { Rng } from '../tensor/random.js';
import { trainLoop } from './loop.js';

export interface AveragingRun {
  seed: number;
  /** Steps at which the distances were recorded. */
  steps: number[];
  /** ‖θₖ − θ*‖ of the last iterate and of the average. */
  last: number[];
  averaged: number[];
}

export interface AveragingStudy {
  dims: number;
  samples: number;
  noise: number;
  lr: number;
  /** Averaging starts after this many steps. */
  burnIn: number;
  /** θ* (weights, then the bias). */
  optimum: number[];
  runs: AveragingRun[];
  /** Over the seeds, at each recorded step: the geometric mean distance of each. */
  meanLast: number[];
  meanAveraged: number[];
}

export interface AveragingOptions {
  dims?: number;
  samples?: number;
  noise?: number;
  lr?: number;
  epochs?: number;
  /** Steps before averaging starts (default: one epoch). */
  burnIn?: number;
  seeds?: number[];
  /** Distances recorded this many times per epoch (default 20). */
  recordsPerEpoch?: number;
}

/** Noisy linear data and its least-squares optimum [w*, b*]. */
export function noisyLinearData(
  dims: number,
  samples: number,
  noise: number,
  seed: number,
): { data: Dataset; optimum: number[] } {
  const rng = new Rng(seed);
  const truth = Array.from({ length: dims }, () => rng.normal());
  const x = new Float64Array(samples * dims);
  const y = new Float64Array(samples);
  for (let i = 0; i < samples; i++) {
    let t = 0.5;
    for (let j = 0; j < dims; j++) {
      const v = rng.normal();
      // Stored as float32 (as the dataset holds them), so θ* is the optimum of the values trained on.
      x[i * dims + j] = Math.fround(v);
      t += truth[j] * x[i * dims + j];
    }
    y[i] = Math.fround(t + noise * rng.normal());
  }
  // Normal equations for [w; b] with the design [x, 1]: (AᵀA) θ = Aᵀy.
  const n = dims + 1;
  const ata = Array.from({ length: n }, () => new Float64Array(n));
  const aty = new Float64Array(n);
  for (let i = 0; i < samples; i++) {
    const row = [...x.subarray(i * dims, (i + 1) * dims), 1];
    for (let a = 0; a < n; a++) {
      aty[a] += row[a] * y[i];
      for (let b = 0; b < n; b++) ata[a][b] += row[a] * row[b];
    }
  }
  const optimum = Array.from(solveLinear(ata, aty));
  const data = Dataset.fromArrays(Float32Array.from(x), [dims], Float32Array.from(y), {
    targetShape: [1],
    name: 'noisy linear data',
  });
  return { data, optimum };
}

function geometricMean(columns: number[][]): number[] {
  return columns[0].map((_, k) => Math.exp(columns.reduce((s, c) => s + Math.log(c[k]), 0) / columns.length));
}

/** Constant-step SGD with and without averaging; see the file comment. */
export function averagingStudy(options: AveragingOptions = {}): AveragingStudy {
  const dims = options.dims ?? 5;
  const samples = options.samples ?? 500;
  const noise = options.noise ?? 1;
  const lr = options.lr ?? 0.02;
  const epochs = options.epochs ?? 20;
  const seeds = options.seeds ?? [1, 2, 3, 4, 5];
  const burnIn = options.burnIn ?? samples;
  const every = Math.max(1, Math.floor(samples / (options.recordsPerEpoch ?? 20)));
  if (!Number.isInteger(dims) || dims < 1)
    throw new ConfigError(`averagingStudy: dims must be a positive integer, got ${dims}.`);
  const { data, optimum } = noisyLinearData(dims, samples, noise, 7);
  try {
    const runs = seeds.map((seed) => {
      const model = dense({ units: 1, inFeatures: dims, kernelInitializer: 'zeros' });
      const mean = new Float64Array(dims + 1);
      let counted = 0;
      const steps: number[] = [];
      const last: number[] = [];
      const averaged: number[] = [];
      const distance = (theta: ArrayLike<number>) => Math.hypot(...optimum.map((v, i) => theta[i] - v));
      trainLoop({
        net: model,
        data,
        loss: 'mse',
        optimizer: 'sgd',
        lr,
        batchSize: 1,
        epochs,
        rng: new Rng(seed),
        afterStep: ({ step }) => {
          const theta = [...model.weight.dataSync(), model.bias!.dataSync()[0]];
          if (step + 1 > burnIn) {
            counted++;
            for (let i = 0; i < theta.length; i++) mean[i] += (theta[i] - mean[i]) / counted;
          }
          if ((step + 1) % every === 0) {
            steps.push(step + 1);
            last.push(distance(theta));
            averaged.push(counted > 0 ? distance(mean) : distance(theta));
          }
        },
      });
      model.dispose();
      return { seed, steps, last, averaged };
    });
    return {
      dims,
      samples,
      noise,
      lr,
      burnIn,
      optimum,
      runs,
      meanLast: geometricMean(runs.map((r) => r.last)),
      meanAveraged: geometricMean(runs.map((r) => r.averaged)),
    };
  } finally {
    data.dispose();
  }
}

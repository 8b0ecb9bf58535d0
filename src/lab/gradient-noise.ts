/**
 * How noisy is a mini-batch gradient? The lectures' variance argument, measured on a network.
 *
 * With per-sample gradients gᵢ = ∇ℓᵢ(θ) over the N training samples, the full gradient is
 * ḡ = 1/N Σ gᵢ and the per-sample spread is tr Σ = 1/N Σ ‖gᵢ − ḡ‖². A mini-batch of b samples
 * drawn independently (with replacement) gives g_b = 1/b Σ_{i∈B} gᵢ, an unbiased estimate
 * with
 *
 *   E ‖g_b − ḡ‖² = tr Σ / b                      — the 1/b line
 *
 * and a batch drawn without replacement (as one batch of a shuffled epoch) has the finite-
 * population factor (N − b)/(N − 1) on top, falling to 0 at b = N. The mini-batch loss L_b is
 * the same kind of average, so Var L_b = σ²_ℓ / b; and an error rate measured on N random
 * test samples has variance p(1 − p)/N around the true rate p.
 *
 * Everything is measured, not assumed: tr Σ from N single-sample backward passes, E‖g_b − ḡ‖²
 * from many real mini-batch backward passes through descent's autograd, at the weights of an
 * MLP trained for a little while on the bundled digits.
 */
import { noGrad } from '../autograd/tape.js';
import type { Dataset } from '../data/dataset.js';
import { digits } from '../data/sets.js';
import { ConfigError } from '../errors.js';
import { getLoss } from '../losses/index.js';
import type { Layer } from '../nn/layer.js';
import { dense } from '../nn/dense.js';
import { sequential } from '../nn/sequential.js';
import { gather } from '../ops/shape.js';
import { Rng } from '../tensor/random.js';
import { tidy } from '../tensor/scope.js';
import { seededInitializer, trainLoop } from './loop.js';

export interface BatchNoiseRow {
  batchSize: number;
  /** Mean of ‖g_b − ḡ‖² over the draws, with replacement and without. */
  gradientVariance: number;
  gradientVarianceWithout: number;
  /** Mean of (L_b − L)² over the same draws. */
  lossVariance: number;
  lossVarianceWithout: number;
}

export interface ErrorEstimateRow {
  samples: number;
  /** Standard deviation of the error rate measured on `samples` random test samples. */
  std: number;
  /** Mean of those estimates (close to the true rate: the estimate is unbiased). */
  mean: number;
}

export interface GradientNoiseStudy {
  description: string;
  /** N, the training samples the gradient is averaged over. */
  trainSamples: number;
  parameters: number;
  /** tr Σ, the per-sample gradient variance, and ‖ḡ‖² for scale. */
  traceSigma: number;
  fullGradientNormSquared: number;
  /** Per-sample loss variance σ²_ℓ and the full training loss L. */
  lossSigma2: number;
  fullLoss: number;
  /** Mini-batch draws per batch size. */
  draws: number;
  rows: BatchNoiseRow[];
  /** The test error rate p on the whole test split, and its estimates from fewer samples. */
  testError: number;
  testSamples: number;
  errorRows: ErrorEstimateRow[];
}

export interface GradientNoiseOptions {
  batchSizes?: number[];
  /** Mini-batches drawn per batch size (default 120). */
  draws?: number;
  /** Epochs of training before measuring (default 2). */
  trainEpochs?: number;
  hidden?: number[];
  /** Sample counts for the error estimate (default 10, 20, 40, … up to the test size). */
  errorSamples?: number[];
  seed?: number;
  data?: { train: Dataset; test: Dataset; numClasses: number };
}

/** The gradients of all parameters, flattened into one vector. */
function gradientVector(net: Layer, size: number): Float64Array {
  const out = new Float64Array(size);
  let at = 0;
  for (const p of net.parameters()) {
    if (p.grad) out.set(p.grad.dataSync(), at);
    at += p.size;
  }
  return out;
}

/** The loss and its gradient on the samples `idx` (one backward pass over them as a batch). */
function batchGradient(
  net: Layer,
  data: Dataset,
  idx: Int32Array,
  size: number,
): { loss: number; grad: Float64Array } {
  const lossFn = getLoss('crossEntropy');
  return tidy(() => {
    for (const p of net.parameters()) {
      p.grad?.dispose();
      p.grad = null;
    }
    const loss = lossFn(net.call(gather(data.x, idx), { training: true }), gather(data.y, idx));
    loss.backward();
    const value = loss.dataSync()[0];
    const grad = gradientVector(net, size);
    for (const p of net.parameters()) {
      p.grad?.dispose();
      p.grad = null;
    }
    return { loss: value, grad };
  });
}

function squaredDistance(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return s;
}

/** Measures the quantities of the file comment; see GradientNoiseStudy. */
export function gradientNoise(options: GradientNoiseOptions = {}): GradientNoiseStudy {
  const seed = options.seed ?? 1;
  const draws = options.draws ?? 120;
  if (!Number.isInteger(draws) || draws < 2)
    throw new ConfigError(`gradientNoise: draws must be an integer ≥ 2, got ${draws}.`);
  const owned = options.data ? null : digits({ rng: new Rng(seed) });
  const sets = options.data ?? owned!;
  const train = sets.train;
  const n = train.length;
  const batchSizes = (options.batchSizes ?? [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]).filter((b) => b <= n);
  const rng = new Rng(seed);
  const hidden = options.hidden ?? [64, 32];
  const net = sequential([
    ...hidden.map((units) =>
      dense({ units, activation: 'relu', kernelInitializer: seededInitializer('heNormal', rng) }),
    ),
    dense({ units: sets.numClasses, kernelInitializer: seededInitializer('glorotUniform', rng) }),
  ]);
  try {
    net.buildFor([1, train.x.shape[1]]);
    const trainEpochs = options.trainEpochs ?? 2;
    if (trainEpochs > 0)
      trainLoop({
        net,
        data: train,
        optimizer: 'sgd',
        lr: 0.05,
        batchSize: 32,
        epochs: trainEpochs,
        rng: new Rng(seed + 1),
      });
    const size = net.parameters().reduce((s, p) => s + p.size, 0);
    // Per-sample gradients: ḡ, tr Σ = E‖gᵢ‖² − ‖ḡ‖², and the per-sample loss variance.
    const sum = new Float64Array(size);
    let sumSquares = 0;
    let lossSum = 0;
    let lossSquares = 0;
    const one = new Int32Array(1);
    for (let i = 0; i < n; i++) {
      one[0] = i;
      const { loss, grad } = batchGradient(net, train, one, size);
      for (let k = 0; k < size; k++) {
        sum[k] += grad[k];
        sumSquares += grad[k] * grad[k];
      }
      lossSum += loss;
      lossSquares += loss * loss;
    }
    const mean = sum.map((v) => v / n);
    const meanNorm = mean.reduce((s, v) => s + v * v, 0);
    const traceSigma = sumSquares / n - meanNorm;
    const fullLoss = lossSum / n;
    const lossSigma2 = lossSquares / n - fullLoss * fullLoss;
    const draw = new Rng(seed + 2);
    const rows = batchSizes.map((b) => {
      let gWith = 0;
      let gWithout = 0;
      let lWith = 0;
      let lWithout = 0;
      for (let r = 0; r < draws; r++) {
        const withReplacement = Int32Array.from({ length: b }, () => draw.int(n));
        const a = batchGradient(net, train, withReplacement, size);
        gWith += squaredDistance(a.grad, mean);
        lWith += (a.loss - fullLoss) ** 2;
        const withoutReplacement = draw.permutation(n).subarray(0, b);
        const c = batchGradient(net, train, withoutReplacement, size);
        gWithout += squaredDistance(c.grad, mean);
        lWithout += (c.loss - fullLoss) ** 2;
      }
      return {
        batchSize: b,
        gradientVariance: gWith / draws,
        gradientVarianceWithout: gWithout / draws,
        lossVariance: lWith / draws,
        lossVarianceWithout: lWithout / draws,
      };
    });
    // The test error: the network's real mistakes on the test split, then estimates from N of them.
    const test = sets.test;
    const wrong = tidy(() =>
      noGrad(() => {
        const logits = net.call(test.x, { training: false }).dataSync();
        const labels = test.y.dataSync();
        const k = sets.numClasses;
        return Array.from({ length: test.length }, (_, i) => {
          let best = 0;
          for (let j = 1; j < k; j++) if (logits[i * k + j] > logits[i * k + best]) best = j;
          return best === labels[i] ? 0 : 1;
        });
      }),
    );
    const testError = wrong.reduce((s: number, v) => s + v, 0) / wrong.length;
    const sampleCounts =
      options.errorSamples ??
      [10, 20, 40, 80, 160, 320]
        .filter((s) => s <= test.length)
        .concat(test.length > 320 ? [test.length] : []);
    const errorRows = sampleCounts.map((count) => {
      const estimates = Array.from({ length: 400 }, () => {
        let e = 0;
        for (let s = 0; s < count; s++) e += wrong[draw.int(wrong.length)];
        return e / count;
      });
      const m = estimates.reduce((s, v) => s + v, 0) / estimates.length;
      const v = estimates.reduce((s, x) => s + (x - m) ** 2, 0) / (estimates.length - 1);
      return { samples: count, std: Math.sqrt(v), mean: m };
    });
    return {
      description: `an MLP (${[train.x.shape[1], ...hidden, sets.numClasses].join('-')}, ReLU) after ${trainEpochs} epochs of sgd on ${train.name}`,
      trainSamples: n,
      parameters: size,
      traceSigma,
      fullGradientNormSquared: meanNorm,
      lossSigma2,
      fullLoss,
      draws,
      rows,
      testError,
      testSamples: test.length,
      errorRows,
    };
  } finally {
    net.dispose();
    owned?.train.dispose();
    owned?.test.dispose();
  }
}

/** The least-squares slope of log y against log x (−1 for y ∝ 1/x). */
export function logLogSlope(xs: readonly number[], ys: readonly number[]): number {
  const lx = xs.map(Math.log);
  const ly = ys.map(Math.log);
  const mx = lx.reduce((s, v) => s + v, 0) / lx.length;
  const my = ly.reduce((s, v) => s + v, 0) / ly.length;
  let num = 0;
  let den = 0;
  lx.forEach((x, i) => {
    num += (x - mx) * (ly[i] - my);
    den += (x - mx) ** 2;
  });
  return num / den;
}

/**
 * Dropout as an ensemble. Bagging trains k networks, each on a bootstrap sample of the data
 * (N draws with replacement), and averages their predicted probabilities: the members' errors
 * are partly independent, so the average errs less than a typical member — for the log loss
 * always, by Jensen's inequality, −ln(1/k Σ pⱼ) ≤ 1/k Σ −ln pⱼ. Dropout trains one network
 * whose every step uses a random sub-network (each unit kept with probability 1 − r); at test
 * time the weights are scaled to their expected value, which approximates the (geometric)
 * average of all 2ⁿ sub-networks — an ensemble for the price of one network.
 *
 * At an equal training budget (the same number of epochs over N samples in all: one network
 * for E epochs, the dropout network for E epochs, k bagged networks for E/k epochs each) we
 * compare the test error of one plain network, one with dropout and the bagged ensemble, over
 * several seeds; and how the dropout network's weight-scaled prediction compares with
 * averaging T sampled sub-networks (Monte-Carlo dropout) as T grows.
 *
 * Every network is a descent `train.Model`, trained with `fit`; the bootstrap and the
 * averaging are the few lines below. Asynchronous, because `fit` is.
 */
import { noGrad } from '../autograd/tape.js';
import type { Dataset } from '../data/dataset.js';
import { digits } from '../data/sets.js';
import { ConfigError } from '../errors.js';
import { dense } from '../nn/dense.js';
import { dropout } from '../nn/dropout.js';
import type { Layer } from '../nn/layer.js';
import { sequential } from '../nn/sequential.js';
import { Rng } from '../tensor/random.js';
import { tidy } from '../tensor/scope.js';
import { Model } from '../train/model.js';
import { seededInitializer } from './loop.js';

/** fit reads the loss back only every this many steps: the study needs the weights, not the curve. */
const QUIET = 1_000_000;

/** Row-wise softmax of logits [n, k] (a plain array). */
function softmaxRows(logits: ArrayLike<number>, k: number): Float64Array {
  const out = new Float64Array(logits.length);
  for (let i = 0; i < logits.length; i += k) {
    let max = -Infinity;
    for (let j = 0; j < k; j++) max = Math.max(max, logits[i + j]);
    let s = 0;
    for (let j = 0; j < k; j++) s += out[i + j] = Math.exp(logits[i + j] - max);
    for (let j = 0; j < k; j++) out[i + j] /= s;
  }
  return out;
}

/** Error rate and mean log loss of class probabilities [n, k] against integer labels. */
export function scoreProbabilities(
  probabilities: ArrayLike<number>,
  labels: ArrayLike<number>,
  k: number,
): { error: number; logLoss: number } {
  const n = labels.length;
  let wrong = 0;
  let loss = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (probabilities[i * k + j] > probabilities[i * k + best]) best = j;
    if (best !== labels[i]) wrong++;
    loss -= Math.log(Math.max(probabilities[i * k + labels[i]], 1e-12));
  }
  return { error: wrong / n, logLoss: loss / n };
}

/** The mean of several [n, k] probability arrays. */
export function averageProbabilities(members: readonly Float64Array[]): Float64Array {
  const out = new Float64Array(members[0].length);
  for (const m of members) for (let i = 0; i < out.length; i++) out[i] += m[i] / members.length;
  return out;
}

/** Class probabilities of a model on a dataset (inference mode: dropout's weights scaled). */
function probabilitiesOf(model: Model, data: Dataset, k: number): Float64Array {
  return tidy(() => softmaxRows(model.predict(data.x).dataSync(), k));
}

/** The class probabilities of `net` with dropout on, i.e. of one random sub-network. */
function sampledSubnetwork(net: Layer, data: Dataset, k: number): Float64Array {
  return tidy(() => noGrad(() => softmaxRows(net.call(data.x, { training: true }).dataSync(), k)));
}

export interface BaggingOptions {
  /** Members (default 5). */
  members: number;
  /** Builds a fresh network for member j. */
  build: (member: number) => Layer;
  /** Compiles a model (optimizer, loss). */
  compile: (model: Model) => void;
  epochs: number;
  batchSize: number;
  rng: Rng;
}

/**
 * Bagging: each member is trained with `fit` on its own bootstrap sample of `train` (N draws
 * with replacement), and the ensemble predicts the mean of the members' probabilities.
 * Returns each member's test probabilities, in order (average any prefix for a smaller ensemble).
 */
export async function baggedProbabilities(
  train: Dataset,
  test: Dataset,
  k: number,
  options: BaggingOptions,
): Promise<Float64Array[]> {
  const out: Float64Array[] = [];
  for (let j = 0; j < options.members; j++) {
    const draw = Int32Array.from({ length: train.length }, () => options.rng.int(train.length));
    const sample = train.subset(draw, `${train.name}, bootstrap sample ${j + 1}`);
    const model = new Model(options.build(j));
    try {
      options.compile(model);
      await model.fit(sample, {
        epochs: options.epochs,
        batchSize: options.batchSize,
        rng: options.rng,
        logEvery: QUIET,
      });
      out.push(probabilitiesOf(model, test, k));
    } finally {
      model.dispose();
      sample.dispose();
    }
  }
  return out;
}

export interface EnsembleSeedResult {
  seed: number;
  single: { error: number; logLoss: number };
  dropout: { error: number; logLoss: number };
  ensemble: { error: number; logLoss: number };
  /** Each bagged member alone, and the ensemble of the first m members, m = 1 … k. */
  members: Array<{ error: number; logLoss: number }>;
  prefixes: Array<{ error: number; logLoss: number }>;
  /** Monte-Carlo dropout: the average of T sampled sub-networks, for each T in `mcCounts`. */
  monteCarlo: Array<{ error: number; logLoss: number }>;
}

export interface EnsembleStudy {
  description: string;
  trainSamples: number;
  testSamples: number;
  epochs: number;
  members: number;
  dropoutRate: number;
  mcCounts: number[];
  seeds: EnsembleSeedResult[];
}

export interface EnsembleOptions {
  /** Training samples used (default 400 of the digits' training split: small enough to overfit). */
  trainSamples?: number;
  /** The budget in epochs over the training samples (default 60). */
  epochs?: number;
  members?: number;
  dropoutRate?: number;
  hidden?: number;
  seeds?: number[];
  mcCounts?: number[];
  data?: { train: Dataset; test: Dataset; numClasses: number };
}

/** One network, one with dropout, and a bagged ensemble at equal budget; see the file comment. */
export async function ensembleStudy(options: EnsembleOptions = {}): Promise<EnsembleStudy> {
  const epochs = options.epochs ?? 60;
  const k = options.members ?? 5;
  const rate = options.dropoutRate ?? 0.2;
  const hidden = options.hidden ?? 128;
  const seeds = options.seeds ?? [1, 2, 3, 4, 5];
  const mcCounts = options.mcCounts ?? [1, 2, 4, 8, 16, 32, 64];
  if (!Number.isInteger(k) || k < 2)
    throw new ConfigError(`ensembleStudy: members must be an integer ≥ 2, got ${k}.`);
  if (!Number.isInteger(epochs) || epochs < k)
    throw new ConfigError(
      `ensembleStudy: the budget of ${epochs} epochs must be an integer ≥ members (${k}): each member gets epochs / members.`,
    );
  const owned = options.data ? null : digits({ rng: new Rng(0) });
  const sets = options.data ?? owned!;
  const classes = sets.numClasses;
  const n = Math.min(options.trainSamples ?? 400, sets.train.length);
  const train = sets.train.subset(
    Int32Array.from({ length: n }, (_, i) => i),
    `${n} samples of ${sets.train.name}`,
  );
  const test = sets.test;
  const labels = test.y.dataSync();
  const features = train.x.shape[1];
  const build = (rng: Rng, withDropout: boolean): Layer =>
    sequential([
      dense({
        units: hidden,
        inFeatures: features,
        activation: 'relu',
        kernelInitializer: seededInitializer('heNormal', rng),
      }),
      ...(withDropout ? [dropout({ rate, rng })] : []),
      dense({ units: hidden, activation: 'relu', kernelInitializer: seededInitializer('heNormal', rng) }),
      ...(withDropout ? [dropout({ rate, rng })] : []),
      dense({ units: classes, kernelInitializer: seededInitializer('glorotUniform', rng) }),
    ]);
  const compile = (model: Model) => model.compile({ optimizer: 'adam', lr: 1e-3, loss: 'crossEntropy' });
  const batchSize = 32;
  try {
    const results: EnsembleSeedResult[] = [];
    for (const seed of seeds) {
      const trainOne = async (withDropout: boolean) => {
        const rng = new Rng(seed * 1000 + (withDropout ? 1 : 0));
        const model = new Model(build(rng, withDropout));
        compile(model);
        await model.fit(train, { epochs, batchSize, rng, logEvery: QUIET });
        return model;
      };
      const single = await trainOne(false);
      const singleScore = scoreProbabilities(probabilitiesOf(single, test, classes), labels, classes);
      single.dispose();
      const withDropout = await trainOne(true);
      const dropoutScore = scoreProbabilities(probabilitiesOf(withDropout, test, classes), labels, classes);
      const samples: Float64Array[] = [];
      const monteCarlo = mcCounts.map((count) => {
        while (samples.length < count) samples.push(sampledSubnetwork(withDropout.net, test, classes));
        return scoreProbabilities(averageProbabilities(samples.slice(0, count)), labels, classes);
      });
      withDropout.dispose();
      const bagRng = new Rng(seed * 1000 + 2);
      const members = await baggedProbabilities(train, test, classes, {
        members: k,
        build: () => build(bagRng, false),
        compile,
        epochs: Math.floor(epochs / k),
        batchSize,
        rng: bagRng,
      });
      const prefixes = members.map((_, m) =>
        scoreProbabilities(averageProbabilities(members.slice(0, m + 1)), labels, classes),
      );
      results.push({
        seed,
        single: singleScore,
        dropout: dropoutScore,
        ensemble: prefixes[prefixes.length - 1],
        members: members.map((p) => scoreProbabilities(p, labels, classes)),
        prefixes,
        monteCarlo,
      });
    }
    return {
      description: `a ${features}-${hidden}-${hidden}-${classes} ReLU MLP, Adam (η = 10⁻³, batch ${batchSize})`,
      trainSamples: n,
      testSamples: test.length,
      epochs,
      members: k,
      dropoutRate: rate,
      mcCounts,
      seeds: results,
    };
  } finally {
    train.dispose();
    owned?.train.dispose();
    owned?.test.dispose();
  }
}

/**
 * Overfitting, smoothness through weight constraints, and early stopping.
 *
 * A network with thousands of parameters fitted to a dozen noisy samples of a smooth curve:
 * the training error keeps falling as the network bends itself through every noisy point,
 * while the error on fresh samples (validation) falls, bottoms out and rises again — the
 * network has started to fit the noise. Two remedies from the lectures:
 *
 *   weight constraint   minimise C(w) + (λ/2) Σ w² (biases excluded): every step also
 *                       shrinks the weights, ∇ ← ∇C + λw, and small weights give a smooth
 *                       function. Too small a λ changes nothing, too large a one underfits.
 *   early stopping      keep the weights of the epoch with the lowest validation error;
 *                       stop once it has not improved for `patience` epochs.
 *
 * Trained with descent's own loop and optimisers (`chain(l2Penalty(λ), adam)`); where early
 * stopping would stop is decided by descent's `earlyStopping` callback watching the same
 * validation losses as it would in `fit` (told to stop, it only records the epoch here, so
 * the figure can show the curves going on).
 */
import { noGrad } from '../autograd/tape.js';
import { Dataset } from '../data/dataset.js';
import { ConfigError } from '../errors.js';
import { dense } from '../nn/dense.js';
import type { Layer } from '../nn/layer.js';
import { sequential } from '../nn/sequential.js';
import { adam, chain, l2Penalty, Optimizer } from '../optim/index.js';
import { fromArray } from '../tensor/creation.js';
import { Rng } from '../tensor/random.js';
import { tidy } from '../tensor/scope.js';
import { earlyStopping } from '../train/callbacks.js';
import { evaluateNet, seededInitializer, trainLoop } from './loop.js';

export interface OverfitRun {
  lambda: number;
  /** Mean squared error on the training and validation samples after each epoch (index 0: before). */
  train: number[];
  validation: number[];
  /**
   * The epoch earlyStopping would stop at (null if it never would), and the best epoch then
   * (whose weights restoreBestWeights would keep); without a stop, the best epoch overall.
   */
  stoppedEpoch: number | null;
  bestEpoch: number | null;
  /** The network's output on `xs` at the end of training, and at the best epoch. */
  fit: number[];
  bestFit: number[];
  /** Σ w² over the weights at the end (biases excluded). */
  weightNorm2: number;
}

export interface OverfitStudy {
  title: string;
  /** Training and validation samples. */
  train: { x: number[]; y: number[] };
  validation: { x: number[]; y: number[] };
  /** A dense grid with the noise-free target, for drawing. */
  xs: number[];
  target: number[];
  noise: number;
  hidden: number[];
  parameters: number;
  epochs: number;
  lr: number;
  patience: number;
  runs: OverfitRun[];
}

export interface OverfitOptions {
  lambdas?: number[];
  epochs?: number;
  /** Training samples (default 12). */
  samples?: number;
  hidden?: number[];
  patience?: number;
  lr?: number;
  seed?: number;
}

const target = (x: number) => Math.sin(2.5 * x) + 0.5 * x;

function samples(count: number, noise: number, rng: Rng, even: boolean): { x: number[]; y: number[] } {
  const x = Array.from({ length: count }, (_, i) =>
    even ? -1 + (2 * (i + 0.5)) / count : rng.uniformIn(-1, 1),
  );
  return { x, y: x.map((v) => target(v) + noise * rng.normal()) };
}

function predict(net: Layer, xs: readonly number[]): number[] {
  return tidy(() => noGrad(() => Array.from(net.call(fromArray([...xs], [xs.length, 1])).dataSync())));
}

/** One network per λ, the same data and initial weights; see the file comment. */
export function overfittingStudy(options: OverfitOptions = {}): OverfitStudy {
  const lambdas = options.lambdas ?? [0, 1e-3, 1e-2, 1e-1];
  const epochs = options.epochs ?? 1000;
  const count = options.samples ?? 12;
  const hidden = options.hidden ?? [64, 64];
  const patience = options.patience ?? 100;
  const lr = options.lr ?? 0.01;
  const seed = options.seed ?? 1;
  if (!Number.isInteger(epochs) || epochs < 2)
    throw new ConfigError(`overfittingStudy: epochs must be an integer ≥ 2, got ${epochs}.`);
  const noise = 0.3;
  const rng = new Rng(seed);
  const train = samples(count, noise, rng, true);
  const validation = samples(200, noise, rng, false);
  const xs = Array.from({ length: 201 }, (_, i) => -1.1 + (2.2 * i) / 200);
  const make = (s: { x: number[]; y: number[] }, name: string) =>
    Dataset.fromArrays(s.x, [1], new Float32Array(s.y), { targetShape: [1], name });
  const trainSet = make(train, 'training samples');
  const validationSet = make(validation, 'validation samples');
  let parameters = 0;
  try {
    const runs = lambdas.map((lambda) => {
      const init = new Rng(seed + 1);
      let inFeatures = 1;
      const layers: Layer[] = hidden.map((units) => {
        const layer = dense({
          units,
          inFeatures,
          activation: 'tanh',
          kernelInitializer: seededInitializer('glorotUniform', init),
        });
        inFeatures = units;
        return layer;
      });
      layers.push(
        dense({ units: 1, inFeatures, kernelInitializer: seededInitializer('glorotUniform', init) }),
      );
      const net = sequential(layers);
      parameters = net.parameters().reduce((s, p) => s + p.size, 0);
      const optimizer = new Optimizer(chain(l2Penalty(lambda), adam({ lr })));
      const watcher = earlyStopping({ patience, monitor: 'valLoss' });
      // Told to stop, the callback's verdict is recorded (once) and training goes on.
      const verdict: { stop: { epoch: number; best: number } | null } = { stop: null };
      const control = {
        stop: () => void (verdict.stop ??= { epoch: watcher.stoppedEpoch!, best: watcher.bestEpoch! }),
        net,
        optimizer,
      };
      watcher.onTrainBegin?.(
        { epochs, batchesPerEpoch: 1, samplesPerEpoch: count, batchSize: count },
        control,
      );
      const trainLoss = [evaluateNet(net, trainSet, 'mse').loss];
      const validationLoss = [evaluateNet(net, validationSet, 'mse').loss];
      let bestFit = predict(net, xs);
      let best = Infinity;
      trainLoop({
        net,
        data: trainSet,
        loss: 'mse',
        optimizer,
        batchSize: count,
        epochs,
        rng: new Rng(seed + 2),
        onEpochEnd: (epoch) => {
          const t = evaluateNet(net, trainSet, 'mse').loss;
          const v = evaluateNet(net, validationSet, 'mse').loss;
          trainLoss.push(t);
          validationLoss.push(v);
          // The fit at the best epoch so far, until early stopping's verdict (then its best epoch).
          if (v < best && !verdict.stop) {
            best = v;
            bestFit = predict(net, xs);
          }
          // Epochs are counted from 1 in the curves (index 0 is before training).
          void watcher.onEpochEnd?.({ epoch: epoch + 1, logs: { loss: t, valLoss: v }, seconds: 0 }, control);
        },
      });
      const fit = predict(net, xs);
      let weightNorm2 = 0;
      for (const p of net.parameters()) if (p.rank >= 2) for (const v of p.dataSync()) weightNorm2 += v * v;
      optimizer.dispose();
      net.dispose();
      return {
        lambda,
        train: trainLoss,
        validation: validationLoss,
        stoppedEpoch: verdict.stop?.epoch ?? null,
        bestEpoch: verdict.stop?.best ?? watcher.bestEpoch,
        fit,
        bestFit,
        weightNorm2,
      };
    });
    return {
      title: 'sin(2.5x) + x/2',
      train,
      validation,
      xs,
      target: xs.map(target),
      noise,
      hidden,
      parameters,
      epochs,
      lr,
      patience,
      runs,
    };
  } finally {
    trainSet.dispose();
    validationSet.dispose();
  }
}

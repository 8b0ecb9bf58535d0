/**
 * Universal approximation, seen: one hidden layer of growing width fitting a 1-D function,
 * and deep against wide networks with the same number of parameters.
 *
 * A network with one hidden layer of n tanh units computes Σᵢ vᵢ tanh(wᵢx + bᵢ) + c: a sum of
 * n smooth steps. With enough of them it can follow any continuous function on an interval
 * (Cybenko, 1989; Hornik, 1991) — the figure shows the fit improve as n grows. The theorem says
 * nothing about how many units are needed or whether training finds them; stacking layers can
 * use the same parameter budget differently, by composing features instead of adding them.
 *
 * Every fit is descent's own training (full-batch Adam on the mean squared error).
 */
import { Dataset } from '../data/dataset.js';
import { dense } from '../nn/dense.js';
import type { Layer } from '../nn/layer.js';
import { sequential } from '../nn/sequential.js';
import { noGrad } from '../autograd/tape.js';
import { fromArray } from '../tensor/creation.js';
import { Rng } from '../tensor/random.js';
import { tidy } from '../tensor/scope.js';
import { seededInitializer, trainLoop } from './loop.js';

/** Target functions on [−π, π], by name. */
export const targetFunctions: Readonly<Record<string, { title: string; f: (x: number) => number }>> = {
  wave: { title: 'sin(2x) + 0.3x', f: (x) => Math.sin(2 * x) + 0.3 * x },
  bump: {
    title: 'exp(−x²) − 0.5 exp(−4(x − 1.5)²)',
    f: (x) => Math.exp(-x * x) - 0.5 * Math.exp(-4 * (x - 1.5) ** 2),
  },
  step: { title: 'sign(x) (a jump)', f: (x) => (x < 0 ? -1 : 1) },
  chirp: { title: 'sin(x²)', f: (x) => Math.sin(x * x) },
};

export interface FitResult {
  label: string;
  /** Hidden layer sizes. */
  hidden: number[];
  parameters: number;
  /** Training loss (MSE) per step. */
  losses: number[];
  /** The network's output on `xs`. */
  prediction: number[];
  finalLoss: number;
}

export interface ApproxResult {
  target: string;
  title: string;
  /** A dense grid of x for drawing, with the target's values. */
  xs: number[];
  ys: number[];
  fits: FitResult[];
}

export interface ApproxOptions {
  target?: string;
  widths?: number[];
  steps?: number;
  lr?: number;
  /** Training points, evenly spaced on [−π, π] (default 128). */
  samples?: number;
  seed?: number;
  activation?: 'tanh' | 'relu' | 'sigmoid';
}

function countParameters(net: Layer): number {
  return net.parameters().reduce((s, p) => s + p.size, 0);
}

function fit(
  hidden: number[],
  label: string,
  data: Dataset,
  xs: number[],
  options: Required<Pick<ApproxOptions, 'steps' | 'lr' | 'seed' | 'activation'>>,
): FitResult {
  const rng = new Rng(options.seed);
  const init = seededInitializer(options.activation === 'relu' ? 'heNormal' : 'glorotUniform', rng);
  let inFeatures = 1;
  const layers: Layer[] = hidden.map((units) => {
    const layer = dense({ units, inFeatures, activation: options.activation, kernelInitializer: init });
    inFeatures = units;
    return layer;
  });
  layers.push(dense({ units: 1, inFeatures, kernelInitializer: seededInitializer('glorotUniform', rng) }));
  const net = sequential(layers);
  const result = trainLoop({
    net,
    data,
    loss: 'mse',
    optimizer: 'adam',
    lr: options.lr,
    batchSize: data.length,
    epochs: options.steps,
    rng: new Rng(options.seed + 1),
  });
  const prediction = tidy(() => noGrad(() => Array.from(net.call(fromArray(xs, [xs.length, 1])).dataSync())));
  const parameters = countParameters(net);
  net.dispose();
  return {
    label,
    hidden,
    parameters,
    losses: result.losses,
    prediction,
    finalLoss: result.losses[result.losses.length - 1],
  };
}

function makeData(target: (x: number) => number, samples: number): Dataset {
  const x = Array.from({ length: samples }, (_, i) => -Math.PI + (2 * Math.PI * i) / (samples - 1));
  return Dataset.fromArrays(x, [1], new Float32Array(x.map(target)), { targetShape: [1], name: 'approx' });
}

function defaults(options: ApproxOptions) {
  return {
    steps: options.steps ?? 1500,
    lr: options.lr ?? 0.01,
    seed: options.seed ?? 1,
    activation: options.activation ?? 'tanh',
  } as const;
}

/** One hidden layer of each width, trained on the same target. */
export function widthSweep(options: ApproxOptions = {}): ApproxResult {
  const name = options.target ?? 'wave';
  const target = targetFunctions[name] ?? targetFunctions.wave;
  const data = makeData(target.f, options.samples ?? 128);
  const xs = Array.from({ length: 241 }, (_, i) => -Math.PI + (2 * Math.PI * i) / 240);
  try {
    const fits = (options.widths ?? [1, 2, 4, 8, 32]).map((w) =>
      fit([w], `${w} unit${w === 1 ? '' : 's'}`, data, xs, defaults(options)),
    );
    return { target: name, title: target.title, xs, ys: xs.map(target.f), fits };
  } finally {
    data.dispose();
  }
}

/**
 * Deep against wide at (about) equal parameter counts: one hidden layer of `wide` units
 * against `depth` hidden layers whose common width is chosen to match the count.
 */
export function deepVersusWide(
  options: ApproxOptions & { wide?: number; depth?: number } = {},
): ApproxResult {
  const name = options.target ?? 'chirp';
  const target = targetFunctions[name] ?? targetFunctions.chirp;
  const wide = options.wide ?? 24;
  const depth = options.depth ?? 2;
  // 1 hidden layer of n: 3n + 1 parameters; d layers of m: 2m + (d − 1)(m² + m) + m + 1. Pick the closest m.
  const budget = 3 * wide + 1;
  const count = (m: number) => 2 * m + (depth - 1) * (m * m + m) + m + 1;
  let m = 1;
  while (Math.abs(count(m + 1) - budget) <= Math.abs(count(m) - budget)) m++;
  const data = makeData(target.f, options.samples ?? 128);
  const xs = Array.from({ length: 241 }, (_, i) => -Math.PI + (2 * Math.PI * i) / 240);
  try {
    const d = defaults(options);
    const fits = [
      fit([wide], `wide 1 × ${wide}`, data, xs, d),
      fit(new Array(depth).fill(m), `deep ${depth} × ${m}`, data, xs, d),
    ];
    return { target: name, title: target.title, xs, ys: xs.map(target.f), fits };
  } finally {
    data.dispose();
  }
}

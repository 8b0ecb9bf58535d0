/**
 * Initialisation: why the scale of the first weights decides whether a deep network can
 * learn at all.
 *
 * Signal propagation. For y ∈ ℝⁿ and K with i.i.d. entries of mean 0 and variance σ²,
 * E‖Ky‖² = nσ²‖y‖², so through three layers
 *
 *   E‖K₃K₂K₁y‖² = (nσ²)³ ‖y‖²          (n = 100)
 *
 * N(0, 1) gives a gain of √n = 10 per layer (×1000 after three), U[−0.5, 0.5] (σ² = 1/12)
 * ≈ 2.9 per layer, U[−0.05, 0.05] ≈ 0.29 per layer (the signal shrinks 40-fold), while
 * Glorot's σ² = 2/(fan_in + fan_out) = 1/n keeps ‖K₃K₂K₁y‖ ≈ ‖y‖. He's σ² = 2/fan_in is
 * made for ReLU, which zeroes half the units: with ReLU between the layers it is He that
 * keeps the norm, and without, it grows by √2 per layer.
 *
 * Activations. Through a deep tanh or ReLU net, the histogram of each layer's activations
 * shows the same thing: with too small weights they collapse to 0, with too large ones tanh
 * saturates at ±1 (and its gradient dies) and ReLU activations explode.
 *
 * The matrices come from descent's own initialisers, and the deep nets are descent's dense
 * layers; every experiment draws from its own seeded generator.
 */
import { noGrad } from '../autograd/tape.js';
import { dense } from '../nn/dense.js';
import {
  glorotUniform,
  heNormal,
  randomNormal,
  randomUniform,
  type Initializer,
} from '../nn/initializers.js';
import type { Layer } from '../nn/layer.js';
import { relu, tanh } from '../ops/activation.js';
import { mul } from '../ops/arithmetic.js';
import { matmul } from '../ops/matmul.js';
import { randn } from '../tensor/creation.js';
import { Rng } from '../tensor/random.js';
import { tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { labDType } from './functions.js';
import { seededInitializer } from './loop.js';

export interface InitScheme {
  name: string;
  /** How figures label it. */
  label: string;
  init: Initializer;
  /** The entries' variance σ² for a layer with these fans. */
  variance(fanIn: number, fanOut: number): number;
}

/** The five schemes of the lecture, in the order figures show them. */
export const initSchemes: readonly InitScheme[] = [
  { name: 'normal', label: 'N(0, 1)', init: randomNormal({ std: 1 }), variance: () => 1 },
  {
    name: 'uniform0.5',
    label: 'U[−0.5, 0.5]',
    init: randomUniform({ low: -0.5, high: 0.5 }),
    variance: () => 1 / 12,
  },
  {
    name: 'uniform0.05',
    label: 'U[−0.05, 0.05]',
    init: randomUniform({ low: -0.05, high: 0.05 }),
    variance: () => 0.01 / 12,
  },
  { name: 'glorot', label: 'Glorot (uniform)', init: glorotUniform(), variance: (i, o) => 2 / (i + o) },
  { name: 'he', label: 'He (normal)', init: heNormal(), variance: (i) => 2 / i },
];

export type Nonlinearity = 'linear' | 'relu' | 'tanh';

export interface NormSample {
  inNorm: number;
  outNorm: number;
}

export interface NormPropagation {
  scheme: string;
  label: string;
  /** Theory: the expected squared gain per layer, nσ² (halved for ReLU). */
  gainSquaredPerLayer: number;
  /** Theory: E‖out‖²/‖y‖² = (gain²)^depth (exact for linear layers). */
  expectedSquaredRatio: number;
  samples: NormSample[];
  /** Mean over samples of ‖out‖²/‖y‖², to compare with the expectation. */
  meanSquaredRatio: number;
  /** Geometric mean of ‖out‖/‖y‖. */
  typicalRatio: number;
}

export interface NormPropagationOptions {
  /** Dimension n of y and of the square matrices (default 100). */
  size?: number;
  /** Number of matrices (default 3: K₃K₂K₁). */
  depth?: number;
  /** Draws of (K₁, …, y) per scheme (default 200). */
  samples?: number;
  /** Applied after each matrix (default linear: the plain product). */
  nonlinearity?: Nonlinearity;
  /** ‖y‖ ranges over [lo, hi] (log-uniformly), so the figure shows a line, not a blob. */
  normRange?: readonly [number, number];
  schemes?: readonly InitScheme[];
  seed?: number;
}

function apply(kind: Nonlinearity, x: Tensor): Tensor {
  return kind === 'relu' ? relu(x) : kind === 'tanh' ? tanh(x) : x;
}

function l2(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i] * values[i];
  return Math.sqrt(s);
}

/** ‖K_d ⋯ K₁ y‖ against ‖y‖ for random K from each scheme and random y ∈ ℝⁿ. */
export function normPropagation(options: NormPropagationOptions = {}): NormPropagation[] {
  const n = options.size ?? 100;
  const depth = options.depth ?? 3;
  const count = options.samples ?? 200;
  const kind = options.nonlinearity ?? 'linear';
  const [lo, hi] = options.normRange ?? [0.3, 30];
  const schemes = options.schemes ?? initSchemes;
  const dtype = labDType();
  return schemes.map((scheme, s) => {
    const rng = new Rng((options.seed ?? 1) * 1000 + s);
    const samples: NormSample[] = [];
    let squared = 0;
    let logSum = 0;
    for (let k = 0; k < count; k++) {
      const sample = tidy(() =>
        noGrad(() => {
          const u = randn([n, 1], { rng, dtype });
          const target = lo * Math.pow(hi / lo, rng.uniform());
          let y = mul(u, target / l2(u.dataSync()));
          const inNorm = target;
          for (let d = 0; d < depth; d++) {
            const K = scheme.init([n, n], { fanIn: n, fanOut: n, rng, dtype });
            y = apply(kind, matmul(K, y));
          }
          return { inNorm, outNorm: l2(y.dataSync()) };
        }),
      );
      samples.push(sample);
      const ratio = sample.outNorm / sample.inNorm;
      squared += ratio * ratio;
      logSum += Math.log(ratio);
    }
    const gain2 = n * scheme.variance(n, n) * (kind === 'relu' ? 0.5 : 1);
    return {
      scheme: scheme.name,
      label: scheme.label,
      gainSquaredPerLayer: gain2,
      expectedSquaredRatio: Math.pow(gain2, depth),
      samples,
      meanSquaredRatio: squared / count,
      typicalRatio: Math.exp(logSum / count),
    };
  });
}

export interface LayerHistogram {
  layer: number;
  /** Bin edges (length counts.length + 1). */
  edges: number[];
  /** Fraction of the activations in each bin (ReLU zeros excluded; see zeroFraction). */
  counts: number[];
  mean: number;
  std: number;
  /** Fraction of activations exactly 0 (dead ReLUs) — or, for tanh, with |a| > 0.99 (saturated). */
  zeroFraction: number;
  saturatedFraction: number;
}

export interface ActivationStudy {
  scheme: string;
  label: string;
  activation: 'tanh' | 'relu';
  layers: LayerHistogram[];
}

export interface ActivationOptions {
  depth?: number;
  width?: number;
  /** Samples pushed through the net (standard normal inputs). */
  batch?: number;
  bins?: number;
  activations?: ReadonlyArray<'tanh' | 'relu'>;
  schemes?: readonly InitScheme[];
  seed?: number;
}

function histogram(
  values: ArrayLike<number>,
  activation: 'tanh' | 'relu',
  bins: number,
  reluRange: number,
): Omit<LayerHistogram, 'layer'> {
  let sum = 0;
  let sumSq = 0;
  let zeros = 0;
  let saturated = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    sum += v;
    sumSq += v * v;
    if (v === 0) zeros++;
    if (Math.abs(v) > 0.99) saturated++;
  }
  const n = values.length;
  const mean = sum / n;
  const std = Math.sqrt(Math.max(0, sumSq / n - mean * mean));
  const [lo, hi] = activation === 'tanh' ? [-1, 1] : [0, reluRange];
  const edges = Array.from({ length: bins + 1 }, (_, i) => lo + ((hi - lo) * i) / bins);
  const counts = new Array<number>(bins).fill(0);
  let counted = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (activation === 'relu' && v === 0) continue;
    // Values beyond the range land in the end bins, so an explosion shows as a spike at the edge.
    const b = Math.min(bins - 1, Math.max(0, Math.floor(((v - lo) / (hi - lo)) * bins)));
    counts[b]++;
    counted++;
  }
  return {
    edges,
    counts: counts.map((c) => (counted > 0 ? c / n : 0)),
    mean,
    std,
    zeroFraction: zeros / n,
    saturatedFraction: activation === 'tanh' ? saturated / n : 0,
  };
}

/**
 * Per-layer activation histograms of a deep net (dense layers without biases, then tanh or
 * ReLU) for each initialisation scheme, on standard normal inputs. ReLU histograms share the
 * range [0, 3) — what a unit-variance signal occupies — so vanishing activations pile up at 0
 * and exploding ones at the right edge.
 */
export function activationHistograms(options: ActivationOptions = {}): ActivationStudy[] {
  const depth = options.depth ?? 8;
  const width = options.width ?? 256;
  const batch = options.batch ?? 500;
  const bins = options.bins ?? 30;
  const schemes = options.schemes ?? initSchemes;
  const activations = options.activations ?? ['tanh', 'relu'];
  const studies: ActivationStudy[] = [];
  for (const activation of activations) {
    schemes.forEach((scheme, s) => {
      const rng = new Rng((options.seed ?? 1) * 1000 + s);
      const layers: Layer[] = Array.from({ length: depth }, () =>
        dense({
          units: width,
          inFeatures: width,
          activation,
          useBias: false,
          kernelInitializer: seededInitializer(scheme.init, rng),
        }),
      );
      const histograms = tidy(() =>
        noGrad(() => {
          let a = randn([batch, width], { rng, dtype: 'float32' });
          const result: LayerHistogram[] = [];
          layers.forEach((layer, l) => {
            a = layer.call(a);
            result.push({ layer: l + 1, ...histogram(a.dataSync(), activation, bins, 3) });
          });
          return result;
        }),
      );
      for (const layer of layers) layer.dispose();
      studies.push({ scheme: scheme.name, label: scheme.label, activation, layers: histograms });
    });
  }
  return studies;
}

/**
 * Loss landscapes: the loss along one or two directions through parameter space around
 * trained weights θ*,
 *
 *   1-D:  J(θ* + α d)            2-D:  J(θ* + α d + β e)
 *
 * for random Gaussian directions d, e. Raw random directions are misleading: a layer whose
 * weights are large barely notices a step that wrecks a layer with small weights, and
 * networks that compute the same function at different weight scales look different. Li et
 * al. (2018, "Visualizing the Loss Landscape of Neural Nets") rescale each *filter* of the
 * direction — for a dense layer each unit's row of incoming weights, for a convolution each
 * output channel — to the norm of the same filter in θ*:
 *
 *   d_{l,i} ← d_{l,i} / ‖d_{l,i}‖ · ‖θ*_{l,i}‖        (biases and 1-D parameters: d = 0)
 *
 * so that α = 1 means "a step as large as the weights themselves", the same in every layer.
 *
 * Random directions in a space of thousands of dimensions are nearly orthogonal to the path
 * training took, so to draw that path on a plane we use the top two principal directions of
 * the path itself (θ_t − θ* for the recorded snapshots), as Li et al. do.
 *
 * The network's parameters are set in place for each evaluation and restored at the end.
 */
import { noGrad } from '../autograd/tape.js';
import type { Dataset } from '../data/dataset.js';
import { ConfigError } from '../errors.js';
import { getLoss, type LossFn, type LossName } from '../losses/index.js';
import type { OptimizerName } from '../optim/index.js';
import { dense } from '../nn/dense.js';
import type { Layer } from '../nn/layer.js';
import { sequential } from '../nn/sequential.js';
import { gather } from '../ops/shape.js';
import { fromArray } from '../tensor/creation.js';
import { Rng } from '../tensor/random.js';
import { tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { seededInitializer, trainLoop } from './loop.js';

/** One array per parameter tensor, in `net.parameters()` order. */
export type ParamVector = Float64Array<ArrayBufferLike>[];

export type DirectionNormalization = 'filter' | 'layer' | 'none';

export function readParams(params: readonly Tensor[]): ParamVector {
  return params.map((p) => Float64Array.from(p.dataSync()));
}

/** Overwrites the parameters' values in place (the tensors stay the same objects). */
export function writeParams(params: readonly Tensor[], values: ParamVector): void {
  params.forEach((p, i) => {
    if (values[i].length !== p.size)
      throw new ConfigError(
        `writeParams: ${p.name ?? `parameter ${i}`} has ${p.size} values, got ${values[i].length}.`,
      );
    tidy(() => {
      const t = fromArray(values[i], p.shape, { dtype: p.dtype });
      p.backend.cast(t.storage, t.dtype, p.storage, p.dtype, p.size);
    });
  });
}

function combine(base: ParamVector, terms: ReadonlyArray<[number, ParamVector]>): ParamVector {
  return base.map((b, i) => {
    const out = Float64Array.from(b);
    for (const [c, d] of terms) {
      if (c === 0) continue;
      const di = d[i];
      for (let k = 0; k < out.length; k++) out[k] += c * di[k];
    }
    return out;
  });
}

function dot(a: ParamVector, b: ParamVector): number {
  let s = 0;
  a.forEach((ai, i) => {
    const bi = b[i];
    for (let k = 0; k < ai.length; k++) s += ai[k] * bi[k];
  });
  return s;
}

function scaleVector(a: ParamVector, c: number): ParamVector {
  return a.map((ai) => ai.map((v) => v * c));
}

/**
 * A random Gaussian direction shaped like `theta`, normalised per filter (Li et al.), per
 * parameter tensor ('layer'), or not at all ('none').
 */
export function randomDirection(
  theta: ParamVector,
  shapes: ReadonlyArray<readonly number[]>,
  rng: Rng,
  normalization: DirectionNormalization = 'filter',
): ParamVector {
  return theta.map((t, i) => {
    const shape = shapes[i];
    const d = new Float64Array(t.length);
    for (let k = 0; k < d.length; k++) d[k] = rng.normal();
    if (normalization === 'none') return d;
    if (shape.length <= 1) return normalization === 'filter' ? d.fill(0) : rescale(d, t, 0, d.length);
    if (normalization === 'layer') return rescale(d, t, 0, d.length);
    // One filter per index of the first axis: a dense unit's row, a convolution's output channel.
    const per = t.length / shape[0];
    for (let f = 0; f < shape[0]; f++) rescale(d, t, f * per, (f + 1) * per);
    return d;
  });
}

function rescale(d: Float64Array, t: Float64Array, from: number, to: number): Float64Array {
  let dn = 0;
  let tn = 0;
  for (let k = from; k < to; k++) {
    dn += d[k] * d[k];
    tn += t[k] * t[k];
  }
  const c = dn > 0 ? Math.sqrt(tn / dn) : 0;
  for (let k = from; k < to; k++) d[k] *= c;
  return d;
}

export interface LandscapeTarget {
  net: Layer;
  data: Dataset;
  loss?: LossName | LossFn;
  /** Evaluate on at most this many samples (the first ones; default 1000). */
  maxSamples?: number;
}

/** J(θ) on the target's data for the parameters currently in the net. */
function lossNow(target: LandscapeTarget, lossFn: LossFn, idx: Int32Array): number {
  return tidy(() =>
    noGrad(() => {
      const x = gather(target.data.x, idx);
      const y = gather(target.data.y, idx);
      return lossFn(target.net.call(x, { training: false }), y).dataSync()[0];
    }),
  );
}

/** Evaluates J at θ* + Σ cᵢ dᵢ for every coefficient tuple, restoring θ* afterwards. */
export function lossAt(
  target: LandscapeTarget,
  theta: ParamVector,
  directions: ParamVector[],
  coefficients: ReadonlyArray<readonly number[]>,
): number[] {
  const params = target.net.parameters();
  const lossFn = getLoss(target.loss ?? 'crossEntropy');
  const n = Math.min(target.data.length, target.maxSamples ?? 1000);
  const idx = Int32Array.from({ length: n }, (_, i) => i);
  try {
    return coefficients.map((c) => {
      writeParams(
        params,
        combine(
          theta,
          directions.map((d, i) => [c[i], d] as [number, ParamVector]),
        ),
      );
      return lossNow(target, lossFn, idx);
    });
  } finally {
    writeParams(params, theta);
  }
}

export interface Slice1d {
  alphas: number[];
  losses: number[];
  normalization: DirectionNormalization;
}

export interface Slice1dOptions {
  range?: readonly [number, number];
  points?: number;
  normalization?: DirectionNormalization;
  /** Number of random directions (one slice each; default 1). */
  directions?: number;
  seed?: number;
}

/** J(θ* + α d) for random directions d. */
export function lossSlice1d(target: LandscapeTarget, options: Slice1dOptions = {}): Slice1d[] {
  const [lo, hi] = options.range ?? [-1, 1];
  const points = options.points ?? 41;
  const normalization = options.normalization ?? 'filter';
  const params = target.net.parameters();
  const theta = readParams(params);
  const shapes = params.map((p) => p.shape);
  const rng = new Rng(options.seed ?? 1);
  const alphas = Array.from({ length: points }, (_, i) => lo + ((hi - lo) * i) / (points - 1));
  return Array.from({ length: options.directions ?? 1 }, () => {
    const d = randomDirection(theta, shapes, rng, normalization);
    return {
      alphas,
      losses: lossAt(
        target,
        theta,
        [d],
        alphas.map((a) => [a]),
      ),
      normalization,
    };
  });
}

export interface Surface2d {
  alphas: number[];
  betas: number[];
  /** values[j * alphas.length + i] = J(θ* + αᵢ d + βⱼ e): row-major, row 0 at β = betas[0]. */
  values: Float64Array;
  /** The training path's coordinates (α, β) in this plane, when it was projected. */
  path?: Array<[number, number]>;
  /** Fraction of the path's variance the two directions explain (PCA plane only). */
  explained?: [number, number];
}

export interface Surface2dOptions {
  /** Grid extent along d (α) and e (β). */
  range?: readonly [number, number];
  betaRange?: readonly [number, number];
  points?: number;
  normalization?: DirectionNormalization;
  seed?: number;
  /** Use these two directions instead of random ones. */
  directions?: [ParamVector, ParamVector];
}

/** J(θ* + α d + β e) on a grid, for random (or given) directions d, e. */
export function lossSurface2d(target: LandscapeTarget, options: Surface2dOptions = {}): Surface2d {
  const [lo, hi] = options.range ?? [-1, 1];
  const [blo, bhi] = options.betaRange ?? [lo, hi];
  const points = options.points ?? 25;
  const params = target.net.parameters();
  const theta = readParams(params);
  const shapes = params.map((p) => p.shape);
  const rng = new Rng(options.seed ?? 1);
  const [d, e] = options.directions ?? [
    randomDirection(theta, shapes, rng, options.normalization ?? 'filter'),
    randomDirection(theta, shapes, rng, options.normalization ?? 'filter'),
  ];
  const alphas = Array.from({ length: points }, (_, i) => lo + ((hi - lo) * i) / (points - 1));
  const betas = Array.from({ length: points }, (_, j) => blo + ((bhi - blo) * j) / (points - 1));
  const coefficients: number[][] = [];
  for (const b of betas) for (const a of alphas) coefficients.push([a, b]);
  return { alphas, betas, values: Float64Array.from(lossAt(target, theta, [d, e], coefficients)) };
}

/**
 * The two principal directions of a training path around its end point: the top
 * eigenvectors of the snapshots' differences θ_t − θ* (through the small Gram matrix),
 * orthonormal, with each snapshot's coordinates in that plane.
 */
export function pathPlane(
  snapshots: readonly ParamVector[],
  final: ParamVector,
): {
  directions: [ParamVector, ParamVector];
  coordinates: Array<[number, number]>;
  explained: [number, number];
} {
  const diffs = snapshots.map((s) => combine(s, [[-1, final]]));
  const m = diffs.length;
  if (m < 2) throw new ConfigError('pathPlane: needs at least two snapshots of the training path.');
  const gram = diffs.map((a) => diffs.map((b) => dot(a, b)));
  const total = gram.reduce((s, row, i) => s + row[i], 0);
  const vectors: number[][] = [];
  const values: number[] = [];
  for (let c = 0; c < 2; c++) {
    // Power iteration with deflation against the vectors found so far.
    let v = Array.from({ length: m }, (_, i) => Math.sin(i + 1 + c));
    let lambda = 0;
    for (let it = 0; it < 500; it++) {
      for (const u of vectors) {
        const p = u.reduce((s, ui, i) => s + ui * v[i], 0);
        v = v.map((vi, i) => vi - p * u[i]);
      }
      const w = gram.map((row) => row.reduce((s, g, j) => s + g * v[j], 0));
      const n = Math.hypot(...w);
      if (n === 0) break;
      const next = w.map((x) => x / n);
      const change = Math.hypot(...next.map((x, i) => x - v[i]));
      v = next;
      lambda = n;
      if (change < 1e-12) break;
    }
    vectors.push(v);
    values.push(lambda);
  }
  const directions = vectors.map((v) => {
    let dir: ParamVector = diffs[0].map((a) => new Float64Array(a.length));
    v.forEach((c, t) => (dir = combine(dir, [[c, diffs[t]]])));
    const n = Math.sqrt(dot(dir, dir));
    return n > 0 ? scaleVector(dir, 1 / n) : dir;
  }) as [ParamVector, ParamVector];
  const coordinates = diffs.map((dv) => [dot(dv, directions[0]), dot(dv, directions[1])] as [number, number]);
  return { directions, coordinates, explained: [values[0] / (total || 1), values[1] / (total || 1)] };
}

/** A 2-D surface in the plane of the training path, with the path drawn in it. */
export function pathSurface(
  target: LandscapeTarget,
  snapshots: readonly ParamVector[],
  options: { points?: number; margin?: number } = {},
): Surface2d {
  const params = target.net.parameters();
  const final = readParams(params);
  const plane = pathPlane(snapshots, final);
  const margin = options.margin ?? 0.25;
  const extent = (k: 0 | 1): [number, number] => {
    const v = plane.coordinates.map((c) => c[k]);
    const lo = Math.min(0, ...v);
    const hi = Math.max(0, ...v);
    const pad = Math.max((hi - lo) * margin, 1e-3);
    return [lo - pad, hi + pad];
  };
  const surface = lossSurface2d(target, {
    range: extent(0),
    betaRange: extent(1),
    points: options.points ?? 25,
    directions: plane.directions,
  });
  return { ...surface, path: plane.coordinates, explained: plane.explained };
}

export interface TrainedForLandscape {
  net: Layer;
  /** Parameter snapshots along training, the initial weights first and the final ones last. */
  snapshots: ParamVector[];
  /** Mini-batch loss per step. */
  losses: number[];
}

export interface LandscapeTrainingOptions {
  data: Dataset;
  numClasses: number;
  hidden?: number[];
  activation?: 'relu' | 'tanh' | 'sigmoid';
  epochs?: number;
  batchSize?: number;
  optimizer?: OptimizerName;
  lr?: number;
  /** Snapshots taken per epoch (default 4). */
  snapshotsPerEpoch?: number;
  seed?: number;
}

/** Trains a small MLP, recording parameter snapshots for `pathSurface`. */
export function trainForLandscape(options: LandscapeTrainingOptions): TrainedForLandscape {
  const seed = options.seed ?? 1;
  const rng = new Rng(seed);
  const activation = options.activation ?? 'relu';
  const init = seededInitializer(activation === 'relu' ? 'heNormal' : 'glorotUniform', rng);
  const net = sequential([
    ...(options.hidden ?? [32]).map((units) => dense({ units, activation, kernelInitializer: init })),
    dense({ units: options.numClasses, kernelInitializer: seededInitializer('glorotUniform', rng) }),
  ]);
  net.buildFor([1, ...options.data.x.shape.slice(1)]);
  const batchSize = options.batchSize ?? 32;
  const perEpoch = Math.ceil(options.data.length / batchSize);
  const every = Math.max(1, Math.floor(perEpoch / (options.snapshotsPerEpoch ?? 4)));
  const snapshots: ParamVector[] = [readParams(net.parameters())];
  const result = trainLoop({
    net,
    data: options.data,
    optimizer: options.optimizer ?? 'sgd',
    lr: options.lr ?? 0.1,
    batchSize,
    epochs: options.epochs ?? 8,
    rng: new Rng(seed + 1),
    afterStep: ({ step, params }) => {
      if ((step + 1) % every === 0) snapshots.push(readParams(params));
    },
  });
  const last = readParams(net.parameters());
  snapshots.push(last);
  return { net, snapshots, losses: result.losses };
}

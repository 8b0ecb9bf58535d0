/**
 * Choosing the divergence: the L2 error against cross-entropy (the KL divergence to the
 * targets) for units whose output is a sigmoid or a softmax.
 *
 * One sigmoid unit p = σ(w x + b) on a 1-D two-class set. Under the squared error
 *
 *   L2(w, b) = 1/n Σ (pᵢ − yᵢ)²,        ∂L2/∂z = 2/n (p − y) p (1 − p)
 *
 * the gradient carries the factor σ′ = p(1 − p), which vanishes wherever the unit saturates —
 * also where it is confidently *wrong*: the L2 surface has wide flat plateaus, and gradient
 * descent started on one barely moves. Under the cross-entropy (for 0/1 targets the KL
 * divergence from the targets to the outputs),
 *
 *   CE(w, b) = −1/n Σ [y ln p + (1 − y) ln(1 − p)],   ∂CE/∂z = 1/n (p − y),
 *
 * σ′ cancels: a confident mistake gives the largest gradient, and the surface is convex. The
 * same holds for softmax outputs, where cross-entropy from the logits gives p − y.
 *
 * The surfaces are descent's `mse` and `binaryCrossEntropy` on a grid of (w, b); the paths are
 * descent's sgd on them; the training curves are the same MLP (same initial weights) trained
 * on the digits with softmax + L2 against softmax + cross-entropy, from ordinary and from
 * saturating (large) initial weights.
 */
import { noGrad } from '../autograd/tape.js';
import { Dataset } from '../data/dataset.js';
import { digits } from '../data/sets.js';
import { activation } from '../nn/activations.js';
import { dense } from '../nn/dense.js';
import type { Layer } from '../nn/layer.js';
import { randomNormal } from '../nn/initializers.js';
import { sequential } from '../nn/sequential.js';
import { getLoss } from '../losses/index.js';
import { add, mul } from '../ops/arithmetic.js';
import { sigmoid } from '../ops/activation.js';
import { reshape, slice } from '../ops/shape.js';
import { getOptimizer } from '../optim/index.js';
import { fromArray } from '../tensor/creation.js';
import { Rng } from '../tensor/random.js';
import { tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { labDType, type Grid } from './functions.js';
import { seededInitializer, trainLoop } from './loop.js';
import { descend } from './trajectories.js';

export type UnitLoss = 'mse' | 'binaryCrossEntropy';

export interface UnitSurface {
  loss: UnitLoss;
  label: string;
  /** The loss over (w, b): xs are w, ys are b; row-major, row 0 at the smallest b. */
  grid: Grid;
  /** Gradient descent from the saturated start: (w, b) per step and the loss. */
  path: number[][];
  losses: number[];
}

export interface UnitStudy {
  x: number[];
  y: number[];
  window: { w: [number, number]; b: [number, number] };
  start: [number, number];
  lr: number;
  steps: number;
  surfaces: UnitSurface[];
}

export interface DivergenceCurve {
  loss: 'mse' | 'crossEntropy';
  init: 'glorot' | 'saturating';
  label: string;
  /** Test error after every epoch (index 0: before training). */
  testError: number[];
}

export interface DivergenceStudy {
  unit: UnitStudy;
  network: { description: string; epochs: number; lr: number; curves: DivergenceCurve[] };
}

export interface DivergenceOptions {
  /** Grid points per axis (default 61). */
  points?: number;
  steps?: number;
  epochs?: number;
  seed?: number;
  data?: { train: Dataset; test: Dataset; numClasses: number };
}

const UNIT_LOSSES: ReadonlyArray<{ loss: UnitLoss; label: string }> = [
  { loss: 'mse', label: 'L2 (squared error)' },
  { loss: 'binaryCrossEntropy', label: 'cross-entropy (KL to the targets)' },
];

/** The loss of one sigmoid unit with parameters θ = [w, b] on (x, y), with descent's loss. */
function unitObjective(
  x: readonly number[],
  y: readonly number[],
  loss: UnitLoss,
): (theta: Tensor) => Tensor {
  const lossFn = getLoss(loss);
  return (theta) => {
    const dtype = theta.dtype;
    const xs = fromArray([...x], [x.length, 1], { dtype });
    const ys = fromArray([...y], [y.length, 1], { dtype });
    const p = sigmoid(add(mul(xs, slice(theta, [0], [1])), slice(theta, [1], [1])));
    return reshape(lossFn(p, ys), []);
  };
}

/** The error surfaces of one sigmoid unit and gradient descent on each from a saturated start. */
export function sigmoidUnitSurfaces(
  options: { points?: number; steps?: number; seed?: number } = {},
): UnitStudy {
  const rng = new Rng((options.seed ?? 1) + 17);
  const x: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < 24; i++) {
    const label = i % 2;
    x.push((label ? 1 : -1) + 0.7 * rng.normal());
    y.push(label);
  }
  const points = options.points ?? 61;
  const window = { w: [-6, 6] as [number, number], b: [-6, 6] as [number, number] };
  const ws = Array.from({ length: points }, (_, i) => window.w[0] + ((i + 0.5) * 12) / points);
  const bs = Array.from({ length: points }, (_, j) => window.b[0] + ((j + 0.5) * 12) / points);
  // Confidently wrong: w < 0 sends class 1 (x > 0) towards 0 and class 0 towards 1.
  const start: [number, number] = [-4.5, 1];
  const steps = options.steps ?? 200;
  const lr = 0.5;
  const surfaces = UNIT_LOSSES.map(({ loss, label }) => {
    const objective = unitObjective(x, y, loss);
    const values = tidy(() =>
      noGrad(() => {
        const dtype = labDType();
        const out = new Float64Array(points * points);
        for (let j = 0; j < points; j++)
          for (let i = 0; i < points; i++)
            out[j * points + i] = tidy(
              () => objective(fromArray([ws[i], bs[j]], [2], { dtype })).dataSync()[0],
            );
        return out;
      }),
    );
    let min = Infinity;
    let max = -Infinity;
    for (const v of values) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    const path = descend(objective, start, getOptimizer('sgd', { lr }), { steps });
    return {
      loss,
      label,
      grid: { xs: ws, ys: bs, values, min, max },
      path: path.points,
      losses: path.losses,
    };
  });
  return { x, y, window, start, lr, steps, surfaces };
}

/** Rows of one-hot float targets for integer labels. */
function oneHotRows(labels: ArrayLike<number>, classes: number): Float32Array {
  const out = new Float32Array(labels.length * classes);
  for (let i = 0; i < labels.length; i++) out[i * classes + labels[i]] = 1;
  return out;
}

/** The fraction of `data` (integer labels) that `net` gets wrong. */
export function errorRate(net: Layer, data: Dataset): number {
  return tidy(() =>
    noGrad(() => {
      const out = net.call(data.x, { training: false }).dataSync();
      const labels = data.y.dataSync();
      const k = out.length / data.length;
      let wrong = 0;
      for (let i = 0; i < data.length; i++) {
        let best = 0;
        for (let j = 1; j < k; j++) if (out[i * k + j] > out[i * k + best]) best = j;
        if (best !== labels[i]) wrong++;
      }
      return wrong / data.length;
    }),
  );
}

/** Softmax + L2 against cross-entropy on one MLP (same initial weights), from two initial scales. */
export function divergenceCurves(
  options: { epochs?: number; seed?: number; lr?: number; data?: DivergenceOptions['data'] } = {},
): DivergenceStudy['network'] {
  const seed = options.seed ?? 1;
  const epochs = options.epochs ?? 10;
  const lr = options.lr ?? 0.1;
  const owned = options.data ? null : digits({ rng: new Rng(seed) });
  const sets = options.data ?? owned!;
  const k = sets.numClasses;
  const features = sets.train.x.shape[1];
  const oneHot = Dataset.fromArrays(
    sets.train.x.dataSync() as Float32Array,
    [features],
    oneHotRows(sets.train.y.dataSync(), k),
    { targetShape: [k], name: `${sets.train.name}, one-hot` },
  );
  const hidden = 32;
  try {
    const curves: DivergenceCurve[] = [];
    for (const init of ['glorot', 'saturating'] as const) {
      for (const loss of ['mse', 'crossEntropy'] as const) {
        const rng = new Rng(seed);
        const kernel = seededInitializer(init === 'glorot' ? 'glorotUniform' : randomNormal({ std: 1 }), rng);
        const layers: Layer[] = [
          dense({ units: hidden, inFeatures: features, activation: 'tanh', kernelInitializer: kernel }),
          dense({ units: k, kernelInitializer: kernel }),
        ];
        // L2 compares probabilities with one-hot rows; cross-entropy takes the logits.
        if (loss === 'mse') layers.push(activation('softmax'));
        const net = sequential(layers);
        const testError = [errorRate(net, sets.test)];
        trainLoop({
          net,
          data: loss === 'mse' ? oneHot : sets.train,
          loss,
          optimizer: 'sgd',
          lr,
          batchSize: 32,
          epochs,
          rng: new Rng(seed + 1),
          onEpochEnd: () => testError.push(errorRate(net, sets.test)),
        });
        net.dispose();
        curves.push({
          loss,
          init,
          label: `${loss === 'mse' ? 'softmax + L2' : 'softmax + cross-entropy'}, ${init === 'glorot' ? 'Glorot init' : 'large init N(0, 1)'}`,
          testError,
        });
      }
    }
    return {
      description: `a ${features}-${hidden}-${k} tanh MLP on ${sets.train.name}, sgd (η = ${lr}, batch 32)`,
      epochs,
      lr,
      curves,
    };
  } finally {
    oneHot.dispose();
    owned?.train.dispose();
    owned?.test.dispose();
  }
}

/** Both parts; see the file comment. */
export function divergenceStudy(options: DivergenceOptions = {}): DivergenceStudy {
  return {
    unit: sigmoidUnitSurfaces(options),
    network: divergenceCurves({ epochs: options.epochs, seed: options.seed, data: options.data }),
  };
}

/**
 * Local minima and starting points: where gradient descent ends depends on where it starts.
 *
 * A loss with several minima of different depths, in one and in two dimensions — Gaussian
 * wells in a gentle bowl,
 *
 *   f(p) = c ‖p‖² − Σₖ aₖ exp(−‖p − μₖ‖² / (2 sₖ²)),
 *
 * written with descent's ops so that autograd gives the gradient. Gradient descent from many
 * starts rolls into whichever basin the start lies in. A shallow, narrow well traps plain
 * gradient descent; momentum carries the iterate over its rim, and a step too large for the
 * narrow well's curvature (η > 2/f″) cannot settle in it but can in the wide, deep one.
 *
 * On a small network the same thing shows as a spread of final training losses over the
 * seeds of the initial weights: each seed starts in a different place of a landscape with
 * many minima and plateaus.
 */
import { noGrad } from '../autograd/tape.js';
import { ConfigError } from '../errors.js';
import type { Dataset } from '../data/dataset.js';
import { synthetic } from '../data/sets.js';
import { dense } from '../nn/dense.js';
import { sequential } from '../nn/sequential.js';
import { add, exp, mul, square, sub } from '../ops/arithmetic.js';
import { reshape, slice } from '../ops/shape.js';
import { asOptimizerName, getOptimizer } from '../optim/index.js';
import { fromArray } from '../tensor/creation.js';
import { Rng } from '../tensor/random.js';
import { tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { labDType, type Grid, type Range } from './functions.js';
import { evaluateNet, seededInitializer, trainLoop } from './loop.js';
import { descend, type Objective } from './trajectories.js';

export interface Well {
  center: readonly number[];
  depth: number;
  width: number;
}

export interface WellsFunction {
  title: string;
  formula: string;
  /** 1 or 2 coordinates. */
  dims: 1 | 2;
  /** c, the bowl's curvature. */
  confinement: number;
  wells: readonly Well[];
  window: readonly Range[];
}

/** Three minima on a line: a medium one on the left, the deep wide one, a shallow narrow one on the right. */
export const wells1d: WellsFunction = {
  title: 'Three wells on a line',
  formula: 'f(x) = 0.05x² − Σₖ aₖ exp(−(x − μₖ)²/(2sₖ²))',
  dims: 1,
  confinement: 0.05,
  wells: [
    { center: [-2.7], depth: 0.8, width: 0.55 },
    { center: [0.2], depth: 1.6, width: 0.9 },
    { center: [2.8], depth: 0.4, width: 0.25 },
  ],
  window: [[-4.5, 4.5]],
};

/** Four minima of different depths in the plane. */
export const wells2d: WellsFunction = {
  title: 'Four wells in the plane',
  formula: 'f(x, y) = 0.04(x² + y²) − Σₖ aₖ exp(−‖(x, y) − μₖ‖²/(2sₖ²))',
  dims: 2,
  confinement: 0.04,
  wells: [
    { center: [1.2, 0.8], depth: 1.5, width: 0.9 },
    { center: [-1.8, -1.2], depth: 1.0, width: 0.7 },
    { center: [-1.6, 2.0], depth: 0.6, width: 0.5 },
    { center: [2.1, -2.0], depth: 0.5, width: 0.45 },
  ],
  window: [
    [-3.5, 3.5],
    [-3.5, 3.5],
  ],
};

/** f on coordinate tensors that broadcast together (one per dimension). */
function wellsValue(fn: WellsFunction, coords: readonly Tensor[]): Tensor {
  let sq: Tensor | null = null;
  for (const c of coords) sq = sq ? add(sq, square(c)) : square(c);
  let value = mul(sq!, fn.confinement);
  for (const w of fn.wells) {
    let d: Tensor | null = null;
    coords.forEach((c, i) => {
      const term = square(sub(c, w.center[i]));
      d = d ? add(d, term) : term;
    });
    value = sub(value, mul(exp(mul(d!, -1 / (2 * w.width * w.width))), w.depth));
  }
  return value;
}

/** f(θ) for a parameter vector θ of the function's dimension, for the optimisers. */
export function wellsObjective(fn: WellsFunction): Objective {
  return (theta) =>
    reshape(
      wellsValue(
        fn,
        Array.from({ length: fn.dims }, (_, i) => slice(theta, [i], [1])),
      ),
      [],
    );
}

/** f at each x (a 1-D function). */
export function wellsCurve(fn: WellsFunction, xs: readonly number[]): number[] {
  return tidy(() =>
    noGrad(() =>
      Array.from(wellsValue(fn, [fromArray([...xs], [xs.length], { dtype: labDType() })]).dataSync()),
    ),
  );
}

/** f on an nx × ny grid of cell centres over the window (a 2-D function). */
export function wellsGrid(fn: WellsFunction, nx = 121, ny = 121): Grid {
  const [wx, wy] = fn.window;
  const xs = Array.from({ length: nx }, (_, i) => wx[0] + ((i + 0.5) * (wx[1] - wx[0])) / nx);
  const ys = Array.from({ length: ny }, (_, j) => wy[0] + ((j + 0.5) * (wy[1] - wy[0])) / ny);
  const values = tidy(() =>
    noGrad(() => {
      const dtype = labDType();
      return Float64Array.from(
        wellsValue(fn, [fromArray(xs, [1, nx], { dtype }), fromArray(ys, [ny, 1], { dtype })]).dataSync(),
      );
    }),
  );
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  return { xs, ys, values, min, max };
}

export interface Minimum {
  point: number[];
  value: number;
}

/**
 * The minima of f: the local minima of a fine grid of values, each polished by a few steps of
 * descent's Newton optimiser (which converges quadratically once it is this close).
 */
export function findMinima(fn: WellsFunction): Minimum[] {
  const candidates: number[][] = [];
  if (fn.dims === 1) {
    const [lo, hi] = fn.window[0];
    const xs = Array.from({ length: 901 }, (_, i) => lo + ((hi - lo) * i) / 900);
    const v = wellsCurve(fn, xs);
    for (let i = 1; i + 1 < xs.length; i++) if (v[i] < v[i - 1] && v[i] < v[i + 1]) candidates.push([xs[i]]);
  } else {
    const g = wellsGrid(fn, 141, 141);
    const nx = g.xs.length;
    const at = (i: number, j: number) => g.values[j * nx + i];
    for (let j = 1; j + 1 < g.ys.length; j++)
      for (let i = 1; i + 1 < nx; i++) {
        const v = at(i, j);
        let lowest = true;
        for (let dj = -1; dj <= 1 && lowest; dj++)
          for (let di = -1; di <= 1; di++) if ((di || dj) && at(i + di, j + dj) <= v) lowest = false;
        if (lowest) candidates.push([g.xs[i], g.ys[j]]);
      }
  }
  const objective = wellsObjective(fn);
  return candidates
    .map((start) => {
      const path = descend(objective, start, getOptimizer('newton', { lr: 1 }), { steps: 8 });
      return { point: path.points[path.points.length - 1], value: path.losses[path.losses.length - 1] };
    })
    .sort((a, b) => a.point[0] - b.point[0]);
}

/** The index of the minimum nearest to a point. */
export function nearestMinimum(minima: readonly Minimum[], point: readonly number[]): number {
  let best = 0;
  let bestD = Infinity;
  minima.forEach((m, k) => {
    const d = Math.hypot(...m.point.map((v, i) => v - point[i]));
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  });
  return best;
}

export interface StartRun {
  start: number[];
  points: number[][];
  losses: number[];
  /** Which minimum the run ended in (index into `minima`). */
  minimum: number;
}

export interface ManyStartsStudy {
  fn: WellsFunction;
  minima: Minimum[];
  lr: number;
  steps: number;
  runs: StartRun[];
  /** The curve (1-D) or grid (2-D) to draw under the runs. */
  curve?: { x: number[]; f: number[] };
  grid?: Grid;
}

function manyStarts(fn: WellsFunction, starts: number[][], lr: number, steps: number): ManyStartsStudy {
  const minima = findMinima(fn);
  const objective = wellsObjective(fn);
  const runs = starts.map((start) => {
    const path = descend(objective, start, getOptimizer('sgd', { lr }), { steps });
    const end = path.points[path.points.length - 1];
    return { start, points: path.points, losses: path.losses, minimum: nearestMinimum(minima, end) };
  });
  return { fn, minima, lr, steps, runs };
}

export interface EscapeRun {
  label: string;
  optimizer: string;
  lr: number;
  momentum?: number;
  /** xₖ and f(xₖ). */
  points: number[];
  losses: number[];
  minimum: number;
}

export interface EscapeStudy {
  fn: WellsFunction;
  minima: Minimum[];
  start: number;
  runs: EscapeRun[];
}

export interface SeedSpreadStudy {
  /** What was trained, for the captions. */
  description: string;
  seeds: number[];
  /** Training loss after training, per seed. */
  finalLoss: number[];
  /** Training accuracy after training, per seed. */
  finalAccuracy: number[];
  /** The training loss after every epoch, per seed. */
  curves: number[][];
}

export interface MinimaOptions {
  /** Starts for the 1-D function (default 19, evenly spread) and the 2-D one (default a 7 × 7 grid). */
  starts1d?: number;
  startsPerAxis2d?: number;
  steps?: number;
  /** Seeds for the network's spread (default 1…24) and its epochs (default 300). */
  seeds?: number;
  epochs?: number;
  /** Grid points per axis of the 2-D plot (default 121). */
  points?: number;
  seed?: number;
}

export interface MinimaStudy {
  oneD: ManyStartsStudy;
  escape: EscapeStudy;
  twoD: ManyStartsStudy;
  seeds: SeedSpreadStudy;
}

/**
 * Final losses of a small tanh network (2-3-2) trained full-batch with sgd from each seed's
 * initial weights on the same small XOR-like set: some seeds solve it, some end on a plateau
 * or in a poor local minimum.
 */
export function seedSpread(
  options: { seeds?: number[]; epochs?: number; hidden?: number; lr?: number; data?: Dataset } = {},
): SeedSpreadStudy {
  const seeds = options.seeds ?? Array.from({ length: 24 }, (_, i) => i + 1);
  const epochs = options.epochs ?? 300;
  const hidden = options.hidden ?? 3;
  const lr = options.lr ?? 0.5;
  const owned = options.data ? null : synthetic('xor', { count: 64, noise: 0.15, rng: new Rng(11) });
  const data = options.data ?? owned!.train;
  try {
    const finalLoss: number[] = [];
    const finalAccuracy: number[] = [];
    const curves: number[][] = [];
    for (const seed of seeds) {
      const rng = new Rng(seed);
      const net = sequential([
        dense({
          units: hidden,
          inFeatures: data.x.shape[1],
          activation: 'tanh',
          kernelInitializer: seededInitializer('glorotUniform', rng),
        }),
        dense({ units: 2, kernelInitializer: seededInitializer('glorotUniform', rng) }),
      ]);
      const curve: number[] = [evaluateNet(net, data).loss];
      trainLoop({
        net,
        data,
        optimizer: 'sgd',
        lr,
        batchSize: data.length,
        epochs,
        rng: new Rng(seed + 1000),
        onEpochEnd: () => curve.push(evaluateNet(net, data).loss),
      });
      const end = evaluateNet(net, data);
      finalLoss.push(end.loss);
      finalAccuracy.push(end.accuracy);
      curves.push(curve);
      net.dispose();
    }
    return {
      description: `a 2-${hidden}-2 tanh network on ${data.length} noisy XOR points, full-batch sgd (η = ${lr}) for ${epochs} epochs`,
      seeds,
      finalLoss,
      finalAccuracy,
      curves,
    };
  } finally {
    owned?.train.dispose();
    owned?.test.dispose();
  }
}

/** Every part of the study; see the file comment. */
export function localMinimaStudy(options: MinimaOptions = {}): MinimaStudy {
  const steps = options.steps ?? 300;
  const n1 = options.starts1d ?? 19;
  const n2 = options.startsPerAxis2d ?? 7;
  if (!Number.isInteger(n1) || n1 < 2 || !Number.isInteger(n2) || n2 < 2)
    throw new ConfigError(`localMinimaStudy: need at least 2 starts per axis, got ${n1} and ${n2}.`);
  const spread = (lo: number, hi: number, n: number) =>
    Array.from({ length: n }, (_, i) => lo + ((hi - lo) * (i + 0.5)) / n);
  const [lo1, hi1] = wells1d.window[0];
  const oneD = manyStarts(
    wells1d,
    spread(lo1, hi1, n1).map((x) => [x]),
    0.05,
    steps,
  );
  const xs = Array.from({ length: 301 }, (_, i) => lo1 + ((hi1 - lo1) * i) / 300);
  oneD.curve = { x: xs, f: wellsCurve(wells1d, xs) };
  // From high on the right-hand slope: plain GD stops in the shallow well on the way down.
  const start = 4.3;
  const objective = wellsObjective(wells1d);
  const escapeRuns = [
    { label: 'gradient descent, η = 0.05', optimizer: 'sgd', lr: 0.05 },
    { label: 'momentum 0.9, η = 0.05', optimizer: 'momentum', lr: 0.05, momentum: 0.9 },
    { label: 'gradient descent, η = 0.7', optimizer: 'sgd', lr: 0.7 },
  ].map((r) => {
    const path = descend(
      objective,
      [start],
      getOptimizer(asOptimizerName(r.optimizer), {
        lr: r.lr,
        ...(r.momentum !== undefined ? { momentum: r.momentum } : {}),
      }),
      { steps },
    );
    const points = path.points.map((p) => p[0]);
    return {
      ...r,
      points,
      losses: path.losses,
      minimum: nearestMinimum(oneD.minima, [points[points.length - 1]]),
    };
  });
  const escape: EscapeStudy = { fn: wells1d, minima: oneD.minima, start, runs: escapeRuns };
  const [wx, wy] = wells2d.window;
  const starts2d: number[][] = [];
  for (const y of spread(wy[0], wy[1], n2)) for (const x of spread(wx[0], wx[1], n2)) starts2d.push([x, y]);
  const twoD = manyStarts(wells2d, starts2d, 0.1, steps);
  const points = options.points ?? 121;
  twoD.grid = wellsGrid(wells2d, points, points);
  const seeds = seedSpread({
    seeds: Array.from({ length: options.seeds ?? 24 }, (_, i) => (options.seed ?? 1) * 100 + i),
    epochs: options.epochs,
  });
  return { oneD, escape, twoD, seeds };
}

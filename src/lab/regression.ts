/**
 * The lectures' first picture: linear regression by gradient descent.
 *
 *   hypothesis   h_θ(x) = θ₀ + θ₁ x
 *   cost         J(θ₀, θ₁) = 1/(2m) Σᵢ (h_θ(xᵢ) − yᵢ)²
 *   descent      θⱼ ← θⱼ − η ∂J/∂θⱼ,   ∂J/∂θ₀ = 1/m Σ (h − y),  ∂J/∂θ₁ = 1/m Σ (h − y) x
 *
 * First with one parameter (θ₀ = 0) on the three points (1, 1), (2, 2), (3, 3): J(θ₁) is a
 * parabola with its minimum J(1) = 0, and the table of θ₁ against J reads J(0.5) ≈ 0.58,
 * J(0) ≈ 2.33 as on the slide. Then with both parameters on a noisy line: J(θ₀, θ₁) is a
 * bowl whose contours are long ellipses (x is not centred, so θ₀ and θ₁ are coupled), and
 * gradient descent — descent's own sgd on the cost written with descent's ops, the gradient
 * by autograd — zig-zags down it to the least-squares solution (the normal equations, solved
 * here independently of the descent).
 */
import { noGrad } from '../autograd/tape.js';
import { ConfigError } from '../errors.js';
import { add, mul, square, sub } from '../ops/arithmetic.js';
import { mean } from '../ops/reduce.js';
import { reshape, slice } from '../ops/shape.js';
import { getOptimizer } from '../optim/index.js';
import { fromArray } from '../tensor/creation.js';
import { Rng } from '../tensor/random.js';
import { tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { labDType, type Grid } from './functions.js';
import { descend } from './trajectories.js';

export interface RegressionData {
  x: number[];
  y: number[];
}

/**
 * J(θ₀, θ₁) for tensors θ₀, θ₁ that broadcast together (scalars, or a grid): the residuals
 * get a trailing axis over the m samples, which the mean removes.
 */
function costTensor(data: RegressionData, theta0: Tensor, theta1: Tensor): Tensor {
  const dtype = theta0.dtype;
  const m = data.x.length;
  const shape = [...new Array(Math.max(theta0.rank, theta1.rank)).fill(1), m];
  const x = fromArray(data.x, shape, { dtype });
  const y = fromArray(data.y, shape, { dtype });
  const t0 = reshape(theta0, [...theta0.shape, 1]);
  const t1 = reshape(theta1, [...theta1.shape, 1]);
  const residual = sub(add(t0, mul(t1, x)), y);
  return mul(mean(square(residual), -1), 0.5);
}

/** J(θ) for a parameter vector θ = [θ₀, θ₁] (a scalar tensor), for the optimisers. */
export function regressionObjective(data: RegressionData): (theta: Tensor) => Tensor {
  return (theta) => reshape(costTensor(data, slice(theta, [0], [1]), slice(theta, [1], [1])), []);
}

/** J at the given (θ₀, θ₁) pairs, computed with descent's ops. */
export function regressionCost(
  data: RegressionData,
  pairs: ReadonlyArray<readonly [number, number]>,
): number[] {
  return tidy(() =>
    noGrad(() => {
      const dtype = labDType();
      const t0 = fromArray(
        pairs.map((p) => p[0]),
        [pairs.length],
        { dtype },
      );
      const t1 = fromArray(
        pairs.map((p) => p[1]),
        [pairs.length],
        { dtype },
      );
      return Array.from(costTensor(data, t0, t1).dataSync());
    }),
  );
}

/** The least-squares fit by the normal equations (closed form, no descent involved). */
export function leastSquares(data: RegressionData): [number, number] {
  const m = data.x.length;
  const sx = data.x.reduce((s, v) => s + v, 0);
  const sy = data.y.reduce((s, v) => s + v, 0);
  const sxx = data.x.reduce((s, v) => s + v * v, 0);
  const sxy = data.x.reduce((s, v, i) => s + v * data.y[i], 0);
  const det = m * sxx - sx * sx;
  if (!(Math.abs(det) > 1e-12)) throw new ConfigError('leastSquares: the x values must not all be equal.');
  return [(sxx * sy - sx * sxy) / det, (m * sxy - sx * sy) / det];
}

export interface OneParameterStudy {
  data: RegressionData;
  /** J(θ₁) with θ₀ = 0 over a range of θ₁, for the curve. */
  curve: { theta1: number[]; cost: number[] };
  /** The slide's table: θ₁ against J(θ₁). */
  table: Array<{ theta1: number; cost: number }>;
  /** Gradient descent on J(θ₁) from θ₁ = start: the iterates and their costs. */
  descent: { lr: number; theta1: number[]; cost: number[] };
}

export interface TwoParameterStudy {
  data: RegressionData;
  /** J(θ₀, θ₁) on a grid (row-major, row 0 at the smallest θ₁). */
  grid: Grid;
  window: { theta0: [number, number]; theta1: [number, number] };
  /** The least-squares solution (normal equations) and its cost. */
  optimum: [number, number];
  optimumCost: number;
  /** Gradient descent: θₖ and J(θₖ). */
  lr: number;
  path: number[][];
  cost: number[];
}

export interface RegressionStudy {
  one: OneParameterStudy;
  two: TwoParameterStudy;
}

export interface RegressionOptions {
  /** Points of the noisy line (default 24). */
  samples?: number;
  /** Gradient-descent steps on J(θ₀, θ₁) (default 150) and their rate (default 0.3). */
  steps?: number;
  lr?: number;
  /** Start of the two-parameter descent (default (−1.5, −0.5)). */
  start?: readonly [number, number];
  /** Grid points per axis of the contour plot (default 121). */
  points?: number;
  seed?: number;
}

/** m noisy points on y = 0.8 + 1.5 x, x in [0, 4] (sizes and prices, in the lecture's story). */
export function noisyLine(samples: number, seed: number): RegressionData {
  const rng = new Rng(seed);
  const x: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < samples; i++) {
    const xi = 4 * rng.uniform();
    x.push(xi);
    y.push(0.8 + 1.5 * xi + 0.4 * rng.normal());
  }
  return { x, y };
}

/** Both halves of the worked example; see the file comment. */
export function linearRegressionStudy(options: RegressionOptions = {}): RegressionStudy {
  const samples = options.samples ?? 24;
  const steps = options.steps ?? 150;
  const lr = options.lr ?? 0.3;
  const points = options.points ?? 121;
  if (!Number.isInteger(samples) || samples < 2)
    throw new ConfigError(`linearRegressionStudy: samples must be an integer ≥ 2, got ${samples}.`);
  // One parameter: h(x) = θ₁ x on the slide's three points.
  const tiny: RegressionData = { x: [1, 2, 3], y: [1, 2, 3] };
  const theta1 = Array.from({ length: 121 }, (_, i) => -0.5 + (3 * i) / 120);
  const curveCost = regressionCost(
    tiny,
    theta1.map((t) => [0, t] as const),
  );
  const tableThetas = [-0.5, 0, 0.5, 1, 1.5, 2, 2.5];
  const tableCost = regressionCost(
    tiny,
    tableThetas.map((t) => [0, t] as const),
  );
  // θ₀ stays 0: descend on J(0, θ₁) alone.
  const oneObjective = (theta: Tensor) => reshape(costTensor(tiny, mul(theta, 0), theta), []);
  const oneLr = 0.1;
  const onePath = descend(oneObjective, [0], getOptimizer('sgd', { lr: oneLr }), { steps: 8 });
  const one: OneParameterStudy = {
    data: tiny,
    curve: { theta1, cost: curveCost },
    table: tableThetas.map((t, i) => ({ theta1: t, cost: tableCost[i] })),
    descent: { lr: oneLr, theta1: onePath.points.map((p) => p[0]), cost: onePath.losses },
  };
  // Two parameters on a noisy line.
  const data = noisyLine(samples, options.seed ?? 1);
  const optimum = leastSquares(data);
  const start = options.start ?? [-1.5, -0.5];
  const path = descend(regressionObjective(data), start, getOptimizer('sgd', { lr }), { steps });
  const all = [...path.points, optimum];
  const pad = (lo: number, hi: number): [number, number] => {
    const span = hi - lo;
    return [lo - 0.25 * span, hi + 0.25 * span];
  };
  const window = {
    theta0: pad(Math.min(...all.map((p) => p[0])), Math.max(...all.map((p) => p[0]))),
    theta1: pad(Math.min(...all.map((p) => p[1])), Math.max(...all.map((p) => p[1]))),
  };
  const t0s = Array.from(
    { length: points },
    (_, i) => window.theta0[0] + ((i + 0.5) * (window.theta0[1] - window.theta0[0])) / points,
  );
  const t1s = Array.from(
    { length: points },
    (_, j) => window.theta1[0] + ((j + 0.5) * (window.theta1[1] - window.theta1[0])) / points,
  );
  const values = tidy(() =>
    noGrad(() => {
      const dtype = labDType();
      return Float64Array.from(
        costTensor(
          data,
          fromArray(t0s, [1, points], { dtype }),
          fromArray(t1s, [points, 1], { dtype }),
        ).dataSync(),
      );
    }),
  );
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  const two: TwoParameterStudy = {
    data,
    grid: { xs: t0s, ys: t1s, values, min, max },
    window,
    optimum,
    optimumCost: regressionCost(data, [optimum])[0],
    lr,
    path: path.points,
    cost: path.losses,
  };
  return { one, two };
}

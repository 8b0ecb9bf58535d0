/**
 * Second order, checked: the curvature at the end of a run, and why Newton's method is drawn
 * to saddle points.
 *
 * Hessian-vector products without a Hessian: descent's tape has no double backward, so Hv is a
 * central difference of two gradients (each by autograd),
 *
 *   H v ≈ (∇J(θ + εv) − ∇J(θ − εv)) / (2ε),      error O(ε²) (exact for quadratics),
 *
 * and the extreme eigenvalues come from power iteration on it: vₖ₊₁ = H vₖ / ‖H vₖ‖ converges to
 * the eigenvector of largest |λ|, with the Rayleigh quotient vᵀHv → λ; run again on the shifted
 * H − λ₁I, it finds the eigenvalue at the other end of the spectrum. No n × n matrix is formed:
 * two gradients per iteration, whatever the size of θ.
 *
 * At a minimum all eigenvalues are ≥ 0; at a saddle some are negative. Newton's step solves
 * H d = −∇J: in the eigenbasis, dᵢ = −gᵢ/λᵢ, so along a direction of negative curvature it goes
 * *uphill*, towards the stationary point — Newton is attracted to saddles and maxima exactly as
 * to minima, while gradient descent, dᵢ = −η gᵢ, rolls away from them. Shown on a double well
 * f(x, y) = x⁴/4 − x²/2 + y²/2 (minima (±1, 0), saddle (0, 0); f_xx < 0 for |x| < 1/√3) and on a
 * small tanh network written as a function of its parameter vector, whose all-zero hidden
 * weights form a saddle: descent's `newton` started next to it converges onto it, descent's
 * `sgd` from the same start escapes to a minimum, and the power iteration tells the two apart.
 *
 * And the price: `secondOrderCost` (optim/cost.ts) times a Newton step (2n + 1 gradients and an
 * n × n solve) against L-BFGS and SGD as the number of parameters n grows.
 */
import { noGrad } from '../autograd/tape.js';
import { ConfigError } from '../errors.js';
import { add, mul, square, sub } from '../ops/arithmetic.js';
import { tanh } from '../ops/activation.js';
import { matmul } from '../ops/matmul.js';
import { mean } from '../ops/reduce.js';
import { reshape, slice } from '../ops/shape.js';
import { asOptimizerName, getOptimizer, secondOrderCost, type CostRow } from '../optim/index.js';
import { fromArray } from '../tensor/creation.js';
import { Rng } from '../tensor/random.js';
import { tidy } from '../tensor/scope.js';
import { labDType, type Grid } from './functions.js';
import { descend, type Objective } from './trajectories.js';

/** ∇J(θ) by autograd, as plain numbers. */
export function gradientAt(objective: Objective, theta: readonly number[]): Float64Array {
  return tidy(() => {
    const t = fromArray([...theta], [theta.length], { dtype: labDType(), requiresGrad: true });
    objective(t).backward();
    const g = Float64Array.from(t.grad!.dataSync());
    t.dispose();
    return g;
  });
}

/** J(θ), without recording a tape. */
export function valueAt(objective: Objective, theta: readonly number[]): number {
  return tidy(() =>
    noGrad(() => objective(fromArray([...theta], [theta.length], { dtype: labDType() })).dataSync()[0]),
  );
}

/** The finite-difference step for Hessian-vector products in the lab's dtype. */
function hvpStep(): number {
  return labDType() === 'float64' ? 1e-5 : 1e-2;
}

/** H v by a central difference of gradients (see the file comment); `epsilon` scales with ‖v‖ = 1. */
export function hessianVectorProduct(
  objective: Objective,
  theta: readonly number[],
  v: ArrayLike<number>,
  epsilon = hvpStep(),
): Float64Array {
  const plus = gradientAt(
    objective,
    theta.map((t, i) => t + epsilon * v[i]),
  );
  const minus = gradientAt(
    objective,
    theta.map((t, i) => t - epsilon * v[i]),
  );
  return plus.map((p, i) => (p - minus[i]) / (2 * epsilon));
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function normalize(v: Float64Array): Float64Array {
  const n = Math.sqrt(dot(v, v));
  return n > 0 ? v.map((x) => x / n) : v;
}

export interface PowerIteration {
  /** The eigenvalue estimate (Rayleigh quotient) after each iteration. */
  estimates: number[];
  value: number;
  vector: number[];
}

/**
 * Power iteration on v ↦ (H − shift·I) v: the eigenvalue of H farthest from `shift`, with the
 * Rayleigh quotient vᵀHv after every iteration.
 */
export function powerIteration(
  objective: Objective,
  theta: readonly number[],
  options: { iterations?: number; shift?: number; seed?: number } = {},
): PowerIteration {
  const iterations = options.iterations ?? 100;
  const shift = options.shift ?? 0;
  const rng = new Rng(options.seed ?? 1);
  let v = normalize(Float64Array.from(theta, () => rng.normal()));
  const estimates: number[] = [];
  for (let k = 0; k < iterations; k++) {
    const hv = hessianVectorProduct(objective, theta, v);
    estimates.push(dot(v, hv));
    v = normalize(hv.map((x, i) => x - shift * v[i]));
  }
  const value = dot(v, hessianVectorProduct(objective, theta, v));
  estimates.push(value);
  return { estimates, value, vector: Array.from(v) };
}

export interface ExtremeEigenvalues {
  max: PowerIteration;
  min: PowerIteration;
}

/**
 * The largest and the smallest eigenvalue of the Hessian at θ: power iteration finds the one
 * of largest |λ| first, then, shifted by it, the other end.
 */
export function extremeEigenvalues(
  objective: Objective,
  theta: readonly number[],
  options: { iterations?: number; seed?: number } = {},
): ExtremeEigenvalues {
  const first = powerIteration(objective, theta, options);
  const second = powerIteration(objective, theta, {
    ...options,
    shift: first.value,
    seed: (options.seed ?? 1) + 1,
  });
  return first.value >= second.value ? { max: first, min: second } : { max: second, min: first };
}

/** The double well f(x, y) = x⁴/4 − x²/2 + y²/2. */
export const doubleWell: Objective = (theta) => {
  const x = slice(theta, [0], [1]);
  const y = slice(theta, [1], [1]);
  return reshape(add(sub(mul(square(square(x)), 0.25), mul(square(x), 0.5)), mul(square(y), 0.5)), []);
};

export interface TinyNetwork {
  /** Hidden tanh units (no hidden biases: their curvature at the saddle would be 0). */
  hidden: number;
  x: number[];
  y: number[];
  objective: Objective;
  /** θ = [w₁ (hidden), w₂ (hidden), b₂]. */
  parameters: number;
  /** The saddle: every weight 0 and b₂ = mean(y). */
  saddle: number[];
}

/**
 * J(θ) = 1/n Σ (w₂ᵀ tanh(w₁ xᵢ) + b₂ − yᵢ)², a 1-H-1 tanh network as a function of θ. At w₁ = w₂ = 0
 * every gradient vanishes (h = 0 and nothing flows back through w₂ = 0), and with b₂ = mean(y)
 * so does ∂J/∂b₂; the mixed curvature ∂²J/∂w₁ⱼ∂w₂ⱼ = −2 cov(x, y) makes it a saddle.
 */
export function tinyNetwork(hidden = 3, seed = 1): TinyNetwork {
  const rng = new Rng(seed);
  const x = Array.from({ length: 40 }, (_, i) => -2 + (4 * (i + 0.5)) / 40);
  const y = x.map((v) => Math.tanh(1.5 * v) + 0.3 * Math.sin(3 * v) + 0.05 * rng.normal());
  const objective: Objective = (theta) => {
    const dtype = theta.dtype;
    const xs = fromArray(x, [x.length, 1], { dtype });
    const ys = fromArray(y, [y.length, 1], { dtype });
    const w1 = reshape(slice(theta, [0], [hidden]), [1, hidden]);
    const w2 = reshape(slice(theta, [hidden], [hidden]), [hidden, 1]);
    const b2 = slice(theta, [2 * hidden], [1]);
    const out = add(matmul(tanh(matmul(xs, w1)), w2), b2);
    return reshape(mean(square(sub(out, ys))), []);
  };
  const saddle = [...new Array(2 * hidden).fill(0), y.reduce((s, v) => s + v, 0) / y.length];
  return { hidden, x, y, objective, parameters: 2 * hidden + 1, saddle };
}

export interface EndPoint {
  /** Where the run ended, its loss, its gradient norm and the Hessian's extreme eigenvalues there. */
  theta: number[];
  loss: number;
  gradientNorm: number;
  eigenvalues: ExtremeEigenvalues;
}

export interface HessianRun {
  optimizer: string;
  label: string;
  losses: number[];
  gradientNorms: number[];
  end: EndPoint;
}

export interface WellRun {
  optimizer: string;
  start: number[];
  points: number[][];
  /** 'minimum' or 'saddle': the stationary point the run ended nearest to. */
  ended: 'minimum' | 'saddle';
}

export interface HessianStudy {
  well: {
    grid: Grid;
    window: { x: [number, number]; y: [number, number] };
    runs: WellRun[];
    lr: number;
    steps: number;
  };
  network: {
    hidden: number;
    parameters: number;
    samples: number;
    start: number[];
    saddleLoss: number;
    runs: HessianRun[];
  };
  cost: CostRow[];
}

export interface HessianOptions {
  /** Power iterations per eigenvalue (default 150). */
  iterations?: number;
  /** Gradient-descent steps on the network (default 3000) and Newton steps (default 20). */
  gdSteps?: number;
  newtonSteps?: number;
  /** Parameter counts for the cost figure (default 2 … 256). */
  costSizes?: number[];
  points?: number;
  seed?: number;
}

function gridOf(
  objective: Objective,
  window: { x: [number, number]; y: [number, number] },
  points: number,
): Grid {
  const xs = Array.from(
    { length: points },
    (_, i) => window.x[0] + ((i + 0.5) * (window.x[1] - window.x[0])) / points,
  );
  const ys = Array.from(
    { length: points },
    (_, j) => window.y[0] + ((j + 0.5) * (window.y[1] - window.y[0])) / points,
  );
  const values = new Float64Array(points * points);
  let min = Infinity;
  let max = -Infinity;
  for (let j = 0; j < points; j++)
    for (let i = 0; i < points; i++) {
      const v = valueAt(objective, [xs[i], ys[j]]);
      values[j * points + i] = v;
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
  return { xs, ys, values, min, max };
}

/** Every part of the study; see the file comment. */
export function hessianStudy(options: HessianOptions = {}): HessianStudy {
  const iterations = options.iterations ?? 150;
  const seed = options.seed ?? 1;
  if (!Number.isInteger(iterations) || iterations < 2)
    throw new ConfigError(`hessianStudy: iterations must be an integer ≥ 2, got ${iterations}.`);
  // The double well: Newton and gradient descent from the same starts.
  const window = { x: [-1.8, 1.8] as [number, number], y: [-1.6, 1.6] as [number, number] };
  // Three starts where f_xx < 0 (|x| < 1/√3), three beyond.
  const starts = [
    [0.25, 1.3],
    [-0.35, -1.2],
    [0.15, -0.7],
    [-1.5, 1.2],
    [1.4, -1.3],
    [0.9, 1.1],
  ];
  const lr = 0.2;
  const wellSteps = 40;
  const wellRuns: WellRun[] = [];
  for (const optimizer of ['newton', 'sgd']) {
    for (const start of starts) {
      const path = descend(
        doubleWell,
        start,
        getOptimizer(asOptimizerName(optimizer), optimizer === 'sgd' ? { lr } : {}),
        {
          steps: optimizer === 'sgd' ? wellSteps : 12,
        },
      );
      const end = path.points[path.points.length - 1];
      wellRuns.push({
        optimizer,
        start,
        points: path.points,
        ended:
          Math.hypot(end[0], end[1]) <
          Math.min(Math.hypot(end[0] - 1, end[1]), Math.hypot(end[0] + 1, end[1]))
            ? 'saddle'
            : 'minimum',
      });
    }
  }
  const well = {
    grid: gridOf(doubleWell, window, options.points ?? 81),
    window,
    runs: wellRuns,
    lr,
    steps: wellSteps,
  };
  // The network: both optimisers from just beside its saddle.
  const net = tinyNetwork(3, seed);
  const rng = new Rng(seed + 3);
  const start = net.saddle.map((v) => v + 0.05 * rng.normal());
  const runNet = (optimizer: string, label: string, steps: number): HessianRun => {
    const transform = getOptimizer(asOptimizerName(optimizer), optimizer === 'sgd' ? { lr: 0.1 } : {});
    const path = descend(net.objective, start, transform, { steps });
    const gradientNorms = path.points.map((p) => Math.hypot(...gradientAt(net.objective, p)));
    const theta = path.points[path.points.length - 1];
    return {
      optimizer,
      label,
      losses: path.losses,
      gradientNorms,
      end: {
        theta,
        loss: path.losses[path.losses.length - 1],
        gradientNorm: gradientNorms[gradientNorms.length - 1],
        eigenvalues: extremeEigenvalues(net.objective, theta, { iterations, seed }),
      },
    };
  };
  const runs = [
    runNet('sgd', 'gradient descent (η = 0.1)', options.gdSteps ?? 3000),
    runNet('newton', 'Newton’s method', options.newtonSteps ?? 20),
  ];
  const cost = secondOrderCost({ sizes: options.costSizes ?? [2, 4, 8, 16, 32, 64, 128, 256], steps: 2 });
  return {
    well,
    network: {
      hidden: net.hidden,
      parameters: net.parameters,
      samples: net.x.length,
      start,
      saddleLoss: valueAt(net.objective, net.saddle),
      runs,
    },
    cost,
  };
}

/**
 * Optimiser trajectories: run a gradient transformation — any of descent's optimisers, by
 * name or as an object — from a start point for N steps and record where it went.
 *
 *   θ₀ = start;   for k = 0 … N−1:   Lₖ = J(θₖ),  g = ∇J(θₖ) (autograd),  θₖ₊₁ = θₖ + update(g)
 *
 * The step is the library's own: the stateful `Optimizer` over the transform, exactly as
 * in training. `points[k]` is θₖ and `losses[k]` = J(θₖ), so both have N + 1 entries
 * when the run completes.
 *
 * Optimisers that need more than a gradient (`needsClosure`: Newton's method, L-BFGS with
 * a line search) are stepped with a closure that re-evaluates the loss and its gradient, as
 * torch.optim.LBFGS is; an optimiser that still cannot run comes back with status 'skipped'
 * and the reason in `note`, so a figure can leave it out and say why.
 */
import { noGrad } from '../autograd/tape.js';
import {
  asOptimizerName,
  getOptimizer,
  optimizers,
  Optimizer,
  type GradientTransformation,
  type OptState,
} from '../optim/index.js';
import { fromArray } from '../tensor/creation.js';
import { keep, tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { asObjective, getTestFunction, labDType, type TestFunction } from './functions.js';

/** J(θ): a scalar tensor from a parameter vector θ. */
export type Objective = (theta: Tensor) => Tensor;

export type PathStatus = 'ok' | 'diverged' | 'escaped' | 'skipped';

export interface Path {
  /** θₖ for k = 0 … (one more than the steps taken). */
  points: number[][];
  /** J(θₖ), same length as points. */
  losses: number[];
  /**
   * 'ok': all steps ran; 'diverged': the loss or θ became non-finite (or beyond `bound`);
   * 'escaped': θ left the `box` (for an unbounded function such as the saddle, this is the
   * point); 'skipped': the optimiser could not run here (see note).
   */
  status: PathStatus;
  /** The step at which a diverged or escaped run stopped. */
  stoppedAt?: number;
  note?: string;
}

export interface DescendOptions {
  steps: number;
  /** Stop with 'escaped' once θ leaves this box ([lo, hi] per coordinate). */
  box?: ReadonlyArray<readonly [number, number]>;
  /** Stop with 'diverged' once |θᵢ| or |J| exceeds this (default 1e12). */
  bound?: number;
}

function message(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0];
}

/** Runs `transform` on J from `start`; the library's Optimizer applies each update. */
export function descend(
  objective: Objective,
  start: readonly number[],
  transform: GradientTransformation<OptState>,
  options: DescendOptions,
): Path {
  const bound = options.bound ?? 1e12;
  const theta = keep(fromArray([...start], [start.length], { dtype: labDType(), requiresGrad: true }));
  theta.name = 'θ';
  const points: number[][] = [];
  const losses: number[] = [];
  let optimizer: Optimizer | null = null;
  const outOfBox = (p: readonly number[]) =>
    options.box !== undefined && p.some((v, i) => v < options.box![i][0] || v > options.box![i][1]);
  const finish = (status: PathStatus, stoppedAt?: number, note?: string): Path => {
    optimizer?.dispose();
    theta.dispose();
    return {
      points,
      losses,
      status,
      ...(stoppedAt !== undefined ? { stoppedAt } : {}),
      ...(note ? { note } : {}),
    };
  };
  // Methods that evaluate the loss more than once per step (Newton, L-BFGS with a line
  // search) get a closure, as torch.optim.LBFGS does; the step returns the loss at θₖ.
  const needsClosure = transform.needsClosure === true;
  try {
    const opt = (optimizer = new Optimizer(transform, [theta]));
    const closure = () => {
      opt.zeroGrad();
      const value = objective(theta);
      value.backward();
      return value;
    };
    for (let k = 0; k <= options.steps; k++) {
      const point = Array.from(theta.dataSync());
      const last = k === options.steps;
      let loss: number;
      if (!last && needsClosure) {
        loss = opt.step(closure) ?? NaN;
      } else {
        loss = tidy(() => {
          if (last) return noGrad(() => objective(theta).dataSync()[0]);
          return closure().dataSync()[0];
        });
      }
      points.push(point);
      losses.push(loss);
      if (
        !Number.isFinite(loss) ||
        point.some((v) => !Number.isFinite(v) || Math.abs(v) > bound) ||
        Math.abs(loss) > bound
      ) {
        return finish('diverged', k, `diverged at step ${k} (J = ${loss})`);
      }
      if (outOfBox(point)) return finish('escaped', k, `left the window at step ${k}`);
      if (last) break;
      if (!needsClosure) opt.step();
    }
  } catch (error) {
    // Optimisers that need a closure (or anything else this plain loop cannot give) end up here.
    return finish('skipped', points.length > 0 ? points.length - 1 : 0, message(error));
  }
  return finish('ok');
}

export interface Trajectory extends Path {
  optimizer: string;
  lr: number;
  function: string;
  /** Distance from the last point to the nearest minimum (NaN without minima). */
  distanceToMinimum: number;
}

/**
 * Learning rates under which each optimiser makes a sensible path within the function's
 * default step count (tuned with the usual defaults for the other hyper-parameters:
 * momentum 0.9; Adam's β₁ = 0.9, β₂ = 0.999; RMSProp's α = 0.99; Adadelta's ρ = 0.9).
 * On the saddle, plain GD and momentum share a rate so that the picture compares like
 * with like.
 */
export const defaultLearningRates: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  beale: {
    sgd: 0.02,
    momentum: 0.002,
    nesterov: 0.002,
    adagrad: 1,
    rmsprop: 0.03,
    adadelta: 3,
    adam: 0.1,
    adamw: 0.1,
    adamax: 0.5,
    nadam: 0.1,
    amsgrad: 0.1,
    rprop: 0.01,
    quickprop: 0.01,
    lbfgs: 1,
    newton: 1,
  },
  rosenbrock: {
    sgd: 0.001,
    momentum: 0.001,
    nesterov: 0.001,
    adagrad: 0.5,
    rmsprop: 0.01,
    adadelta: 3,
    adam: 0.1,
    adamw: 0.1,
    adamax: 0.5,
    nadam: 0.03,
    amsgrad: 0.1,
    rprop: 0.01,
    quickprop: 0.001,
    lbfgs: 1,
    newton: 1,
  },
  saddle: {
    sgd: 0.01,
    momentum: 0.01,
    nesterov: 0.01,
    adagrad: 0.1,
    rmsprop: 0.01,
    adadelta: 0.3,
    adam: 0.05,
    adamw: 0.05,
    adamax: 0.05,
    nadam: 0.03,
    amsgrad: 0.05,
    rprop: 0.01,
    quickprop: 0.01,
    lbfgs: 1,
    newton: 1,
  },
  quadratic: {
    sgd: 0.085,
    momentum: 0.02,
    nesterov: 0.02,
    adagrad: 1,
    rmsprop: 0.1,
    adadelta: 30,
    adam: 0.3,
    adamw: 0.3,
    adamax: 0.3,
    nadam: 0.3,
    amsgrad: 0.3,
    rprop: 0.1,
    quickprop: 0.05,
    lbfgs: 1,
    newton: 1,
  },
};

/**
 * Hyper-parameters other than the rate that the lab sets: one L-BFGS iteration per step,
 * with its strong-Wolfe line search (torch's default, 20 iterations per step without a line
 * search, would hide the path and jump wildly).
 */
export const labHyperParameters: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
  lbfgs: { maxIter: 1, lineSearch: 'strongWolfe' },
};

/** Fallback when an optimiser is not in the table (a newly registered one). */
const FALLBACK_LR = 0.01;

export function defaultLearningRate(fn: string | TestFunction, optimizer: string): number {
  const name = getTestFunction(fn).name;
  return defaultLearningRates[name]?.[optimizer] ?? FALLBACK_LR;
}

export interface TrajectoryOptions {
  lr?: number;
  steps?: number;
  start?: readonly [number, number];
  /** Extra hyper-parameters for the named optimiser (momentum, …), over labHyperParameters. */
  hyper?: Record<string, unknown>;
  /** Stop when the path leaves the window enlarged by this factor about its centre (default 3). */
  escapeFactor?: number;
}

function escapeBox(fn: TestFunction, factor: number): Array<[number, number]> {
  return [fn.window.x, fn.window.y].map(([lo, hi]) => {
    const mid = (lo + hi) / 2;
    const half = ((hi - lo) / 2) * factor;
    return [mid - half, mid + half] as [number, number];
  });
}

/** One optimiser's path on one test function. `optimizer` is a registered name or a transform. */
export function trajectory(
  fn: string | TestFunction,
  optimizer: string | { name: string; transform: GradientTransformation<OptState>; lr?: number },
  options: TrajectoryOptions = {},
): Trajectory {
  const f = getTestFunction(fn);
  const name = typeof optimizer === 'string' ? optimizer : optimizer.name;
  const lr =
    options.lr ?? (typeof optimizer === 'string' ? defaultLearningRate(f, name) : (optimizer.lr ?? NaN));
  const steps = options.steps ?? f.steps;
  const start = options.start ?? f.start;
  let path: Path;
  try {
    const transform =
      typeof optimizer === 'string'
        ? getOptimizer(asOptimizerName(name), { ...labHyperParameters[name], ...options.hyper, lr })
        : optimizer.transform;
    path = descend(asObjective(f), start, transform, { steps, box: escapeBox(f, options.escapeFactor ?? 3) });
  } catch (error) {
    path = { points: [], losses: [], status: 'skipped', note: message(error) };
  }
  const last = path.points[path.points.length - 1];
  const distanceToMinimum =
    last && f.minima.length > 0
      ? Math.min(...f.minima.map(([mx, my]) => Math.hypot(last[0] - mx, last[1] - my)))
      : NaN;
  return { ...path, optimizer: name, lr, function: f.name, distanceToMinimum };
}

/** The optimisers registered right now, in registration order. */
export function optimizerNames(): string[] {
  return Object.keys(optimizers);
}

/** Every registered optimiser's path (or a subset by name) on one test function. */
export function trajectories(
  fn: string | TestFunction,
  options: Omit<TrajectoryOptions, 'lr'> & { names?: string[]; lrs?: Record<string, number> } = {},
): Trajectory[] {
  const names = options.names ?? optimizerNames();
  return names.map((name) => trajectory(fn, name, { ...options, lr: options.lrs?.[name] }));
}

/**
 * What a step costs against the number of parameters n — the lectures' "second-order
 * methods do not scale well", measured.
 *
 *   SGD      one gradient per step                                   O(n) arithmetic
 *   L-BFGS   one gradient + a few for the line search, m-term recursion O(m n)
 *   Newton   2n + 1 gradients for the finite-difference Hessian,     O(n²) memory,
 *            and an n×n solve                                        O(n³) arithmetic
 *
 * `secondOrderCost` times each optimiser's step on the same full-batch problem (L2-
 * regularised logistic regression on synthetic data, float64) for several n and returns
 * the rows for the lab to plot (ms per step and closure calls per step against n).
 */
import { add, mul, neg, square } from '../ops/arithmetic.js';
import { softplus } from '../ops/activation.js';
import { matmul } from '../ops/matmul.js';
import { mean, sum } from '../ops/reduce.js';
import { reshape } from '../ops/shape.js';
import { fromArray } from '../tensor/creation.js';
import { Rng } from '../tensor/random.js';
import { keep } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { lbfgs } from './lbfgs.js';
import { newton } from './newton.js';
import { Optimizer } from './optimizer.js';
import { sgd } from './sgd.js';
import { erase, type GradientTransformation, type OptState } from './transform.js';
import { checkOptionKeys, checkPositiveInteger } from './util.js';

export interface CostOptions {
  /** Parameter counts to try (default 2, 4, 8, 16, 32, 64, 128). */
  sizes?: number[];
  /** The optimisers, by label (default newton, lbfgs with the strong-Wolfe search, sgd). */
  optimizers?: Record<string, () => GradientTransformation<OptState>>;
  /** Timed steps per run, after one untimed warm-up step (default 3). */
  steps?: number;
  /** Seed of the synthetic data (default 0). */
  seed?: number;
}

export interface CostRow {
  optimizer: string;
  /** n, the number of parameters. */
  parameters: number;
  /** Mean wall time of one step. */
  msPerStep: number;
  /** Loss and gradient evaluations per step (one is the step's own). */
  evaluationsPerStep: number;
}

export const defaultCostOptimizers: Record<string, () => GradientTransformation<OptState>> = {
  newton: () => erase(newton({ maxParameters: 100_000 })),
  lbfgs: () => erase(lbfgs({ lineSearch: 'strongWolfe', maxIter: 1, maxEval: 25 })),
  sgd: () => erase(sgd({ lr: 0.1 })),
};

export function secondOrderCost(options: CostOptions = {}): CostRow[] {
  const where = 'secondOrderCost';
  checkOptionKeys(where, options, ['sizes', 'optimizers', 'steps', 'seed']);
  const sizes = options.sizes ?? [2, 4, 8, 16, 32, 64, 128];
  sizes.forEach((n) => checkPositiveInteger(where, 'size', n));
  const steps = checkPositiveInteger(where, 'steps', options.steps ?? 3);
  const optimizers = options.optimizers ?? defaultCostOptimizers;
  const rows: CostRow[] = [];
  for (const n of sizes) {
    const rng = new Rng(options.seed ?? 0);
    const samples = Math.max(64, 2 * n);
    const xs = new Float64Array(samples * n);
    for (let i = 0; i < xs.length; i++) xs[i] = rng.normal();
    const truth = Array.from({ length: n }, () => rng.normal());
    const ys = new Float64Array(samples);
    for (let s = 0; s < samples; s++) {
      let z = 0.3 * rng.normal();
      for (let j = 0; j < n; j++) z += xs[s * n + j] * truth[j];
      ys[s] = z >= 0 ? 1 : -1;
    }
    const x = keep(fromArray(xs, [samples, n], { dtype: 'float64' }));
    const y = keep(fromArray(ys, [samples, 1], { dtype: 'float64' }));
    // C(w) = mean(log(1 + exp(−y xᵀw))) + 10⁻³/2 ‖w‖²: smooth and strictly convex.
    const loss = (w: Tensor): Tensor =>
      add(mean(softplus(neg(mul(y, matmul(x, reshape(w, [n, 1])))))), mul(sum(square(w)), 5e-4));
    for (const [name, make] of Object.entries(optimizers)) {
      const w = keep(fromArray(new Float64Array(n), [n], { dtype: 'float64', requiresGrad: true }));
      w.name = 'w';
      const optimizer = new Optimizer(make(), [w]);
      const closure = () => {
        optimizer.zeroGrad();
        const value = loss(w);
        value.backward();
        return value;
      };
      optimizer.step(closure);
      let evaluations = 0;
      const started = performance.now();
      for (let s = 0; s < steps; s++) {
        optimizer.step(closure);
        evaluations += optimizer.lastEvaluations;
      }
      const ms = (performance.now() - started) / steps;
      rows.push({ optimizer: name, parameters: n, msPerStep: ms, evaluationsPerStep: evaluations / steps });
      optimizer.dispose();
      w.dispose();
    }
    x.dispose();
    y.dispose();
  }
  return rows;
}

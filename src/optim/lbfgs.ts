/**
 * L-BFGS (Nocedal 1980; Liu & Nocedal 1989): a quasi-Newton method that builds an estimate
 * of the inverse Hessian H⁻¹ from the last m steps and gradient changes, never the matrix.
 *
 * With all parameters flattened into one vector w, g = ∇C(w), and the history
 * sᵢ = wᵢ₊₁ − wᵢ, yᵢ = gᵢ₊₁ − gᵢ, ρᵢ = 1 / (yᵢ·sᵢ) (pairs with yᵢ·sᵢ ≤ 10⁻¹⁰ are skipped):
 *
 *   two-loop recursion for d = −H⁻¹g:
 *     q ← −g;  for i = newest … oldest:  αᵢ = ρᵢ sᵢ·q;  q ← q − αᵢ yᵢ
 *     r ← γ q,  γ = (s·y)/(y·y) of the newest pair   (the initial Hessian H₀ = γ⁻¹ I)
 *     for i = oldest … newest:           βᵢ = ρᵢ yᵢ·r;  r ← r + (αᵢ − βᵢ) sᵢ
 *     d = r
 *   w ← w + t d
 *
 * On the very first iteration d = −g and t = η · min(1, 1/‖g‖₁); afterwards t = η, or, with
 * the strong-Wolfe line search, the t that satisfies
 *   C(w + t d) ≤ C(w) + c₁ t g·d   and   |∇C(w + t d)·d| ≤ c₂ |g·d|    (c₁ = 10⁻⁴, c₂ = 0.9).
 *
 * This is torch.optim.LBFGS (itself after minFunc) step for step: one `step(closure)` runs
 * up to maxIter iterations and maxEval closure calls, stopping early when max|g| ≤
 * toleranceGrad, when the step or the change in loss falls below toleranceChange, or when
 * d stops being a descent direction; the line search is torch's `_strong_wolfe` with its
 * cubic interpolation. The defaults are torch's (η = 1, maxIter = 20, m = 100). The
 * scalars (dot products, ρᵢ, γ, αᵢ, βᵢ) are accumulated in float64 and rounded to the
 * parameters' dtype, where torch keeps them in 0-d tensors of that dtype: with float32
 * parameters, products of nearly cancelling sums (y·s) are where the two would part most.
 *
 * Without a closure (a plain `step()`, as in Model.fit) each step is a single iteration
 * with the fixed step t = η — torch's LBFGS with max_iter = 1 — using the gradient the
 * training loop computed; the line search needs a closure. Memory: 2m vectors of the
 * parameter count (torch keeps the same), allocated when the optimiser is attached, so the
 * state has a fixed shape for checkpoints.
 */
import { ConfigError } from '../errors.js';
import { abs, add, mul, neg, sub } from '../ops/arithmetic.js';
import { max, sum } from '../ops/reduce.js';
import { concat, reshape, slice } from '../ops/shape.js';
import { zeros } from '../tensor/creation.js';
import type { Tensor } from '../tensor/tensor.js';
import type { GradientTransformation, StepContext } from './transform.js';
import {
  checkNonNegativeNumber,
  checkOptionKeys,
  checkPositiveInteger,
  checkPositiveNumber,
} from './util.js';

export interface LbfgsOptions {
  /** η: the step length t after the first iteration (default 1). */
  lr?: number;
  /** Iterations per step(closure) (default 20). */
  maxIter?: number;
  /** Closure calls per step (default ⌊1.25 maxIter⌋). */
  maxEval?: number;
  /** Stop when max|g| ≤ this (default 1e-7). */
  toleranceGrad?: number;
  /** Stop when the step or the loss change is below this (default 1e-9). */
  toleranceChange?: number;
  /** m, the number of (s, y) pairs kept (default 100). */
  historySize?: number;
  /** 'strongWolfe' (needs a closure) or 'none' (default, fixed step). */
  lineSearch?: 'none' | 'strongWolfe' | 'strong_wolfe';
}

export type LbfgsState = {
  /** Closure calls (or gradients seen) so far, and iterations so far. */
  funcEvals: number;
  iterations: number;
  /** The last direction d and step length t. */
  direction: Tensor;
  stepLength: number;
  /** The previous flat gradient and loss. */
  prevGrad: Tensor;
  prevLoss: number;
  /** γ, the scale of the initial inverse Hessian. */
  hessianScale: number;
  /** Ring buffers of m slots: yᵢ, sᵢ, ρᵢ; `historyCount` valid entries, the oldest at `historyStart`. */
  gradDiffs: Tensor[];
  steps: Tensor[];
  rho: number[];
  historyCount: number;
  historyStart: number;
};

/** a·b, accumulated in float64 (then rounded by the caller to the parameters' precision). */
function dot(a: Tensor, b: Tensor): number {
  const x = a.dataSync();
  const y = b.dataSync();
  let total = 0;
  for (let i = 0; i < x.length; i++) total += x[i] * y[i];
  return total;
}
const maxAbs = (a: Tensor): number => max(abs(a)).item();

function flatten(tensors: readonly Tensor[]): Tensor {
  return tensors.length === 1
    ? reshape(tensors[0], [tensors[0].size])
    : concat(
        tensors.map((t) => reshape(t, [t.size])),
        0,
      );
}

function unflatten(flat: Tensor, like: readonly Tensor[]): Tensor[] {
  let offset = 0;
  return like.map((p) => {
    const part = reshape(slice(flat, [offset], [p.size]), p.shape);
    offset += p.size;
    return part;
  });
}

/** torch's _cubic_interpolate: the minimiser of the cubic through two points with slopes, within bounds. */
export function cubicInterpolate(
  x1: number,
  f1: number,
  g1: number,
  x2: number,
  f2: number,
  g2: number,
  bounds?: [number, number],
): number {
  const [lo, hi] = bounds ?? (x1 <= x2 ? [x1, x2] : [x2, x1]);
  const d1 = g1 + g2 - (3 * (f1 - f2)) / (x1 - x2);
  const d2Square = d1 * d1 - g1 * g2;
  if (d2Square >= 0) {
    const d2 = Math.sqrt(d2Square);
    const minPos =
      x1 <= x2
        ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
    return Math.min(Math.max(minPos, lo), hi);
  }
  return (lo + hi) / 2;
}

interface LinePoint {
  f: number;
  g: Tensor;
}

/** torch's _strong_wolfe: bracketing, then zoom by cubic interpolation. */
function strongWolfe(
  evaluate: (t: number) => LinePoint,
  t0: number,
  d: Tensor,
  f: number,
  g: Tensor,
  gtd: number,
  toleranceChange: number,
  c1 = 1e-4,
  c2 = 0.9,
  maxLs = 25,
): { f: number; g: Tensor; t: number; evals: number } {
  let t = t0;
  const dNorm = maxAbs(d);
  let { f: fNew, g: gNew } = evaluate(t);
  let evals = 1;
  let gtdNew = dot(gNew, d);
  let tPrev = 0;
  let fPrev = f;
  let gPrev = g;
  let gtdPrev = gtd;
  let done = false;
  let lsIter = 0;
  let bracket: number[] = [];
  let bracketF: number[] = [];
  let bracketG: Tensor[] = [];
  let bracketGtd: number[] = [];
  while (lsIter < maxLs) {
    if (fNew > f + c1 * t * gtd || (lsIter > 1 && fNew >= fPrev)) {
      [bracket, bracketF, bracketG, bracketGtd] = [
        [tPrev, t],
        [fPrev, fNew],
        [gPrev, gNew],
        [gtdPrev, gtdNew],
      ];
      break;
    }
    if (Math.abs(gtdNew) <= -c2 * gtd) {
      [bracket, bracketF, bracketG] = [[t], [fNew], [gNew]];
      done = true;
      break;
    }
    if (gtdNew >= 0) {
      [bracket, bracketF, bracketG, bracketGtd] = [
        [tPrev, t],
        [fPrev, fNew],
        [gPrev, gNew],
        [gtdPrev, gtdNew],
      ];
      break;
    }
    // Extrapolate: the next trial lies between 1.01 t and 10 t.
    const minStep = t + 0.01 * (t - tPrev);
    const maxStep = t * 10;
    const previous = t;
    t = cubicInterpolate(tPrev, fPrev, gtdPrev, t, fNew, gtdNew, [minStep, maxStep]);
    tPrev = previous;
    fPrev = fNew;
    gPrev = gNew;
    gtdPrev = gtdNew;
    ({ f: fNew, g: gNew } = evaluate(t));
    evals++;
    gtdNew = dot(gNew, d);
    lsIter++;
  }
  if (lsIter === maxLs) {
    [bracket, bracketF, bracketG, bracketGtd] = [
      [0, t],
      [f, fNew],
      [g, gNew],
      [gtd, gtdNew],
    ];
  }

  // Zoom: shrink the bracket until a point meets both Wolfe conditions.
  let insufficientProgress = false;
  let [low, high] = bracketF[0] <= bracketF[bracketF.length - 1] ? [0, 1] : [1, 0];
  while (!done && lsIter < maxLs) {
    if (Math.abs(bracket[1] - bracket[0]) * dNorm < toleranceChange) break;
    t = cubicInterpolate(bracket[0], bracketF[0], bracketGtd[0], bracket[1], bracketF[1], bracketGtd[1]);
    // Too close to an end of the bracket (twice, or outside it): move 10% of its length inside.
    const top = Math.max(...bracket);
    const bottom = Math.min(...bracket);
    const eps = 0.1 * (top - bottom);
    if (Math.min(top - t, t - bottom) < eps) {
      if (insufficientProgress || t >= top || t <= bottom) {
        t = Math.abs(t - top) < Math.abs(t - bottom) ? top - eps : bottom + eps;
        insufficientProgress = false;
      } else {
        insufficientProgress = true;
      }
    } else {
      insufficientProgress = false;
    }
    ({ f: fNew, g: gNew } = evaluate(t));
    evals++;
    gtdNew = dot(gNew, d);
    lsIter++;
    if (fNew > f + c1 * t * gtd || fNew >= bracketF[low]) {
      [bracket[high], bracketF[high], bracketG[high], bracketGtd[high]] = [t, fNew, gNew, gtdNew];
      [low, high] = bracketF[0] <= bracketF[1] ? [0, 1] : [1, 0];
    } else {
      if (Math.abs(gtdNew) <= -c2 * gtd) {
        done = true;
      } else if (gtdNew * (bracket[high] - bracket[low]) >= 0) {
        // The old low end becomes the high end.
        [bracket[high], bracketF[high], bracketG[high], bracketGtd[high]] = [
          bracket[low],
          bracketF[low],
          bracketG[low],
          bracketGtd[low],
        ];
      }
      [bracket[low], bracketF[low], bracketG[low], bracketGtd[low]] = [t, fNew, gNew, gtdNew];
    }
  }
  return { f: bracketF[low], g: bracketG[low], t: bracket[low], evals };
}

export function lbfgs(options: LbfgsOptions = {}): GradientTransformation<LbfgsState> {
  const where = 'lbfgs';
  checkOptionKeys(where, options, [
    'lr',
    'maxIter',
    'maxEval',
    'toleranceGrad',
    'toleranceChange',
    'historySize',
    'lineSearch',
  ]);
  if (typeof options.lr === 'function')
    throw new ConfigError(`${where}: lr must be a number (the step length), not a schedule.`);
  const lr = checkPositiveNumber(where, 'learning rate', options.lr ?? 1);
  const maxIter = checkPositiveInteger(where, 'maxIter', options.maxIter ?? 20);
  const maxEval = checkPositiveInteger(where, 'maxEval', options.maxEval ?? Math.floor((maxIter * 5) / 4));
  const toleranceGrad = checkNonNegativeNumber(where, 'toleranceGrad', options.toleranceGrad ?? 1e-7);
  const toleranceChange = checkNonNegativeNumber(where, 'toleranceChange', options.toleranceChange ?? 1e-9);
  const m = checkPositiveInteger(where, 'historySize', options.historySize ?? 100);
  const search = options.lineSearch ?? 'none';
  if (search !== 'none' && search !== 'strongWolfe' && search !== 'strong_wolfe') {
    throw new ConfigError(`${where}: lineSearch must be 'none' or 'strongWolfe', got ${String(search)}.`);
  }
  const lineSearch = search !== 'none';

  return {
    needsClosure: lineSearch,
    acceptsClosure: true,
    init(params) {
      const n = params.reduce((total, p) => total + p.size, 0);
      const dtype = params[0]?.dtype ?? 'float32';
      return {
        funcEvals: 0,
        iterations: 0,
        direction: zeros([n], { dtype }),
        stepLength: 0,
        prevGrad: zeros([n], { dtype }),
        prevLoss: 0,
        hessianScale: 1,
        gradDiffs: Array.from({ length: m }, () => zeros([n], { dtype })),
        steps: Array.from({ length: m }, () => zeros([n], { dtype })),
        rho: new Array<number>(m).fill(0),
        historyCount: 0,
        historyStart: 0,
      };
    },

    update(grads, state, params, context?: StepContext) {
      if (lineSearch && !context)
        throw new ConfigError(
          `${where}: the strong-Wolfe line search needs a closure: optimizer.step(closure).`,
        );
      const iterationsPerStep = context ? maxIter : 1;
      let flatGrad = flatten(grads);
      // torch keeps these scalars in 0-d tensors of the parameters' dtype: round as it does.
      const round = flatGrad.dtype === 'float32' ? Math.fround : (x: number) => x;
      let loss = context ? context.loss : NaN;
      let currentEvals = 1;
      let funcEvals = state.funcEvals + 1;
      if (maxAbs(flatGrad) <= toleranceGrad) {
        // Already optimal: no move.
        return {
          updates: params.map((p) => zeros(p.shape, { dtype: p.dtype })),
          state: { ...state, funcEvals },
        };
      }
      let {
        direction: d,
        stepLength: t,
        prevGrad,
        prevLoss,
        hessianScale,
        historyCount,
        historyStart,
        iterations,
      } = state;
      const gradDiffs = [...state.gradDiffs];
      const steps = [...state.steps];
      const rho = [...state.rho];
      // The displacement from the step's starting point (torch moves the parameters as it goes).
      let offset = zeros([flatGrad.size], { dtype: flatGrad.dtype });
      const at = (k: number) => (historyStart + k) % m;

      for (let local = 1; local <= iterationsPerStep; local++) {
        iterations++;
        if (iterations === 1) {
          d = neg(flatGrad);
          historyCount = 0;
          historyStart = 0;
          hessianScale = 1;
        } else {
          const y = sub(flatGrad, prevGrad);
          const s = mul(d, t);
          const ys = round(dot(y, s));
          if (ys > 1e-10) {
            let slot: number;
            if (historyCount === m) {
              slot = historyStart;
              historyStart = (historyStart + 1) % m;
            } else {
              slot = at(historyCount);
              historyCount++;
            }
            gradDiffs[slot] = y;
            steps[slot] = s;
            rho[slot] = round(1 / ys);
            hessianScale = round(ys / round(dot(y, y)));
          }
          const alpha = new Array<number>(historyCount);
          let q = neg(flatGrad);
          for (let k = historyCount - 1; k >= 0; k--) {
            const i = at(k);
            alpha[k] = round(round(dot(steps[i], q)) * rho[i]);
            q = sub(q, mul(gradDiffs[i], alpha[k]));
          }
          let r = mul(q, hessianScale);
          for (let k = 0; k < historyCount; k++) {
            const i = at(k);
            const beta = round(round(dot(gradDiffs[i], r)) * rho[i]);
            r = add(r, mul(steps[i], round(alpha[k] - beta)));
          }
          d = r;
        }
        prevGrad = flatGrad;
        prevLoss = loss;

        t = iterations === 1 ? round(Math.min(1, round(1 / sum(abs(flatGrad)).item())) * lr) : lr;
        const gtd = round(dot(flatGrad, d));
        if (gtd > -toleranceChange) break; // not a descent direction (any more)

        let evals = 0;
        let optimal = false;
        if (lineSearch && context) {
          const base = offset;
          const evaluate = (trial: number): LinePoint => {
            const { loss: f, grads: g } = context.evaluate(unflatten(add(base, mul(d, trial)), params));
            return { f, g: flatten(g) };
          };
          const found = strongWolfe(evaluate, t, d, loss, flatGrad, gtd, toleranceChange);
          ({ f: loss, g: flatGrad, t, evals } = found);
          offset = add(offset, mul(d, t));
          optimal = maxAbs(flatGrad) <= toleranceGrad;
        } else {
          offset = add(offset, mul(d, t));
          if (local !== iterationsPerStep && context) {
            // Re-evaluate only if another iteration follows (as torch: no use otherwise).
            const next = context.evaluate(unflatten(offset, params));
            loss = next.loss;
            flatGrad = flatten(next.grads);
            optimal = maxAbs(flatGrad) <= toleranceGrad;
            evals = 1;
          }
        }
        currentEvals += evals;
        funcEvals += evals;

        if (local === iterationsPerStep) break;
        if (currentEvals >= maxEval) break;
        if (optimal) break;
        if (maxAbs(mul(d, t)) <= toleranceChange) break; // lack of progress
        if (Math.abs(loss - prevLoss) < toleranceChange) break;
      }

      return {
        updates: unflatten(offset, params),
        state: {
          funcEvals,
          iterations,
          direction: d,
          stepLength: t,
          prevGrad,
          prevLoss: Number.isFinite(prevLoss) ? prevLoss : 0,
          hessianScale,
          gradDiffs,
          steps,
          rho,
          historyCount,
          historyStart,
        },
      };
    },
  };
}

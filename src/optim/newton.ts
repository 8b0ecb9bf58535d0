/**
 * Newton's method: step to the minimum of the local quadratic model
 * C(w + d) ≈ C(w) + ∇Cᵀd + ½ dᵀ H d, with H = ∇²C(w) the exact Hessian.
 *
 *   (H + λ I) d = −∇C(w)
 *   w ← w + η d                (η = 1: the pure Newton step; λ = 0: no damping)
 *
 * On a quadratic C(w) = ½ wᵀAw − bᵀw it lands on the minimum in one step, whatever A's
 * conditioning; near a minimum it converges quadratically. It also steps to saddle points
 * and maxima just as readily (it solves ∇C = 0), so on non-convex problems a damping λ > 0
 * (Levenberg–Marquardt) or a line search is usual.
 *
 * The Hessian, by central differences of gradients through the step's closure:
 *
 *   H[:, j] = (∇C(w + hⱼ eⱼ) − ∇C(w − hⱼ eⱼ)) / (2hⱼ),   hⱼ = ε^(1/3) max(1, |wⱼ|),
 *   then symmetrised, H ← (H + Hᵀ)/2,
 *
 * with ε the dtype's machine epsilon (hⱼ ≈ 6·10⁻⁶ in float64), so the error is O(h²) ≈
 * 10⁻¹¹ relative and exact for quadratics, whose gradients are linear. Chosen over double
 * backward because descent's backward passes are not themselves recorded; the price is
 * 2n closure calls per step. The system is solved by Gaussian elimination with partial
 * pivoting in float64: O(n³) time and O(n²) memory on top of the 2n gradient evaluations —
 * the lectures' "second-order methods do not scale", measured by `secondOrderCost` (cost.ts).
 * For small, full-batch problems only.
 */
import { ConfigError, DataError } from '../errors.js';
import { fromArray } from '../tensor/creation.js';
import type { Tensor } from '../tensor/tensor.js';
import type { GradientTransformation, StepContext } from './transform.js';
import { checkNonNegativeNumber, checkOptionKeys, checkPositiveNumber, valuesOf } from './util.js';

export interface NewtonOptions {
  /** η, a multiplier of the Newton step (default 1). */
  lr?: number;
  /** λ, added to the Hessian's diagonal (default 0). */
  damping?: number;
  /** Largest parameter count accepted (default 2000: a 2000² Hessian and 4000 gradient evaluations per step). */
  maxParameters?: number;
}

export type NewtonState = {
  count: number;
  /** Closure calls made by the last step (2n + 1). */
  lastEvaluations: number;
};

const EPSILON = { float32: 2 ** -23, float64: 2 ** -52, int32: 1 } as const;

/** The value `x` takes when stored in `dtype` (float32 rounds). */
function stored(x: number, dtype: Tensor['dtype']): number {
  return dtype === 'float32' ? Math.fround(x) : x;
}

/**
 * The Hessian of C at the current parameters (flattened in parameter order), by central
 * differences of the gradients the context's closure returns.
 */
export function finiteDifferenceHessian(
  params: readonly Tensor[],
  context: StepContext,
): { hessian: Float64Array[]; evaluations: number } {
  const n = params.reduce((total, p) => total + p.size, 0);
  const hessian = Array.from({ length: n }, () => new Float64Array(n));
  const zeroOffsets = params.map((p) => fromArray(new Float64Array(p.size), p.shape, { dtype: p.dtype }));
  let evaluations = 0;
  let column = 0;
  params.forEach((p, which) => {
    const values = valuesOf(p);
    const root = Math.cbrt(EPSILON[p.dtype]);
    for (let k = 0; k < p.size; k++, column++) {
      const w = values[k];
      const h = root * Math.max(1, Math.abs(w));
      // The steps actually taken once w ± h is stored in the parameter's dtype.
      const up = stored(w + h, p.dtype) - w;
      const down = w - stored(w - h, p.dtype);
      const gradientAt = (delta: number): Float64Array => {
        const single = new Float64Array(p.size);
        single[k] = delta;
        const offsets = zeroOffsets.map((z, i) =>
          i === which ? fromArray(single, p.shape, { dtype: p.dtype }) : z,
        );
        const { grads } = context.evaluate(offsets);
        evaluations++;
        const flat = new Float64Array(n);
        let at = 0;
        for (const g of grads) {
          flat.set(g.dataSync(), at);
          at += g.size;
          g.dispose();
        }
        offsets[which].dispose();
        return flat;
      };
      const plus = gradientAt(up);
      const minus = gradientAt(-down);
      for (let i = 0; i < n; i++) hessian[i][column] = (plus[i] - minus[i]) / (up + down);
    }
  });
  for (const z of zeroOffsets) z.dispose();
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const mean = (hessian[i][j] + hessian[j][i]) / 2;
      hessian[i][j] = mean;
      hessian[j][i] = mean;
    }
  }
  return { hessian, evaluations };
}

/** Solves A x = b by Gaussian elimination with partial pivoting (A and b are not modified). */
export function solveLinear(a: readonly Float64Array[], b: Float64Array): Float64Array {
  const n = b.length;
  const m = a.map((row) => Float64Array.from(row));
  const x = Float64Array.from(b);
  let scale = 0;
  for (const row of m) for (const v of row) scale = Math.max(scale, Math.abs(v));
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r][col]) > Math.abs(m[pivot][col])) pivot = r;
    if (!(Math.abs(m[pivot][col]) > 1e-13 * scale)) {
      throw new DataError(
        `newton: the Hessian is singular (to working precision) at this point (pivot ${m[pivot][col]} in column ${col}); ` +
          'add damping, e.g. newton({ damping: 1e-3 }).',
      );
    }
    [m[col], m[pivot]] = [m[pivot], m[col]];
    [x[col], x[pivot]] = [x[pivot], x[col]];
    for (let r = col + 1; r < n; r++) {
      const factor = m[r][col] / m[col][col];
      if (factor === 0) continue;
      for (let c = col; c < n; c++) m[r][c] -= factor * m[col][c];
      x[r] -= factor * x[col];
    }
  }
  for (let r = n - 1; r >= 0; r--) {
    let s = x[r];
    for (let c = r + 1; c < n; c++) s -= m[r][c] * x[c];
    x[r] = s / m[r][r];
  }
  return x;
}

export function newton(options: NewtonOptions = {}): GradientTransformation<NewtonState> {
  const where = 'newton';
  checkOptionKeys(where, options, ['lr', 'damping', 'maxParameters']);
  if (typeof options.lr === 'function')
    throw new ConfigError(`${where}: lr must be a number (a multiplier of the Newton step), not a schedule.`);
  const lr = checkPositiveNumber(where, 'learning rate', options.lr ?? 1);
  const damping = checkNonNegativeNumber(where, 'damping', options.damping ?? 0);
  const maxParameters = options.maxParameters ?? 2000;
  return {
    needsClosure: true,
    init(params) {
      const n = params.reduce((total, p) => total + p.size, 0);
      if (n > maxParameters) {
        throw new ConfigError(
          `${where}: ${n} parameters means a ${n}×${n} Hessian and ${2 * n} gradient evaluations per step; Newton's method is for ` +
            `small problems (limit maxParameters = ${maxParameters}). Use lbfgs for larger ones, or raise maxParameters.`,
        );
      }
      return { count: 0, lastEvaluations: 0 };
    },
    update(grads, state, params, context) {
      if (!context)
        throw new ConfigError(`${where}: needs a closure to evaluate the Hessian: optimizer.step(closure).`);
      const { hessian, evaluations } = finiteDifferenceHessian(params, context);
      if (damping > 0) hessian.forEach((row, i) => (row[i] += damping));
      const n = hessian.length;
      const g = new Float64Array(n);
      let at = 0;
      for (const t of grads) {
        g.set(t.dataSync(), at);
        at += t.size;
      }
      const d = solveLinear(
        hessian,
        g.map((v) => -v),
      );
      let offset = 0;
      const updates = params.map((p) => {
        const part = d.subarray(offset, offset + p.size).map((v) => lr * v);
        offset += p.size;
        return fromArray(part, p.shape, { dtype: p.dtype });
      });
      return { updates, state: { count: state.count + 1, lastEvaluations: evaluations + 1 } };
    },
  };
}

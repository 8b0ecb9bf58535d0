/**
 * Batch normalisation (Ioffe & Szegedy, 2015), forward and backward side by side.
 *
 * For each channel c, over the m = N (or N·H·W) values x_k of the mini-batch:
 *
 *   μ = (1/m) Σ x_k        σ² = (1/m) Σ (x_k − μ)²        x̂_k = (x_k − μ) / √(σ² + ε)
 *   y_k = γ x̂_k + β
 *
 * In training, μ and σ² are functions of the batch, so the gradient flows through them
 * too. With g_k = ∂L/∂x̂_k = γ ∂L/∂y_k:
 *
 *   ∂L/∂σ² = Σ_k g_k (x_k − μ) · (−½)(σ² + ε)^(−3/2)
 *   ∂L/∂μ  = Σ_k g_k · (−1/√(σ² + ε))  +  ∂L/∂σ² · (−2/m) Σ_k (x_k − μ)
 *   ∂L/∂x_k = g_k / √(σ² + ε)  +  ∂L/∂σ² · 2(x_k − μ)/m  +  ∂L/∂μ / m
 *   ∂L/∂γ = Σ_k ∂L/∂y_k · x̂_k          ∂L/∂β = Σ_k ∂L/∂y_k
 *
 * — every term of the chain rule, as derived in the lectures (the Σ(x − μ) term is zero
 * in exact arithmetic and kept for fidelity). At inference the running averages replace
 * μ and σ², which are then constants.
 *
 * The running averages follow PyTorch: r ← (1 − momentum)·r + momentum·batch, with the
 * unbiased variance σ²·m/(m − 1) for the running variance. The batch statistics are also
 * returned, so a layer can average them its own way (e.g. over all training mini-batches).
 */
import { isGradEnabled, noGrad, record } from '../autograd/tape.js';
import { ConfigError, ShapeError } from '../errors.js';
import { tidy } from '../tensor/scope.js';
import { formatShape, normalizeAxis } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { add, cast, mul, reciprocal, sqrt, sub } from './arithmetic.js';
import { fuse } from './fused.js';
import { mean, sum } from './reduce.js';
import { reshape } from './shape.js';
import { checkTensor, empty } from './util.js';

export interface BatchNormOptions {
  /** The channel axis (default 1, for both [N, C] and [N, C, H, W]); statistics are taken over all other axes. */
  axis?: number;
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
  /** Batch statistics (true) or the running averages (false, the default, as F.batch_norm). */
  training?: boolean;
  /** [C]; required at inference; updated in place during training when given (with runningVar). */
  runningMean?: Tensor | null;
  /** [C]; required at inference; updated in place during training when given (with runningMean). */
  runningVar?: Tensor | null;
  /** Weight of the new batch in the running averages (default 0.1, PyTorch's convention). */
  momentum?: number;
  /** Names the caller in error messages (a layer passes its label). */
  name?: string;
}

export interface BatchNormResult {
  output: Tensor;
  /** The batch mean per channel [C] (training only; no gradient). */
  mean: Tensor | null;
  /** The biased batch variance per channel [C], the one used to normalise (training only). */
  variance: Tensor | null;
  /** The number of values per channel in the batch, m (for the m/(m − 1) correction). */
  count: number;
}

/** Copies `src` into the storage of `dst` (converting its dtype): an in-place update of a buffer. */
function assign(dst: Tensor, src: Tensor): void {
  dst.backend.cast(src.storage, src.dtype, dst.storage, dst.dtype, dst.size);
}

export function batchNorm(
  input: Tensor,
  gammaIn: Tensor | null,
  betaIn: Tensor | null,
  options: BatchNormOptions = {},
): BatchNormResult {
  const where = options.name ?? 'batchNorm';
  checkTensor(where, 'x', input);
  if (input.rank < 2) {
    throw new ShapeError(
      `${where}: expected input shaped [batch, channels, ...], got ${formatShape(input.shape)}.`,
    );
  }
  const axis = normalizeAxis(where, options.axis ?? 1, input.rank);
  const C = input.shape[axis];
  const { eps = 1e-5, training = false, momentum = 0.1 } = options;
  const runningMean = options.runningMean ?? null;
  const runningVar = options.runningVar ?? null;
  if (!(eps >= 0)) throw new ConfigError(`${where}: eps must be non-negative, got ${eps}.`);
  if (!(momentum >= 0 && momentum <= 1))
    throw new ConfigError(`${where}: momentum must be in [0, 1], got ${momentum}.`);
  for (const [name, t] of [
    ['gamma', gammaIn],
    ['beta', betaIn],
    ['runningMean', runningMean],
    ['runningVar', runningVar],
  ] as const) {
    if (!t) continue;
    checkTensor(where, name, t);
    if (t.rank !== 1 || t.shape[0] !== C) {
      throw new ShapeError(
        `${where}: ${name} must be shaped [${C}] for input ${formatShape(input.shape)} (channels on axis ${axis}), got ${formatShape(t.shape)}.`,
      );
    }
  }
  if ((runningMean === null) !== (runningVar === null)) {
    throw new ConfigError(`${where}: pass both runningMean and runningVar, or neither.`);
  }
  // Compute in the input's float dtype; γ and β follow it (their gradients are cast back).
  const dtype = input.dtype === 'int32' ? 'float32' : input.dtype;
  const x = input.dtype === dtype ? input : cast(input, dtype);
  const gamma = gammaIn && gammaIn.dtype !== dtype ? cast(gammaIn, dtype) : gammaIn;
  const beta = betaIn && betaIn.dtype !== dtype ? cast(betaIn, dtype) : betaIn;
  const kept = x.shape.map((d, i) => (i === axis ? d : 1));
  const axes = x.shape.map((_, i) => i).filter((i) => i !== axis);
  const m = x.size / Math.max(C, 1);

  if (!training) {
    if (!runningMean || !runningVar) {
      throw new ConfigError(`${where}: inference (training: false) needs runningMean and runningVar.`);
    }
    const invStd = noGrad(() => reciprocal(sqrt(add(reshape(runningVar, kept), eps))));
    let y = mul(sub(x, reshape(runningMean, kept)), invStd);
    if (gamma) y = mul(y, reshape(gamma, kept));
    if (beta) y = add(y, reshape(beta, kept));
    return { output: y, mean: null, variance: null, count: m };
  }

  if (m <= 1) {
    throw new ShapeError(
      `${where}: training needs more than one value per channel to take a variance; input ${formatShape(x.shape)} has ${m}.`,
    );
  }
  if (x.backend.batchNorm && x.backend.batchNormGrad) {
    // The backend's own kernels: two passes forward, two backward, no x̂ kept in between.
    const r = batchNormByKernels(x, gamma, beta, axis, eps);
    if (runningMean && runningVar) updateRunning(runningMean, runningVar, r.mean, r.variance, momentum, m);
    return { ...r, count: m };
  }
  // γ and β shaped to broadcast along the channel axis, when given.
  const affine = [gamma, beta].filter((t): t is Tensor => t !== null);
  const s = noGrad(() =>
    tidy(() => {
      const mu = mean(x, axes, true);
      // Each full-size pass below is one fused kernel (ops/fused.ts), the arithmetic as written.
      const [squares] = fuse([x, mu], (x, mu) => x.sub(mu).square());
      const variance = mean(squares, axes, true);
      const invStd = reciprocal(sqrt(add(variance, eps)));
      const [xc, xhat, y] = fuse(
        [x, mu, invStd, ...affine.map((t) => reshape(t, kept))],
        (x, mu, invStd, ...gammaBeta) => {
          const xc = x.sub(mu);
          const xhat = xc.mul(invStd);
          let y = gamma ? xhat.mul(gammaBeta[0]) : xhat.mul(1);
          if (beta) y = y.add(gammaBeta[gamma ? 1 : 0]);
          return [xc, xhat, y];
        },
      );
      return { mu: reshape(mu, [C]), variance: reshape(variance, [C]), xc, invStd, xhat, y };
    }),
  );

  if (runningMean && runningVar) updateRunning(runningMean, runningVar, s.mu, s.variance, momentum, m);

  const inputs = [x, gamma, beta].filter((t): t is Tensor => t !== null);
  if (!(isGradEnabled() && inputs.some((t) => t.requiresGrad))) {
    // No backward will run: free what it would have needed.
    for (const t of [s.xc, s.invStd, s.xhat]) t.dispose();
  }
  const output = record(s.y, 'batchNorm', inputs, (dy) =>
    tidy(() => {
      const { xc, invStd, xhat } = s;
      // g = γ ∂L/∂y, and the products the sums need, in one pass.
      const [g, gxc, dyxhat] = fuse(
        gamma ? [dy, xc, xhat, reshape(gamma, kept)] : [dy, xc, xhat],
        (dy, xc, xhat, gm) => {
          const g = gm ? dy.mul(gm) : dy.mul(1);
          return [g, g.mul(xc), dy.mul(xhat)];
        },
      );
      let dx: Tensor | null = null;
      if (x.requiresGrad) {
        const dVar = mul(sum(gxc, axes, true), mul(mul(invStd, mul(invStd, invStd)), -0.5));
        const dMu = add(
          mul(sum(g, axes, true), mul(invStd, -1)),
          mul(dVar, mul(sum(xc, axes, true), -2 / m)),
        );
        [dx] = fuse([g, invStd, dVar, xc, dMu], (g, invStd, dVar, xc, dMu) =>
          g
            .mul(invStd)
            .add(dVar.mul(xc.mul(2 / m)))
            .add(dMu.mul(1 / m)),
        );
      }
      const dGamma = gamma?.requiresGrad ? sum(dyxhat, axes) : null;
      const dBeta = beta?.requiresGrad ? sum(dy, axes) : null;
      // One entry per recorded input: x, then gamma and beta when they were given.
      const out: (Tensor | null)[] = [dx];
      if (gamma) out.push(dGamma);
      if (beta) out.push(dBeta);
      return out;
    }),
  );
  return { output, mean: s.mu, variance: s.variance, count: m };
}

/** r ← (1 − momentum)·r + momentum·batch, the variance unbiased (·m/(m − 1)), in place. */
function updateRunning(
  runningMean: Tensor,
  runningVar: Tensor,
  batchMean: Tensor,
  batchVar: Tensor,
  momentum: number,
  m: number,
): void {
  noGrad(() =>
    tidy(() => {
      assign(runningMean, add(mul(runningMean, 1 - momentum), mul(batchMean, momentum)));
      assign(runningVar, add(mul(runningVar, 1 - momentum), mul(batchVar, (momentum * m) / (m - 1))));
    }),
  );
}

/**
 * Training-mode batch norm through Backend.batchNorm and batchNormGrad: the same equations as
 * above, the backward in its simplified form dx = γ·r·(dy − mean(dy) − x̂·mean(dy·x̂)) (the
 * Σ(x − μ) term is zero), x̂ recomputed from x, μ and r rather than stored.
 */
function batchNormByKernels(
  x: Tensor,
  gamma: Tensor | null,
  beta: Tensor | null,
  axis: number,
  eps: number,
): { output: Tensor; mean: Tensor; variance: Tensor } {
  const backend = x.backend;
  const C = x.shape[axis];
  const view = {
    outer: x.shape.slice(0, axis).reduce((a, b) => a * b, 1),
    axis: C,
    inner: x.shape.slice(axis + 1).reduce((a, b) => a * b, 1),
  };
  const args = { view, eps, gamma: gamma?.storage ?? null, beta: beta?.storage ?? null };
  const y = empty(backend, x.dtype, x.shape);
  const mu = empty(backend, x.dtype, [C]);
  const variance = empty(backend, x.dtype, [C]);
  const invStd = empty(backend, x.dtype, [C]);
  backend.batchNorm!(x.storage, args, y.storage, mu.storage, variance.storage, invStd.storage, x.dtype);
  const inputs = [x, gamma, beta].filter((t): t is Tensor => t !== null);
  const wantsGrad = isGradEnabled() && inputs.some((t) => t.requiresGrad);
  if (!wantsGrad) invStd.dispose(); // else freed with the caller's scope, as the tape's other tensors
  const output = record(y, 'batchNorm', inputs, (dy) => {
    const dx = x.requiresGrad ? empty(backend, x.dtype, x.shape) : null;
    const dGamma = gamma?.requiresGrad ? empty(backend, x.dtype, [C]) : null;
    const dBeta = beta?.requiresGrad ? empty(backend, x.dtype, [C]) : null;
    backend.batchNormGrad!(
      x.storage,
      dy.storage,
      args,
      mu.storage,
      invStd.storage,
      dx?.storage ?? null,
      dGamma?.storage ?? null,
      dBeta?.storage ?? null,
      x.dtype,
    );
    const out: (Tensor | null)[] = [dx];
    if (gamma) out.push(dGamma);
    if (beta) out.push(dBeta);
    return out;
  });
  return { output, mean: mu, variance };
}

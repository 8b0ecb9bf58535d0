/**
 * Loss functions, by name. Each takes (prediction, target) and returns the mean over
 * the batch (a scalar), as Keras and PyTorch do by default.
 *
 *   mse                  = 1/n Σ (ŷ − y)²                    (mean over every element)
 *   sse                  = ½ Σ (ŷ − y)²                      (the lectures' quadratic cost, summed)
 *   binaryCrossEntropy   = −1/n Σ [y ln p + (1 − y) ln(1 − p)]   (p probabilities; ln clamped at −100 like PyTorch)
 *   binaryCrossEntropyFromLogits = 1/n Σ [softplus(z) − z·y]     (stable for any z)
 *   crossEntropy         = −1/N Σᵢ Σ_c yᵢ_c · log softmax(zᵢ)_c  (logits, as PyTorch; y integer labels or one-hot rows)
 *   categoricalCrossEntropy = −1/N Σᵢ Σ_c yᵢ_c · log pᵢ_c        (probabilities, as Keras; p clipped to [1e-7, 1])
 *   klDivergence         = 1/N Σᵢ Σ_c pᵢ_c ln(pᵢ_c / qᵢ_c)     (p target, q prediction; clipped to [1e-7, 1] like Keras)
 *
 * Weights. Each loss takes optional per-sample weights w [N] (fit's `classWeight` and
 * `sampleWeight`): every sample's terms are multiplied by its wᵢ and the result is divided by
 * the same count as without weights, Σᵢ wᵢ·lᵢ / N — Keras's default reduction
 * ('sum_over_batch_size'), not PyTorch's Σ wᵢ·lᵢ / Σ wᵢ of CrossEntropyLoss(weight=…). So all
 * weights 1 give the same bits as none, and a batch whose weights are all 0 has loss 0.
 *
 * Logits or probabilities. PyTorch's cross-entropy takes logits, Keras's categorical one
 * takes probabilities; here `crossEntropy` is the first, `categoricalCrossEntropy` (and
 * `sparseCategoricalCrossEntropy`, the same function for integer labels) the second, and
 * `crossEntropyLoss({ fromLogits })` picks one by name. Neither ever applies softmax twice:
 * given the output of a softmax (a model ending in `activation: 'softmax'`), both compute the
 * loss from that softmax's input by the fused, stable log-softmax, the same number either way.
 * Probabilities that are not a softmax output are checked (on backends that read
 * synchronously): values outside [0, 1] — logits by mistake — are refused with the fix.
 */
import { noGrad, record } from '../autograd/tape.js';
import { ConfigError, ShapeError, unknownName } from '../errors.js';
import { formatShape, sameShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { add, cast, clamp, div, log, maximum, mul, neg, square, sub } from '../ops/arithmetic.js';
import { logSoftmax, softmaxLogits, softplus } from '../ops/activation.js';
import { mean, sum } from '../ops/reduce.js';
import { oneHot, reshape } from '../ops/shape.js';

/** (prediction, target, optional per-sample weights [N]) → the (weighted) mean, a scalar. */
export type LossFn = (prediction: Tensor, target: Tensor, weights?: Tensor) => Tensor;

/** `terms` [N, …] with each sample's terms multiplied by its weight (as they are without weights). */
function weighted(name: string, terms: Tensor, weights: Tensor | undefined): Tensor {
  if (!weights) return terms;
  const n = terms.rank > 0 ? terms.shape[0] : 1;
  if (weights.size !== n)
    throw new ShapeError(`loss '${name}': ${weights.size} sample weights for a batch of ${n}.`);
  const w = reshape(asFloat(weights, terms), [n, ...terms.shape.slice(1).map(() => 1)]);
  return mul(terms, w);
}

function checkSame(name: string, prediction: Tensor, target: Tensor): void {
  if (!sameShape(prediction.shape, target.shape)) {
    throw new ShapeError(
      `loss '${name}': prediction ${formatShape(prediction.shape)} and target ${formatShape(target.shape)} must have the same shape.`,
    );
  }
}

function asFloat(t: Tensor, like: Tensor): Tensor {
  return t.dtype === like.dtype ? t : cast(t, like.dtype);
}

export function mse(prediction: Tensor, target: Tensor, weights?: Tensor): Tensor {
  checkSame('mse', prediction, target);
  return mean(weighted('mse', square(sub(prediction, asFloat(target, prediction))), weights));
}

export function sse(prediction: Tensor, target: Tensor, weights?: Tensor): Tensor {
  checkSame('sse', prediction, target);
  return mul(sum(weighted('sse', square(sub(prediction, asFloat(target, prediction))), weights)), 0.5);
}

export function binaryCrossEntropy(probabilities: Tensor, target: Tensor, weights?: Tensor): Tensor {
  const name = 'binaryCrossEntropy';
  checkSame(name, probabilities, target);
  const p = probabilities;
  const y = asFloat(target, p);
  const [logP, log1mP, loss] = noGrad(() => {
    const lp = maximum(log(p), -100);
    const l1p = maximum(log(sub(1, p)), -100);
    return [lp, l1p, neg(mean(weighted(name, add(mul(y, lp), mul(sub(1, y), l1p)), weights)))];
  });
  // PyTorch's backward, ∂L/∂p = (p − y) / max(p(1 − p), 1e-12) / n: finite where p is exactly 0 or 1
  // (a saturated sigmoid), where differentiating through the clamped logs would give 0/0 = NaN.
  return record(loss, 'binaryCrossEntropy', [p, y], (dy) => [
    p.requiresGrad
      ? mul(dy, weighted(name, div(sub(p, y), mul(maximum(mul(p, sub(1, p)), 1e-12), p.size)), weights))
      : null,
    y.requiresGrad ? mul(dy, weighted(name, div(sub(log1mP, logP), p.size), weights)) : null,
  ]);
}

export function binaryCrossEntropyFromLogits(logits: Tensor, target: Tensor, weights?: Tensor): Tensor {
  const name = 'binaryCrossEntropyFromLogits';
  checkSame(name, logits, target);
  const y = asFloat(target, logits);
  return mean(weighted(name, sub(softplus(logits), mul(logits, y)), weights));
}

/**
 * Cross-entropy from logits [N, C]. Targets are integer labels [N] (int32) or rows of
 * class probabilities [N, C] (one-hot or soft).
 */
export function crossEntropy(logits: Tensor, target: Tensor, weights?: Tensor): Tensor {
  // A softmax's output given as logits: its input is the logits (never softmax twice).
  const z = softmaxLogits(logits) ?? logits;
  return crossEntropyOf('crossEntropy', z, target, (x) => logSoftmax(x, 1), weights);
}

/** −1/N Σᵢ wᵢ Σ_c yᵢ_c log(pᵢ_c): y from integer labels [N] or rows [N, C]; `logP` makes log p. */
function crossEntropyOf(
  name: string,
  p: Tensor,
  target: Tensor,
  logP: (p: Tensor) => Tensor,
  weights: Tensor | undefined,
): Tensor {
  if (p.rank !== 2) {
    throw new ShapeError(
      `loss '${name}': expected outputs shaped [batch, classes], got ${formatShape(p.shape)}.`,
    );
  }
  const [n, classes] = p.shape;
  let y: Tensor;
  if (target.rank === 1) {
    if (target.size !== n) {
      throw new ShapeError(`loss '${name}': ${target.size} labels for a batch of ${n} rows.`);
    }
    const labels = target.dtype === 'int32' ? target : cast(target, 'int32');
    y = oneHot(labels, classes, p.dtype === 'float64' ? 'float64' : 'float32');
  } else {
    checkSame(name, p, target);
    y = asFloat(target, p);
  }
  return div(neg(sum(weighted(name, mul(y, logP(p)), weights))), n);
}

/**
 * Cross-entropy of probabilities [N, C] (Keras's categorical_crossentropy): a softmax output
 * goes through the fused log-softmax of its input; other probabilities are clipped to
 * [1e-7, 1] before the log, as Keras does.
 */
export function categoricalCrossEntropy(probabilities: Tensor, target: Tensor, weights?: Tensor): Tensor {
  const name = 'categoricalCrossEntropy';
  const z = softmaxLogits(probabilities);
  if (z) return crossEntropyOf(name, z, target, (x) => logSoftmax(x, 1), weights);
  checkProbabilities(name, probabilities);
  return crossEntropyOf(name, probabilities, target, (p) => log(clamp(p, 1e-7, 1)), weights);
}

/** Refuses values outside [0, 1] where they can be read at once (logits passed by mistake). */
function checkProbabilities(name: string, p: Tensor): void {
  if (!p.backend.readSync) return;
  const values = p.backend.readSync(p.storage, p.dtype, p.size);
  for (let i = 0; i < values.length; i++) {
    if (!(values[i] >= 0 && values[i] <= 1)) {
      throw new ConfigError(
        `loss '${name}' takes probabilities (a softmax output), but element ${i} of the ${formatShape(p.shape)} ` +
          `prediction is ${values[i]}. For logits use 'crossEntropy' or crossEntropyLoss({ fromLogits: true }), ` +
          `or end the model in activation: 'softmax'.`,
      );
    }
  }
}

/** Cross-entropy by what the model outputs: logits (PyTorch's convention) or probabilities (Keras's). */
export function crossEntropyLoss(options: { fromLogits: boolean }): LossFn {
  if (typeof options?.fromLogits !== 'boolean')
    throw new ConfigError(
      'crossEntropyLoss: say what the model outputs, { fromLogits: true } or { fromLogits: false }.',
    );
  return options.fromLogits ? crossEntropy : categoricalCrossEntropy;
}

/** Binary cross-entropy by what the model outputs: logits or probabilities. */
export function binaryCrossEntropyLoss(options: { fromLogits: boolean }): LossFn {
  if (typeof options?.fromLogits !== 'boolean')
    throw new ConfigError(
      'binaryCrossEntropyLoss: say what the model outputs, { fromLogits: true } or { fromLogits: false }.',
    );
  return options.fromLogits ? binaryCrossEntropyFromLogits : binaryCrossEntropy;
}

export function klDivergence(prediction: Tensor, target: Tensor, weights?: Tensor): Tensor {
  checkSame('klDivergence', prediction, target);
  const p = clamp(asFloat(target, prediction), 1e-7, 1);
  const q = clamp(prediction, 1e-7, 1);
  const perElement = mul(p, sub(log(p), log(q)));
  const batch = prediction.rank > 0 ? prediction.shape[0] : 1;
  return div(sum(weighted('klDivergence', perElement, weights)), batch);
}

export const losses = {
  mse,
  sse,
  binaryCrossEntropy,
  binaryCrossEntropyFromLogits,
  crossEntropy,
  categoricalCrossEntropy,
  sparseCategoricalCrossEntropy: categoricalCrossEntropy,
  klDivergence,
} as const satisfies Record<string, LossFn>;

const aliases = {
  meanSquaredError: 'mse',
  bce: 'binaryCrossEntropy',
  kld: 'klDivergence',
} as const satisfies Record<string, keyof typeof losses>;

/** The loss names and their aliases (a typo is a compile error): `compile({ loss: 'crossEntropy' })`. */
export type LossName = keyof typeof losses | keyof typeof aliases;
export const lossNames = [...Object.keys(losses), ...Object.keys(aliases)] as LossName[];

/** Whether a loss takes per-sample weights: every built-in one, and a function of three arguments. */
export function takesWeights(fn: LossFn): boolean {
  return (Object.values(losses) as LossFn[]).includes(fn) || fn.length >= 3;
}

/** Whether a string (a command-line flag, a saved model's record) names a loss. */
export function isLossName(name: string): name is LossName {
  return Object.hasOwn(losses, name) || Object.hasOwn(aliases, name);
}

/** A string from outside (a flag, a saved record) as a loss name; unknown names are refused. */
export function asLossName(name: string): LossName {
  if (!isLossName(name)) unknownName('loss', name, Object.keys(losses));
  return name;
}

/** A loss by name (as in `compile({ loss: 'crossEntropy' })`) or the function itself. */
export function getLoss(nameOrFn: LossName | LossFn): LossFn {
  if (typeof nameOrFn === 'function') return nameOrFn;
  if (!isLossName(nameOrFn)) unknownName('loss', nameOrFn, Object.keys(losses));
  const name: keyof typeof losses = Object.hasOwn(aliases, nameOrFn)
    ? aliases[nameOrFn as keyof typeof aliases]
    : (nameOrFn as keyof typeof losses);
  return losses[name];
}

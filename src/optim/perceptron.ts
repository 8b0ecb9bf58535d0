/**
 * The perceptron learning rule (Rosenblatt 1958) for a single layer of step units.
 *
 *   ŷ = step(wᵀx + b),   step(z) = 1 if z ≥ 0 else 0
 *   w ← w + η (y − ŷ) x
 *   b ← b + η (y − ŷ)
 *
 * applied one sample at a time. Only misclassified samples move the weights (y − ŷ = ±1);
 * on linearly separable data the rule stops changing after finitely many mistakes
 * (Novikoff's theorem), and on data that is not separable (XOR) it never settles.
 *
 * With several outputs (y and ŷ vectors, W a [inputs, outputs] matrix) each unit learns on
 * its own: W ← W + η x (y − ŷ)ᵀ.
 *
 * As a transform: the rule is gradient descent, w ← w − η g, on the pseudo-gradient
 * g = −(y − ŷ) x (the step function has no useful derivative, so this is not ∇C of any
 * differentiable C; it is the gradient of the "perceptron criterion" Σ −(y − ŷ)(wᵀx + b)).
 * `perceptronGradient` computes it for a batch, so `sgd({ lr: η })` applied to it is the
 * batch perceptron rule; `trainPerceptron` runs the classic online version.
 */
import { ConfigError, ShapeError } from '../errors.js';
import { add, mul, sub } from '../ops/arithmetic.js';
import { step } from '../ops/activation.js';
import { matmul } from '../ops/matmul.js';
import { sum } from '../ops/reduce.js';
import { reshape, slice, transpose } from '../ops/shape.js';
import { noGrad } from '../autograd/tape.js';
import { keep, tidy } from '../tensor/scope.js';
import { zeros } from '../tensor/creation.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkOptionKeys, checkPositiveInteger, checkPositiveNumber } from './util.js';

/** ŷ = step(X W + b) for inputs X [m, d], weights W [d, k], bias b [k]. */
export function perceptronPredict(x: Tensor, weight: Tensor, bias: Tensor): Tensor {
  return step(add(matmul(x, weight), bias));
}

/**
 * The perceptron rule's pseudo-gradients for a batch, [gW, gb] = [−Xᵀ(Y − Ŷ), −Σ(Y − Ŷ)],
 * so that w ← w − η g is the (batch) perceptron rule.
 */
export function perceptronGradient(x: Tensor, y: Tensor, weight: Tensor, bias: Tensor): [Tensor, Tensor] {
  return tidy(() =>
    noGrad(() => {
      const error = sub(
        targets2d('perceptronGradient', y, x.shape[0], weight.shape[1]),
        perceptronPredict(x, weight, bias),
      );
      return [mul(matmul(transpose(x), error), -1), mul(sum(error, 0), -1)] as [Tensor, Tensor];
    }),
  );
}

function targets2d(where: string, y: Tensor, m: number, k: number): Tensor {
  if (y.rank === 1 && y.shape[0] === m && k === 1) return reshape(y, [m, 1]);
  if (y.rank === 2 && y.shape[0] === m && y.shape[1] === k) return y;
  throw new ShapeError(
    `${where}: targets must be [${m}] (one output) or [${m}, ${k}], got [${y.shape.join(', ')}].`,
  );
}

export interface PerceptronOptions {
  /** η (default 1; with zero initial weights the rule's behaviour does not depend on it). */
  lr?: number;
  /** Passes over the data at most (default 100); training stops early after an epoch without mistakes. */
  epochs?: number;
  /** Initial weights [d, k] and bias [k] (default zeros). Not modified. */
  weight?: Tensor;
  bias?: Tensor;
}

export interface PerceptronResult {
  /** The learned W [d, k] and b [k] (new tensors, kept; dispose them when done). */
  weight: Tensor;
  bias: Tensor;
  /** Misclassified samples (units wrong, summed) in each epoch. */
  mistakes: number[];
  /** Whether the last epoch made no mistakes. */
  converged: boolean;
  /** Weight updates made in all. */
  updates: number;
}

/**
 * Trains a single layer of step units with the online perceptron rule, sample by sample
 * in order. x: [m, d] inputs; y: [m] or [m, k] targets in {0, 1}.
 */
export function trainPerceptron(x: Tensor, y: Tensor, options: PerceptronOptions = {}): PerceptronResult {
  const where = 'trainPerceptron';
  checkOptionKeys(where, options, ['lr', 'epochs', 'weight', 'bias']);
  if (x.rank !== 2)
    throw new ShapeError(`${where}: inputs must be [samples, features], got [${x.shape.join(', ')}].`);
  const [m, d] = x.shape;
  const k = y.rank === 2 ? y.shape[1] : 1;
  const lr = checkPositiveNumber(where, 'learning rate', options.lr ?? 1);
  const epochs = checkPositiveInteger(where, 'epochs', options.epochs ?? 100);
  const targets = targets2d(where, y, m, k);
  const targetValues = targets.dataSync();
  for (const v of targetValues)
    if (v !== 0 && v !== 1) throw new ConfigError(`${where}: targets must be 0 or 1, got ${v}.`);
  if (
    options.weight &&
    (options.weight.rank !== 2 || options.weight.shape[0] !== d || options.weight.shape[1] !== k)
  ) {
    throw new ShapeError(
      `${where}: initial weight must be [${d}, ${k}], got [${options.weight.shape.join(', ')}].`,
    );
  }
  if (options.bias && (options.bias.rank !== 1 || options.bias.shape[0] !== k)) {
    throw new ShapeError(`${where}: initial bias must be [${k}], got [${options.bias.shape.join(', ')}].`);
  }
  let weight = keep(options.weight ? mul(options.weight, 1) : zeros([d, k], { dtype: x.dtype }));
  let bias = keep(options.bias ? mul(options.bias, 1) : zeros([k], { dtype: x.dtype }));
  const mistakes: number[] = [];
  let updates = 0;
  noGrad(() => {
    for (let epoch = 0; epoch < epochs; epoch++) {
      let wrong = 0;
      for (let i = 0; i < m; i++) {
        const next = tidy(() => {
          const xi = slice(x, [i, 0], [1, d]);
          const error = sub(slice(targets, [i, 0], [1, k]), perceptronPredict(xi, weight, bias)); // y − ŷ, [1, k]
          const misses = sum(mul(error, error)).item();
          if (misses === 0) return null;
          // w ← w + η xᵀ(y − ŷ);  b ← b + η (y − ŷ)
          return {
            misses,
            weight: add(weight, mul(matmul(transpose(xi), error), lr)),
            bias: add(bias, mul(reshape(error, [k]), lr)),
          };
        });
        if (next) {
          wrong += next.misses;
          updates++;
          weight.dispose();
          bias.dispose();
          weight = keep(next.weight);
          bias = keep(next.bias);
        }
      }
      mistakes.push(wrong);
      if (wrong === 0) break;
    }
  });
  if (targets !== y) targets.dispose();
  return { weight, bias, mistakes, converged: mistakes[mistakes.length - 1] === 0, updates };
}

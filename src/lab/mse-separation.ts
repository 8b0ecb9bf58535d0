/**
 * When backprop with the squared error fails (Brady, Raghavan & Slawny, 1989, "Back
 * propagation fails to separate where perceptrons succeed"): a linearly separable set that
 * the perceptron rule separates and a sigmoid unit trained by gradient descent on the L2
 * error does not.
 *
 * Two boxes of points, class 0 on the left and class 1 on the right, and one more point of
 * class 1 above the left box, at (−2.5, 3). The line x₁ + 0.91 x₂ = 0 separates all of
 * them (so the set is separable by construction, with a margin of at least 0.067), but the
 * bulk alone is best split by a vertical line, which puts the extra point deep on the wrong
 * side. Gradient descent on L2 first learns the bulk; by then the extra point is a confident
 * mistake, σ(z) ≈ 0, and under L2 its gradient carries σ′(z) = σ(1 − σ) ≈ 0: it is ignored,
 * and the unit stays on a plateau with that point misclassified. The perceptron rule
 * corrects every mistake by the same amount however confident it is, and stops (Novikoff)
 * once all are right; cross-entropy cancels σ′ and also gets there.
 *
 * All three are descent's: `trainPerceptron`, and a dense sigmoid unit trained with sgd on
 * `mse` and on `binaryCrossEntropy`, all three from w = 0, b = 0.
 */
import { Dataset } from '../data/dataset.js';
import { dense } from '../nn/dense.js';
import { trainPerceptron } from '../optim/perceptron.js';
import { fromArray } from '../tensor/creation.js';
import { Rng } from '../tensor/random.js';
import { tidy } from '../tensor/scope.js';
import { trainLoop } from './loop.js';
import type { LabelledPoint } from './perceptron.js';

export interface SeparationRun {
  name: 'perceptron' | 'mse' | 'crossEntropy';
  label: string;
  /** The final line w₀x₁ + w₁x₂ + b = 0. */
  w: [number, number];
  b: number;
  /** Misclassified training points after each epoch (during it, for the perceptron). */
  errors: number[];
  /** The unit's output σ(z) at the extra point after each epoch (the perceptron: its step output). */
  outlierOutput: number[];
}

export interface SeparationStudy {
  points: LabelledPoint[];
  /** Index of the extra point in `points`. */
  outlier: number;
  /** A line that separates every point (the construction's). */
  separator: { w: [number, number]; b: number; margin: number };
  epochs: number;
  lr: number;
  runs: SeparationRun[];
}

export interface SeparationOptions {
  /** Points per box (default 100). */
  perClass?: number;
  epochs?: number;
  lr?: number;
  seed?: number;
}

function errorsOf(points: readonly LabelledPoint[], w: readonly number[], b: number): number {
  return points.filter((p) => (w[0] * p.x + w[1] * p.y + b >= 0 ? 1 : 0) !== p.label).length;
}

/** The boxes and the extra point; see the file comment. */
export function separationData(perClass: number, seed: number): { points: LabelledPoint[]; outlier: number } {
  const rng = new Rng(seed);
  const points: LabelledPoint[] = [];
  for (let i = 0; i < perClass; i++) {
    points.push({ x: rng.uniformIn(-3, -1), y: rng.uniformIn(-1, 1), label: 0 });
    points.push({ x: rng.uniformIn(1, 3), y: rng.uniformIn(-1, 1), label: 1 });
  }
  // Somewhere in the middle of the order, so the online rules meet it mid-epoch.
  const outlier = Math.floor(points.length / 2);
  points.splice(outlier, 0, { x: -2.5, y: 3, label: 1 });
  return { points, outlier };
}

/** The perceptron rule, and a sigmoid unit trained on L2 and on cross-entropy. */
export function mseSeparationStudy(options: SeparationOptions = {}): SeparationStudy {
  const perClass = options.perClass ?? 100;
  const epochs = options.epochs ?? 300;
  const lr = options.lr ?? 0.5;
  const seed = options.seed ?? 1;
  const { points, outlier } = separationData(perClass, seed);
  const sep: [number, number] = [1, 0.91];
  const margin =
    Math.min(...points.map((p) => (sep[0] * p.x + sep[1] * p.y) * (p.label === 1 ? 1 : -1))) /
    Math.hypot(...sep);
  const features = points.flatMap((p) => [p.x, p.y]);
  const labels = points.map((p) => p.label);
  const o = points[outlier];
  const runs: SeparationRun[] = [];
  tidy(() => {
    const x = fromArray(features, [points.length, 2]);
    const y = fromArray(labels, [points.length]);
    const r = trainPerceptron(x, y, { epochs });
    const w = Array.from(r.weight.dataSync());
    const b = r.bias.dataSync()[0];
    r.weight.dispose();
    r.bias.dispose();
    runs.push({
      name: 'perceptron',
      label: 'perceptron rule',
      w: [w[0], w[1]],
      b,
      errors: r.mistakes,
      // The rule stops once an epoch has no mistakes: by then the extra point is on the right side.
      outlierOutput: r.mistakes.map((_, k) => (k === r.mistakes.length - 1 ? 1 : NaN)),
    });
  });
  const data = Dataset.fromArrays(features, [2], new Float32Array(labels), {
    targetShape: [1],
    name: 'separable set',
  });
  try {
    for (const [name, label] of [
      ['mse', 'backprop, sigmoid + L2'],
      ['crossEntropy', 'backprop, sigmoid + cross-entropy'],
    ] as const) {
      const unit = dense({
        units: 1,
        inFeatures: 2,
        activation: 'sigmoid',
        // The perceptron's start: w = 0, b = 0 (so the three differ only in their rule).
        kernelInitializer: 'zeros',
      });
      const read = () => {
        const w = Array.from(unit.weight.dataSync());
        return { w: [w[0], w[1]] as [number, number], b: unit.bias!.dataSync()[0] };
      };
      const errors: number[] = [];
      const outlierOutput: number[] = [];
      trainLoop({
        net: unit,
        data,
        loss: name === 'mse' ? 'mse' : 'binaryCrossEntropy',
        optimizer: 'sgd',
        lr,
        batchSize: 16,
        epochs,
        rng: new Rng(seed + 1),
        onEpochEnd: () => {
          const { w, b } = read();
          errors.push(errorsOf(points, w, b));
          outlierOutput.push(1 / (1 + Math.exp(-(w[0] * o.x + w[1] * o.y + b))));
        },
      });
      runs.push({ name, label, ...read(), errors, outlierOutput });
      unit.dispose();
    }
  } finally {
    data.dispose();
  }
  return { points, outlier, separator: { w: sep, b: 0, margin }, epochs, lr, runs };
}

/**
 * The perceptron rule against backpropagation, on one linear unit in the plane.
 *
 *   perceptron:  ŷ = step(wᵀx + b);  on a mistake  w ← w + η (y − ŷ) x,  b ← b + η (y − ŷ)
 *   backprop:    p = σ(wᵀx + b);  minimise the cross-entropy by gradient descent
 *
 * On linearly separable data the perceptron stops after finitely many mistakes (Novikoff),
 * at whichever separating line it happens to reach. When the classes overlap it never
 * settles: every epoch some point is wrong and moves the line. Gradient descent on the
 * smooth cross-entropy converges in both cases, to the line of best compromise.
 *
 * Both are descent's own: `trainPerceptron` from optim/, and a dense sigmoid unit trained
 * with `sgd` on `binaryCrossEntropy`.
 */
import { Dataset } from '../data/dataset.js';
import { dense } from '../nn/dense.js';
import { trainPerceptron } from '../optim/perceptron.js';
import { fromArray } from '../tensor/creation.js';
import { Rng } from '../tensor/random.js';
import { tidy } from '../tensor/scope.js';
import { seededInitializer, trainLoop } from './loop.js';

export interface LabelledPoint {
  x: number;
  y: number;
  label: 0 | 1;
}

export interface LinearRule {
  /** The line w₀x + w₁y + b = 0. */
  w: [number, number];
  b: number;
  /** Training points on the wrong side, per epoch. */
  errors: number[];
}

export interface PerceptronStudy {
  name: string;
  title: string;
  points: LabelledPoint[];
  perceptron: LinearRule & { converged: boolean; updates: number };
  backprop: LinearRule & { losses: number[] };
}

export interface PerceptronOptions {
  /** Points per class (default 60). */
  count?: number;
  epochs?: number;
  seed?: number;
  /** Learning rate of the backprop unit (default 0.5). */
  lr?: number;
}

/** Two Gaussian classes; with `margin` > 0, points within that distance of the line x + y = 0 are redrawn. */
function blobs(count: number, spread: number, margin: number, rng: Rng, center = 1.2): LabelledPoint[] {
  const points: LabelledPoint[] = [];
  for (const label of [0, 1] as const) {
    const c = label === 0 ? -center : center;
    while (points.filter((p) => p.label === label).length < count) {
      const x = c + spread * rng.normal();
      const y = c * 0.6 + spread * rng.normal();
      const side = (x + y) / Math.SQRT2;
      if (margin > 0 && (label === 0 ? side > -margin : side < margin)) continue;
      points.push({ x, y, label });
    }
  }
  // Interleave the classes so the online rule does not see one class first.
  return Array.from(rng.permutation(points.length), (i) => points[i]);
}

function errorsOf(points: readonly LabelledPoint[], w: readonly number[], b: number): number {
  return points.filter((p) => (w[0] * p.x + w[1] * p.y + b >= 0 ? 1 : 0) !== p.label).length;
}

function study(
  name: string,
  title: string,
  points: LabelledPoint[],
  options: Required<PerceptronOptions>,
): PerceptronStudy {
  const features = points.flatMap((p) => [p.x, p.y]);
  const labels = points.map((p) => p.label);
  // The perceptron rule, online, as in optim/perceptron.ts.
  const rule = tidy(() => {
    const x = fromArray(features, [points.length, 2]);
    const y = fromArray(labels, [points.length]);
    const r = trainPerceptron(x, y, { epochs: options.epochs });
    const w = Array.from(r.weight.dataSync());
    const b = r.bias.dataSync()[0];
    r.weight.dispose();
    r.bias.dispose();
    return {
      w: [w[0], w[1]] as [number, number],
      b,
      errors: r.mistakes,
      converged: r.converged,
      updates: r.updates,
    };
  });
  // One sigmoid unit trained by backpropagation (sgd on the cross-entropy), mini-batches of 16.
  const data = Dataset.fromArrays(features, [2], new Float32Array(labels), { targetShape: [1], name });
  const rng = new Rng(options.seed);
  const unit = dense({
    units: 1,
    inFeatures: 2,
    activation: 'sigmoid',
    kernelInitializer: seededInitializer('glorotUniform', rng),
  });
  const errors: number[] = [];
  const read = () => {
    const w = Array.from(unit.weight.dataSync());
    return { w: [w[0], w[1]] as [number, number], b: unit.bias!.dataSync()[0] };
  };
  const result = trainLoop({
    net: unit,
    data,
    loss: 'binaryCrossEntropy',
    optimizer: 'sgd',
    lr: options.lr,
    batchSize: 16,
    epochs: options.epochs,
    rng: new Rng(options.seed + 1),
    onEpochEnd: () => {
      const { w, b } = read();
      errors.push(errorsOf(points, w, b));
    },
  });
  const final = read();
  unit.dispose();
  data.dispose();
  return { name, title, points, perceptron: rule, backprop: { ...final, errors, losses: result.losses } };
}

/** The perceptron rule and a backprop-trained sigmoid unit on separable and overlapping classes. */
export function perceptronVersusBackprop(options: PerceptronOptions = {}): PerceptronStudy[] {
  const o: Required<PerceptronOptions> = {
    count: options.count ?? 60,
    epochs: options.epochs ?? 30,
    seed: options.seed ?? 1,
    lr: options.lr ?? 0.5,
  };
  const rng = new Rng(o.seed * 7919);
  return [
    study('separable', 'linearly separable classes', blobs(o.count, 1, 0.05, rng, 0.5), o),
    study('overlapping', 'overlapping classes', blobs(o.count, 1.1, 0, rng), o),
  ];
}

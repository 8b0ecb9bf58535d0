/**
 * Learning-rate regimes — the lecture's J(θ₁) picture and the same story on a real network.
 *
 * On J(θ) = θ², gradient descent is θₖ₊₁ = θₖ − η·2θₖ = (1 − 2η)θₖ, so θₖ = (1 − 2η)ᵏ θ₀:
 *
 *   0 < η < ¼      creeping: every step goes the same way, a little    (too small when η ≪ ¼)
 *   ¼ ≤ η < ½      fast and monotone (η = ½ lands on the minimum in one step)
 *   ½ < η < 1      overshooting: θ changes sign every step, |θ| still shrinks
 *   η > 1          diverging: |1 − 2η| > 1, every step overshoots further
 *
 * The paths are run with descent's own `sgd` optimiser on the objective (autograd gives
 * the 2θ); the closed form is what the tests check them against.
 *
 * On a network (an MLP on the bundled digits) the same four regimes show as loss curves:
 * a slow decline, a quick one, a noisy plateau, a blow-up.
 */
import { digits } from '../data/sets.js';
import type { Dataset } from '../data/dataset.js';
import { dense } from '../nn/dense.js';
import { sequential } from '../nn/sequential.js';
import { square } from '../ops/arithmetic.js';
import { sum } from '../ops/reduce.js';
import { asOptimizerName, getOptimizer } from '../optim/index.js';
import { Rng } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { descend } from './trajectories.js';
import { evaluateNet, seededInitializer, trainLoop } from './loop.js';

/** How a 1-D descent path behaved. */
export type RegimeKind = 'slow' | 'converging' | 'oscillating' | 'diverging';

/**
 * Classifies a path θ₀, θ₁, … from its numbers alone:
 * diverging if |θ| ends larger than it started; oscillating if θ changes sign on most steps;
 * slow if it still holds more than `slowFraction` of |θ₀|; converging otherwise.
 */
export function classifyPath(thetas: readonly number[], slowFraction = 0.1): RegimeKind {
  const first = Math.abs(thetas[0]);
  const last = Math.abs(thetas[thetas.length - 1]);
  if (!Number.isFinite(last) || last > first) return 'diverging';
  let flips = 0;
  for (let k = 1; k < thetas.length; k++) if (thetas[k] * thetas[k - 1] < 0) flips++;
  if (flips > (thetas.length - 1) / 2) return 'oscillating';
  if (last > slowFraction * first) return 'slow';
  return 'converging';
}

/** The regime that theory predicts for J(θ) = θ² (curvature 2) and rate η over `steps` steps from θ₀. */
export function predictedRegime(lr: number, steps: number, slowFraction = 0.1): RegimeKind {
  const r = 1 - 2 * lr;
  if (Math.abs(r) > 1) return 'diverging';
  if (r < 0) return 'oscillating';
  return Math.pow(r, steps) > slowFraction ? 'slow' : 'converging';
}

export interface QuadraticRun {
  label: string;
  lr: number;
  /** θₖ, k = 0 … steps. */
  thetas: number[];
  /** J(θₖ) = θₖ². */
  losses: number[];
  kind: RegimeKind;
}

export interface QuadraticRegimes {
  runs: QuadraticRun[];
  /** The curve J(θ) = θ² over the plotting range, for drawing under the paths. */
  curve: { theta: number[]; loss: number[] };
  theta0: number;
  steps: number;
}

export const defaultQuadraticRates: ReadonlyArray<{ label: string; lr: number }> = [
  { label: 'too small', lr: 0.02 },
  { label: 'good', lr: 0.3 },
  { label: 'large: overshoots', lr: 0.85 },
  { label: 'too large: diverges', lr: 1.05 },
];

/** Gradient descent on J(θ) = θ² at several learning rates, with the descent library's sgd. */
export function quadraticRegimes(
  options: { theta0?: number; steps?: number; rates?: ReadonlyArray<{ label: string; lr: number }> } = {},
): QuadraticRegimes {
  const theta0 = options.theta0 ?? 1;
  const steps = options.steps ?? 12;
  const rates = options.rates ?? defaultQuadraticRates;
  const objective = (theta: Tensor) => sum(square(theta));
  const runs = rates.map(({ label, lr }) => {
    const path = descend(objective, [theta0], getOptimizer('sgd', { lr }), { steps });
    const thetas = path.points.map((p) => p[0]);
    return { label, lr, thetas, losses: path.losses, kind: classifyPath(thetas) };
  });
  const reach = Math.max(
    1.5 * Math.abs(theta0),
    ...runs.flatMap((r) => r.thetas.map(Math.abs)).filter((v) => v < 4 * Math.abs(theta0)),
  );
  const theta = Array.from({ length: 201 }, (_, i) => -reach + (2 * reach * i) / 200);
  return { runs, curve: { theta, loss: theta.map((t) => t * t) }, theta0, steps };
}

export interface NetworkRun {
  lr: number;
  /** Mini-batch loss at every step. */
  losses: number[];
  /** The step at which the loss stopped being finite, if it did. */
  divergedAt: number | null;
  /** Training-set loss after each epoch (absent after divergence). */
  epochLoss: number[];
  testAccuracy: number;
  kind: RegimeKind;
}

export interface NetworkLrOptions {
  lrs?: number[];
  epochs?: number;
  batchSize?: number;
  hidden?: number[];
  optimizer?: string;
  seed?: number;
  /** Data to train on (default: the bundled digits, split 80/20 with the seed). */
  data?: { train: Dataset; test: Dataset; numClasses: number };
}

/** Classifies a loss curve (the network counterpart of classifyPath). */
export function classifyLossCurve(losses: readonly number[], divergedAt: number | null): RegimeKind {
  if (divergedAt !== null) return 'diverging';
  const n = losses.length;
  const window = Math.max(1, Math.floor(n / 10));
  const mean = (a: readonly number[]) => a.reduce((s, v) => s + v, 0) / a.length;
  const head = mean(losses.slice(0, window));
  const tail = losses.slice(n - window);
  const end = mean(tail);
  if (end > 1.5 * head) return 'diverging';
  // Noisy: the last tenth swings by more than half its own mean, far from the minimum.
  const spread = Math.max(...tail) - Math.min(...tail);
  if (spread > 0.5 * end && end > 0.2 * head) return 'oscillating';
  if (end > 0.5 * head) return 'slow';
  return 'converging';
}

/** Loss curves of an MLP on digits trained with one optimiser at several learning rates. */
export function networkLrCurves(options: NetworkLrOptions = {}): NetworkRun[] {
  const seed = options.seed ?? 1;
  const lrs = options.lrs ?? [0.003, 0.03, 0.3, 1, 8];
  const epochs = options.epochs ?? 4;
  const batchSize = options.batchSize ?? 32;
  const hidden = options.hidden ?? [64, 32];
  const owned = options.data ? null : digits({ rng: new Rng(seed) });
  const sets = options.data ?? owned!;
  try {
    return lrs.map((lr) => {
      const rng = new Rng(seed);
      const init = seededInitializer('heNormal', rng);
      const layers = [
        ...hidden.map((units) => dense({ units, activation: 'relu', kernelInitializer: init })),
        dense({ units: sets.numClasses, kernelInitializer: seededInitializer('glorotUniform', rng) }),
      ];
      const net = sequential(layers);
      const epochLoss: number[] = [];
      const result = trainLoop({
        net,
        data: sets.train,
        optimizer: asOptimizerName(options.optimizer ?? 'sgd'),
        lr,
        batchSize,
        epochs,
        rng: new Rng(seed + 1),
        onEpochEnd: () => {
          epochLoss.push(evaluateNet(net, sets.train).loss);
        },
      });
      const testAccuracy = result.divergedAt === null ? evaluateNet(net, sets.test).accuracy : NaN;
      net.dispose();
      return {
        lr,
        losses: result.losses,
        divergedAt: result.divergedAt,
        epochLoss,
        testAccuracy,
        kind: classifyLossCurve(result.losses, result.divergedAt),
      };
    });
  } finally {
    owned?.train.dispose();
    owned?.test.dispose();
  }
}

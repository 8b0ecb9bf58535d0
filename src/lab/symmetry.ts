/**
 * Symmetry: why the weights must not start equal.
 *
 * Give every hidden unit of a layer the same incoming weights (W₁'s rows equal) and the same
 * outgoing weights (W₂'s columns equal). Then every hidden unit computes the same activation
 * on every input, so backpropagation gives each the same error δⱼ = σ′(zⱼ) Σₖ W₂[k, j] δₖ, so
 * every step changes each row of W₁ (and each column of W₂) by the same amount: the units stay
 * identical forever, and the layer of H units works as a single unit. Gradient descent has no
 * way out — the symmetric weights are a subspace that its updates never leave. Random
 * initialisation breaks the symmetry at the start, and the units learn different features.
 *
 * Both networks are trained with descent's loop and sgd on the bundled digits, from the same
 * draws (the symmetric start repeats one random row and one random column).
 */
import type { Dataset } from '../data/dataset.js';
import { digits } from '../data/sets.js';
import { ConfigError } from '../errors.js';
import { dense, type Dense } from '../nn/dense.js';
import type { Initializer } from '../nn/initializers.js';
import { sequential } from '../nn/sequential.js';
import { fromArray } from '../tensor/creation.js';
import { Rng } from '../tensor/random.js';
import { seededInitializer, trainLoop } from './loop.js';
import { errorRate } from './divergence.js';

/**
 * A [units, inputs] initialiser whose rows are all one random N(0, std²) row — plus, with
 * `jitter` > 0, independent N(0, (jitter·std)²) noise on every entry.
 */
export function identicalRows(rng: Rng, std: number, jitter = 0): Initializer {
  return (shape, context) => {
    const [rows, cols] = shape;
    const row = Array.from({ length: cols }, () => std * rng.normal());
    return fromArray(
      Array.from(
        { length: rows * cols },
        (_, i) => row[i % cols] + (jitter > 0 ? jitter * std * rng.normal() : 0),
      ),
      shape,
      { dtype: context.dtype ?? 'float32' },
    );
  };
}

/** A [units, inputs] initialiser whose columns are all one random N(0, std²) column. */
export function identicalColumns(rng: Rng, std: number): Initializer {
  return (shape, context) => {
    const [rows, cols] = shape;
    const column = Array.from({ length: rows }, () => std * rng.normal());
    return fromArray(
      Array.from({ length: rows * cols }, (_, i) => column[Math.floor(i / cols)]),
      shape,
      { dtype: context.dtype ?? 'float32' },
    );
  };
}

/** The largest distance of any row of a [rows, cols] matrix from the first row, relative to its norm. */
export function rowSpread(values: ArrayLike<number>, rows: number, cols: number): number {
  let first = 0;
  for (let c = 0; c < cols; c++) first += values[c] ** 2;
  let worst = 0;
  for (let r = 1; r < rows; r++) {
    let d = 0;
    for (let c = 0; c < cols; c++) d += (values[r * cols + c] - values[c]) ** 2;
    worst = Math.max(worst, d);
  }
  return Math.sqrt(worst / (first || 1));
}

export interface SymmetryRun {
  name: 'identical' | 'perturbed' | 'random';
  label: string;
  /** rowSpread of W₁ (the hidden units' incoming weights), recorded every `every` steps. */
  steps: number[];
  spread: number[];
  /** W₁ before and after training, [hidden, inputs] row-major. */
  before: number[];
  after: number[];
  /** How many distinct rows W₁ has at the end (rows closer than 1e-6 relative count as one). */
  distinctRows: number;
  testError: number;
  losses: number[];
}

export interface SymmetryStudy {
  hidden: number;
  inputs: number;
  epochs: number;
  lr: number;
  every: number;
  runs: SymmetryRun[];
}

export interface SymmetryOptions {
  hidden?: number;
  epochs?: number;
  lr?: number;
  seed?: number;
  data?: { train: Dataset; test: Dataset; numClasses: number };
}

function distinctRows(values: ArrayLike<number>, rows: number, cols: number): number {
  const kept: number[] = [];
  for (let r = 0; r < rows; r++) {
    const same = kept.some((k) => {
      let d = 0;
      let n = 0;
      for (let c = 0; c < cols; c++) {
        d += (values[r * cols + c] - values[k * cols + c]) ** 2;
        n += values[k * cols + c] ** 2;
      }
      return d <= 1e-12 * (n || 1);
    });
    if (!same) kept.push(r);
  }
  return kept.length;
}

/** The relative size of the perturbation that breaks the symmetry in the 'perturbed' run. */
const JITTER = 1e-3;

const LABELS = {
  identical: 'identical units',
  perturbed: `identical units + ${JITTER} relative noise`,
  random: 'random initialisation (Glorot)',
} as const;

/** Identical against random initial weights; see the file comment. */
export function symmetryStudy(options: SymmetryOptions = {}): SymmetryStudy {
  const hidden = options.hidden ?? 16;
  const epochs = options.epochs ?? 10;
  const lr = options.lr ?? 0.1;
  const seed = options.seed ?? 1;
  if (!Number.isInteger(hidden) || hidden < 2)
    throw new ConfigError(
      `symmetryStudy: hidden must be an integer ≥ 2 (symmetry needs several units), got ${hidden}.`,
    );
  const owned = options.data ? null : digits({ rng: new Rng(seed) });
  const sets = options.data ?? owned!;
  const inputs = sets.train.x.shape[1];
  const batchSize = 32;
  const every = Math.max(1, Math.floor(sets.train.length / batchSize / 8));
  try {
    const runs = (['identical', 'perturbed', 'random'] as const).map((name) => {
      const rng = new Rng(seed);
      const first = dense({
        units: hidden,
        inFeatures: inputs,
        activation: 'tanh',
        kernelInitializer:
          name === 'random'
            ? seededInitializer('glorotUniform', rng)
            : identicalRows(rng, 0.1, name === 'perturbed' ? JITTER : 0),
      });
      const second = dense({
        units: sets.numClasses,
        kernelInitializer:
          name === 'random' ? seededInitializer('glorotUniform', rng) : identicalColumns(rng, 0.3),
      });
      const net = sequential([first, second]);
      const before = Array.from(first.weight.dataSync());
      const steps = [0];
      const spread = [rowSpread(before, hidden, inputs)];
      const result = trainLoop({
        net,
        data: sets.train,
        optimizer: 'sgd',
        lr,
        batchSize,
        epochs,
        rng: new Rng(seed + 1),
        afterStep: ({ step }) => {
          if ((step + 1) % every !== 0) return;
          steps.push(step + 1);
          spread.push(rowSpread((first as Dense).weight.dataSync(), hidden, inputs));
        },
      });
      const after = Array.from(first.weight.dataSync());
      const run: SymmetryRun = {
        name,
        label: LABELS[name],
        steps,
        spread,
        before,
        after,
        distinctRows: distinctRows(after, hidden, inputs),
        testError: errorRate(net, sets.test),
        losses: result.losses,
      };
      net.dispose();
      return run;
    });
    return { hidden, inputs, epochs, lr, every, runs };
  } finally {
    owned?.train.dispose();
    owned?.test.dispose();
  }
}

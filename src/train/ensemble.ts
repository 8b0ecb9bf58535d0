/**
 * Ensembles (the lectures' bagging): k networks, each trained on a bootstrap sample of the
 * training set (N draws with replacement) or on the whole set from another seed, whose
 * predictions are averaged — the members' errors are partly independent, so the average
 * errs less than a typical member.
 *
 *   const e = train.ensemble({ build: () => new train.Model(net()).compile({...}), k: 5, bootstrap: true });
 *   await e.fit(trainSet, { epochs: 20 });
 *   e.predict(x);  await e.evaluate(test);   // { accuracy } (or { mse } for 'outputs')
 *
 * Classifiers are averaged as probabilities (softmax of each member's logits, the default);
 * `combine: 'outputs'` averages the raw outputs (regression, or members ending in softmax).
 */
import { noGrad } from '../autograd/tape.js';
import type { Dataset } from '../data/dataset.js';
import { ConfigError, checkPositiveInt } from '../errors.js';
import { add, div, mul, sub } from '../ops/arithmetic.js';
import { softmax } from '../ops/activation.js';
import { argmax, mean } from '../ops/reduce.js';
import { Rng, setSeed } from '../tensor/random.js';
import { tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import type { History } from './callbacks.js';
import type { FitOptions } from './fit-options.js';
import { Model } from './model.js';

export interface EnsembleOptions {
  /** Makes member `i` (0-based): a compiled Model. Called after the member's seed is set. */
  build: (index: number) => Model;
  k: number;
  /** Train each member on a bootstrap sample of the training set (default false: the whole set). */
  bootstrap?: boolean;
  /** One seed per member, set before it is built and trained (default 1, 2, …, k). */
  seeds?: readonly number[];
  /** 'probabilities' (default): mean of the members' softmax; 'outputs': mean of their outputs. */
  combine?: 'probabilities' | 'outputs';
}

export class Ensemble {
  readonly members: Model[] = [];
  readonly histories: History[] = [];
  private readonly k: number;
  private readonly seeds: readonly number[];

  constructor(private readonly options: EnsembleOptions) {
    const where = 'ensemble';
    if (!options || typeof options.build !== 'function')
      throw new ConfigError(`${where}: build must be a function (index) => compiled Model.`);
    this.k = checkPositiveInt(where, 'k', options.k);
    this.seeds = options.seeds ?? Array.from({ length: this.k }, (_, i) => i + 1);
    if (this.seeds.length !== this.k || !this.seeds.every((s) => Number.isInteger(s)))
      throw new ConfigError(
        `${where}: seeds must be ${this.k} integers (one per member), got ${JSON.stringify(this.seeds)}.`,
      );
    const combine = options.combine ?? 'probabilities';
    if (combine !== 'probabilities' && combine !== 'outputs')
      throw new ConfigError(
        `${where}: combine must be 'probabilities' or 'outputs', got '${String(combine)}'.`,
      );
  }

  /** Trains the k members one after the other; returns their histories. */
  async fit(data: Dataset, options: FitOptions = {}): Promise<History[]> {
    this.dispose();
    for (let i = 0; i < this.k; i++) {
      setSeed(this.seeds[i]);
      const member = this.options.build(i);
      if (!(member instanceof Model))
        throw new ConfigError(`ensemble: build(${i}) must return a compiled Model.`);
      this.members.push(member);
      const sample = this.options.bootstrap ? bootstrapSample(data, new Rng(this.seeds[i])) : data;
      try {
        this.histories.push(await member.fit(sample, options));
      } finally {
        if (sample !== data) sample.dispose();
      }
    }
    return this.histories;
  }

  /** The members' averaged prediction for `x` (inference mode). */
  predict(x: Tensor): Tensor {
    if (this.members.length === 0) throw new ConfigError('ensemble.predict: call fit first.');
    const probabilities = (this.options.combine ?? 'probabilities') === 'probabilities';
    return tidy(() =>
      noGrad(() => {
        let sum: Tensor | null = null;
        for (const m of this.members) {
          const out = m.predict(x);
          const p = probabilities ? softmax(out, -1) : out;
          sum = sum ? add(sum, p) : p;
        }
        return div(sum!, this.members.length);
      }),
    );
  }

  /** Accuracy of the averaged probabilities (labels as classes), or the MSE of the averaged outputs. */
  async evaluate(data: Dataset): Promise<{ accuracy: number } | { mse: number }> {
    const probabilities = (this.options.combine ?? 'probabilities') === 'probabilities';
    const score = tidy(() => {
      const p = this.predict(data.x);
      if (!probabilities) {
        const d = sub(p, data.y);
        return mean(mul(d, d));
      }
      const predicted = argmax(p, -1).dataSync();
      const labels = data.y.dataSync();
      let correct = 0;
      for (let i = 0; i < labels.length; i++) if (predicted[i] === labels[i]) correct++;
      return correct / labels.length;
    });
    if (typeof score === 'number') return { accuracy: score };
    const mse = (await score.data())[0];
    score.dispose();
    return { mse };
  }

  dispose(): void {
    for (const m of this.members) m.dispose();
    this.members.length = 0;
    this.histories.length = 0;
  }
}

/** N draws with replacement from `data` (the bootstrap). */
export function bootstrapSample(data: Dataset, rng: Rng): Dataset {
  const n = data.length;
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = Math.min(n - 1, Math.floor(rng.uniform() * n));
  return data.subset(idx, `${data.name} (bootstrap)`);
}

export function ensemble(options: EnsembleOptions): Ensemble {
  return new Ensemble(options);
}

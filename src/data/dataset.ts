/**
 * In-memory datasets of tensors, and the loader that cuts them into mini-batches.
 *
 * One training loop covers the lectures' three flavours of gradient descent, by the
 * batch size alone: batch GD (batchSize = dataset size), stochastic GD (batchSize = 1)
 * and mini-batch GD (anything between). The order is reshuffled every epoch with the
 * seeded RNG, so a seed fixes the whole run.
 */
import { ConfigError, ShapeError, checkPositiveInt } from '../errors.js';
import { gather } from '../ops/shape.js';
import { fromArray } from '../tensor/creation.js';
import { rng as globalRng, type Rng } from '../tensor/random.js';
import { keep, tidy } from '../tensor/scope.js';
import { formatShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';

export class Dataset {
  /** Features [N, ...] and targets [N] (int32 labels) or [N, ...] (float targets). */
  constructor(
    readonly x: Tensor,
    readonly y: Tensor,
    /** Number of classes, for classification sets. */
    readonly numClasses?: number,
    readonly name = 'dataset',
  ) {
    if (x.rank === 0 || y.rank === 0 || x.shape[0] !== y.shape[0]) {
      throw new ShapeError(
        `${name}: features ${formatShape(x.shape)} and targets ${formatShape(y.shape)} must have the same first (sample) dimension.`,
      );
    }
    keep(x);
    keep(y);
  }

  get length(): number {
    return this.x.shape[0];
  }

  /** The samples at `indices`, as a new dataset. */
  subset(indices: Int32Array | readonly number[], name = this.name): Dataset {
    // tidy frees the index tensors that gather makes from a plain array.
    const [x, y] = tidy(() => [gather(this.x, indices), gather(this.y, indices)]);
    return new Dataset(x, y, this.numClasses, name);
  }

  /** Splits off the last `fraction` of samples (as Keras's validationSplit does, before shuffling). */
  splitTail(fraction: number): [Dataset, Dataset] {
    if (!(fraction > 0 && fraction < 1)) {
      throw new ConfigError(`validationSplit must be in (0, 1), got ${fraction}.`);
    }
    const n = this.length;
    const cut = n - Math.max(1, Math.round(n * fraction));
    if (cut < 1) throw new ConfigError(`validationSplit ${fraction} leaves no training samples out of ${n}.`);
    const head = Int32Array.from({ length: cut }, (_, i) => i);
    const tail = Int32Array.from({ length: n - cut }, (_, i) => cut + i);
    return [
      this.subset(head, `${this.name} (train part)`),
      this.subset(tail, `${this.name} (validation part)`),
    ];
  }

  dispose(): void {
    this.x.dispose();
    this.y.dispose();
  }

  /** A dataset from flat features (row-major, `featureShape` per sample) and labels or targets. */
  static fromArrays(
    features: Float32Array | Float64Array | number[],
    featureShape: readonly number[],
    targets: Int32Array | Float32Array | number[],
    options: { numClasses?: number; targetShape?: readonly number[]; name?: string } = {},
  ): Dataset {
    const per = featureShape.reduce((p, d) => p * d, 1);
    if (per === 0 || features.length % per !== 0) {
      throw new ShapeError(
        `${options.name ?? 'dataset'}: ${features.length} feature values do not divide into samples of ${formatShape(featureShape)}.`,
      );
    }
    const n = features.length / per;
    const x = fromArray(features, [n, ...featureShape], { dtype: 'float32' });
    const targetShape = options.targetShape ?? [];
    const y =
      targets instanceof Int32Array
        ? fromArray(targets, [n, ...targetShape], { dtype: 'int32' })
        : fromArray(targets, [n, ...targetShape], { dtype: 'float32' });
    return new Dataset(x, y, options.numClasses, options.name);
  }
}

export interface LoaderOptions {
  batchSize: number;
  /** Reshuffle the order every epoch (default true). */
  shuffle?: boolean;
  /** Drop a last batch smaller than batchSize (default false). */
  dropLast?: boolean;
  rng?: Rng;
}

export interface Batch {
  x: Tensor;
  y: Tensor;
  /** Samples in this batch. */
  size: number;
}

export class DataLoader {
  readonly batchSize: number;
  private readonly shuffle: boolean;
  private readonly dropLast: boolean;
  private readonly rng: Rng;

  constructor(
    readonly dataset: Dataset,
    options: LoaderOptions,
  ) {
    this.batchSize = checkPositiveInt('DataLoader', 'batchSize', options.batchSize);
    this.shuffle = options.shuffle ?? true;
    this.dropLast = options.dropLast ?? false;
    this.rng = options.rng ?? globalRng();
  }

  get numBatches(): number {
    const n = this.dataset.length;
    const b = Math.min(this.batchSize, n);
    return this.dropLast ? Math.floor(n / b) : Math.ceil(n / b);
  }

  /** The index order for one epoch: shuffled (seeded) or in sequence. */
  epochOrder(): Int32Array {
    const n = this.dataset.length;
    return this.shuffle ? this.rng.permutation(n) : Int32Array.from({ length: n }, (_, i) => i);
  }

  /**
   * The batches of one epoch. Each batch's tensors are fresh: call inside tidy (as fit
   * does), or dispose them.
   */
  *batches(order = this.epochOrder()): Generator<Batch> {
    const n = order.length;
    const b = Math.min(this.batchSize, n);
    for (let start = 0; start < n; start += b) {
      const end = Math.min(n, start + b);
      if (this.dropLast && end - start < b) break;
      const idx = order.subarray(start, end);
      yield { x: gather(this.dataset.x, idx), y: gather(this.dataset.y, idx), size: end - start };
    }
  }
}

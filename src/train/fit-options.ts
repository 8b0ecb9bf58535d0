/**
 * fit's options, and the one function that checks them and fills in the defaults: what the
 * loop runs on (the training set, the validation set, the generator) is decided here, so
 * new inputs (arrays, class weights …) are added in one place.
 */
import { ConfigError, checkPositiveInt } from '../errors.js';
import { Dataset } from '../data/dataset.js';
import { checkCheckpointOptions, type CheckpointOptions } from '../io/checkpoint.js';
import { rng as globalRng, type Rng } from '../tensor/random.js';
import { formatShape } from '../tensor/shape.js';
import { fromArray } from '../tensor/creation.js';
import { Tensor } from '../tensor/tensor.js';
import type { Callback } from './callbacks.js';
import { checkDiagnoseOptions, type DiagnoseOptions, type DiagnoseThresholds } from './diagnose.js';

export interface FitOptions {
  epochs?: number;
  batchSize?: number;
  shuffle?: boolean;
  /** Hold out the last fraction of the training data for validation. */
  validationSplit?: number;
  validationData?: Dataset;
  callbacks?: Callback[];
  /** Generator for shuffling (default: the global seeded RNG). */
  rng?: Rng;
  /** Read the loss back every this many steps (default 1). */
  logEvery?: number;
  /**
   * Applied to each training batch's inputs before the forward pass (never to validation or
   * evaluation data), with the run's generator (`rng`, default the global seeded one), so a
   * seed reproduces the augmented batches: `augment: (x, r) => augmenter('rotate,shift').applyTensor(x, r)`.
   * It must return a tensor of the same shape; tensors it makes are freed with the step.
   */
  augment?: (x: Tensor, rng: Rng) => Tensor;
  /**
   * Save a checkpoint (model, optimiser state, RNG states, epoch, step, history, callbacks'
   * states) after every epoch to `dir/ckpt-<step>/`, keeping the newest `keep` (default 3).
   * See io/checkpoint.ts.
   */
  checkpoint?: CheckpointOptions;
  /**
   * Continue from a checkpoint: a `ckpt-<step>` folder, or a folder of them (the newest
   * complete one). Training goes on from the saved epoch up to `epochs` in all, with the
   * saved history, optimiser state and learning-rate scale, RNG states and the states of
   * the callbacks (early stopping, reduce-on-plateau: the same callbacks must be given), so
   * the losses are those of an uninterrupted run with the same seed. A run that a callback
   * had stopped (early stopping) stays stopped: no epoch is added, and early stopping with
   * restoreBestWeights puts the best weights back.
   */
  resumeFrom?: string;
  /**
   * Watch the training's health (see diagnose.ts): dead ReLUs, vanishing or exploding
   * gradients, and the first layer whose output became NaN. Warnings go to the callbacks'
   * `onDiagnostic` and to `history.diagnostics`; per-epoch numbers (`deadRelu/<layer>`,
   * `gradNorm/<layer>`) to the history. `true` for the default thresholds, or options.
   */
  diagnose?: boolean | DiagnoseOptions;
  /**
   * Keras's class_weight, for integer class labels: `{ 0: 1, 1: 10 }` makes each sample of
   * class 1 count ten times in the loss. Classes not named weigh 1; a named class that no
   * training label has is refused. Weights are ≥ 0.
   */
  classWeight?: Record<number, number>;
  /**
   * Keras's sample_weight: one weight ≥ 0 per training sample (an array or a tensor [N]),
   * kept with its sample when the batches are shuffled and cut off with the validationSplit
   * tail. With classWeight too, a sample weighs the product. A batch's loss is then
   * Σᵢ wᵢ·lᵢ / N (Keras's default reduction, see losses/index.ts), so the logged training loss
   * is weighted; validation and evaluate are not.
   */
  sampleWeight?: ArrayLike<number> | Tensor;
}

/** fit's options checked, with their defaults, and the data split into what the loop uses. */
export interface FitPlan {
  epochs: number;
  batchSize: number;
  logEvery: number;
  shuffle: boolean;
  augment?: (x: Tensor, rng: Rng) => Tensor;
  checkpoint: ReturnType<typeof checkCheckpointOptions> | null;
  diagnose: DiagnoseThresholds | null;
  resumeFrom?: string;
  callbacks: Callback[];
  rng: Rng;
  train: Dataset;
  /** classWeight × sampleWeight for each sample of `train` (float32 [N], freed when fit ends), or null. */
  weights: Tensor | null;
  validation?: Dataset;
  /** The sets made here by validationSplit, freed when fit ends. */
  owned: Dataset[];
}

export async function normalizeFitOptions(data: unknown, options: FitOptions = {}): Promise<FitPlan> {
  if (!(data instanceof Dataset))
    throw new ConfigError('fit: expected a Dataset (e.g. Dataset.fromArrays(x, shape, y)).');
  const epochs = checkPositiveInt('fit', 'epochs', options.epochs ?? 1);
  const batchSize = checkPositiveInt('fit', 'batchSize', options.batchSize ?? 32);
  const logEvery = checkPositiveInt('fit', 'logEvery', options.logEvery ?? 1);
  const augment = options.augment;
  if (augment !== undefined && typeof augment !== 'function')
    throw new ConfigError(`fit: augment must be a function (x, rng) => tensor, got ${typeof augment}.`);
  const checkpoint =
    options.checkpoint === undefined ? null : checkCheckpointOptions('fit', options.checkpoint);
  const diagnose = checkDiagnoseOptions('fit', options.diagnose);
  const resumeFrom = options.resumeFrom;
  if (resumeFrom !== undefined && (typeof resumeFrom !== 'string' || resumeFrom === ''))
    throw new ConfigError(
      `fit: resumeFrom must be a checkpoint folder (a non-empty path), got ${String(resumeFrom)}.`,
    );
  const weights = await sampleWeights(data, options);
  let train = data;
  let validation = options.validationData;
  const owned: Dataset[] = [];
  if (options.validationSplit !== undefined && options.validationSplit > 0) {
    if (validation) throw new ConfigError('fit: give validationSplit or validationData, not both.');
    [train, validation] = data.splitTail(options.validationSplit);
    owned.push(train, validation);
  }
  const trainWeights = weights ? fromArray(weights.subarray(0, train.length), [train.length]) : null;
  return {
    epochs,
    batchSize,
    logEvery,
    shuffle: options.shuffle ?? true,
    augment,
    checkpoint,
    diagnose,
    resumeFrom,
    callbacks: options.callbacks ?? [],
    rng: options.rng ?? globalRng(),
    train,
    weights: trainWeights,
    validation,
    owned,
  };
}

/** Each sample's weight, classWeight[label] × sampleWeight[i], or null when neither is given. */
async function sampleWeights(data: Dataset, options: FitOptions): Promise<Float32Array | null> {
  const { classWeight, sampleWeight } = options;
  if (classWeight === undefined && sampleWeight === undefined) return null;
  const n = data.length;
  const weights = new Float32Array(n).fill(1);
  if (sampleWeight !== undefined) {
    const given =
      sampleWeight instanceof Tensor
        ? await sampleWeight.data()
        : Array.isArray(sampleWeight) || ArrayBuffer.isView(sampleWeight)
          ? sampleWeight
          : null;
    const size = sampleWeight instanceof Tensor ? sampleWeight.size : given?.length;
    if (!given || size !== n)
      throw new ConfigError(
        `fit: sampleWeight must have one weight per training sample (${n}), got ${given ? size : typeof sampleWeight}.`,
      );
    for (let i = 0; i < n; i++) {
      const w = Number(given[i]);
      if (!(Number.isFinite(w) && w >= 0))
        throw new ConfigError(`fit: sampleWeight[${i}] is ${given[i]}; weights must be finite and ≥ 0.`);
      weights[i] = w;
    }
  }
  if (classWeight !== undefined) {
    if (classWeight === null || typeof classWeight !== 'object')
      throw new ConfigError(
        `fit: classWeight must be an object { class: weight }, got ${String(classWeight)}.`,
      );
    const y = data.y;
    if (y.dtype !== 'int32' || y.rank !== 1)
      throw new ConfigError(
        `fit: classWeight needs integer class labels (int32 [N]); the targets are ${y.dtype} ${formatShape(y.shape)}.`,
      );
    const labels = await y.data();
    const present = new Set<number>(labels);
    const table = new Map<number, number>();
    for (const [key, w] of Object.entries(classWeight)) {
      const c = Number(key);
      if (!Number.isInteger(c) || !present.has(c))
        throw new ConfigError(
          `fit: classWeight names class ${key}, which no training label has (labels: ${[...present].sort((a, b) => a - b).join(', ')}).`,
        );
      if (typeof w !== 'number' || !(Number.isFinite(w) && w >= 0))
        throw new ConfigError(`fit: classWeight[${key}] is ${String(w)}; weights must be finite and ≥ 0.`);
      table.set(c, w);
    }
    for (let i = 0; i < n; i++) weights[i] *= table.get(labels[i]) ?? 1;
  }
  return weights;
}

/**
 * fit's options, and the one function that checks them and fills in the defaults: what the
 * loop runs on (the training set, the validation set, the generator) is decided here, so
 * new inputs (arrays, class weights …) are added in one place.
 */
import { ConfigError, checkPositiveInt } from '../errors.js';
import { Dataset } from '../data/dataset.js';
import { checkCheckpointOptions, type CheckpointOptions } from '../io/checkpoint.js';
import { rng as globalRng, type Rng } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
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
  validation?: Dataset;
  /** The sets made here by validationSplit, freed when fit ends. */
  owned: Dataset[];
}

export function normalizeFitOptions(data: unknown, options: FitOptions = {}): FitPlan {
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
  let train = data;
  let validation = options.validationData;
  const owned: Dataset[] = [];
  if (options.validationSplit !== undefined && options.validationSplit > 0) {
    if (validation) throw new ConfigError('fit: give validationSplit or validationData, not both.');
    [train, validation] = data.splitTail(options.validationSplit);
    owned.push(train, validation);
  }
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
    validation,
    owned,
  };
}

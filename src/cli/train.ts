/**
 * `descent train`: builds an MLP for a data set, trains it with a live progress bar and
 * reports test accuracy. Every option is validated before any work starts.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { platform } from '#platform';
import { ConfigError, unknownName } from '../errors.js';
import { getBackend, initBackend } from '../backend/registry.js';
import { setSeed, type Rng } from '../tensor/random.js';
import * as data from '../data/index.js';
import { activationNames, type ActivationName } from '../nn/activations.js';
import { asLossName, getLoss, losses, type LossFn } from '../losses/index.js';
import { cast } from '../ops/arithmetic.js';
import { oneHot, reshape } from '../ops/shape.js';
import { buildOptimizer, optimizers } from '../optim/index.js';
import { Model } from '../train/model.js';
import { earlyStopping, type Callback } from '../train/callbacks.js';
import type { Tensor } from '../tensor/tensor.js';
import { progressReporter } from './progress.js';
import {
  buildNetwork,
  checkModelName,
  describeNetwork,
  isImageSet,
  loadImageData,
  parseLimit,
  type NetworkSpec,
} from './networks.js';
import { latestCheckpoint, listCheckpoints, readCheckpointInfo } from '../io/checkpoint.js';
import { checkTrainTargets } from './targets.js';

export interface TrainFlags {
  data: string;
  hidden?: string;
  activation: string;
  loss?: string;
  optimizer: string;
  momentum?: string;
  schedule?: string;
  /** --schedule-per epoch (default) | step: the unit of --schedule's counts. */
  schedulePer?: string;
  clipValue?: string;
  clipNorm?: string;
  l1?: string;
  l2?: string;
  weightDecay?: string;
  damping?: string;
  lr?: string;
  batchSize?: string;
  epochs?: string;
  seed: string;
  backend?: string;
  out?: string;
  json?: boolean;
  testFraction: string;
  /** Save a checkpoint after every epoch to this folder (the newest 3 are kept). */
  checkpointDir?: string;
  /** Continue from the newest checkpoint in --checkpoint-dir (start afresh when there is none). */
  resume?: boolean;
  /** Save the trained model (model.json + weights.safetensors) to this folder. */
  save?: string;
  /** --model: mlp (default) | lenet1990 | lenet5 | fashion-cnn. */
  model?: string;
  /** --data-dir: the folder with Fashion-MNIST's or MNIST's four IDX files. */
  dataDir?: string;
  /** --augment: 'rotate,shift,noise' (image data only). */
  augment?: string;
  /** --early-stopping N: patience in epochs, on the validation loss. */
  earlyStopping?: string;
  /** --validation-split f: hold out this fraction of the training data (default 0.1 with --early-stopping). */
  validationSplit?: string;
  /** --limit N: train on the first N training samples only (quick runs). */
  limit?: string;
  /** --diagnose: training-health warnings (dead ReLUs, vanishing/exploding gradients, the first NaN layer). */
  diagnose?: boolean;
  /** --dropout r | r1,r2: fashion-cnn's dropout rates (after the conv blocks, after the hidden dense layer). */
  dropout?: string;
  /** --num-classes K: a CSV's labels are 0..K−1 (default: dense, every class present). */
  numClasses?: string;
  /** --max-bytes N: the CSV size limit (default data.MAX_CSV_BYTES). */
  maxBytes?: string;
}

/** The flags that must match for a checkpoint to be resumed (--epochs may grow). */
const BATCH_METHODS = ['rprop', 'quickprop', 'lbfgs', 'newton'];

const RUN_FLAGS = [
  'data',
  'hidden',
  'activation',
  'loss',
  'optimizer',
  'lr',
  'batchSize',
  'seed',
  'testFraction',
  'momentum',
  'schedule',
  'schedulePer',
  'clipValue',
  'clipNorm',
  'l1',
  'l2',
  'weightDecay',
  'damping',
  'model',
  'augment',
  'validationSplit',
  'limit',
  'dropout',
  'numClasses',
] as const;

function positiveNumber(flag: string, text: string): number {
  const v = Number(text);
  if (!Number.isFinite(v) || v <= 0)
    throw new ConfigError(`${flag} must be a positive number, got '${text}'.`);
  return v;
}

function positiveInt(flag: string, text: string): number {
  const v = Number(text);
  if (!Number.isInteger(v) || v <= 0)
    throw new ConfigError(`${flag} must be a positive integer, got '${text}'.`);
  return v;
}

function parseHidden(text: string): number[] {
  if (text.trim() === '' || text === 'none') return [];
  return text.split(',').map((part) => {
    const v = Number(part.trim());
    if (!Number.isInteger(v) || v <= 0) {
      throw new ConfigError(
        `--hidden must be a comma-separated list of positive layer sizes (e.g. 64,32), got '${text}'.`,
      );
    }
    return v;
  });
}

/** Adapts a loss to the data set's integer labels: one-hot rows for mse/sse/kl, a column for binary losses. */
export function lossForLabels(
  name: string,
  numClasses: number,
): { loss: LossFn; outputs: number; outputActivation?: ActivationName } {
  const base = getLoss(asLossName(name));
  switch (name) {
    case 'crossEntropy':
      return { loss: base, outputs: numClasses };
    case 'binaryCrossEntropy':
    case 'binaryCrossEntropyFromLogits':
      if (numClasses !== 2)
        throw new ConfigError(`--loss ${name} needs a data set with 2 classes; this one has ${numClasses}.`);
      return {
        loss: (p: Tensor, y: Tensor) => base(p, reshape(cast(y, p.dtype), [y.size, 1])),
        outputs: 1,
        outputActivation: name === 'binaryCrossEntropy' ? 'sigmoid' : undefined,
      };
    default:
      return {
        loss: (p: Tensor, y: Tensor) =>
          base(p, oneHot(y, numClasses, p.dtype === 'float64' ? 'float64' : 'float32')),
        outputs: numClasses,
        outputActivation: 'softmax',
      };
  }
}

export function loadData(
  name: string,
  testFraction: number,
  options: { dataDir?: string; limit?: number; numClasses?: number; maxBytes?: number } = {},
): data.SplitSets {
  // Fashion-MNIST and MNIST come with their own test set (testFraction does not apply).
  if (isImageSet(name)) return loadImageData(name, { dir: options.dataDir, limit: options.limit });
  if ((data.syntheticNames as readonly string[]).includes(name))
    return data.synthetic(name, { testFraction });
  if (name === 'digits') return data.digits({ testFraction });
  if (/\.(csv|csv\.gz)$/i.test(name) || existsSync(name)) {
    if (!existsSync(name)) throw new ConfigError(`--data: file '${name}' does not exist.`);
    // A last column of integers is a class label; any other number makes it a regression target.
    const table = data.loadCsvFile(name, { maxBytes: options.maxBytes });
    if (!integerColumn(table, table.cols - 1)) return regressionCsv(table, name, testFraction);
    return data.csv(name, { testFraction, numClasses: options.numClasses, maxBytes: options.maxBytes });
  }
  return unknownName('data set', name, [
    'digits',
    ...data.imageSetNames,
    ...data.syntheticNames,
    '<file.csv>',
  ]);
}

function integerColumn(table: data.Table, col: number): boolean {
  for (let r = 0; r < table.rows; r++)
    if (!Number.isInteger(table.values[r * table.cols + col])) return false;
  return true;
}

/** Features and a float target (the last column), split at random, features standardised. */
function regressionCsv(table: data.Table, name: string, testFraction: number): data.SplitSets {
  const { rows, cols, values } = table;
  const numFeatures = cols - 1;
  if (numFeatures < 1) throw new ConfigError(`${name}: need feature columns before the target column.`);
  const features = new Float32Array(rows * numFeatures);
  const targets = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < numFeatures; c++) features[r * numFeatures + c] = values[r * cols + c];
    targets[r] = values[r * cols + numFeatures];
  }
  const { train, test } = data.trainTestSplitIndices(rows, testFraction);
  const standardizer = data.fitStandardizer(data.takeRows(features, numFeatures, train), numFeatures);
  const part = (indices: Int32Array, label: string) =>
    data.Dataset.fromArrays(
      data.applyStandardizer(data.takeRows(features, numFeatures, indices), numFeatures, standardizer),
      [numFeatures],
      Float32Array.from(indices, (i) => targets[i]),
      { targetShape: [1], name: `${name} (${label})` },
    );
  return {
    train: part(train, 'train'),
    test: part(test, 'test'),
    numFeatures,
    numClasses: 0,
    task: 'regression',
    standardizer,
    name,
  };
}

function channelStats(sets: data.ImageSets): { mean: number[]; std: number[] } | null {
  const s = sets.channelStandardizer;
  return s ? { mean: Array.from(s.mean), std: Array.from(s.std) } : null;
}

export async function runTrain(flags: TrainFlags): Promise<void> {
  // Validate everything first, so a typo fails before any work.
  // Without --lr each optimiser uses its documented default; plain sgd's is 0.1 here (the
  // library's sgd() default is Keras's 0.01, too slow for the default 20-epoch run).
  const lr =
    flags.lr !== undefined ? positiveNumber('--lr', flags.lr) : flags.optimizer === 'sgd' ? 0.1 : undefined;
  // Rprop, QuickProp, L-BFGS and Newton are batch methods: by default they see the whole
  // training set each step, for more steps; Newton defaults to a model small enough for its Hessian.
  const batchMethod = BATCH_METHODS.includes(flags.optimizer);
  const batchSizeText = flags.batchSize ?? (batchMethod ? 'full' : '32');
  const batchSizeFlag = batchSizeText === 'full' ? 'full' : positiveInt('--batch-size', batchSizeText);
  const epochs = positiveInt(
    '--epochs',
    flags.epochs ?? (flags.optimizer === 'newton' ? '10' : batchMethod ? '100' : '20'),
  );
  const seed = Number(flags.seed);
  if (!Number.isInteger(seed)) throw new ConfigError(`--seed must be an integer, got '${flags.seed}'.`);
  const testFraction = positiveNumber('--test-fraction', flags.testFraction);
  const modelName = checkModelName(flags.model ?? 'mlp');
  const limit = parseLimit(flags.limit);
  const imageData = isImageSet(flags.data);
  if (modelName !== 'mlp' && !imageData) {
    throw new ConfigError(
      `--model ${modelName} is a convolutional network and needs image data (--data ${data.imageSetNames.join(' or ')}); use --model mlp for '${flags.data}'.`,
    );
  }
  if (flags.dataDir !== undefined && !imageData)
    throw new ConfigError(`--data-dir applies to --data ${data.imageSetNames.join(' or ')}.`);
  if (flags.augment !== undefined && !imageData)
    throw new ConfigError(`--augment needs image data (--data ${data.imageSetNames.join(' or ')}).`);
  const augmentation = flags.augment !== undefined ? data.augmenter(flags.augment) : null;
  const dropoutRates = parseDropout(flags.dropout, modelName);
  const patience = flags.earlyStopping === undefined ? undefined : Number(flags.earlyStopping);
  if (patience !== undefined && !(Number.isInteger(patience) && patience >= 0)) {
    throw new ConfigError(
      `--early-stopping must be a patience in epochs (an integer ≥ 0), got '${flags.earlyStopping}'.`,
    );
  }
  const validationSplit =
    flags.validationSplit !== undefined
      ? Number(flags.validationSplit)
      : patience !== undefined
        ? 0.1
        : undefined;
  if (validationSplit !== undefined && !(validationSplit > 0 && validationSplit < 1)) {
    throw new ConfigError(`--validation-split must be a fraction in (0, 1), got '${flags.validationSplit}'.`);
  }
  const hidden = parseHidden(flags.hidden ?? (flags.optimizer === 'newton' ? 'none' : '64,32'));
  if (!(activationNames as readonly string[]).includes(flags.activation))
    unknownName('activation', flags.activation, activationNames);
  if (!(flags.optimizer in optimizers)) unknownName('optimizer', flags.optimizer, Object.keys(optimizers));
  const optionalNumber = (flag: string, text: string | undefined, allowZero = true): number | undefined => {
    if (text === undefined) return undefined;
    const v = Number(text);
    if (!Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) {
      throw new ConfigError(
        `${flag} must be a ${allowZero ? 'non-negative' : 'positive'} number, got '${text}'.`,
      );
    }
    return v;
  };
  const schedulePer = (flags.schedulePer ?? 'epoch') as 'epoch' | 'step';
  if (schedulePer !== 'epoch' && schedulePer !== 'step')
    throw new ConfigError(`--schedule-per must be 'epoch' or 'step', got '${String(schedulePer)}'.`);
  if (flags.schedulePer !== undefined && flags.schedule === undefined)
    throw new ConfigError('--schedule-per applies to --schedule, which is not given.');
  const optimizerOptions = {
    name: flags.optimizer,
    lr,
    momentum: optionalNumber('--momentum', flags.momentum),
    schedule: flags.schedule,
    schedulePer,
    // Known once the data is loaded; one step per epoch to check the flags before then.
    stepsPerEpoch: schedulePer === 'epoch' ? 1 : undefined,
    clipValue: optionalNumber('--clip-value', flags.clipValue, false),
    clipNorm: optionalNumber('--clip-norm', flags.clipNorm, false),
    l1: optionalNumber('--l1', flags.l1),
    l2: optionalNumber('--l2', flags.l2),
    weightDecay: optionalNumber('--weight-decay', flags.weightDecay),
    // Newton on a softmax model meets a singular Hessian (adding a constant to every logit changes nothing): damp it.
    // torch's L-BFGS takes fixed steps by default, which can diverge; from the CLI it searches.
    lineSearch: flags.optimizer === 'lbfgs' ? ('strongWolfe' as const) : undefined,
    damping: optionalNumber('--damping', flags.damping ?? (flags.optimizer === 'newton' ? '0.1' : undefined)),
  };
  // Build once now so that bad combinations (--momentum with adam, a malformed --schedule) fail before any work.
  buildOptimizer(optimizerOptions);
  if (flags.loss !== undefined && !(flags.loss in losses))
    unknownName('loss', flags.loss, Object.keys(losses));
  if (flags.backend && flags.backend !== 'auto') await initBackend(flags.backend);
  if (flags.resume && !flags.checkpointDir)
    throw new ConfigError(
      '--resume needs --checkpoint-dir DIR (the folder of the checkpoints to continue from).',
    );
  if (flags.checkpointDir !== undefined && flags.checkpointDir === '')
    throw new ConfigError('--checkpoint-dir must be a folder path.');
  if (flags.save !== undefined && flags.save === '') throw new ConfigError('--save must be a folder path.');
  const numClasses =
    flags.numClasses === undefined ? undefined : positiveInt('--num-classes', flags.numClasses);
  const maxBytes = flags.maxBytes === undefined ? undefined : positiveInt('--max-bytes', flags.maxBytes);
  checkTrainTargets(flags);
  const runFlags = Object.fromEntries(RUN_FLAGS.map((k) => [k, flags[k] ?? null]));
  let resumeFrom: string | undefined;
  if (flags.resume && flags.checkpointDir) {
    resumeFrom = latestCheckpoint(flags.checkpointDir) ?? undefined;
    warnSkippedCheckpoints(flags.checkpointDir, resumeFrom, flags.json === true);
    if (resumeFrom) {
      // Resuming with other settings would silently train something else: refuse, naming the differences.
      const saved = readCheckpointInfo(resumeFrom).metadata.flags as Record<string, unknown> | undefined;
      const differences = RUN_FLAGS.filter(
        (k) => saved && JSON.stringify(saved[k] ?? null) !== JSON.stringify(runFlags[k]),
      );
      if (differences.length > 0) {
        throw new ConfigError(
          `--resume: ${resumeFrom} was made with other settings (` +
            differences
              .map((k) => `${k}: ${JSON.stringify(saved![k])} there, ${JSON.stringify(runFlags[k])} now`)
              .join('; ') +
            '). Use the same flags, or another --checkpoint-dir.',
        );
      }
    }
  }

  setSeed(seed);
  const sets = loadData(flags.data, testFraction, { dataDir: flags.dataDir, limit, numClasses, maxBytes });
  if (limit !== undefined && !imageData && limit < sets.train.length) {
    const all = sets.train;
    sets.train = all.subset(
      Int32Array.from({ length: limit }, (_, i) => i),
      all.name,
    );
    all.dispose();
  }
  const batchSize = batchSizeFlag === 'full' ? sets.train.length : batchSizeFlag;
  const regression = sets.task === 'regression';
  const lossName = flags.loss ?? (regression ? 'mse' : 'crossEntropy');
  if (regression && !['mse', 'sse', 'meanSquaredError'].includes(lossName)) {
    sets.train.dispose();
    sets.test.dispose();
    throw new ConfigError(
      `--loss ${lossName}: ${sets.name} has float targets (regression); use --loss mse or sse (or integer class labels).`,
    );
  }
  const { loss, outputs, outputActivation } = regression
    ? { loss: getLoss(asLossName(lossName)), outputs: 1, outputActivation: undefined }
    : lossForLabels(lossName, sets.numClasses);

  const network: NetworkSpec = {
    model: modelName,
    sampleShape: sets.train.x.shape.slice(1),
    outputs,
    hidden,
    activation: flags.activation as ActivationName,
    outputActivation,
    ...(dropoutRates ? { dropout: dropoutRates } : {}),
  };
  const model = new Model(buildNetwork(network));
  // The samples trained on (the validation part, as fit splits it, is only evaluated).
  const trainSamples =
    validationSplit !== undefined
      ? sets.train.length - Math.max(1, Math.round(sets.train.length * validationSplit))
      : sets.train.length;
  const stepsPerEpoch = Math.ceil(trainSamples / batchSize);
  model.compile({
    optimizer: buildOptimizer({
      ...optimizerOptions,
      stepsPerEpoch: schedulePer === 'epoch' ? stepsPerEpoch : undefined,
    }),
    lr,
    loss,
    metrics: regression ? [] : ['accuracy'],
  });

  const callbacks: Callback[] = flags.json ? [] : [progressReporter()];
  if (patience !== undefined) callbacks.push(earlyStopping({ patience, restoreBestWeights: true }));
  const log = (line: string) => {
    if (!flags.json) process.stderr.write(`${line}\n`);
  };
  log(
    `descent: training ${describeNetwork(network, model.net)} on ${sets.name}: ` +
      `${sets.train.length} training / ${sets.test.length} test samples, ${flags.optimizer} lr ${lr ?? 'default'}` +
      (flags.schedule ? ` (schedule ${flags.schedule} per ${schedulePer})` : '') +
      `, batch ${batchSize}, ` +
      `${epochs} epochs, seed ${seed}, backend ${getBackend().name}` +
      (augmentation ? `, augmentation ${augmentation.description}` : '') +
      (validationSplit !== undefined ? `, validation split ${validationSplit}` : '') +
      (patience !== undefined ? `, early stopping (patience ${patience})` : '') +
      (flags.diagnose ? ', diagnosing training health' : ''),
  );
  let resumedEpochs = 0;
  if (flags.resume) {
    if (resumeFrom) {
      const info = readCheckpointInfo(resumeFrom);
      resumedEpochs = info.epoch;
      log(`descent: resuming from ${resumeFrom} (epoch ${info.epoch} of ${epochs}, step ${info.step})`);
    } else {
      log(`descent: no checkpoint in ${flags.checkpointDir} yet; starting from the beginning`);
    }
  }
  // What evaluate and predict need to prepare data as in training: in the saved model and in every checkpoint.
  const standardizer = sets.standardizer
    ? { mean: Array.from(sets.standardizer.mean), std: Array.from(sets.standardizer.std) }
    : null;
  const runRecord = {
    seed,
    data: {
      name: flags.data,
      testFraction,
      task: sets.task,
      numFeatures: sets.numFeatures,
      numClasses: sets.numClasses,
      standardizer,
      ...(imageData
        ? { dir: (sets as data.ImageSets).dir, channelStandardizer: channelStats(sets as data.ImageSets) }
        : {}),
    },
    training: {
      loss: lossName,
      metrics: regression ? [] : ['accuracy'],
      optimizer: flags.optimizer,
      lr,
      batchSize,
      epochs,
      hidden,
      activation: flags.activation,
      model: modelName,
      augment: augmentation?.description ?? null,
    },
    flags: runFlags,
  };
  const started = Date.now();
  const history = await model.fit(sets.train, {
    epochs,
    batchSize,
    callbacks,
    resumeFrom,
    validationSplit,
    diagnose: flags.diagnose === true,
    ...(augmentation ? { augment: (x: Tensor, r: Rng) => augmentation.applyTensor(x, r) } : {}),
    checkpoint: flags.checkpointDir ? { dir: flags.checkpointDir, metadata: runRecord } : undefined,
  });
  const seconds = (Date.now() - started) / 1000;
  const test = await model.evaluate(sets.test);
  const samplesPerSec = (trainSamples * Math.max(0, history.epochs.length - resumedEpochs)) / seconds;

  const result = {
    testAccuracy: test.accuracy ?? null,
    testLoss: test.loss,
    trainLoss: history.history.loss.at(-1),
    trainAccuracy: history.history.accuracy?.at(-1) ?? null,
    epochs: history.epochs.length,
    seconds,
    samplesPerSec,
    backend: getBackend().name,
    seed,
    data: sets.name,
    model: modelName === 'mlp' ? [sets.numFeatures, ...hidden, outputs].join('-') : modelName,
    ...(validationSplit !== undefined
      ? { validationAccuracy: history.history.valAccuracy?.at(-1) ?? null }
      : {}),
    ...(history.stoppedEarly ? { stoppedEarly: history.stoppedEarly } : {}),
    ...(history.diagnostics ? { diagnostics: history.diagnostics } : {}),
    losses: history.history.loss,
  };
  // A write that fails after training (a full disk) must not lose the result: it is printed first.
  let writeError: unknown;
  try {
    await saveOutputs();
  } catch (error) {
    writeError = error;
  }
  async function saveOutputs(): Promise<void> {
    if (flags.save) await model.save(flags.save, { metadata: runRecord });
    if (flags.out) {
      platform.writeFileAtomic(
        join(flags.out, 'history.json'),
        JSON.stringify({ ...result, history: history.history }, null, 2) + '\n',
      );
    }
  }
  if (flags.json) {
    process.stdout.write(JSON.stringify(result) + '\n');
  } else {
    const warnings = history.diagnostics;
    if (warnings) {
      log(
        warnings.length === 0
          ? 'training health: no warnings (dead ReLUs, vanishing and exploding gradients, NaN outputs were watched)'
          : `training health: ${warnings.length} warning${warnings.length === 1 ? '' : 's'} (` +
              warnings.map((d) => `${d.kind} in ${d.layer}`).join(', ') +
              '), see above',
      );
    }
    const acc = test.accuracy !== undefined ? `test accuracy ${(100 * test.accuracy).toFixed(2)}%, ` : '';
    // The result goes to stdout (`descent train > log` keeps it); progress and notes to stderr.
    process.stdout.write(
      `done in ${seconds.toFixed(1)}s (${Math.round(samplesPerSec).toLocaleString('en')} samples/s): ${acc}test loss ${test.loss.toFixed(4)}` +
        (flags.out && !writeError ? `; history written to ${join(flags.out, 'history.json')}` : '') +
        (flags.save && !writeError ? `; model saved to ${flags.save}` : '') +
        '\n',
    );
  }
  model.dispose();
  if (writeError) throw writeError;
}

/** Says which newer checkpoints --resume passed over as damaged (latestCheckpoint skips them silently). */
function warnSkippedCheckpoints(dir: string, taken: string | undefined, quiet: boolean): void {
  for (const { path } of listCheckpoints(dir)) {
    if (path === taken) return;
    try {
      readCheckpointInfo(path);
    } catch (error) {
      if (!quiet)
        process.stderr.write(
          `descent: warning: skipping the damaged checkpoint ${path}: ${(error as Error).message}\n`,
        );
    }
  }
}

/** --dropout 0.2 or 0.1,0.3: fashion-cnn's two dropout rates, each in [0, 1). */
function parseDropout(text: string | undefined, model: string): [number, number] | undefined {
  if (text === undefined) return undefined;
  if (model !== 'fashion-cnn')
    throw new ConfigError(`--dropout applies to --model fashion-cnn, not ${model}.`);
  const rates = text.split(',').map((r) => Number(r.trim()));
  if ((rates.length !== 1 && rates.length !== 2) || !rates.every((r) => r >= 0 && r < 1)) {
    throw new ConfigError(
      `--dropout must be one rate or two comma-separated rates in [0, 1) (after the conv blocks, after the dense layer), got '${text}'.`,
    );
  }
  return [rates[0], rates[1] ?? rates[0]];
}

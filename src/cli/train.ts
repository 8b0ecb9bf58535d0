/**
 * `descent train`: builds an MLP for a data set, trains it with a live progress bar and
 * reports test accuracy. Every option is validated before any work starts.
 */
import { mkdirSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, unknownName } from '../errors.js';
import { getBackend, setBackend } from '../backend/registry.js';
import { setSeed } from '../tensor/random.js';
import * as data from '../data/index.js';
import * as nn from '../nn/index.js';
import { activationNames, type ActivationName } from '../nn/activations.js';
import { getLoss, losses, type LossFn } from '../losses/index.js';
import { cast } from '../ops/arithmetic.js';
import { oneHot, reshape } from '../ops/shape.js';
import { buildOptimizer, optimizers } from '../optim/index.js';
import { Model } from '../train/model.js';
import type { Callback } from '../train/callbacks.js';
import type { Tensor } from '../tensor/tensor.js';
import { progressReporter } from './progress.js';
import { latestCheckpoint, readCheckpointInfo } from '../io/checkpoint.js';

export interface TrainFlags {
  data: string;
  hidden?: string;
  activation: string;
  loss?: string;
  optimizer: string;
  momentum?: string;
  schedule?: string;
  clipValue?: string;
  clipNorm?: string;
  l1?: string;
  l2?: string;
  weightDecay?: string;
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
}

/** The flags that must match for a checkpoint to be resumed (--epochs may grow). */
const BATCH_METHODS = ['rprop', 'quickprop', 'lbfgs', 'newton'];

const RUN_FLAGS = [
  'data', 'hidden', 'activation', 'loss', 'optimizer', 'lr', 'batchSize', 'seed', 'testFraction',
  'momentum', 'schedule', 'clipValue', 'clipNorm', 'l1', 'l2', 'weightDecay',
] as const;

function positiveNumber(flag: string, text: string): number {
  const v = Number(text);
  if (!Number.isFinite(v) || v <= 0) throw new ConfigError(`${flag} must be a positive number, got '${text}'.`);
  return v;
}

function positiveInt(flag: string, text: string): number {
  const v = Number(text);
  if (!Number.isInteger(v) || v <= 0) throw new ConfigError(`${flag} must be a positive integer, got '${text}'.`);
  return v;
}

function parseHidden(text: string): number[] {
  if (text.trim() === '' || text === 'none') return [];
  return text.split(',').map((part) => {
    const v = Number(part.trim());
    if (!Number.isInteger(v) || v <= 0) {
      throw new ConfigError(`--hidden must be a comma-separated list of positive layer sizes (e.g. 64,32), got '${text}'.`);
    }
    return v;
  });
}

/** Adapts a loss to the data set's integer labels: one-hot rows for mse/sse/kl, a column for binary losses. */
export function lossForLabels(name: string, numClasses: number): { loss: LossFn; outputs: number; outputActivation?: ActivationName } {
  const base = getLoss(name);
  switch (name) {
    case 'crossEntropy':
      return { loss: base, outputs: numClasses };
    case 'binaryCrossEntropy':
    case 'binaryCrossEntropyFromLogits':
      if (numClasses !== 2) throw new ConfigError(`--loss ${name} needs a data set with 2 classes; this one has ${numClasses}.`);
      return {
        loss: (p: Tensor, y: Tensor) => base(p, reshape(cast(y, p.dtype), [y.size, 1])),
        outputs: 1,
        outputActivation: name === 'binaryCrossEntropy' ? 'sigmoid' : undefined,
      };
    default:
      return {
        loss: (p: Tensor, y: Tensor) => base(p, oneHot(y, numClasses, p.dtype === 'float64' ? 'float64' : 'float32')),
        outputs: numClasses,
        outputActivation: 'softmax',
      };
  }
}

export function loadData(name: string, testFraction: number): data.SplitSets {
  if ((data.syntheticNames as readonly string[]).includes(name)) return data.synthetic(name, { testFraction });
  if (name === 'digits') return data.digits({ testFraction });
  if (/\.(csv|csv\.gz)$/i.test(name) || existsSync(name)) {
    if (!existsSync(name)) throw new ConfigError(`--data: file '${name}' does not exist.`);
    return data.csv(name, { testFraction });
  }
  return unknownName('data set', name, ['digits', ...data.syntheticNames, '<file.csv>']);
}

function writeAtomically(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

export async function runTrain(flags: TrainFlags): Promise<void> {
  // Validate everything first, so a typo fails before any work.
  // Without --lr each optimiser uses its documented default; plain sgd's is 0.1 here (the
  // library's sgd() default is Keras's 0.01, too slow for the default 20-epoch run).
  const lr = flags.lr !== undefined ? positiveNumber('--lr', flags.lr) : flags.optimizer === 'sgd' ? 0.1 : undefined;
  // Rprop, QuickProp, L-BFGS and Newton are batch methods: by default they see the whole
  // training set each step, for more steps; Newton defaults to a model small enough for its Hessian.
  const batchMethod = BATCH_METHODS.includes(flags.optimizer);
  const batchSizeText = flags.batchSize ?? (batchMethod ? 'full' : '32');
  const batchSizeFlag = batchSizeText === 'full' ? 'full' : positiveInt('--batch-size', batchSizeText);
  const epochs = positiveInt('--epochs', flags.epochs ?? (batchMethod ? '100' : '20'));
  const seed = Number(flags.seed);
  if (!Number.isInteger(seed)) throw new ConfigError(`--seed must be an integer, got '${flags.seed}'.`);
  const testFraction = positiveNumber('--test-fraction', flags.testFraction);
  const hidden = parseHidden(flags.hidden ?? (flags.optimizer === 'newton' ? 'none' : '64,32'));
  if (!(activationNames as readonly string[]).includes(flags.activation)) unknownName('activation', flags.activation, activationNames);
  if (!(flags.optimizer in optimizers)) unknownName('optimizer', flags.optimizer, Object.keys(optimizers));
  const optionalNumber = (flag: string, text: string | undefined, allowZero = true): number | undefined => {
    if (text === undefined) return undefined;
    const v = Number(text);
    if (!Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) {
      throw new ConfigError(`${flag} must be a ${allowZero ? 'non-negative' : 'positive'} number, got '${text}'.`);
    }
    return v;
  };
  const optimizerOptions = {
    name: flags.optimizer,
    lr,
    momentum: optionalNumber('--momentum', flags.momentum),
    schedule: flags.schedule,
    clipValue: optionalNumber('--clip-value', flags.clipValue, false),
    clipNorm: optionalNumber('--clip-norm', flags.clipNorm, false),
    l1: optionalNumber('--l1', flags.l1),
    l2: optionalNumber('--l2', flags.l2),
    weightDecay: optionalNumber('--weight-decay', flags.weightDecay),
  };
  // Build once now so that bad combinations (--momentum with adam, a malformed --schedule) fail before any work.
  buildOptimizer(optimizerOptions);
  if (flags.loss !== undefined && !(flags.loss in losses)) unknownName('loss', flags.loss, Object.keys(losses));
  if (flags.backend && flags.backend !== 'auto') setBackend(flags.backend);
  if (flags.resume && !flags.checkpointDir) throw new ConfigError('--resume needs --checkpoint-dir DIR (the folder of the checkpoints to continue from).');
  if (flags.checkpointDir !== undefined && flags.checkpointDir === '') throw new ConfigError('--checkpoint-dir must be a folder path.');
  if (flags.save !== undefined && flags.save === '') throw new ConfigError('--save must be a folder path.');
  const runFlags = Object.fromEntries(RUN_FLAGS.map((k) => [k, flags[k] ?? null]));
  let resumeFrom: string | undefined;
  if (flags.resume && flags.checkpointDir) {
    resumeFrom = latestCheckpoint(flags.checkpointDir) ?? undefined;
    if (resumeFrom) {
      // Resuming with other settings would silently train something else: refuse, naming the differences.
      const saved = readCheckpointInfo(resumeFrom).metadata.flags as Record<string, unknown> | undefined;
      const differences = RUN_FLAGS.filter((k) => saved && JSON.stringify(saved[k] ?? null) !== JSON.stringify(runFlags[k]));
      if (differences.length > 0) {
        throw new ConfigError(
          `--resume: ${resumeFrom} was made with other settings (` +
            differences.map((k) => `${k}: ${JSON.stringify(saved![k])} there, ${JSON.stringify(runFlags[k])} now`).join('; ') +
            '). Use the same flags, or another --checkpoint-dir.',
        );
      }
    }
  }

  setSeed(seed);
  const sets = loadData(flags.data, testFraction);
  const batchSize = batchSizeFlag === 'full' ? sets.train.length : batchSizeFlag;
  const regression = sets.task === 'regression';
  const lossName = flags.loss ?? (regression ? 'mse' : 'crossEntropy');
  const { loss, outputs, outputActivation } = regression
    ? { loss: getLoss(lossName), outputs: 1, outputActivation: undefined }
    : lossForLabels(lossName, sets.numClasses);

  const layers: nn.Layer[] = hidden.map((units) => nn.dense({ units, activation: flags.activation as ActivationName }));
  layers.push(nn.dense({ units: outputs, activation: outputActivation }));
  const model = new Model(nn.sequential(layers, 'mlp'));
  model.compile({ optimizer: buildOptimizer(optimizerOptions), loss, metrics: regression ? [] : ['accuracy'] });

  const callbacks: Callback[] = flags.json ? [] : [progressReporter()];
  const log = (line: string) => {
    if (!flags.json) process.stderr.write(`${line}\n`);
  };
  log(
    `descent: training an MLP ${[sets.numFeatures, ...hidden, outputs].join('-')} (${flags.activation}) on ${sets.name}: ` +
      `${sets.train.length} training / ${sets.test.length} test samples, ${flags.optimizer} lr ${lr ?? 'default'}, batch ${batchSize}, ` +
      `${epochs} epochs, seed ${seed}, backend ${getBackend().name}`,
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
  const started = Date.now();
  const history = await model.fit(sets.train, {
    epochs, batchSize, callbacks, resumeFrom,
    checkpoint: flags.checkpointDir ? { dir: flags.checkpointDir, metadata: { flags: runFlags } } : undefined,
  });
  const seconds = (Date.now() - started) / 1000;
  const test = await model.evaluate(sets.test);
  const samplesPerSec = (sets.train.length * Math.max(0, history.epochs.length - resumedEpochs)) / seconds;

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
    model: [sets.numFeatures, ...hidden, outputs].join('-'),
    losses: history.history.loss,
  };
  if (flags.save) {
    const standardizer = sets.standardizer ? { mean: Array.from(sets.standardizer.mean), std: Array.from(sets.standardizer.std) } : null;
    await model.save(flags.save, {
      metadata: {
        seed,
        data: { name: flags.data, testFraction, task: sets.task, numFeatures: sets.numFeatures, numClasses: sets.numClasses, standardizer },
        training: { loss: lossName, metrics: regression ? [] : ['accuracy'], optimizer: flags.optimizer, lr, batchSize, epochs, hidden, activation: flags.activation },
        flags: runFlags,
      },
    });
  }
  if (flags.out) {
    mkdirSync(flags.out, { recursive: true });
    writeAtomically(join(flags.out, 'history.json'), JSON.stringify({ ...result, history: history.history }, null, 2) + '\n');
  }
  if (flags.json) {
    process.stdout.write(JSON.stringify(result) + '\n');
  } else {
    const acc = test.accuracy !== undefined ? `test accuracy ${(100 * test.accuracy).toFixed(2)}%, ` : '';
    log(
      `done in ${seconds.toFixed(1)}s (${Math.round(samplesPerSec).toLocaleString('en')} samples/s): ${acc}test loss ${test.loss.toFixed(4)}` +
        (flags.out ? `; history written to ${join(flags.out, 'history.json')}` : '') +
        (flags.save ? `; model saved to ${flags.save}` : ''),
    );
  }
  model.dispose();
}

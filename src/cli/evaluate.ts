/**
 * `descent evaluate MODEL_DIR [--data …] [--data-dir DIR]`: loss and accuracy of a saved model.
 *
 * Without --data (or with the data set it was trained on) the model is evaluated on the
 * same test split `descent train` held out — rebuilt from the seed and test fraction saved
 * in model.json, and checked to be the same split by refitting the standardizer on the
 * training part (a model trained on a CSV file needs --data naming it: paths in model.json
 * are never opened unasked). With another CSV file it is evaluated on every row. Features are
 * standardised with the statistics saved at training time, never refitted on the data
 * being evaluated.
 *
 * Image models (--data fashion-mnist or mnist in training) are evaluated on the set's own
 * test images (or, with --split all, training and test images), read from --data-dir, else
 * the loader's usual places (the folder model.json records is shown, never opened unasked); pixels are scaled to [0, 1] and standardised per channel with the statistics
 * saved at training time.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, DescentError, ShapeError } from '../errors.js';
import * as data from '../data/index.js';
import { Dataset } from '../data/dataset.js';
import { loadModelWithInfo, type ModelInfo } from '../io/model-io.js';
import { latestCheckpoint } from '../io/checkpoint.js';
import { asLossName, getLoss, type LossFn } from '../losses/index.js';
import { Model } from '../train/model.js';
import { Rng, setSeed } from '../tensor/random.js';
import { loadData, lossForLabels } from './train.js';
import { isImageSet } from './networks.js';

export interface EvaluateFlags {
  /** digits | fashion-mnist | mnist | a synthetic set | a CSV file (label in the last column); default: the training data. */
  data?: string;
  /** The folder with the four IDX files of fashion-mnist or mnist. */
  dataDir?: string;
  /** 'test' (the held-out split; the default for the training data) or 'all' rows. */
  split?: string;
  batchSize?: string;
  json?: boolean;
}

export interface EvaluateResult {
  model: string;
  data: string;
  split: 'test' | 'all';
  samples: number;
  loss: number;
  accuracy: number | null;
}

/** What `descent train --save` records about the data (see train.ts). */
export interface SavedDataInfo {
  name: string;
  testFraction: number;
  task: 'classification' | 'regression';
  numFeatures: number;
  numClasses: number;
  standardizer: { mean: number[]; std: number[] } | null;
  /** Image sets: the folder the IDX files were read from. */
  dir?: string;
  /** Image sets: per-channel statistics of the training images (null: not standardised). */
  channelStandardizer?: { mean: number[]; std: number[] } | null;
}

export interface SavedRun {
  seed: number;
  data: SavedDataInfo;
  loss: string;
}

/**
 * A checkpoint is a model: a `ckpt-N` folder holds a model.json like a saved model, and a
 * folder of checkpoints (`--checkpoint-dir`) stands for its newest complete one.
 */
export function resolveModelDir(dir: string): string {
  if (typeof dir !== 'string' || dir === '') throw new ConfigError('expected a model folder.');
  if (existsSync(join(dir, 'model.json'))) return dir;
  const newest = existsSync(dir) ? latestCheckpoint(dir) : null;
  return newest ?? dir;
}

/** The training record in a model saved by `descent train --save`, checked. */
export function savedRun(info: ModelInfo, dir: string): SavedRun {
  const m = info.metadata;
  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  const d = m.data;
  const training = m.training;
  const numbers = (v: unknown, n: number) =>
    Array.isArray(v) && v.length === n && v.every((x) => typeof x === 'number');
  const ok =
    Number.isInteger(m.seed) &&
    isObject(d) &&
    typeof d.name === 'string' &&
    typeof d.testFraction === 'number' &&
    (d.task === 'classification' || d.task === 'regression') &&
    Number.isInteger(d.numFeatures) &&
    Number.isInteger(d.numClasses) &&
    (d.standardizer === null ||
      (isObject(d.standardizer) &&
        numbers(d.standardizer.mean, d.numFeatures as number) &&
        numbers(d.standardizer.std, d.numFeatures as number))) &&
    (d.dir === undefined || typeof d.dir === 'string') &&
    (d.channelStandardizer === undefined ||
      d.channelStandardizer === null ||
      (isObject(d.channelStandardizer) &&
        Array.isArray(d.channelStandardizer.mean) &&
        d.channelStandardizer.mean.length > 0 &&
        numbers(d.channelStandardizer.mean, d.channelStandardizer.mean.length) &&
        numbers(d.channelStandardizer.std, d.channelStandardizer.mean.length))) &&
    isObject(training) &&
    typeof training.loss === 'string';
  if (!ok) {
    throw new ConfigError(
      `${dir}: model.json has no training record from 'descent train --save' (seed, data, loss); ` +
        'evaluate and predict need it to prepare the data as in training.',
    );
  }
  return {
    seed: m.seed as number,
    data: d as unknown as SavedDataInfo,
    loss: (training as { loss: string }).loss,
  };
}

export function standardizerOf(run: SavedRun): data.Standardizer | null {
  const s = run.data.standardizer;
  return s ? { mean: Float32Array.from(s.mean), std: Float32Array.from(s.std) } : null;
}

/** The loss a model was trained with, adapted to integer labels as in training. */
export function lossOf(run: SavedRun): LossFn {
  return run.data.task === 'regression'
    ? getLoss(asLossName(run.loss))
    : lossForLabels(run.loss, run.data.numClasses).loss;
}

function sameValues(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** The per-channel statistics saved for an image model (null when its images were not standardised). */
export function channelStandardizerOf(run: SavedRun): data.Standardizer | null {
  const s = run.data.channelStandardizer;
  return s ? { mean: Float32Array.from(s.mean), std: Float32Array.from(s.std) } : null;
}

/**
 * Images as the model saw them in training: `pixels` (of `shape` [N, C, H, W], already
 * scaled to [0, 1]) standardised per channel with the statistics saved at training time.
 */
export function prepareImages(
  pixels: Float32Array,
  shape: readonly number[],
  run: SavedRun,
  source: string,
  modelDir: string,
): Float32Array {
  const perImage = shape.slice(1).reduce((a, b) => a * b, 1);
  if (perImage !== run.data.numFeatures) {
    throw new ShapeError(
      `${source}: images of ${shape.slice(2).join('×')} pixels (${perImage} values); the model in ${modelDir} takes ${run.data.numFeatures}.`,
    );
  }
  const stats = channelStandardizerOf(run);
  return stats ? data.standardizeChannels(pixels, shape, stats) : pixels;
}

/** Whether `name` is a data set descent knows by name (not a file). */
function isBuiltInData(name: string): boolean {
  return name === 'digits' || isImageSet(name) || (data.syntheticNames as readonly string[]).includes(name);
}

/** An image set's test images (or all its images), prepared as in training. */
function imageEvaluationData(
  run: SavedRun,
  name: data.ImageSetName,
  split: 'test' | 'all',
  dataDir: string | undefined,
  modelDir: string,
): Dataset[] {
  // Standardised here with the saved statistics, not refitted on this folder's training images.
  // The folder recorded in model.json is only a hint: evaluate reads --data-dir or the usual places.
  let sets: data.ImageSets;
  try {
    sets = data.loadImageSet(name, { dir: dataDir, ...(split === 'test' ? { trainLimit: 1 } : {}) });
  } catch (error) {
    const recorded = run.data.dir;
    if (error instanceof DescentError && dataDir === undefined && typeof recorded === 'string')
      throw new ConfigError(
        `${error.message}\nmodel.json records that ${modelDir} was trained from ${JSON.stringify(recorded.slice(0, 200))}; pass --data-dir with that folder to use it.`,
      );
    throw error;
  }
  const parts = split === 'test' ? [sets.test] : [sets.train, sets.test];
  try {
    return parts.map((set) => {
      const x = set.x.dataSync() as Float32Array;
      const features = prepareImages(x, set.x.shape, run, `${name} in ${sets.dir}`, modelDir);
      return Dataset.fromArrays(features, set.x.shape.slice(1), set.y.dataSync() as Int32Array, {
        numClasses: Math.max(run.data.numClasses, sets.numClasses),
        name: set.name,
      });
    });
  } finally {
    sets.train.dispose();
    sets.test.dispose();
  }
}

/** The evaluation data: the reproduced test split, or every row. */
function evaluationData(run: SavedRun, name: string, split: 'test' | 'all', dir: string): Dataset[] {
  const isSynthetic = (data.syntheticNames as readonly string[]).includes(name);
  if (isSynthetic) {
    // Generated from the seed exactly as in training (no standardisation for these sets).
    setSeed(run.seed);
    const sets = loadData(name, run.data.testFraction);
    if (sets.numFeatures !== run.data.numFeatures) {
      sets.train.dispose();
      sets.test.dispose();
      throw new ShapeError(
        `${name}: has ${sets.numFeatures} features; the model in ${dir} takes ${run.data.numFeatures}.`,
      );
    }
    if (split === 'test') {
      sets.train.dispose();
      return [sets.test];
    }
    return [sets.train, sets.test];
  }
  // The labels must be classes the model has: an out-of-range one is named by file and line.
  const table =
    name === 'digits'
      ? data.loadDigitsRaw()
      : data.loadLabelledCsv(
          name,
          run.data.task === 'classification' ? { numClasses: run.data.numClasses } : {},
        );
  if (table.numFeatures !== run.data.numFeatures) {
    throw new ShapeError(
      `${name}: has ${table.numFeatures} feature columns; the model in ${dir} takes ${run.data.numFeatures}.`,
    );
  }
  let indices: Int32Array = Int32Array.from({ length: table.count }, (_, i) => i);
  const saved = standardizerOf(run);
  if (split === 'test') {
    const parts = data.trainTestSplitIndices(table.count, run.data.testFraction, new Rng(run.seed), {
      stratify: table.labels,
    });
    if (saved) {
      const refit = data.fitStandardizer(
        data.takeRows(table.features, table.numFeatures, parts.train),
        table.numFeatures,
      );
      if (!sameValues(refit.mean, saved.mean) || !sameValues(refit.std, saved.std)) {
        throw new ConfigError(
          `${name}: cannot reproduce the test split the model in ${dir} was trained with (the data differ); use --split all.`,
        );
      }
    }
    indices = parts.test;
  }
  let features = data.takeRows(table.features, table.numFeatures, indices);
  if (saved) features = data.applyStandardizer(features, table.numFeatures, saved);
  const labels = data.takeLabels(table.labels, indices);
  return [
    Dataset.fromArrays(features, [table.numFeatures], labels, {
      numClasses: Math.max(run.data.numClasses, table.numClasses),
      name: `${name} (${split})`,
    }),
  ];
}

export async function runEvaluate(modelDir: string, flags: EvaluateFlags = {}): Promise<EvaluateResult> {
  const batchSize = flags.batchSize === undefined ? 256 : Number(flags.batchSize);
  if (!Number.isInteger(batchSize) || batchSize <= 0)
    throw new ConfigError(`--batch-size must be a positive integer, got '${flags.batchSize}'.`);
  if (flags.split !== undefined && flags.split !== 'test' && flags.split !== 'all')
    throw new ConfigError(`--split must be 'test' or 'all', got '${flags.split}'.`);
  modelDir = resolveModelDir(modelDir);
  const { layer, info } = loadModelWithInfo(modelDir);
  const model = new Model(layer);
  const sets: Dataset[] = [];
  try {
    const run = savedRun(info, modelDir);
    // A file named in model.json is a hint to show, not a file to open unasked.
    if (flags.data === undefined && !isBuiltInData(run.data.name))
      throw new ConfigError(
        `${modelDir}: the model was trained on the file ${JSON.stringify(run.data.name.slice(0, 200))} (as model.json records); ` +
          'evaluate opens only files you name: pass --data <file> to evaluate on it.',
      );
    const name = flags.data ?? run.data.name;
    const images = isImageSet(name);
    if (flags.dataDir !== undefined && !images)
      throw new ConfigError(`--data-dir applies to --data ${data.imageSetNames.join(' or ')}, not ${name}.`);
    if (images !== isImageSet(run.data.name)) {
      throw new ConfigError(
        `--data ${name}: the model in ${modelDir} was trained on ${images ? 'tabular data' : 'images'} (${run.data.name}), ` +
          `${name} ${images ? 'is an image set' : 'is not'}; evaluate it on ${isImageSet(run.data.name) ? data.imageSetNames.join(' or ') : 'tabular data'}.`,
      );
    }
    // An image set has its own test images; other data the split made in training.
    const split =
      (flags.split as 'test' | 'all' | undefined) ?? (images || name === run.data.name ? 'test' : 'all');
    if (split === 'test' && name !== run.data.name && !images) {
      throw new ConfigError(
        `--split test: the test split is that of the training data (${run.data.name}); for ${name} use --split all.`,
      );
    }
    if (images) sets.push(...imageEvaluationData(run, name, split, flags.dataDir, modelDir));
    else sets.push(...evaluationData(run, name, split, modelDir));
    const classification = run.data.task === 'classification';
    model.compile({ optimizer: 'sgd', loss: lossOf(run), metrics: classification ? ['accuracy'] : [] });
    let samples = 0;
    let loss = 0;
    let accuracy = 0;
    for (const set of sets) {
      const logs = await model.evaluate(set, { batchSize });
      samples += set.length;
      loss += logs.loss * set.length;
      accuracy += (logs.accuracy ?? 0) * set.length;
    }
    const result: EvaluateResult = {
      model: modelDir,
      data: name,
      split,
      samples,
      loss: loss / samples,
      accuracy: classification ? accuracy / samples : null,
    };
    if (flags.json) {
      process.stdout.write(JSON.stringify(result) + '\n');
    } else {
      const acc = result.accuracy !== null ? `accuracy ${(100 * result.accuracy).toFixed(2)}%, ` : '';
      process.stdout.write(
        `${modelDir} on ${name} (${split === 'test' ? (images ? 'test images' : 'test split') : images ? 'all images' : 'all rows'}, ${samples} samples): ${acc}loss ${result.loss.toFixed(4)}\n`,
      );
    }
    return result;
  } finally {
    for (const set of sets) set.dispose();
    model.dispose();
  }
}

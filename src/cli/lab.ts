/**
 * `descent lab <experiment> [--out DIR]`: runs one of the optimisation lab's experiments
 * with the library's real optimisers and networks, draws its figures as SVG and writes
 * them with an HTML page; `descent lab all` runs every experiment and writes report.html.
 *
 * `descent lab landscape MODEL_DIR` draws the loss landscape around the weights of a model
 * saved by `descent train --save MODEL_DIR` (or model.save), on the data it was trained on
 * (the same training split, prepared with the statistics saved in model.json) or on --data.
 */
import { existsSync, mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { noGrad } from '../autograd/tape.js';
import { ConfigError, NotFoundError, ShapeError } from '../errors.js';
import { getBackend, initBackend } from '../backend/registry.js';
import { Dataset } from '../data/dataset.js';
import * as dataSets from '../data/index.js';
import { csv, digits, synthetic, type SplitSets } from '../data/sets.js';
import { loadModelWithInfo, MODEL_FILE, WEIGHTS_FILE, type ModelInfo } from '../io/model-io.js';
import { getLoss, type LossFn } from '../losses/index.js';
import type { Layer } from '../nn/layer.js';
import { gather } from '../ops/shape.js';
import { Rng, setSeed } from '../tensor/random.js';
import { tidy } from '../tensor/scope.js';
import * as lab from '../lab/index.js';
import type { DirectionNormalization } from '../lab/landscape.js';
import { lossOf, resolveModelDir, savedRun, standardizerOf, type SavedRun } from './evaluate.js';
import { isImageSet } from './networks.js';
import { loadData } from './train.js';
import {
  approxFigures,
  batchFigures,
  gradientFigures,
  initFigures,
  landscapeFigures,
  lrFigures,
  lrFindFigures,
  optimizerFigures,
  perceptronFigures,
  kmeansFigures,
  kmeansSpreadFigures,
  regressionFigures,
  minimaFigures,
  noiseFigures,
  orderFigures,
  divergenceFigures,
  separationFigures,
  overfittingFigures,
  ensembleFigures,
  symmetryFigures,
  averagingFigures,
  featuresFigures,
  hessianFigures,
  renderFigure,
  reportHtml,
  type Figure,
  type ReportFigure,
  type ReportSection,
} from '../viz/index.js';

export interface LabFlags {
  out: string;
  quick?: boolean;
  seed: string;
  optimizers?: string;
  functions?: string;
  steps?: string;
  epochs?: string;
  json?: boolean;
  backend?: string;
  data?: string;
  hidden?: string;
  points?: string;
  samples?: string;
  normalization?: string;
  dataDir?: string;
}

interface Settings {
  quick: boolean;
  seed: number;
  optimizers?: string[];
  functions?: string[];
  steps?: number;
  epochs?: number;
  /** A classification data set name or CSV file for the network experiments (default: digits). */
  data?: string;
  hidden?: number[];
  /** landscape: grid points per axis, samples the loss is computed on, direction normalisation. */
  points?: number;
  samples?: number;
  normalization: DirectionNormalization;
  /** landscape: a saved model's folder (its weights instead of a network trained here). */
  model?: string;
  /** landscape MODEL_DIR with image data: the folder with the IDX files. */
  dataDir?: string;
}

interface ExperimentResult {
  figures: Figure[];
  data: unknown;
  /** Replaces the experiment's introduction (e.g. to name the saved model). */
  intro?: string;
}

interface Experiment {
  title: string;
  intro: string;
  run(settings: Settings): ExperimentResult | Promise<ExperimentResult>;
}

function list(text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return items.length > 0 ? items : undefined;
}

function seedOf(text: string): number {
  const v = Number(text);
  if (!Number.isInteger(v) || v < 0)
    throw new ConfigError(`--seed must be a non-negative integer, got '${text}'.`);
  return v;
}

function positiveInt(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (!Number.isInteger(v) || v <= 0)
    throw new ConfigError(`${flag} must be a positive integer, got '${text}'.`);
  return v;
}

/** A data set for the lab by name (digits, a synthetic set, a CSV file), split with the seed. */
function labData(name: string, seed: number): SplitSets {
  const rng = new Rng(seed);
  return name === 'digits'
    ? digits({ rng })
    : name.endsWith('.csv')
      ? csv(name, { rng })
      : synthetic(name, { rng });
}

/** The data set for the network experiments, split with the seed; freed after `run`. */
function withData<T>(s: Settings, run: (sets: SplitSets) => T): T {
  const name = s.data ?? 'digits';
  const sets = labData(name, s.seed);
  try {
    if (sets.task !== 'classification') {
      throw new ConfigError(
        `--data ${name}: the lab's network experiments need a classification data set (digits, xor, spirals, moons, circles or a CSV file).`,
      );
    }
    return run(sets);
  } finally {
    sets.train.dispose();
    sets.test.dispose();
  }
}

/** withData for an asynchronous experiment: the data are freed once its promise settles. */
async function withDataAsync<T>(s: Settings, run: (sets: SplitSets) => Promise<T>): Promise<T> {
  const name = s.data ?? 'digits';
  const sets = labData(name, s.seed);
  try {
    if (sets.task !== 'classification') {
      throw new ConfigError(
        `--data ${name}: the lab's network experiments need a classification data set (digits, xor, spirals, moons, circles or a CSV file).`,
      );
    }
    return await run(sets);
  } finally {
    sets.train.dispose();
    sets.test.dispose();
  }
}

function dataLabel(s: Settings): string {
  return s.data && s.data !== 'digits' ? s.data : 'the bundled digits';
}

function parseHidden(text: string | undefined): number[] | undefined {
  if (text === undefined) return undefined;
  if (text.trim() === 'none') return [];
  return text.split(',').map((part) => {
    const v = Number(part.trim());
    if (!Number.isInteger(v) || v <= 0)
      throw new ConfigError(
        `--hidden must be comma-separated positive layer sizes (e.g. 64,32), got '${text}'.`,
      );
    return v;
  });
}

/** Slices along random directions (three normalised as asked, one raw for contrast) and a random plane. */
function landscapeAround(target: lab.LandscapeTarget, s: Settings, points: number) {
  const normalization = s.normalization;
  const slices = [
    ...lab.lossSlice1d(target, { directions: 3, seed: s.seed, points, normalization }),
    ...(normalization === 'none'
      ? []
      : lab.lossSlice1d(target, { directions: 1, seed: s.seed + 7, points, normalization: 'none' })),
  ];
  const surface = lab.lossSurface2d(target, { seed: s.seed, points, normalization });
  return { slices, surface };
}

const product = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** A saved model and its description, with errors that say what a model folder is. */
function openSavedModel(dir: string): { layer: Layer; info: ModelInfo } {
  const expected = `a model folder saved by 'descent train --save DIR' or model.save() (${MODEL_FILE} and ${WEIGHTS_FILE}), or a checkpoint folder`;
  if (!existsSync(dir)) throw new NotFoundError(`${dir} does not exist; expected ${expected}.`);
  dir = resolveModelDir(dir); // a checkpoint folder, or a folder of them (the newest)
  const isFolder = statSync(dir).isDirectory();
  if (isFolder && !existsSync(join(dir, MODEL_FILE)))
    throw new ConfigError(`${dir} is not a model folder (it has no ${MODEL_FILE}); expected ${expected}.`);
  if (!isFolder && !/\.json$/i.test(dir))
    throw new ConfigError(`${dir} is a file, not a model folder; expected ${expected}.`);
  return loadModelWithInfo(dir);
}

/** The training record `descent train --save` writes, or null for a model saved without one. */
function trainingRecord(info: ModelInfo, dir: string): SavedRun | null {
  const m = info.metadata;
  return m.data === undefined && m.training === undefined ? null : savedRun(info, dir);
}

interface LandscapeData {
  data: Dataset;
  /** For the caption: which samples, prepared how. */
  description: string;
}

/**
 * The samples a saved model's landscape is computed on: its training split, rebuilt as
 * `descent train` made it (same seed, test fraction and standardisation); another data set
 * standardised with the saved statistics; or, without a training record, the lab's data.
 */
function savedModelData(dir: string, run: SavedRun | null, s: Settings, samples: number): LandscapeData {
  const name = s.data ?? run?.data.name ?? 'digits';
  const trained = run?.data.name;
  if (run && isImageSet(name) !== isImageSet(run.data.name)) {
    throw new ConfigError(
      `--data ${name}: the model in ${dir} was trained on ${isImageSet(run.data.name) ? 'images' : 'tabular data'} (${run.data.name}); ` +
        `use ${isImageSet(run.data.name) ? dataSets.imageSetNames.join(' or ') : 'digits, a synthetic set or a CSV file'}.`,
    );
  }
  if (s.dataDir !== undefined && !isImageSet(name))
    throw new ConfigError(
      `--data-dir applies to --data ${dataSets.imageSetNames.join(' or ')}, not ${name}.`,
    );
  if (isImageSet(name)) {
    const sets = dataSets.loadImageSet(name, {
      dir:
        s.dataDir ??
        (name === trained && run?.data.dir && existsSync(run.data.dir) ? run.data.dir : undefined),
      trainLimit: samples,
      testLimit: 1,
    });
    try {
      const shape = sets.train.x.shape;
      const stats = run?.data.channelStandardizer;
      const raw = sets.train.x.dataSync() as Float32Array;
      const pixels = stats
        ? dataSets.standardizeChannels(raw, shape, {
            mean: Float32Array.from(stats.mean),
            std: Float32Array.from(stats.std),
          })
        : raw;
      return {
        data: Dataset.fromArrays(pixels, shape.slice(1), sets.train.y.dataSync() as Int32Array, {
          numClasses: sets.numClasses,
          name,
        }),
        description: `the training images of ${name} (the first ones${stats ? ', standardised with the statistics saved in training' : ''})`,
      };
    } finally {
      sets.train.dispose();
      sets.test.dispose();
    }
  }
  if (run && name === trained) {
    // The split descent train made: it seeds the generator and loads the data first thing.
    setSeed(run.seed);
    const sets = loadData(name, run.data.testFraction);
    sets.test.dispose();
    const saved = standardizerOf(run);
    const refit = sets.standardizer;
    const same = (a: Float32Array, b: Float32Array) => a.length === b.length && a.every((v, i) => v === b[i]);
    if (saved && !(refit && same(saved.mean, refit.mean) && same(saved.std, refit.std))) {
      sets.train.dispose();
      throw new ConfigError(
        `${name}: cannot rebuild the training split the model in ${dir} was trained on (the data have changed); name the data with --data.`,
      );
    }
    return { data: sets.train, description: `the training split of ${name} (rebuilt from seed ${run.seed})` };
  }
  if (run && !(dataSets.syntheticNames as readonly string[]).includes(name)) {
    // Another table: every row, standardised with the training statistics, in a seeded order.
    const table = name === 'digits' ? dataSets.loadDigitsRaw() : dataSets.loadLabelledCsv(name);
    const saved = standardizerOf(run);
    if (table.numFeatures !== run.data.numFeatures) {
      throw new ShapeError(
        `--data ${name}: has ${table.numFeatures} feature columns; the model in ${dir} takes ${run.data.numFeatures}.`,
      );
    }
    const order = new Rng(run.seed).permutation(table.count);
    let features = dataSets.takeRows(table.features, table.numFeatures, order);
    if (saved) features = dataSets.applyStandardizer(features, table.numFeatures, saved);
    return {
      data: Dataset.fromArrays(features, [table.numFeatures], dataSets.takeLabels(table.labels, order), {
        numClasses: table.numClasses,
        name,
      }),
      description: `the rows of ${name}${saved ? ' (standardised with the statistics saved in training)' : ''}`,
    };
  }
  const sets = run ? (setSeed(run.seed), loadData(name, run.data.testFraction)) : labData(name, s.seed);
  sets.test.dispose();
  return {
    data: sets.train,
    description: run
      ? `the training split of ${name}`
      : `the training split of ${name === 'digits' ? 'the bundled digits' : name} as the lab prepares it (model.json records no training data)`,
  };
}

/** Checks that the model takes the data's samples (reshaping them to its input shape if needed). */
function fitToModel(
  layer: Layer,
  info: ModelInfo,
  run: SavedRun | null,
  prepared: LandscapeData,
  dir: string,
  name: string,
): Dataset {
  const { data } = prepared;
  const sample = data.x.shape.slice(1);
  const input = info.inputShape?.slice(1);
  const takes = input ? product(input) : run?.data.numFeatures;
  if (takes !== undefined && product(sample) !== takes) {
    throw new ShapeError(
      `--data ${name}: samples of shape [${sample.join(', ')}] (${product(sample)} values); the model in ${dir} takes ${takes}` +
        `${input ? ` (input shape [${input.join(', ')}])` : ''}.`,
    );
  }
  const fitted =
    input && input.join() !== sample.join()
      ? Dataset.fromArrays(
          data.x.dataSync() as Float32Array,
          input,
          data.y.dataSync() as Int32Array | Float32Array,
          {
            numClasses: data.numClasses,
            name: data.name,
          },
        )
      : data;
  let outputs: readonly number[];
  try {
    outputs = tidy(() =>
      noGrad(() => layer.call(gather(fitted.x, Int32Array.of(0)), { training: false }).shape),
    );
  } catch (error) {
    if (fitted !== data) fitted.dispose();
    throw new ShapeError(
      `--data ${name}: the model in ${dir} cannot take its samples of shape [${fitted.x.shape.slice(1).join(', ')}]: ${(error as Error).message}`,
    );
  }
  const classes = data.y.dtype === 'int32' ? Math.max(...(data.y.dataSync() as Int32Array)) + 1 : 0;
  if (classes > 0 && outputs.length === 2 && outputs[1] > 1 && outputs[1] < classes) {
    if (fitted !== data) fitted.dispose();
    throw new ShapeError(
      `--data ${name}: has ${classes} classes; the model in ${dir} has ${outputs[1]} outputs.`,
    );
  }
  return fitted;
}

/** `descent lab landscape MODEL_DIR`: the landscape around a saved model's weights. */
function savedModelLandscape(dir: string, s: Settings): ExperimentResult {
  const { layer, info } = openSavedModel(dir);
  const datasets: Dataset[] = [];
  try {
    const run = trainingRecord(info, dir);
    const name = s.data ?? run?.data.name ?? 'digits';
    // A convolutional network costs far more per sample than an MLP: fewer images by default
    // (fashion-cnn's 21 × 21 plane on 128 images takes about half a minute on 2 cores).
    const samples = s.samples ?? (s.quick ? 200 : isImageSet(name) ? 128 : 500);
    const prepared = savedModelData(dir, run, s, samples);
    datasets.push(prepared.data);
    const data = fitToModel(layer, info, run, prepared, dir, name);
    if (data !== prepared.data) datasets.push(data);
    const loss: LossFn = run ? lossOf(run) : getLoss('crossEntropy');
    const target = { net: layer, data, loss, maxSamples: samples };
    const points = s.points ?? (s.quick ? 11 : 21);
    const { slices, surface } = landscapeAround(target, s, points);
    const used = Math.min(data.length, samples);
    const figures = landscapeFigures(slices, surface, null, {
      subject: `the model in ${dir}`,
      data: `${used} samples of ${prepared.description}`,
      normalization: s.normalization,
      noPath:
        'No training path is drawn: a saved model keeps only its final weights, not the path that led to them (run descent lab landscape without a model folder to see one).',
    });
    return {
      figures,
      data: { model: dir, data: name, samples: used, slices, surface },
      intro: `The loss around the weights of the model saved in ${dir}, on ${used} samples of ${name}, along random directions (${s.normalization === 'none' ? 'raw Gaussian' : `${s.normalization}-normalised`}).`,
    };
  } finally {
    for (const d of datasets) d.dispose();
    layer.dispose();
  }
}

const experiments: Record<string, Experiment> = {
  optimizers: {
    title: 'Optimisers on test functions',
    intro:
      'Every registered optimiser, run by descent itself from the same start on four classic test functions, with a learning rate tuned per optimiser and function so that each makes a sensible path.',
    run(s) {
      const names = s.functions ?? lab.testFunctionNames;
      const figures: Figure[] = [];
      const data: Record<string, unknown> = {};
      for (const name of names) {
        const fn = lab.getTestFunction(name);
        const steps = s.steps ?? (s.quick ? Math.min(fn.steps, 60) : fn.steps);
        const runs = lab.trajectories(fn, { names: s.optimizers, steps });
        const grid = lab.evaluateGrid(fn, { nx: s.quick ? 60 : 140, ny: s.quick ? 60 : 140 });
        figures.push(...optimizerFigures({ ...fn, steps }, grid, runs));
        data[name] = runs;
      }
      return { figures, data };
    },
  },
  lr: {
    title: 'Learning rates',
    intro:
      'Too small, good, too large: the learning-rate regimes of the lecture on the parabola J(θ) = θ², and the same regimes on a network’s loss curves.',
    run(s) {
      const quadratic = lab.quadraticRegimes();
      const network = withData(s, (data) =>
        lab.networkLrCurves({ data, hidden: s.hidden, seed: s.seed, epochs: s.epochs ?? (s.quick ? 1 : 4) }),
      );
      return { figures: lrFigures(quadratic, network, dataLabel(s)), data: { quadratic, network } };
    },
  },
  init: {
    title: 'Initialisation',
    intro:
      'How the scale of the initial weights decides whether a signal survives a deep network: norms through products of random matrices, and activations layer by layer.',
    run(s) {
      const samples = s.quick ? 40 : 200;
      const linear = lab.normPropagation({ samples, seed: s.seed });
      const relu = lab.normPropagation({ samples, seed: s.seed, nonlinearity: 'relu' });
      const histograms = lab.activationHistograms({
        seed: s.seed,
        depth: s.quick ? 4 : 8,
        width: s.quick ? 64 : 256,
        batch: s.quick ? 100 : 500,
      });
      return { figures: initFigures(linear, relu, histograms), data: { linear, relu, histograms } };
    },
  },
  gradients: {
    title: 'Vanishing and exploding gradients',
    intro:
      'Per-layer gradient norms of deep networks while they train: sigmoid against ReLU, batch normalisation, and clipping.',
    run(s) {
      const studies = withData(s, (data) =>
        lab.gradientNorms({ data, seed: s.seed, steps: s.steps ?? (s.quick ? 20 : 80) }),
      );
      return { figures: gradientFigures(studies, dataLabel(s)), data: studies };
    },
  },
  batch: {
    title: 'Batch, mini-batch and stochastic gradient descent',
    intro:
      'The same update rule with the gradient averaged over all samples, one, or a mini-batch: progress per epoch and per second, over several seeds.',
    run(s) {
      const series = withData(s, (data) =>
        lab.batchComparison({
          data,
          hidden: s.hidden,
          epochs: s.epochs ?? (s.quick ? 2 : 15),
          seeds: s.quick ? [s.seed, s.seed + 1] : [s.seed, s.seed + 1, s.seed + 2, s.seed + 3],
        }),
      );
      return { figures: batchFigures(series, dataLabel(s)), data: series };
    },
  },
  landscape: {
    title: 'Loss landscapes',
    intro:
      'The loss around trained weights along random directions (with filter normalisation), and on the plane of the training path.',
    run(s) {
      if (s.model !== undefined) return savedModelLandscape(s.model, s);
      return withData(s, (sets) => {
        const trained = lab.trainForLandscape({
          data: sets.train,
          numClasses: sets.numClasses,
          hidden: s.hidden ?? [32],
          epochs: s.epochs ?? (s.quick ? 2 : 8),
          seed: s.seed,
        });
        try {
          const target = {
            net: trained.net,
            data: sets.train,
            maxSamples: s.samples ?? (s.quick ? 200 : 600),
          };
          const points = s.points ?? (s.quick ? 11 : 31);
          const { slices, surface } = landscapeAround(target, s, points);
          const plane = lab.pathSurface(target, trained.snapshots, { points });
          return {
            figures: landscapeFigures(slices, surface, plane, { normalization: s.normalization }),
            data: { slices, surface, plane, losses: trained.losses },
          };
        } finally {
          trained.net.dispose();
        }
      });
    },
  },
  approx: {
    title: 'Universal approximation',
    intro: 'What one hidden layer can fit as it grows, and what depth buys at the same number of parameters.',
    run(s) {
      const steps = s.steps ?? (s.quick ? 200 : 1500);
      const widths = lab.widthSweep({ seed: s.seed, steps });
      const deepWide = lab.deepVersusWide({ seed: s.seed, steps });
      return { figures: approxFigures(widths, deepWide), data: { widths, deepWide } };
    },
  },
  perceptron: {
    title: 'The perceptron rule and backpropagation',
    intro:
      'One linear unit in the plane, trained by the perceptron rule and by gradient descent on the cross-entropy, on separable and on overlapping classes.',
    run(s) {
      const studies = lab.perceptronVersusBackprop({ seed: s.seed, epochs: s.epochs ?? 30 });
      return { figures: perceptronFigures(studies), data: studies };
    },
  },
  kmeans: {
    title: 'K-means by batch and stochastic updates',
    intro:
      'One cost, three ways down: Lloyd’s batch step, online (SGD) updates and mini-batch K-means, from the same start — and the spread of the final cost over many starts.',
    run(s) {
      const study = lab.kmeansStudy({ seed: s.seed, passes: s.epochs ?? 10, seeds: s.quick ? 6 : 20 });
      return {
        figures: [...kmeansFigures(study), ...(study.spread ? kmeansSpreadFigures(study.spread) : [])],
        data: study,
      };
    },
  },
  lrfind: {
    title: 'Learning-rate range test',
    intro: 'Find a learning rate by trying them all in one short run.',
    run(s) {
      const result = withData(s, (data) =>
        lab.lrFind({ data, hidden: s.hidden, seed: s.seed, steps: s.steps ?? (s.quick ? 80 : 200) }),
      );
      return { figures: lrFindFigures(result), data: result };
    },
  },
  regression: {
    title: 'The worked linear-regression example',
    intro:
      'The lectures’ first picture: the cost J(θ₁) of a one-parameter fit with its table, and gradient descent on the contours of J(θ₀, θ₁).',
    run(s) {
      const study = lab.linearRegressionStudy({
        seed: s.seed,
        steps: s.steps,
        points: s.points ?? (s.quick ? 41 : 121),
      });
      return { figures: regressionFigures(study), data: study };
    },
  },
  minima: {
    title: 'Local minima and starting points',
    intro:
      'Gradient descent ends in the minimum whose basin it starts in: many starts on losses with several minima, momentum and a large step escaping a shallow one, and the spread of a small network’s final loss over seeds.',
    run(s) {
      const study = lab.localMinimaStudy({
        seed: s.seed,
        steps: s.steps,
        epochs: s.epochs ?? (s.quick ? 60 : undefined),
        seeds: s.quick ? 6 : undefined,
        points: s.points ?? (s.quick ? 41 : 121),
      });
      return { figures: minimaFigures(study), data: study };
    },
  },
  noise: {
    title: 'How noisy is a mini-batch gradient?',
    intro:
      'The variance of the mini-batch gradient and loss against the batch size, measured on a network with the 1/b line the slides derive, and the spread of an error rate measured on N samples.',
    run(s) {
      const study = withData(s, (data) =>
        lab.gradientNoise({
          data,
          seed: s.seed,
          hidden: s.hidden,
          draws: s.quick ? 20 : undefined,
          trainEpochs: s.epochs,
        }),
      );
      return { figures: noiseFigures(study), data: study };
    },
  },
  order: {
    title: 'Why the order of presentation matters',
    intro:
      'SGD with the samples in a fixed order, sorted by class, against reshuffling every epoch: the fixed order settles into a cycle one epoch long.',
    run(s) {
      const study = lab.orderStudy({ seed: s.seed, epochs: s.epochs ?? (s.quick ? 12 : undefined) });
      return { figures: orderFigures(study), data: study };
    },
  },
  divergence: {
    title: 'Choosing the divergence: L2 against cross-entropy',
    intro:
      'The error surface of one sigmoid unit under L2 and under cross-entropy, and the same network trained under each from ordinary and from saturating initial weights.',
    run(s) {
      const study = withData(s, (data) =>
        lab.divergenceStudy({
          data,
          seed: s.seed,
          epochs: s.epochs ?? (s.quick ? 2 : undefined),
          points: s.points ?? (s.quick ? 31 : undefined),
        }),
      );
      return { figures: divergenceFigures(study), data: study };
    },
  },
  separation: {
    title: 'When backprop with MSE fails',
    intro:
      'A linearly separable set that the perceptron rule separates and a sigmoid unit trained on the squared error does not (Brady, Raghavan & Slawny, 1989).',
    run(s) {
      const study = lab.mseSeparationStudy({ seed: s.seed, epochs: s.epochs ?? (s.quick ? 60 : undefined) });
      return { figures: separationFigures(study), data: study };
    },
  },
  overfitting: {
    title: 'Overfitting, weight constraints and early stopping',
    intro:
      'A large network fitted to a dozen noisy samples: training against validation error, the effect of the L2 weight λ on the fitted function and the two curves, and where early stopping would stop.',
    run(s) {
      const study = lab.overfittingStudy({
        seed: s.seed,
        epochs: s.epochs ?? (s.quick ? 150 : undefined),
        hidden: s.hidden,
        patience: s.quick ? 30 : undefined,
      });
      return { figures: overfittingFigures(study), data: study };
    },
  },
  ensemble: {
    title: 'Dropout as an ensemble',
    intro:
      'One network, one with dropout, and a bagged ensemble of networks trained on bootstrap samples, at an equal training budget, over several seeds (each a train.Model trained with fit).',
    async run(s) {
      const study = await withDataAsync(s, (data) =>
        lab.ensembleStudy({
          data,
          epochs: s.epochs ?? (s.quick ? 10 : undefined),
          seeds: s.quick ? [s.seed, s.seed + 1] : Array.from({ length: 5 }, (_, i) => s.seed + i),
          trainSamples: s.samples,
        }),
      );
      return { figures: ensembleFigures(study), data: study };
    },
  },
  symmetry: {
    title: 'Symmetry and initialisation',
    intro:
      'Hidden units that start with identical weights stay identical under gradient descent; random initialisation breaks the symmetry.',
    run(s) {
      const study = withData(s, (data) =>
        lab.symmetryStudy({ data, seed: s.seed, epochs: s.epochs ?? (s.quick ? 2 : undefined) }),
      );
      return { figures: symmetryFigures(study), data: study };
    },
  },
  averaging: {
    title: 'Iterate averaging',
    intro:
      'Constant-step SGD on a noisy convex problem with and without averaging of the iterates: the distance to the optimum against steps.',
    run(s) {
      const study = lab.averagingStudy({
        epochs: s.epochs ?? (s.quick ? 4 : undefined),
        seeds: Array.from({ length: s.quick ? 2 : 5 }, (_, i) => s.seed + i),
      });
      return { figures: averagingFigures(study), data: study };
    },
  },
  features: {
    title: 'What a convolutional network learns',
    intro:
      'The first layer’s filters and the feature maps of a trained LeNet, as images (the bundled digits by default; --data fashion-mnist or mnist with --data-dir for the real thing).',
    run(s) {
      const name = s.data ?? 'digits';
      let images: lab.ImageData;
      if (name === 'digits') images = lab.digitImages(s.seed);
      else if (isImageSet(name)) {
        const sets = dataSets.loadImageSet(name, {
          dir: s.dataDir,
          trainLimit: s.samples ?? (s.quick ? 500 : 3000),
          testLimit: 1000,
        });
        images = { ...sets, name: `${name}` };
      } else
        throw new ConfigError(
          `--data ${name}: the features experiment needs images: digits, ${dataSets.imageSetNames.join(' or ')}.`,
        );
      try {
        const study = lab.featuresStudy({
          data: images,
          seed: s.seed,
          epochs: s.epochs ?? (s.quick ? 3 : name === 'digits' ? undefined : 4),
        });
        return { figures: featuresFigures(study), data: study };
      } finally {
        images.train.dispose();
        images.test.dispose();
      }
    },
  },
  hessian: {
    title: 'Second order, checked',
    intro:
      'The Hessian’s extreme eigenvalues at the end of a run, by power iteration on Hessian-vector products, at a minimum and at a saddle; why Newton’s method is drawn to the saddle; and the cost of a Newton step against the number of parameters.',
    run(s) {
      const study = lab.hessianStudy({
        seed: s.seed,
        gdSteps: s.steps ?? (s.quick ? 800 : undefined),
        iterations: s.quick ? 60 : undefined,
        costSizes: s.quick ? [2, 4, 8, 16, 32, 64] : undefined,
        points: s.points,
      });
      return { figures: hessianFigures(study), data: study };
    },
  },
};

export const labExperimentNames = Object.keys(experiments);

function writeAtomic(path: string, text: string): void {
  const temp = join(
    resolve(path, '..'),
    `.tmp-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`,
  );
  writeFileSync(temp, text);
  renameSync(temp, path);
}

/** JSON with typed arrays as plain arrays and non-finite numbers as null. */
function toJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_key, v) =>
      ArrayBuffer.isView(v) && !(v instanceof DataView)
        ? Array.from(v as unknown as ArrayLike<number>)
        : typeof v === 'number' && !Number.isFinite(v)
          ? null
          : v,
    1,
  );
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

async function runOne(name: string, settings: Settings, out: string, json: boolean): Promise<ReportSection> {
  const experiment = experiments[name];
  const started = performance.now();
  const result = await experiment.run(settings);
  const figures: ReportFigure[] = [];
  for (const figure of result.figures) {
    const rendered = await renderFigure(figure);
    writeAtomic(join(out, `${figure.id}.svg`), rendered.svg);
    figures.push(rendered);
  }
  if (json) writeAtomic(join(out, `${name}.json`), toJson(result.data));
  log(`lab ${name}: ${figures.length} figures in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return { title: experiment.title, intro: result.intro ?? experiment.intro, figures };
}

function footer(settings: Settings): string {
  return `Made by descent lab (backend ${getBackend().name}, seed ${settings.seed}${settings.quick ? ', quick sizes' : ''}) on ${new Date().toISOString().slice(0, 10)}.`;
}

const NORMALIZATIONS: readonly DirectionNormalization[] = ['filter', 'layer', 'none'];

/**
 * Runs `experiment` (or 'all') and writes its SVGs and HTML page to flags.out; `model` is a
 * saved model's folder for the landscape experiment. Returns the page's path.
 */
export async function runLab(experiment: string, flags: LabFlags, model?: string): Promise<string> {
  if (experiment !== 'all' && !(experiment in experiments)) {
    throw new ConfigError(
      `Unknown lab experiment '${experiment}'. Experiments: ${[...labExperimentNames, 'all'].join(', ')}.`,
    );
  }
  if (model !== undefined && experiment !== 'landscape') {
    throw new ConfigError(
      `descent lab ${experiment} ${model}: only the landscape experiment takes a model folder (descent lab landscape MODEL_DIR).`,
    );
  }
  const normalization = (flags.normalization ?? 'filter') as DirectionNormalization;
  if (!NORMALIZATIONS.includes(normalization))
    throw new ConfigError(`--normalization must be filter, layer or none, got '${flags.normalization}'.`);
  const points = positiveInt('--points', flags.points);
  if (points !== undefined && points < 3)
    throw new ConfigError(`--points must be at least 3 (grid points per axis), got '${flags.points}'.`);
  const settings: Settings = {
    quick: flags.quick ?? false,
    seed: seedOf(flags.seed ?? '1'),
    optimizers: list(flags.optimizers),
    functions: list(flags.functions),
    steps: positiveInt('--steps', flags.steps),
    epochs: positiveInt('--epochs', flags.epochs),
    data: flags.data,
    hidden: parseHidden(flags.hidden),
    points,
    samples: positiveInt('--samples', flags.samples),
    normalization,
    model,
    dataDir: flags.dataDir,
  };
  settings.functions?.forEach((f) => lab.getTestFunction(f));
  if (flags.backend && flags.backend !== 'auto') await initBackend(flags.backend);
  const out = resolve(flags.out);
  mkdirSync(out, { recursive: true });
  const names = experiment === 'all' ? labExperimentNames : [experiment];
  const sections: ReportSection[] = [];
  for (const name of names) sections.push(await runOne(name, settings, out, flags.json ?? false));
  const page = experiment === 'all' ? 'report.html' : `${experiment}.html`;
  const html = reportHtml({
    title: experiment === 'all' ? 'descent — the optimisation lab' : `descent lab: ${sections[0].title}`,
    intro:
      experiment === 'all'
        ? 'Every figure below was computed by descent’s own optimisers, layers and autograd in this run; nothing is drawn by hand. Each caption says what the figure shows and what to notice.'
        : undefined,
    sections,
    footer: footer(settings),
  });
  const path = join(out, page);
  writeAtomic(path, html);
  log(`wrote ${path} (${sections.reduce((n, s) => n + s.figures.length, 0)} figures)`);
  return path;
}

/** Adds `descent lab <experiment>` to the program. */
export function registerLab(program: Command): void {
  program
    .command('lab')
    .description('Run an optimisation-lab experiment and write its figures (SVG) and an HTML report.')
    .argument('<experiment>', `${labExperimentNames.join(' | ')} | all`)
    .argument(
      '[model-dir]',
      'landscape: a model folder saved by descent train --save (default: train a small MLP here)',
    )
    .option('--out <dir>', 'folder for the SVG files and the HTML page', 'lab-out')
    .option('--quick', 'small sizes: every experiment in seconds (for a smoke test)')
    .option('--seed <n>', 'seed for data splits, initial weights and shuffling', '1')
    .option('--optimizers <names>', 'optimizers: a comma-separated subset of the registered optimisers')
    .option('--functions <names>', `optimizers: a subset of ${lab.testFunctionNames.join(', ')}`)
    .option(
      '--steps <n>',
      'optimizers/gradients/lrfind/approx/regression/minima/hessian: number of (gradient-descent) steps',
    )
    .option(
      '--epochs <n>',
      'lr/batch/landscape/perceptron/kmeans (passes)/minima/noise/order/divergence/separation/overfitting/ensemble/symmetry/averaging/features: number of epochs',
    )
    .option(
      '--data <name|file.csv>',
      'lr/gradients/batch/landscape/lrfind/noise/divergence/ensemble/symmetry: digits | xor | spirals | moons | circles | a CSV file (default digits; for landscape MODEL_DIR, the data it was trained on, or fashion-mnist | mnist; features: digits | fashion-mnist | mnist)',
    )
    .option(
      '--hidden <sizes>',
      'lr/batch/landscape/lrfind/noise/overfitting: hidden layer sizes, comma-separated (e.g. 64,32)',
    )
    .option(
      '--points <n>',
      'landscape/regression/minima/divergence/hessian: grid points per axis (landscape default 31; 21 for a saved model)',
    )
    .option(
      '--samples <n>',
      'landscape: samples the loss is computed on (default 600; for a saved model 500, or 128 images); ensemble: training samples (400); features: training images of fashion-mnist | mnist (3000)',
    )
    .option('--normalization <kind>', 'landscape: direction normalisation, filter | layer | none', 'filter')
    .option(
      '--data-dir <dir>',
      'landscape MODEL_DIR and features: the folder with the IDX files of fashion-mnist or mnist',
    )
    .option('--json', 'also write the numbers behind the figures as <experiment>.json')
    .option('--backend <name>', 'cpu | wasm | auto')
    .addHelpText(
      'after',
      `\nExperiments:\n${labExperimentNames.map((n) => `  ${n.padEnd(12)} ${experiments[n].title}`).join('\n')}\n  ${'all'.padEnd(12)} every experiment above, in one report.html`,
    )
    .action(async (experiment: string, model: string | undefined, flags: LabFlags) => {
      await runLab(experiment, flags, model);
    });
}

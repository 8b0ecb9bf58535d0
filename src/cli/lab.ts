/**
 * `descent lab <experiment> [--out DIR]`: runs one of the optimisation lab's experiments
 * with the library's real optimisers and networks, draws its figures as SVG and writes
 * them with an HTML page; `descent lab all` runs every experiment and writes report.html.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { ConfigError } from '../errors.js';
import { getBackend, initBackend } from '../backend/registry.js';
import { csv, digits, synthetic, type SplitSets } from '../data/sets.js';
import { Rng } from '../tensor/random.js';
import * as lab from '../lab/index.js';
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
}

interface ExperimentResult {
  figures: Figure[];
  data: unknown;
}

interface Experiment {
  title: string;
  intro: string;
  run(settings: Settings): ExperimentResult;
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

/** The data set for the network experiments, split with the seed; freed after `run`. */
function withData<T>(s: Settings, run: (sets: SplitSets) => T): T {
  const rng = new Rng(s.seed);
  const name = s.data ?? 'digits';
  const sets =
    name === 'digits'
      ? digits({ rng })
      : name.endsWith('.csv')
        ? csv(name, { rng })
        : synthetic(name, { rng });
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
      return withData(s, (sets) => {
        const trained = lab.trainForLandscape({
          data: sets.train,
          numClasses: sets.numClasses,
          hidden: s.hidden ?? [32],
          epochs: s.epochs ?? (s.quick ? 2 : 8),
          seed: s.seed,
        });
        try {
          const target = { net: trained.net, data: sets.train, maxSamples: s.quick ? 200 : 600 };
          const points = s.quick ? 11 : 31;
          const slices = [
            ...lab.lossSlice1d(target, { directions: 3, seed: s.seed, points }),
            ...lab.lossSlice1d(target, { directions: 1, seed: s.seed + 7, points, normalization: 'none' }),
          ];
          const surface = lab.lossSurface2d(target, { seed: s.seed, points });
          const plane = lab.pathSurface(target, trained.snapshots, { points });
          return {
            figures: landscapeFigures(slices, surface, plane),
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
    intro: 'One cost, two ways down: Lloyd’s batch step against online (SGD) updates, from the same start.',
    run(s) {
      const study = lab.kmeansStudy({ seed: s.seed, passes: s.epochs ?? 10 });
      return { figures: kmeansFigures(study), data: study };
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
  const result = experiment.run(settings);
  const figures: ReportFigure[] = [];
  for (const figure of result.figures) {
    const rendered = await renderFigure(figure);
    writeAtomic(join(out, `${figure.id}.svg`), rendered.svg);
    figures.push(rendered);
  }
  if (json) writeAtomic(join(out, `${name}.json`), toJson(result.data));
  log(`lab ${name}: ${figures.length} figures in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return { title: experiment.title, intro: experiment.intro, figures };
}

function footer(settings: Settings): string {
  return `Made by descent lab (backend ${getBackend().name}, seed ${settings.seed}${settings.quick ? ', quick sizes' : ''}) on ${new Date().toISOString().slice(0, 10)}.`;
}

export async function runLab(experiment: string, flags: LabFlags): Promise<string> {
  if (experiment !== 'all' && !(experiment in experiments)) {
    throw new ConfigError(
      `Unknown lab experiment '${experiment}'. Experiments: ${[...labExperimentNames, 'all'].join(', ')}.`,
    );
  }
  const settings: Settings = {
    quick: flags.quick ?? false,
    seed: seedOf(flags.seed ?? '1'),
    optimizers: list(flags.optimizers),
    functions: list(flags.functions),
    steps: positiveInt('--steps', flags.steps),
    epochs: positiveInt('--epochs', flags.epochs),
    data: flags.data,
    hidden: parseHidden(flags.hidden),
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
    .option('--out <dir>', 'folder for the SVG files and the HTML page', 'lab-out')
    .option('--quick', 'small sizes: every experiment in seconds (for a smoke test)')
    .option('--seed <n>', 'seed for data splits, initial weights and shuffling', '1')
    .option('--optimizers <names>', 'optimizers: a comma-separated subset of the registered optimisers')
    .option('--functions <names>', `optimizers: a subset of ${lab.testFunctionNames.join(', ')}`)
    .option('--steps <n>', 'optimizers/gradients/lrfind/approx: number of steps')
    .option('--epochs <n>', 'lr/batch/landscape/perceptron: number of epochs')
    .option(
      '--data <name|file.csv>',
      'lr/gradients/batch/landscape/lrfind: digits | xor | spirals | moons | circles | a CSV file (default digits)',
    )
    .option('--hidden <sizes>', 'lr/batch/landscape/lrfind: hidden layer sizes, comma-separated (e.g. 64,32)')
    .option('--json', 'also write the numbers behind the figures as <experiment>.json')
    .option('--backend <name>', 'cpu | wasm | auto')
    .action(async (experiment: string, flags: LabFlags) => {
      await runLab(experiment, flags);
    });
}

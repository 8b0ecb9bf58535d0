/**
 * Ready-to-train data sets: the bundled UCI digits, CSV files and the synthetic sets,
 * split into train/test with the seeded RNG and standardised with statistics fitted
 * on the training part only (so nothing about the test set leaks into training).
 */
import { ConfigError, unknownName } from '../errors.js';
import { rng as globalRng, type Rng } from '../tensor/random.js';
import { loadLabelledCsv, type LabelledCsvOptions, type LabelledTable } from './csv.js';
import { Dataset } from './dataset.js';
import { loadDigitsRaw } from './digits.js';
import {
  applyStandardizer,
  fitStandardizer,
  takeLabels,
  takeRows,
  trainTestSplitIndices,
  type Standardizer,
} from './prepare.js';
import { circles, moons, noisySine, twoSpirals, xor } from './synthetic.js';

export interface SplitOptions {
  /** Fraction held out as the test set (default 0.2). */
  testFraction?: number;
  /** Standardise features with the training part's mean and std (default true). */
  standardize?: boolean;
  /** Keep class proportions equal in both parts (default true for classification). */
  stratify?: boolean;
  rng?: Rng;
}

export interface SplitSets {
  train: Dataset;
  test: Dataset;
  numFeatures: number;
  numClasses: number;
  /** 'classification' (int32 labels) or 'regression' (float targets). */
  task: 'classification' | 'regression';
  standardizer?: Standardizer;
  name: string;
}

/** Splits a labelled table into train/test Datasets. */
export function splitTable(table: LabelledTable, name: string, options: SplitOptions = {}): SplitSets {
  const testFraction = options.testFraction ?? 0.2;
  const r = options.rng ?? globalRng();
  const { train, test } = trainTestSplitIndices(table.count, testFraction, r, {
    stratify: (options.stratify ?? true) ? table.labels : undefined,
  });
  let trainX = takeRows(table.features, table.numFeatures, train);
  let testX = takeRows(table.features, table.numFeatures, test);
  let standardizer: Standardizer | undefined;
  if (options.standardize ?? true) {
    standardizer = fitStandardizer(trainX, table.numFeatures);
    trainX = applyStandardizer(trainX, table.numFeatures, standardizer);
    testX = applyStandardizer(testX, table.numFeatures, standardizer);
  }
  const opts = { numClasses: table.numClasses };
  return {
    train: Dataset.fromArrays(trainX, [table.numFeatures], takeLabels(table.labels, train), {
      ...opts,
      name: `${name} (train)`,
    }),
    test: Dataset.fromArrays(testX, [table.numFeatures], takeLabels(table.labels, test), {
      ...opts,
      name: `${name} (test)`,
    }),
    numFeatures: table.numFeatures,
    numClasses: table.numClasses,
    task: 'classification',
    standardizer,
    name,
  };
}

/** The UCI optical digits (1,797 8×8 images, 10 classes), bundled with descent. */
export function digits(options: SplitOptions = {}): SplitSets {
  return splitTable(loadDigitsRaw(), 'digits', options);
}

/** A CSV file of numeric features with an integer class label in the last column. */
export function csv(
  path: string,
  options: SplitOptions & Pick<LabelledCsvOptions, 'labelColumn' | 'numClasses' | 'maxBytes'> = {},
): SplitSets {
  const { labelColumn, numClasses, maxBytes } = options;
  const table = loadLabelledCsv(path, { labelColumn, numClasses, maxBytes });
  return splitTable(table, path, options);
}

export const syntheticNames = ['xor', 'spirals', 'moons', 'circles', 'sine'] as const;

/** A synthetic set by name. XOR is its own test set (it has only 4 points). */
export function synthetic(
  name: string,
  options: SplitOptions & { count?: number; noise?: number } = {},
): SplitSets {
  const r = options.rng ?? globalRng();
  const gen = { count: options.count, noise: options.noise, rng: r };
  switch (name) {
    case 'xor': {
      const t = xor(gen);
      const make = (label: string) =>
        Dataset.fromArrays(t.features, [2], t.labels, { numClasses: 2, name: label });
      return {
        train: make('xor (train)'),
        test: make('xor (test)'),
        numFeatures: 2,
        numClasses: 2,
        task: 'classification',
        name,
      };
    }
    case 'spirals':
      return splitTable(twoSpirals({ count: 400, ...stripUndefined(gen) }), name, {
        standardize: false,
        ...options,
      });
    case 'moons':
      return splitTable(moons({ count: 400, noise: 0.1, ...stripUndefined(gen) }), name, {
        standardize: false,
        ...options,
      });
    case 'circles':
      return splitTable(circles({ count: 400, noise: 0.05, ...stripUndefined(gen) }), name, {
        standardize: false,
        ...options,
      });
    case 'sine': {
      const t = noisySine({ count: 400, ...stripUndefined(gen) });
      const cut = Math.round(t.count * (1 - (options.testFraction ?? 0.2)));
      if (cut < 1 || cut >= t.count) throw new ConfigError(`sine: testFraction leaves an empty part.`);
      const part = (from: number, to: number, label: string) =>
        Dataset.fromArrays(t.features.slice(from, to), [1], t.targets.slice(from, to), {
          targetShape: [1],
          name: label,
        });
      return {
        train: part(0, cut, 'sine (train)'),
        test: part(cut, t.count, 'sine (test)'),
        numFeatures: 1,
        numClasses: 0,
        task: 'regression',
        name,
      };
    }
    default:
      return unknownName('data set', name, syntheticNames);
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * Hyper-parameter search: train one model per configuration on the same training part,
 * score it on a held-out validation part, and rank the configurations.
 *
 *   const result = await gridSearch({
 *     space: { lr: [0.3, 0.1, 0.03], batchSize: [16, 64], hidden: [16, 64] },
 *     build: (c) => new Model(nn.mlp({ inputShape: [64], hidden: [c.hidden as number] }))
 *       .compile({ optimizer: 'sgd', lr: c.lr as number, loss: 'crossEntropy', metrics: ['accuracy'] }),
 *     data: sets.train, epochs: 5, validationSplit: 0.2,
 *   });
 *   console.log(result.table());
 *
 * Grid search tries every combination; `random: n` tries n of them, drawn with the seeded
 * RNG — from the grid, or, for keys given as ranges ({ min, max, log }), drawn afresh per
 * configuration (Bergstra & Bengio, 2012: random search finds good values of the few
 * hyper-parameters that matter with far fewer runs than a grid).
 *
 * The keys `batchSize` and `epochs` of a configuration also set fit's options; every key
 * goes to `build`. Each configuration starts from the same seed (initialisation, shuffling,
 * dropout), so the ranking reflects the hyper-parameters, not the luck of the draw. A
 * configuration that diverges is kept in the table, ranked last, with its error.
 */
import { ConfigError, DescentError, checkPositiveInt } from '../errors.js';
import type { Dataset } from '../data/dataset.js';
import { Rng, setSeed } from '../tensor/random.js';
import type { Callback, Logs } from './callbacks.js';
import type { FitOptions, Model } from './model.js';

export type SearchValue = number | string | boolean;

/** A continuous range for random search: uniform in [min, max], or log-uniform with `log`. */
export interface SearchRange {
  min: number;
  max: number;
  log?: boolean;
  /** Round to an integer (e.g. layer sizes). */
  integer?: boolean;
}

export type SearchSpace = Record<string, readonly SearchValue[] | SearchRange>;
export type SearchConfig = Record<string, SearchValue>;

export interface SearchOptions {
  space: SearchSpace;
  /** A compiled model for a configuration (a fresh one each time: it is disposed after its run). */
  build: (config: SearchConfig) => Model;
  /** The data to split into training and validation parts. */
  data: Dataset;
  /** Epochs per configuration (default 5; a configuration's own `epochs` wins). */
  epochs?: number;
  /** Mini-batch size (default 32; a configuration's own `batchSize` wins). */
  batchSize?: number;
  /** The last fraction of `data` held out for validation (default 0.2), unless validationData is given. */
  validationSplit?: number;
  validationData?: Dataset;
  /** Try this many configurations drawn at random instead of the whole grid. */
  random?: number;
  /** The seed every configuration starts from, and of the random draws (default 1). */
  seed?: number;
  /** The validation log to rank by (default 'valAccuracy' when the model has an accuracy metric, else 'valLoss'). */
  metric?: string;
  /** 'max' or 'min' (default: 'max' for accuracies, 'min' otherwise). */
  mode?: 'min' | 'max';
  /** Callbacks for one configuration's run (e.g. early stopping), made afresh per run. */
  callbacks?: (config: SearchConfig) => Callback[];
  /** More fit options for every run (augment, shuffle, …). */
  fit?: Omit<FitOptions, 'epochs' | 'batchSize' | 'validationSplit' | 'validationData' | 'callbacks'>;
  /** Called after each configuration's run, e.g. to print progress. */
  onResult?: (row: SearchRow, index: number, total: number) => void;
}

export interface SearchRow {
  /** 1 for the best configuration. */
  rank: number;
  config: SearchConfig;
  /** The ranking metric's value after the last epoch (NaN when the run failed). */
  score: number;
  /** The last epoch's logs (loss, accuracy, valLoss, valAccuracy, …). */
  logs: Logs;
  epochs: number;
  seconds: number;
  /** Why the run failed (divergence, a shape error), when it did. */
  error?: string;
}

export interface SearchResult {
  /** Best first. */
  rows: SearchRow[];
  best: SearchRow;
  metric: string;
  mode: 'min' | 'max';
  /** The ranked rows as an aligned text table. */
  table(): string;
}

const FIT_KEYS = ['batchSize', 'epochs'];

function isRange(v: unknown): v is SearchRange {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && 'min' in v && 'max' in v;
}

function checkSpace(space: SearchSpace): void {
  if (
    typeof space !== 'object' ||
    space === null ||
    Array.isArray(space) ||
    Object.keys(space).length === 0
  ) {
    throw new ConfigError(
      'gridSearch: space must be an object of hyper-parameters, e.g. { lr: [0.1, 0.01] }.',
    );
  }
  for (const [key, values] of Object.entries(space)) {
    if (isRange(values)) {
      const { min, max, log } = values;
      if (!(Number.isFinite(min) && Number.isFinite(max) && min <= max) || (log && !(min > 0))) {
        throw new ConfigError(
          `gridSearch: space.${key}: a range needs finite min ≤ max${log ? ' and min > 0 for log' : ''}, got ${JSON.stringify(values)}.`,
        );
      }
    } else if (
      !Array.isArray(values) ||
      values.length === 0 ||
      !values.every((v) => ['number', 'string', 'boolean'].includes(typeof v))
    ) {
      throw new ConfigError(
        `gridSearch: space.${key}: expected a non-empty list of numbers, strings or booleans, or a range { min, max }, got ${JSON.stringify(values)}.`,
      );
    }
  }
  for (const key of FIT_KEYS) {
    const values = space[key];
    if (values === undefined) continue;
    const ok = (v: unknown) => Number.isInteger(v) && (v as number) > 0;
    if (isRange(values) ? !(values.integer && values.min >= 1) : !values.every(ok)) {
      throw new ConfigError(
        `gridSearch: space.${key}: expected positive integers${isRange(values) ? ' (a range with integer: true and min ≥ 1)' : ''}.`,
      );
    }
  }
}

/** Every combination, the first key varying slowest. */
function gridOf(space: Record<string, readonly SearchValue[]>): SearchConfig[] {
  let configs: SearchConfig[] = [{}];
  for (const [key, values] of Object.entries(space)) {
    configs = configs.flatMap((c) => values.map((v) => ({ ...c, [key]: v })));
  }
  return configs;
}

function draw(range: SearchRange, r: Rng): number {
  const u = r.uniform();
  const v = range.log
    ? Math.exp(Math.log(range.min) + u * (Math.log(range.max) - Math.log(range.min)))
    : range.min + u * (range.max - range.min);
  return range.integer ? Math.min(Math.round(v), Math.floor(range.max)) : v;
}

/** The configurations to try: the grid, n of its points, or n random draws. */
export function searchConfigs(
  space: SearchSpace,
  options: { random?: number; seed?: number } = {},
): SearchConfig[] {
  checkSpace(space);
  const hasRange = Object.values(space).some(isRange);
  const n =
    options.random === undefined ? undefined : checkPositiveInt('gridSearch', 'random', options.random);
  if (n === undefined) {
    if (hasRange)
      throw new ConfigError(
        'gridSearch: ranges ({ min, max }) can only be searched at random: give random: n.',
      );
    const size = Object.values(space).reduce((p, v) => p * (v as readonly SearchValue[]).length, 1);
    if (size > 10000)
      throw new ConfigError(
        `gridSearch: the grid has ${size} configurations; give random: n to try n of them.`,
      );
    return gridOf(space as Record<string, readonly SearchValue[]>);
  }
  const r = new Rng(options.seed ?? 1);
  if (!hasRange) {
    const grid = gridOf(space as Record<string, readonly SearchValue[]>);
    if (n >= grid.length) return grid;
    const order = r.permutation(grid.length);
    return Array.from(order.subarray(0, n), (i) => grid[i]);
  }
  return Array.from({ length: n }, () =>
    Object.fromEntries(
      Object.entries(space).map(([key, values]) => [
        key,
        isRange(values) ? draw(values, r) : values[r.int(values.length)],
      ]),
    ),
  );
}

function formatValue(v: SearchValue | undefined): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : Number(v.toPrecision(4)).toString();
  return v === undefined ? '' : String(v);
}

function tableOf(rows: readonly SearchRow[], keys: readonly string[], metric: string): string {
  const logKeys = [
    metric,
    ...['valAccuracy', 'valLoss', 'accuracy', 'loss'].filter(
      (k) => k !== metric && rows.some((r) => k in r.logs),
    ),
  ];
  const header = ['rank', ...keys, ...logKeys, 'epochs', 'seconds'];
  const body = rows.map((r) => [
    String(r.rank),
    ...keys.map((k) => formatValue(r.config[k])),
    ...logKeys.map((k) =>
      r.error ? (k === metric ? 'failed' : '') : r.logs[k] === undefined ? '' : r.logs[k].toFixed(4),
    ),
    String(r.epochs),
    r.seconds.toFixed(1),
  ]);
  const all = [header, ...body];
  const widths = header.map((_, c) => Math.max(...all.map((row) => row[c].length)));
  const lines = all.map((row) =>
    row
      .map((cell, c) => cell.padEnd(widths[c]))
      .join('  ')
      .trimEnd(),
  );
  const failed = rows.filter((r) => r.error);
  return [...lines, ...failed.map((r) => `rank ${r.rank}: ${r.error}`)].join('\n');
}

/** Trains every configuration (or `random` of them) and ranks them by a validation metric. */
export async function gridSearch(options: SearchOptions): Promise<SearchResult> {
  const where = 'gridSearch';
  if (!options || typeof options.build !== 'function')
    throw new ConfigError(`${where}: build(config) → compiled Model is required.`);
  if (!options.data) throw new ConfigError(`${where}: data (a Dataset) is required.`);
  const configs = searchConfigs(options.space, { random: options.random, seed: options.seed });
  const seed = options.seed ?? 1;
  if (!Number.isInteger(seed)) throw new ConfigError(`${where}: seed must be an integer, got ${seed}.`);
  const epochs = checkPositiveInt(where, 'epochs', options.epochs ?? 5);
  const batchSize = checkPositiveInt(where, 'batchSize', options.batchSize ?? 32);
  if (options.mode !== undefined && options.mode !== 'min' && options.mode !== 'max') {
    throw new ConfigError(`${where}: mode must be 'min' or 'max', got '${String(options.mode)}'.`);
  }
  let train = options.data;
  let validation = options.validationData;
  const ownSplit = !validation;
  if (!validation) [train, validation] = options.data.splitTail(options.validationSplit ?? 0.2);
  const rows: SearchRow[] = [];
  let metric = options.metric;
  try {
    for (const [index, config] of configs.entries()) {
      setSeed(seed);
      const model = options.build({ ...config });
      const started = Date.now();
      let logs: Logs = {};
      let ran = 0;
      let error: string | undefined;
      try {
        const history = await model.fit(train, {
          ...options.fit,
          epochs: (config.epochs as number | undefined) ?? epochs,
          batchSize: (config.batchSize as number | undefined) ?? batchSize,
          validationData: validation,
          callbacks: options.callbacks?.(config),
        });
        ran = history.epochs.length;
        for (const [k, values] of Object.entries(history.history)) logs[k] = values[values.length - 1];
      } catch (e) {
        // A diverging configuration is a result, not a failure of the search.
        if (!(e instanceof DescentError)) throw e;
        error = e.message;
        logs = {};
      } finally {
        model.dispose();
      }
      metric ??= 'valAccuracy' in logs ? 'valAccuracy' : 'valLoss';
      if (!error && !(metric in logs)) {
        throw new ConfigError(
          `${where}: no '${metric}' in the validation logs (have ${Object.keys(logs).join(', ')}).`,
        );
      }
      const row: SearchRow = {
        rank: 0,
        config,
        score: error ? NaN : logs[metric],
        logs,
        epochs: ran,
        seconds: (Date.now() - started) / 1000,
        ...(error ? { error } : {}),
      };
      rows.push(row);
      options.onResult?.(row, index, configs.length);
    }
  } finally {
    if (ownSplit) {
      train.dispose();
      validation?.dispose();
    }
  }
  const metricName = metric ?? 'valLoss';
  const mode = options.mode ?? (/acc/i.test(metricName) ? 'max' : 'min');
  const sign = mode === 'max' ? -1 : 1;
  const ranked = [...rows].sort((a, b) => {
    const bad = (r: SearchRow) => !Number.isFinite(r.score);
    if (bad(a) || bad(b)) return Number(bad(a)) - Number(bad(b));
    return sign * (a.score - b.score);
  });
  ranked.forEach((r, i) => (r.rank = i + 1));
  const keys = Object.keys(options.space);
  return {
    rows: ranked,
    best: ranked[0],
    metric: metricName,
    mode,
    table: () => tableOf(ranked, keys, metricName),
  };
}

/**
 * The trainer's data: a set chosen by name (or the user's CSV), split into training and test
 * parts by the ratio slider, and turned into the network's inputs by the chosen features.
 * Everything is drawn from one generator seeded by the state's seed, so a URL reproduces it.
 */
import { data, Rng } from 'descent';
import { FEATURE_LABELS, type FeatureName, type TrainerState } from './state.js';

export interface Part {
  /** The raw coordinates (n × rawDims), as drawn in the data plot. */
  raw: Float32Array;
  /** The network's inputs (n × features.length). */
  x: Float32Array;
  /** Class labels (classification) or targets (regression). */
  y: Int32Array | Float32Array;
  n: number;
}

export interface PreparedData {
  name: string;
  task: 'classification' | 'regression';
  numClasses: number;
  /** Columns of the raw data: 2 for the planes, 1 for sine, 64 for digits. */
  rawDims: number;
  /** Whether the data lives in a plane (or on a line) the page can draw. */
  planar: boolean;
  /** The input features' names, in order. */
  inputs: string[];
  train: Part;
  test: Part;
  /** The drawing window over the raw coordinates (planar data only). */
  window: { x: [number, number]; y: [number, number] };
  /** Raw points (n × rawDims) to network inputs. */
  featurize(raw: Float32Array, n: number): Float32Array;
  trainSet: data.Dataset;
  testSet: data.Dataset;
}

/** A user's CSV, parsed in the page: its name and text (the worker parses it again). */
export interface CsvSource {
  name: string;
  text: string;
}

type Table = {
  features: Float32Array;
  numFeatures: number;
  labels?: Int32Array;
  targets?: Float32Array;
  count: number;
  numClasses: number;
};

function source(state: TrainerState, rng: Rng, csv: CsvSource | null): Table {
  const options = { count: state.count, noise: state.noise, rng };
  switch (state.dataset) {
    case 'circles':
      return data.raw.circles(options);
    case 'xor':
      return data.raw.xor(options);
    case 'moons':
      return data.raw.moons(options);
    case 'spirals':
      return data.raw.twoSpirals(options);
    case 'sine':
      return { ...data.raw.noisySine(options), numClasses: 0 };
    case 'digits':
      return data.loadDigitsRaw();
    case 'csv': {
      if (!csv) throw new Error('csv: choose a file first (file picker or drop it on the data plot).');
      return data.parseLabelledCsv(csv.text, { source: csv.name });
    }
  }
}

const featureFns: Record<FeatureName, (a: number, b: number) => number> = {
  x1: (a) => a,
  x2: (_, b) => b,
  x1sq: (a) => a * a,
  x2sq: (_, b) => b * b,
  x1x2: (a, b) => a * b,
  sinx1: (a) => Math.sin(a),
  sinx2: (_, b) => Math.sin(b),
};

/** The features that exist for data of this many raw columns (x₂'s need a second one). */
export function usableFeatures(selected: readonly FeatureName[], rawDims: number): FeatureName[] {
  if (rawDims > 2) return [];
  const usable = selected.filter((f) => rawDims === 2 || !/2/.test(f));
  return usable.length > 0 ? usable : ['x1'];
}

function take(values: Float32Array, per: number, idx: ArrayLike<number>): Float32Array {
  const out = new Float32Array(idx.length * per);
  for (let i = 0; i < idx.length; i++) out.set(values.subarray(idx[i] * per, idx[i] * per + per), i * per);
  return out;
}

export function prepareData(state: TrainerState, csv: CsvSource | null = null): PreparedData {
  const rng = new Rng(state.seed);
  const table = source(state, rng, csv);
  const rawDims = table.numFeatures;
  const regression = table.targets !== undefined;
  const testFraction = 1 - Math.min(90, Math.max(10, state.ratio)) / 100;
  const split = data.trainTestSplitIndices(table.count, testFraction, rng, {
    stratify: regression ? undefined : table.labels,
  });
  let trainRaw = take(table.features, rawDims, split.train);
  let testRaw = take(table.features, rawDims, split.test);
  // Files and digits come in their own units: standardise with the training part's statistics.
  if (state.dataset === 'digits' || state.dataset === 'csv') {
    const s = data.fitStandardizer(trainRaw, rawDims);
    trainRaw = data.applyStandardizer(trainRaw, rawDims, s);
    testRaw = data.applyStandardizer(testRaw, rawDims, s);
  }
  const features = usableFeatures(state.features, rawDims);
  const featurize = (raw: Float32Array, n: number): Float32Array => {
    if (features.length === 0) return raw;
    const out = new Float32Array(n * features.length);
    const fns = features.map((f) => featureFns[f]);
    for (let i = 0; i < n; i++) {
      const a = raw[i * rawDims];
      const b = rawDims > 1 ? raw[i * rawDims + 1] : 0;
      for (let k = 0; k < fns.length; k++) out[i * fns.length + k] = fns[k](a, b);
    }
    return out;
  };
  const targetsOf = (idx: Int32Array): Int32Array | Float32Array =>
    regression ? take(table.targets!, 1, idx) : data.takeLabels(table.labels!, idx);
  const part = (raw: Float32Array, idx: Int32Array): Part => ({
    raw,
    x: featurize(raw, idx.length),
    y: targetsOf(idx),
    n: idx.length,
  });
  const train = part(trainRaw, split.train);
  const test = part(testRaw, split.test);
  const inputs =
    features.length > 0
      ? features.map((f) => FEATURE_LABELS[f])
      : Array.from({ length: rawDims }, (_, i) => `x${i + 1}`);
  const width = inputs.length;
  const dataset = (p: Part, name: string) =>
    data.Dataset.fromArrays(
      p.x,
      [width],
      p.y,
      regression ? { targetShape: [1], name } : { numClasses: table.numClasses, name },
    );
  return {
    name: csv && state.dataset === 'csv' ? csv.name : state.dataset,
    task: regression ? 'regression' : 'classification',
    numClasses: regression ? 0 : table.numClasses,
    rawDims,
    planar: rawDims <= 2,
    inputs,
    train,
    test,
    window: drawingWindow(table, rawDims, [train, test]),
    featurize,
    trainSet: dataset(train, `${state.dataset} (train)`),
    testSet: dataset(test, `${state.dataset} (test)`),
  };
}

/** A square-ish window around the data with a margin; for sine, x against the target. */
function drawingWindow(table: Table, rawDims: number, parts: Part[]): PreparedData['window'] {
  if (rawDims > 2) return { x: [0, 1], y: [0, 1] };
  let x0 = Infinity,
    x1 = -Infinity,
    y0 = Infinity,
    y1 = -Infinity;
  for (const p of parts) {
    for (let i = 0; i < p.n; i++) {
      const a = p.raw[i * rawDims];
      const b = rawDims === 2 ? p.raw[i * rawDims + 1] : p.y[i];
      x0 = Math.min(x0, a);
      x1 = Math.max(x1, a);
      y0 = Math.min(y0, b);
      y1 = Math.max(y1, b);
    }
  }
  if (!Number.isFinite(x0)) return { x: [-1, 1], y: [-1, 1] };
  const pad = (lo: number, hi: number): [number, number] => {
    const m = Math.max((hi - lo) * 0.1, 0.1);
    return [lo - m, hi + m];
  };
  void table;
  return { x: pad(x0, x1), y: pad(y0, y1) };
}

/** One input feature's value at raw point (a, b), by its label (for drawing the input nodes). */
export function featureByLabel(label: string): ((a: number, b: number) => number) | null {
  const entry = Object.entries(FEATURE_LABELS).find(([, l]) => l === label);
  return entry ? featureFns[entry[0] as FeatureName] : null;
}

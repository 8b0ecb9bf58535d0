/** Dataset preparation on plain typed arrays: splitting, row selection, standardising, one-hot. */
import { ConfigError, DataError, ShapeError, checkPositiveInt } from '../errors.js';
import { rng as globalRng, type Rng } from '../tensor/random.js';

export interface Standardizer {
  mean: Float32Array;
  std: Float32Array;
}

function rowCount(where: string, features: Float32Array, numFeatures: number): number {
  checkPositiveInt(where, 'numFeatures', numFeatures);
  if (features.length % numFeatures !== 0) {
    throw new ShapeError(
      `${where}: ${features.length} values do not divide into rows of ${numFeatures} features.`,
    );
  }
  return features.length / numFeatures;
}

/**
 * Shuffled, disjoint train and test index sets covering 0..count−1. The test set gets
 * round(count·testFraction) rows, at least one and leaving at least one for training. With
 * `stratify` (a label per row) each class is split in that proportion separately.
 */
export function trainTestSplitIndices(
  count: number,
  testFraction: number,
  random: Rng = globalRng(),
  options: { stratify?: Int32Array } = {},
): { train: Int32Array; test: Int32Array } {
  const where = 'trainTestSplitIndices';
  checkPositiveInt(where, 'count', count);
  if (count < 2) throw new ConfigError(`${where}: need at least 2 rows to split, got ${count}.`);
  if (!(testFraction > 0 && testFraction < 1)) {
    throw new ConfigError(`${where}: testFraction must be in (0, 1), got ${testFraction}.`);
  }
  const order = random.permutation(count);
  const { stratify } = options;
  if (!stratify) {
    const testCount = Math.min(count - 1, Math.max(1, Math.round(count * testFraction)));
    return { test: order.slice(0, testCount), train: order.slice(testCount) };
  }

  if (stratify.length !== count) {
    throw new ShapeError(`${where}: stratify has ${stratify.length} labels for ${count} rows.`);
  }
  const classSizes = new Map<number, number>();
  for (let i = 0; i < count; i++) classSizes.set(stratify[i], (classSizes.get(stratify[i]) ?? 0) + 1);
  // Walking the shuffled order, each class sends its first round(size·fraction) members to test.
  const testQuota = new Map<number, number>();
  for (const [label, size] of classSizes) testQuota.set(label, Math.round(size * testFraction));
  const test: number[] = [];
  const train: number[] = [];
  for (let k = 0; k < count; k++) {
    const index = order[k];
    const label = stratify[index];
    const quota = testQuota.get(label)!;
    if (quota > 0) {
      test.push(index);
      testQuota.set(label, quota - 1);
    } else {
      train.push(index);
    }
  }
  if (test.length === 0 || train.length === 0) {
    throw new ConfigError(
      `${where}: testFraction ${testFraction} leaves an empty ${test.length ? 'train' : 'test'} set.`,
    );
  }
  return { train: Int32Array.from(train), test: Int32Array.from(test) };
}

export function takeRows(features: Float32Array, numFeatures: number, indices: Int32Array): Float32Array {
  const rows = rowCount('takeRows', features, numFeatures);
  const out = new Float32Array(indices.length * numFeatures);
  for (let i = 0; i < indices.length; i++) {
    const row = indices[i];
    if (row < 0 || row >= rows)
      throw new ConfigError(`takeRows: index ${i} is ${row}, expected 0..${rows - 1}.`);
    const from = row * numFeatures;
    const to = i * numFeatures;
    for (let j = 0; j < numFeatures; j++) out[to + j] = features[from + j];
  }
  return out;
}

export function takeLabels(labels: Int32Array, indices: Int32Array): Int32Array {
  const out = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const row = indices[i];
    if (row < 0 || row >= labels.length) {
      throw new ConfigError(`takeLabels: index ${i} is ${row}, expected 0..${labels.length - 1}.`);
    }
    out[i] = labels[row];
  }
  return out;
}

/** Per-column mean and population standard deviation, accumulated in float64. */
export function fitStandardizer(features: Float32Array, numFeatures: number): Standardizer {
  const rows = rowCount('fitStandardizer', features, numFeatures);
  if (rows === 0) throw new ShapeError('fitStandardizer: no rows to fit.');
  const sum = new Float64Array(numFeatures);
  for (let r = 0; r < rows; r++) {
    const offset = r * numFeatures;
    for (let j = 0; j < numFeatures; j++) sum[j] += features[offset + j];
  }
  const squares = new Float64Array(numFeatures);
  for (let r = 0; r < rows; r++) {
    const offset = r * numFeatures;
    for (let j = 0; j < numFeatures; j++) {
      const deviation = features[offset + j] - sum[j] / rows;
      squares[j] += deviation * deviation;
    }
  }
  const mean = new Float32Array(numFeatures);
  const std = new Float32Array(numFeatures);
  for (let j = 0; j < numFeatures; j++) {
    mean[j] = sum[j] / rows;
    const deviation = Math.sqrt(squares[j] / rows);
    // A constant column (up to float32 rounding of its mean) would divide by ~0; leave it unscaled.
    std[j] = deviation > 1e-7 * Math.abs(mean[j]) ? deviation : 1;
  }
  return { mean, std };
}

export function applyStandardizer(
  features: Float32Array,
  numFeatures: number,
  stats: Standardizer,
): Float32Array {
  const rows = rowCount('applyStandardizer', features, numFeatures);
  if (stats.mean.length !== numFeatures || stats.std.length !== numFeatures) {
    throw new ShapeError(
      `applyStandardizer: statistics are for ${stats.mean.length} features, the data has ${numFeatures}.`,
    );
  }
  const out = new Float32Array(features.length);
  for (let r = 0; r < rows; r++) {
    const offset = r * numFeatures;
    for (let j = 0; j < numFeatures; j++)
      out[offset + j] = (features[offset + j] - stats.mean[j]) / stats.std[j];
  }
  return out;
}

/** Row-major labels.length × numClasses matrix with a single 1 per row. */
export function oneHotLabels(labels: Int32Array, numClasses: number): Float32Array {
  checkPositiveInt('oneHotLabels', 'numClasses', numClasses);
  const out = new Float32Array(labels.length * numClasses);
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i];
    if (label < 0 || label >= numClasses) {
      throw new DataError(`oneHotLabels: label at index ${i} is ${label}, expected 0..${numClasses - 1}.`);
    }
    out[i * numClasses + label] = 1;
  }
  return out;
}

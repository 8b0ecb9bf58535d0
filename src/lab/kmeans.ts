/**
 * K-means by batch and by stochastic updates — the lectures' example of the same cost
 * minimised by batch gradient descent and by SGD.
 *
 *   J(μ) = 1/N Σᵢ ‖xᵢ − μ_c(i)‖²,   c(i) = argminₖ ‖xᵢ − μₖ‖
 *
 *   batch (Lloyd):   assign every point, then μₖ ← mean of its points — a full step on J.
 *   online (SGD):    for one point x with nearest centre c,  μ_c ← μ_c + η (x − μ_c),
 *                    a stochastic gradient step on ½‖x − μ_c‖²; with η = 1/n_c (the number of
 *                    points c has taken so far) μ_c is the running mean of its points (MacQueen).
 */
import { ConfigError } from '../errors.js';
import { Rng } from '../tensor/random.js';

export interface KMeansData {
  points: Float64Array; // [N, 2]
  labels: Int32Array;
  trueCentres: number[][];
}

/** k Gaussian blobs in the plane, seeded. */
export function blobs(
  options: { k?: number; count?: number; spread?: number; seed?: number } = {},
): KMeansData {
  const { k = 4, count = 400, spread = 0.6, seed = 1 } = options;
  if (!Number.isInteger(k) || k < 1 || !Number.isInteger(count) || count < k) {
    throw new ConfigError(`blobs: need integers k ≥ 1 and count ≥ k, got k=${k}, count=${count}.`);
  }
  const rng = new Rng(seed);
  const trueCentres = Array.from({ length: k }, (_, j) => {
    const angle = (2 * Math.PI * j) / k;
    return [3 * Math.cos(angle), 3 * Math.sin(angle)];
  });
  const points = new Float64Array(count * 2);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const j = i % k;
    labels[i] = j;
    points[2 * i] = trueCentres[j][0] + spread * rng.normal();
    points[2 * i + 1] = trueCentres[j][1] + spread * rng.normal();
  }
  return { points, labels, trueCentres };
}

function nearest(points: Float64Array, i: number, centres: Float64Array, k: number): number {
  let best = 0;
  let bestD = Infinity;
  for (let c = 0; c < k; c++) {
    const dx = points[2 * i] - centres[2 * c];
    const dy = points[2 * i + 1] - centres[2 * c + 1];
    const d = dx * dx + dy * dy;
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best;
}

/** J(μ): the mean squared distance of each point to its nearest centre. */
export function kmeansCost(points: Float64Array, centres: Float64Array): number {
  const n = points.length / 2;
  const k = centres.length / 2;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const c = nearest(points, i, centres, k);
    total += (points[2 * i] - centres[2 * c]) ** 2 + (points[2 * i + 1] - centres[2 * c + 1]) ** 2;
  }
  return total / n;
}

export interface KMeansRun {
  name: string;
  /** Passes over the data (fractional for the online runs, sampled within a pass). */
  passes: number[];
  cost: number[];
  centres: number[][];
}

function initialCentres(points: Float64Array, k: number, rng: Rng): Float64Array {
  // k distinct data points, chosen with the seeded RNG (the same start for every method).
  const n = points.length / 2;
  const order = rng.permutation(n);
  const centres = new Float64Array(2 * k);
  for (let c = 0; c < k; c++) {
    centres[2 * c] = points[2 * order[c]];
    centres[2 * c + 1] = points[2 * order[c] + 1];
  }
  return centres;
}

function asPairs(centres: Float64Array): number[][] {
  return Array.from({ length: centres.length / 2 }, (_, c) => [centres[2 * c], centres[2 * c + 1]]);
}

/** Lloyd's batch algorithm for `passes` passes. */
export function kmeansBatch(data: KMeansData, k: number, passes: number, seed = 1): KMeansRun {
  const { points } = data;
  const n = points.length / 2;
  const centres = initialCentres(points, k, new Rng(seed));
  const run: KMeansRun = {
    name: 'batch (Lloyd)',
    passes: [0],
    cost: [kmeansCost(points, centres)],
    centres: [],
  };
  const sum = new Float64Array(2 * k);
  const count = new Int32Array(k);
  for (let p = 1; p <= passes; p++) {
    sum.fill(0);
    count.fill(0);
    for (let i = 0; i < n; i++) {
      const c = nearest(points, i, centres, k);
      sum[2 * c] += points[2 * i];
      sum[2 * c + 1] += points[2 * i + 1];
      count[c]++;
    }
    for (let c = 0; c < k; c++) {
      if (count[c] === 0) continue; // an empty cluster keeps its centre
      centres[2 * c] = sum[2 * c] / count[c];
      centres[2 * c + 1] = sum[2 * c + 1] / count[c];
    }
    run.passes.push(p);
    run.cost.push(kmeansCost(points, centres));
  }
  run.centres = asPairs(centres);
  return run;
}

/**
 * Online K-means (SGD): one point at a time in a reshuffled order each pass. `lr` 'running-mean'
 * uses η = 1/n_c; a number is a constant η. The cost is sampled `samplesPerPass` times a pass.
 */
export function kmeansOnline(
  data: KMeansData,
  k: number,
  passes: number,
  options: { lr?: number | 'running-mean'; seed?: number; samplesPerPass?: number } = {},
): KMeansRun {
  const { lr = 'running-mean', seed = 1, samplesPerPass = 10 } = options;
  if (typeof lr === 'number' && !(lr > 0 && lr <= 1))
    throw new ConfigError(`kmeansOnline: lr must be in (0, 1], got ${lr}.`);
  const { points } = data;
  const n = points.length / 2;
  const rng = new Rng(seed);
  const centres = initialCentres(points, k, rng);
  const taken = new Int32Array(k).fill(1);
  const name = lr === 'running-mean' ? 'online SGD, η = 1/nₖ' : `online SGD, η = ${lr}`;
  const run: KMeansRun = { name, passes: [0], cost: [kmeansCost(points, centres)], centres: [] };
  const every = Math.max(1, Math.floor(n / samplesPerPass));
  for (let p = 0; p < passes; p++) {
    const order = rng.permutation(n);
    for (let t = 0; t < n; t++) {
      const i = order[t];
      const c = nearest(points, i, centres, k);
      const eta = lr === 'running-mean' ? 1 / ++taken[c] : lr;
      centres[2 * c] += eta * (points[2 * i] - centres[2 * c]);
      centres[2 * c + 1] += eta * (points[2 * i + 1] - centres[2 * c + 1]);
      if ((t + 1) % every === 0 || t === n - 1) {
        run.passes.push(p + (t + 1) / n);
        run.cost.push(kmeansCost(points, centres));
      }
    }
  }
  run.centres = asPairs(centres);
  return run;
}

export interface KMeansStudy {
  data: KMeansData;
  k: number;
  runs: KMeansRun[];
}

/** Batch vs online K-means on the same blobs and the same starting centres. */
export function kmeansStudy(
  options: { k?: number; count?: number; passes?: number; seed?: number } = {},
): KMeansStudy {
  const { k = 4, count = 400, passes = 10, seed = 1 } = options;
  const data = blobs({ k, count, seed });
  return {
    data,
    k,
    runs: [
      kmeansBatch(data, k, passes, seed),
      kmeansOnline(data, k, passes, { seed, lr: 'running-mean' }),
      kmeansOnline(data, k, passes, { seed, lr: 0.05 }),
    ],
  };
}

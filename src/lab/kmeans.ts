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
 *   mini-batch:      the same step for a random batch of b points at a time (Sculley, 2010).
 *
 * J has local minima, so each also depends on where it starts: `kmeansSeedSpread` runs all
 * three from many random starts.
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

/**
 * Mini-batch K-means (Sculley, 2010): each iteration takes b points drawn at random, finds
 * their nearest centres with the centres as they stand, then moves each centre towards each
 * of its points with the per-centre rate η = 1/nₖ (nₖ: points that centre has taken so far) —
 * a stochastic gradient step on J averaged over a small batch, between the batch and the
 * online algorithm. The cost is sampled `samplesPerPass` times a pass (a pass: N/b iterations).
 */
export function kmeansMiniBatch(
  data: KMeansData,
  k: number,
  passes: number,
  options: { batchSize?: number; seed?: number; samplesPerPass?: number } = {},
): KMeansRun {
  const { batchSize = 20, seed = 1, samplesPerPass = 10 } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new ConfigError(`kmeansMiniBatch: batchSize must be a positive integer, got ${batchSize}.`);
  const { points } = data;
  const n = points.length / 2;
  const rng = new Rng(seed);
  const centres = initialCentres(points, k, rng);
  // The starting point counts as one point taken, as in the online version (else η = 1 first).
  const taken = new Int32Array(k).fill(1);
  const run: KMeansRun = {
    name: `mini-batch (b = ${batchSize})`,
    passes: [0],
    cost: [kmeansCost(points, centres)],
    centres: [],
  };
  const perPass = Math.max(1, Math.round(n / batchSize));
  const every = Math.max(1, Math.floor(perPass / samplesPerPass));
  const batch = new Int32Array(batchSize);
  const assigned = new Int32Array(batchSize);
  for (let it = 1; it <= passes * perPass; it++) {
    for (let j = 0; j < batchSize; j++) {
      batch[j] = rng.int(n);
      assigned[j] = nearest(points, batch[j], centres, k);
    }
    for (let j = 0; j < batchSize; j++) {
      const c = assigned[j];
      const eta = 1 / ++taken[c];
      centres[2 * c] += eta * (points[2 * batch[j]] - centres[2 * c]);
      centres[2 * c + 1] += eta * (points[2 * batch[j] + 1] - centres[2 * c + 1]);
    }
    if (it % every === 0 || it === passes * perPass) {
      run.passes.push(it / perPass);
      run.cost.push(kmeansCost(points, centres));
    }
  }
  run.centres = asPairs(centres);
  return run;
}

/** The method names of the seed spread, in the order of `KMeansSpread.methods`. */
export const kmeansMethods = ['batch', 'online', 'minibatch'] as const;

export interface KMeansSpread {
  seeds: number[];
  methods: Array<{
    method: (typeof kmeansMethods)[number];
    name: string;
    /** J after the last pass, per seed. */
    final: number[];
    /** The cost at each of `passes` (shared by the methods), per seed, and its min/mean/max over seeds. */
    curves: number[][];
    min: number[];
    mean: number[];
    max: number[];
  }>;
  /** Where the curves are sampled: every pass for all three methods. */
  passes: number[];
  /** J at the true centres, for reference. */
  atTrueCentres: number;
}

/**
 * Run-to-run spread: the same data, a different random start (k data points) per seed, for
 * the batch, online and mini-batch algorithms. K-means has local minima — two centres sharing
 * a blob while another blob has none — and which one a run finds depends on its start.
 */
export function kmeansSeedSpread(
  data: KMeansData,
  k: number,
  passes: number,
  seeds: readonly number[],
  options: { batchSize?: number } = {},
): KMeansSpread {
  const grid = Array.from({ length: passes + 1 }, (_, p) => p);
  const at = (run: KMeansRun) =>
    grid.map((p) => {
      // The last sample at or before pass p (every method samples at the whole passes).
      let best = 0;
      for (let i = 0; i < run.passes.length; i++) if (run.passes[i] <= p + 1e-9) best = i;
      return run.cost[best];
    });
  const runsOf = (method: (typeof kmeansMethods)[number], seed: number) =>
    method === 'batch'
      ? kmeansBatch(data, k, passes, seed)
      : method === 'online'
        ? kmeansOnline(data, k, passes, { seed, lr: 'running-mean' })
        : kmeansMiniBatch(data, k, passes, { seed, batchSize: options.batchSize });
  const methods = kmeansMethods.map((method) => {
    const runs = seeds.map((seed) => runsOf(method, seed));
    const curves = runs.map(at);
    return {
      method,
      name: runs[0].name,
      final: runs.map((r) => r.cost[r.cost.length - 1]),
      curves,
      min: grid.map((_, i) => Math.min(...curves.map((c) => c[i]))),
      mean: grid.map((_, i) => curves.reduce((s, c) => s + c[i], 0) / curves.length),
      max: grid.map((_, i) => Math.max(...curves.map((c) => c[i]))),
    };
  });
  return {
    seeds: [...seeds],
    methods,
    passes: grid,
    atTrueCentres: kmeansCost(data.points, Float64Array.from(data.trueCentres.flat())),
  };
}

export interface KMeansStudy {
  data: KMeansData;
  k: number;
  /** Batch, online (η = 1/nₖ), online (constant η) and mini-batch, from the same start. */
  runs: KMeansRun[];
  /** The spread over seeds (absent when no seeds were asked for). */
  spread?: KMeansSpread;
}

/** Batch, online and mini-batch K-means on the same blobs and the same starting centres. */
export function kmeansStudy(
  options: {
    k?: number;
    count?: number;
    passes?: number;
    seed?: number;
    seeds?: number;
    batchSize?: number;
  } = {},
): KMeansStudy {
  const { k = 4, count = 400, passes = 10, seed = 1, seeds = 20, batchSize = 20 } = options;
  const data = blobs({ k, count, seed });
  return {
    data,
    k,
    runs: [
      kmeansBatch(data, k, passes, seed),
      kmeansOnline(data, k, passes, { seed, lr: 'running-mean' }),
      kmeansOnline(data, k, passes, { seed, lr: 0.05 }),
      kmeansMiniBatch(data, k, passes, { seed, batchSize }),
    ],
    ...(seeds > 0
      ? {
          spread: kmeansSeedSpread(
            data,
            k,
            passes,
            Array.from({ length: seeds }, (_, i) => seed * 1000 + i),
            { batchSize },
          ),
        }
      : {}),
  };
}

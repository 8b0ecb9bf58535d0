/**
 * Small two-dimensional toy problems for watching a network learn. Every generator draws from
 * the given Rng (the global one by default), so a seed reproduces the data exactly. Points come
 * ordered (by corner, arm or class), so shuffle before slicing off a test set.
 */
import { checkNonNegative, checkPositive, checkPositiveInt, ConfigError } from '../errors.js';
import { rng as globalRng, type Rng } from '../tensor/random.js';
import type { LabelledTable } from './csv.js';

export interface SyntheticOptions {
  count?: number;
  /** Standard deviation of Gaussian noise added to every coordinate (or target). */
  noise?: number;
  rng?: Rng;
}

export interface RegressionTable {
  features: Float32Array;
  numFeatures: number;
  targets: Float32Array;
  count: number;
}

function settle(where: string, options: SyntheticOptions, defaultCount: number, defaultNoise: number) {
  return {
    count: checkPositiveInt(where, 'count', options.count ?? defaultCount),
    noise: checkNonNegative(where, 'noise', options.noise ?? defaultNoise),
    random: options.rng ?? globalRng(),
  };
}

/** Stores point i, adding noise only when asked so that noise 0 leaves the Rng untouched. */
function putPoint(features: Float32Array, i: number, x: number, y: number, noise: number, random: Rng): void {
  features[2 * i] = noise > 0 ? x + noise * random.normal() : x;
  features[2 * i + 1] = noise > 0 ? y + noise * random.normal() : y;
}

/** n evenly spaced values from `start` to `stop` (numpy linspace, with or without the end point). */
function linspaceAt(i: number, n: number, start: number, stop: number, endpoint: boolean): number {
  const steps = endpoint ? n - 1 : n;
  return steps > 0 ? start + ((stop - start) * i) / steps : start;
}

/**
 * The four XOR points (0,0)→0, (0,1)→1, (1,0)→1, (1,1)→0. A count above 4 cycles through the
 * corners with noise (default 0.1) so there is something to generalise over; below 4 it is ignored.
 */
export function xor(options: SyntheticOptions = {}): LabelledTable {
  const requested = checkPositiveInt('xor', 'count', options.count ?? 4);
  const { count, noise, random } = settle(
    'xor',
    { ...options, count: Math.max(requested, 4) },
    4,
    requested > 4 ? 0.1 : 0,
  );
  const features = new Float32Array(count * 2);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const a = (i >> 1) & 1;
    const b = i & 1;
    putPoint(features, i, a, b, noise, random);
    labels[i] = a ^ b;
  }
  return { features, numFeatures: 2, labels, numClasses: 2, count };
}

/**
 * Two interleaved spirals (Lang & Witbrock), radius growing from 0 to 1 over `turns` turns;
 * the second spiral is the first rotated by half a turn. Points alternate between the classes.
 */
export function twoSpirals(options: SyntheticOptions & { turns?: number } = {}): LabelledTable {
  const { count, noise, random } = settle('twoSpirals', options, 400, 0);
  const turns = checkPositive('twoSpirals', 'turns', options.turns ?? 1.75);
  const perArm = Math.ceil(count / 2);
  const features = new Float32Array(count * 2);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const label = i & 1;
    const t = ((i >> 1) + 1) / perArm; // start just off the centre, where the arms would coincide
    const angle = 2 * Math.PI * turns * t;
    const sign = label === 0 ? 1 : -1;
    putPoint(features, i, sign * t * Math.cos(angle), sign * t * Math.sin(angle), noise, random);
    labels[i] = label;
  }
  return { features, numFeatures: 2, labels, numClasses: 2, count };
}

/** Two interleaving half circles, as scikit-learn's make_moons (unshuffled): outer arc class 0, inner 1. */
export function moons(options: SyntheticOptions = {}): LabelledTable {
  const { count, noise, random } = settle('moons', options, 200, 0);
  const outer = count >> 1;
  const inner = count - outer;
  const features = new Float32Array(count * 2);
  const labels = new Int32Array(count);
  for (let i = 0; i < outer; i++) {
    const angle = linspaceAt(i, outer, 0, Math.PI, true);
    putPoint(features, i, Math.cos(angle), Math.sin(angle), noise, random);
  }
  for (let i = 0; i < inner; i++) {
    const angle = linspaceAt(i, inner, 0, Math.PI, true);
    putPoint(features, outer + i, 1 - Math.cos(angle), 0.5 - Math.sin(angle), noise, random);
    labels[outer + i] = 1;
  }
  return { features, numFeatures: 2, labels, numClasses: 2, count };
}

/** A unit circle (class 0) around a smaller one of radius `factor` (class 1), as make_circles. */
export function circles(options: SyntheticOptions & { factor?: number } = {}): LabelledTable {
  const { count, noise, random } = settle('circles', options, 200, 0);
  const factor = options.factor ?? 0.5;
  if (!(factor >= 0 && factor < 1))
    throw new ConfigError(`circles: factor must be in [0, 1), got ${factor}.`);
  const outer = count >> 1;
  const inner = count - outer;
  const features = new Float32Array(count * 2);
  const labels = new Int32Array(count);
  for (let i = 0; i < outer; i++) {
    const angle = linspaceAt(i, outer, 0, 2 * Math.PI, false);
    putPoint(features, i, Math.cos(angle), Math.sin(angle), noise, random);
  }
  for (let i = 0; i < inner; i++) {
    const angle = linspaceAt(i, inner, 0, 2 * Math.PI, false);
    putPoint(features, outer + i, factor * Math.cos(angle), factor * Math.sin(angle), noise, random);
    labels[outer + i] = 1;
  }
  return { features, numFeatures: 2, labels, numClasses: 2, count };
}

/** Regression: x uniform in [−π, π), target sin(x) + noise·N(0, 1) with noise 0.1 by default. */
export function noisySine(options: SyntheticOptions = {}): RegressionTable {
  const { count, noise, random } = settle('noisySine', options, 200, 0.1);
  const features = new Float32Array(count);
  const targets = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const x = random.uniformIn(-Math.PI, Math.PI);
    features[i] = x;
    targets[i] = noise > 0 ? Math.sin(x) + noise * random.normal() : Math.sin(x);
  }
  return { features, numFeatures: 1, targets, count };
}

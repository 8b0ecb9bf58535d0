/** Small helpers shared by the optimisers: hyper-parameter checks, per-parameter masks, copies. */
import { ConfigError } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';
import { fuse, type Expr } from '../ops/fused.js';

/** `lo ≤ value < hi` (or with the ends as given), else a ConfigError in PyTorch's words. */
export function checkInRange(
  where: string,
  name: string,
  value: number,
  lo: number,
  hi: number,
  ends: { lo?: 'closed' | 'open'; hi?: 'closed' | 'open' } = {},
): number {
  const loClosed = (ends.lo ?? 'closed') === 'closed';
  const hiClosed = (ends.hi ?? 'open') === 'closed';
  const ok =
    typeof value === 'number' &&
    !Number.isNaN(value) &&
    (loClosed ? value >= lo : value > lo) &&
    (hiClosed ? value <= hi : value < hi);
  if (!ok) {
    const interval = `${loClosed ? '[' : '('}${lo}, ${hi}${hiClosed ? ']' : ')'}`;
    throw new ConfigError(`${where}: ${name} must be in ${interval}, got ${String(value)}.`);
  }
  return value;
}

export function checkNonNegativeNumber(where: string, name: string, value: number): number {
  if (!(typeof value === 'number' && Number.isFinite(value) && value >= 0)) {
    throw new ConfigError(`${where}: ${name} must be a non-negative number, got ${String(value)}.`);
  }
  return value;
}

export function checkPositiveNumber(where: string, name: string, value: number): number {
  if (!(typeof value === 'number' && Number.isFinite(value) && value > 0)) {
    throw new ConfigError(`${where}: ${name} must be a positive number, got ${String(value)}.`);
  }
  return value;
}

export function checkPositiveInteger(where: string, name: string, value: number): number {
  if (!(Number.isInteger(value) && value > 0)) {
    throw new ConfigError(`${where}: ${name} must be a positive integer, got ${String(value)}.`);
  }
  return value;
}

export function checkBoolean(where: string, name: string, value: unknown): boolean {
  if (typeof value !== 'boolean')
    throw new ConfigError(`${where}: ${name} must be true or false, got ${String(value)}.`);
  return value;
}

/**
 * Throws when `options` holds a key the optimiser does not take (a misspelt
 * hyper-parameter must not be ignored silently, as torch raises on unexpected keywords).
 * Keys whose value is undefined are treated as absent.
 */
export function checkOptionKeys(where: string, options: object, allowed: readonly string[]): void {
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined && !allowed.includes(key)) {
      throw new ConfigError(`${where}: unknown option '${key}'. Valid options: ${allowed.join(', ')}.`);
    }
  }
}

/**
 * Whether a parameter is a bias: its name ends in '.bias' (as layers name them,
 * 'dense_1.bias'), or, unnamed or otherwise, it has rank ≤ 1. The lectures' penalties
 * leave biases out (the j ≠ 0 in D = Δ/m + λΘ).
 */
export function isBias(p: Tensor): boolean {
  if (p.name !== undefined && p.name.endsWith('.bias')) return true;
  return p.rank <= 1;
}

/** Which parameters a transform applies to: all, all but biases, or a predicate. */
export type ParamMask = 'all' | 'no-bias' | ((p: Tensor, index: number) => boolean);

export function maskOf(where: string, mask: ParamMask): (p: Tensor, index: number) => boolean {
  if (mask === 'all') return () => true;
  if (mask === 'no-bias') return (p) => !isBias(p);
  if (typeof mask === 'function') return mask;
  throw new ConfigError(
    `${where}: mask must be 'all', 'no-bias' or a function (param, index) => boolean, got ${String(mask)}.`,
  );
}

/** A same-backend copy of `t` with no history (for gradients that later steps overwrite). */
export function copyTensor(t: Tensor): Tensor {
  const storage = t.backend.alloc(t.dtype, t.size);
  t.backend.cast(t.storage, t.dtype, storage, t.dtype, t.size);
  return new Tensor(storage, t.shape, t.dtype, t.backend);
}

/** The values of a tensor as float64 numbers (for the scalar logic of line searches and solvers). */
export function valuesOf(t: Tensor): Float64Array {
  return Float64Array.from(t.dataSync());
}

/**
 * A fused element-wise rule applied to each parameter: `lists` are per-parameter lists
 * (gradients, velocities, moments…), `body` the rule for one parameter's values, returning
 * its new values; the result is one list per returned value. One kernel pass per parameter.
 *
 *   const [m, v] = fusePerParameter([grads, state.m, state.v], (g, m, v) => [...]);
 */
export function fusePerParameter(
  lists: ReadonlyArray<readonly Tensor[]>,
  body: (...values: Expr[]) => Expr[],
): Tensor[][] {
  const results: Tensor[][] = [];
  lists[0].forEach((_, i) => {
    fuse(
      lists.map((l) => l[i]),
      body,
    ).forEach((t, j) => (results[j] ??= []).push(t));
  });
  return results;
}

// Shared by the optimiser tests: loading the PyTorch fixtures (test/fixtures/optim/, written
// by scripts/make-optim-fixtures.py) and measuring deviations.
import { readFileSync } from 'node:fs';
import type { DType } from '../../src/backend/contract.js';
import { fromArray } from '../../src/tensor/creation.js';
import { keep } from '../../src/tensor/scope.js';
import type { Tensor } from '../../src/tensor/tensor.js';

export function loadFixture<T>(name: string): T {
  return JSON.parse(
    readFileSync(new URL(`../../../test/fixtures/optim/${name}`, import.meta.url), 'utf8'),
  ) as T;
}

/** The tolerance of the acceptance criteria: 1e-6 relative in float64, 1e-5 in float32. */
export const TOLERANCE: Record<string, number> = { float64: 1e-6, float32: 1e-5 };

/**
 * The relative deviation of one tensor, normwise: max|a − e| / max|e| (the ∞-norm of the
 * error over the ∞-norm of the expected values). Element by element, a value passing
 * through zero would be judged by its last bits: in float32 a parameter of 0.05 next to
 * one of 1.3 carries an absolute rounding error of about ulp(1.3) ≈ 1e-7, which is 2e-6 of
 * 0.05 — and 1e-4 of 0.001.
 */
export function deviation(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} vs ${expected.length}`);
  let error = 0;
  let scale = 0;
  for (let i = 0; i < actual.length; i++) {
    const e = Math.abs(actual[i] - expected[i]);
    error = Math.max(error, Number.isNaN(e) ? Infinity : e);
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return scale === 0 ? error : error / scale;
}

/** The three fixture parameters, named as layers name theirs (rank 1 is the bias). */
export const PARAM_NAMES = ['dense_1.weight', 'dense_1.bias', 'conv_1.weight'];

export function makeParams(init: number[][], shapes: number[][], dtype: DType): Tensor[] {
  return init.map((values, i) => {
    const p = keep(fromArray(values, shapes[i], { dtype, requiresGrad: true }));
    p.name = PARAM_NAMES[i];
    return p;
  });
}

/** Sets each parameter's .grad to the given values (freeing the previous gradient). */
export function setGrads(params: readonly Tensor[], grads: number[][]): void {
  params.forEach((p, i) => {
    p.grad?.dispose();
    p.grad = keep(fromArray(grads[i], p.shape, { dtype: p.dtype }));
  });
}

/** Running maxima of deviations, by label, for the report printed at the end of a test file. */
export class DeviationReport {
  readonly rows = new Map<string, number>();
  add(label: string, value: number): void {
    this.rows.set(label, Math.max(this.rows.get(label) ?? 0, value));
  }
  lines(): string[] {
    return [...this.rows].map(([label, value]) => `${label.padEnd(48)} ${value.toExponential(2)}`);
  }
}

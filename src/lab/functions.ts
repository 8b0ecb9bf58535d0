/**
 * Two-dimensional test functions for watching optimisers: the lectures' pictures.
 *
 *   beale        f(x, y) = (1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²
 *                minimum f(3, 0.5) = 0; flat plateaus and steep walls, gradients spanning
 *                many orders of magnitude.
 *   rosenbrock   f(x, y) = (1 − x)² + 100 (y − x²)²
 *                the long curved valley; minimum f(1, 1) = 0. Finding the valley is easy,
 *                following it to the end is not.
 *   saddle       f(x, y) = x² − y²
 *                a saddle point at (0, 0), unbounded below along y. Started near the ridge
 *                y = 0, plain gradient descent lingers; momentum and adaptive steps escape.
 *   quadratic    f(x, y) = ½ (x² + κ y²),  κ = 20
 *                an ill-conditioned bowl (condition number κ): the step that is safe along y
 *                is tiny along x, so gradient descent zig-zags across the valley.
 *
 * Each function is written once, element-wise over tensors with descent's own ops, so the
 * same code gives a value with its gradient (by autograd) and a whole grid of values for a
 * contour plot. Everything here returns plain numbers and arrays.
 */
import { noGrad } from '../autograd/tape.js';
import { getBackend } from '../backend/registry.js';
import type { DType } from '../backend/contract.js';
import { unknownName } from '../errors.js';
import { add, mul, square, sub } from '../ops/arithmetic.js';
import { slice } from '../ops/shape.js';
import { fromArray } from '../tensor/creation.js';
import { tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';

export type Range = readonly [number, number];

export interface TestFunction {
  /** Registry name ('beale', …). */
  readonly name: string;
  /** Human title for figures. */
  readonly title: string;
  /** The formula in plain Unicode. */
  readonly formula: string;
  /** f element-wise: x and y broadcast together; gradients flow through descent's ops. */
  readonly f: (x: Tensor, y: Tensor) => Tensor;
  /** Global minima (none for the saddle, which is unbounded below). */
  readonly minima: ReadonlyArray<readonly [number, number]>;
  /** f at the minima (null when unbounded below). */
  readonly minValue: number | null;
  /** Stationary points that are not minima (the saddle's origin). */
  readonly saddles: ReadonlyArray<readonly [number, number]>;
  /** A plotting window that shows the interesting part. */
  readonly window: { readonly x: Range; readonly y: Range };
  /** A start point from which every optimiser has something to show. */
  readonly start: readonly [number, number];
  /** Default number of optimiser steps for a trajectory. */
  readonly steps: number;
  /** Contour levels are best spaced geometrically (values span orders of magnitude). */
  readonly logLevels: boolean;
}

const KAPPA = 20;

const beale: TestFunction = {
  name: 'beale',
  title: "Beale's function",
  formula: 'f(x, y) = (1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²',
  f: (x, y) => {
    const xy = mul(x, y);
    const xy2 = mul(xy, y);
    const xy3 = mul(xy2, y);
    return add(
      add(square(add(sub(1.5, x), xy)), square(add(sub(2.25, x), xy2))),
      square(add(sub(2.625, x), xy3)),
    );
  },
  minima: [[3, 0.5]],
  minValue: 0,
  saddles: [],
  window: { x: [-1, 4.5], y: [-2, 2.5] },
  start: [1, 1.5],
  steps: 500,
  logLevels: true,
};

const rosenbrock: TestFunction = {
  name: 'rosenbrock',
  title: 'Rosenbrock’s long valley',
  formula: 'f(x, y) = (1 − x)² + 100 (y − x²)²',
  f: (x, y) => add(square(sub(1, x)), mul(100, square(sub(y, square(x))))),
  minima: [[1, 1]],
  minValue: 0,
  saddles: [],
  window: { x: [-2, 2], y: [-1, 3] },
  start: [-1.5, 2],
  steps: 600,
  logLevels: true,
};

const saddle: TestFunction = {
  name: 'saddle',
  title: 'Saddle x² − y²',
  formula: 'f(x, y) = x² − y²',
  f: (x, y) => sub(square(x), square(y)),
  minima: [],
  minValue: null,
  saddles: [[0, 0]],
  window: { x: [-2, 2], y: [-2, 2] },
  start: [-1.8, 1e-3],
  steps: 100,
  logLevels: false,
};

const quadratic: TestFunction = {
  name: 'quadratic',
  title: `Ill-conditioned quadratic (κ = ${KAPPA})`,
  formula: `f(x, y) = ½ (x² + ${KAPPA} y²)`,
  f: (x, y) => mul(0.5, add(square(x), mul(KAPPA, square(y)))),
  minima: [[0, 0]],
  minValue: 0,
  saddles: [],
  window: { x: [-10, 10], y: [-5, 5] },
  start: [-9, 4],
  steps: 150,
  logLevels: false,
};

/** The test functions by name. */
export const testFunctions: Readonly<Record<string, TestFunction>> = { beale, rosenbrock, saddle, quadratic };

export const testFunctionNames = Object.keys(testFunctions);

export function getTestFunction(nameOrFn: string | TestFunction): TestFunction {
  if (typeof nameOrFn !== 'string') return nameOrFn;
  const fn = testFunctions[nameOrFn];
  if (!fn) unknownName('test function', nameOrFn, testFunctionNames);
  return fn;
}

/** float64 where the backend has it (exact enough for gradient checks), else float32. */
export function labDType(): DType {
  return getBackend().supports('float64') ? 'float64' : 'float32';
}

/** The objective θ ↦ f(θ₀, θ₁) over a parameter vector θ of shape [2], for the optimisers. */
export function asObjective(fn: TestFunction): (theta: Tensor) => Tensor {
  return (theta) => {
    const x = slice(theta, [0], [1]);
    const y = slice(theta, [1], [1]);
    return fn.f(x, y);
  };
}

/** f(x, y). */
export function evaluate(fn: string | TestFunction, x: number, y: number): number {
  const f = getTestFunction(fn);
  return tidy(() =>
    noGrad(
      () =>
        f
          .f(fromArray([x], [1], { dtype: labDType() }), fromArray([y], [1], { dtype: labDType() }))
          .dataSync()[0],
    ),
  );
}

/** f(x, y) and ∇f(x, y), the gradient by descent's autograd. */
export function valueAndGradient(
  fn: string | TestFunction,
  x: number,
  y: number,
): { value: number; gradient: [number, number] } {
  const f = getTestFunction(fn);
  return tidy(() => {
    const theta = fromArray([x, y], [2], { dtype: labDType(), requiresGrad: true });
    const value = asObjective(f)(theta);
    value.backward();
    const g = theta.grad!.dataSync();
    const result = { value: value.dataSync()[0], gradient: [g[0], g[1]] as [number, number] };
    theta.dispose();
    return result;
  });
}

export interface Grid {
  /** Sample x coordinates (cell centres), left to right. */
  xs: number[];
  /** Sample y coordinates (cell centres), bottom to top. */
  ys: number[];
  /** values[j * xs.length + i] = f(xs[i], ys[j]): row-major, row 0 at the bottom (y = ys[0]). */
  values: Float64Array;
  min: number;
  max: number;
}

/**
 * f on an nx × ny grid of cell centres over the window (the sampling a contour plot wants):
 * x_i = x₀ + (i + ½)·Δx, y_j = y₀ + (j + ½)·Δy. One tensor evaluation for the whole grid.
 */
export function evaluateGrid(
  fn: string | TestFunction,
  options: { nx?: number; ny?: number; window?: { x: Range; y: Range } } = {},
): Grid {
  const f = getTestFunction(fn);
  const nx = options.nx ?? 121;
  const ny = options.ny ?? 121;
  const window = options.window ?? f.window;
  const xs = Array.from(
    { length: nx },
    (_, i) => window.x[0] + ((i + 0.5) * (window.x[1] - window.x[0])) / nx,
  );
  const ys = Array.from(
    { length: ny },
    (_, j) => window.y[0] + ((j + 0.5) * (window.y[1] - window.y[0])) / ny,
  );
  const raw = tidy(() =>
    noGrad(() => {
      const dtype = labDType();
      const x = fromArray(xs, [1, nx], { dtype });
      const y = fromArray(ys, [ny, 1], { dtype });
      return f.f(x, y).dataSync();
    }),
  );
  const values = Float64Array.from(raw);
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { xs, ys, values, min, max };
}

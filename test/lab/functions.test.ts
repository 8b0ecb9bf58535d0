// The lab's 2-D test functions: gradients by autograd against central differences, minima
// that are minima, the saddle that is a saddle, and the grid that contour plots draw.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/autograd/index.js';
import {
  evaluate,
  evaluateGrid,
  getTestFunction,
  testFunctionNames,
  valueAndGradient,
} from '../../src/lab/functions.js';

const POINTS: Array<[number, number]> = [
  [0.5, -0.3],
  [-1.2, 1.1],
  [2, 0.25],
  [1.3, 1.7],
  [-0.4, -1.5],
];

test('test functions: autograd gradients match central differences at several points', () => {
  const h = 1e-6;
  for (const name of testFunctionNames) {
    for (const [x, y] of POINTS) {
      const { value, gradient } = valueAndGradient(name, x, y);
      assert.ok(
        Math.abs(value - evaluate(name, x, y)) <= 1e-12 * Math.max(1, Math.abs(value)),
        `${name}: value`,
      );
      const gx = (evaluate(name, x + h, y) - evaluate(name, x - h, y)) / (2 * h);
      const gy = (evaluate(name, x, y + h) - evaluate(name, x, y - h)) / (2 * h);
      const tol = (g: number) => 1e-5 * Math.max(1, Math.abs(g));
      assert.ok(
        Math.abs(gradient[0] - gx) < tol(gx),
        `${name} ∂f/∂x at (${x}, ${y}): ${gradient[0]} vs ${gx}`,
      );
      assert.ok(
        Math.abs(gradient[1] - gy) < tol(gy),
        `${name} ∂f/∂y at (${x}, ${y}): ${gradient[1]} vs ${gy}`,
      );
    }
  }
});

test('test functions: Beale and Rosenbrock by hand at one point', () => {
  // Beale at (1, 1.5): a = 2, b = 3.5, c = 5: f = 4 + 12.25 + 25 = 41.25.
  assert.equal(evaluate('beale', 1, 1.5), 41.25);
  // Rosenbrock at (0, 0): f = 1, ∇f = (−2, 0).
  const r = valueAndGradient('rosenbrock', 0, 0);
  assert.equal(r.value, 1);
  assert.deepEqual(r.gradient, [-2, 0]);
});

test('test functions: the minima are stationary, have the stated value and are lower than their neighbourhood', () => {
  for (const name of testFunctionNames) {
    const fn = getTestFunction(name);
    for (const [mx, my] of fn.minima) {
      const { value, gradient } = valueAndGradient(fn, mx, my);
      assert.ok(Math.abs(value - fn.minValue!) < 1e-12, `${name}: f at the minimum is ${value}`);
      assert.ok(Math.hypot(...gradient) < 1e-9, `${name}: gradient at the minimum is ${gradient}`);
      for (let k = 0; k < 16; k++) {
        const a = (2 * Math.PI * k) / 16;
        for (const r of [1e-3, 0.05, 0.3]) {
          assert.ok(
            evaluate(fn, mx + r * Math.cos(a), my + r * Math.sin(a)) > value,
            `${name}: a neighbour at radius ${r} is lower`,
          );
        }
      }
      // The window shows the minimum and the start point.
      assert.ok(mx > fn.window.x[0] && mx < fn.window.x[1] && my > fn.window.y[0] && my < fn.window.y[1]);
    }
    assert.ok(
      fn.start[0] > fn.window.x[0] &&
        fn.start[0] < fn.window.x[1] &&
        fn.start[1] > fn.window.y[0] &&
        fn.start[1] < fn.window.y[1],
    );
  }
});

test('test functions: the saddle is stationary, rising along x and falling along y', () => {
  const fn = getTestFunction('saddle');
  assert.equal(fn.minValue, null);
  assert.equal(fn.minima.length, 0);
  const [[sx, sy]] = fn.saddles;
  assert.deepEqual(valueAndGradient(fn, sx, sy).gradient.map(Math.abs), [0, 0]);
  assert.ok(evaluate(fn, 0.1, 0) > 0 && evaluate(fn, -0.1, 0) > 0);
  assert.ok(evaluate(fn, 0, 0.1) < 0 && evaluate(fn, 0, -0.1) < 0);
});

test('evaluateGrid: cell-centre samples, row 0 at the bottom, the same values as evaluate', () => {
  const fn = getTestFunction('rosenbrock');
  const g = evaluateGrid(fn, { nx: 8, ny: 6 });
  assert.equal(g.xs.length, 8);
  assert.equal(g.ys.length, 6);
  assert.equal(g.values.length, 48);
  const dx = (fn.window.x[1] - fn.window.x[0]) / 8;
  assert.ok(Math.abs(g.xs[0] - (fn.window.x[0] + dx / 2)) < 1e-12);
  assert.ok(g.ys[0] < g.ys[5]);
  for (const [i, j] of [
    [0, 0],
    [7, 0],
    [3, 5],
    [5, 2],
  ]) {
    assert.ok(Math.abs(g.values[j * 8 + i] - evaluate(fn, g.xs[i], g.ys[j])) < 1e-9);
  }
  assert.equal(g.min, Math.min(...g.values));
  assert.equal(g.max, Math.max(...g.values));
});

test('getTestFunction names the valid functions when given an unknown one', () => {
  assert.throws(() => getTestFunction('himmelblau'), /beale.*rosenbrock.*saddle.*quadratic/);
});

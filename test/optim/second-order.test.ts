// Second-order methods and closures: Newton in one step on a quadratic and by hand on a
// quartic, L-BFGS on Rosenbrock's valley, Optimizer.step(closure), and the cost report.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/autograd/index.js';
import { add, mul, square, sub } from '../../src/ops/arithmetic.js';
import { matmul } from '../../src/ops/matmul.js';
import { sum } from '../../src/ops/reduce.js';
import { concat, reshape, slice } from '../../src/ops/shape.js';
import { fromArray } from '../../src/tensor/creation.js';
import { memory, tidy } from '../../src/tensor/scope.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { ConfigError } from '../../src/errors.js';
import {
  getOptimizer,
  lbfgs,
  newton,
  Optimizer,
  secondOrderCost,
  sgd,
  solveLinear,
  type GradientTransformation,
  type OptState,
} from '../../src/optim/index.js';

function param(values: number[], shape: number[], name: string): Tensor {
  const p = fromArray(values, shape, { dtype: 'float64', requiresGrad: true });
  p.name = name;
  return p;
}

function minimise(
  transform: GradientTransformation<OptState>,
  params: Tensor[],
  f: (ps: Tensor[]) => Tensor,
  steps: number,
): Optimizer {
  const optimizer = new Optimizer(transform, params);
  const closure = () => {
    optimizer.zeroGrad();
    const loss = f(params);
    loss.backward();
    return loss;
  };
  for (let k = 0; k < steps; k++) optimizer.step(closure);
  return optimizer;
}

// C(z) = ½ zᵀAz − bᵀz over z = (x ∈ ℝ³, y ∈ ℝ²), A symmetric positive definite and far from
// diagonal (eigenvalues 0.40 … 12.5, condition number ≈ 31), b = A z* so that the minimum is z* = (1, −2, 0.5, 3, −1).
const A = [
  [10, 2, -1, 3, 0],
  [2, 8, 1, 0, 2],
  [-1, 1, 5, 1, -1],
  [3, 0, 1, 6, 1],
  [0, 2, -1, 1, 2],
];
const Z_STAR = [1, -2, 0.5, 3, -1];
const B = A.map((row) => row.reduce((s, a, j) => s + a * Z_STAR[j], 0));

function quadratic(params: Tensor[]): Tensor {
  const z = reshape(
    concat(
      params.map((p) => reshape(p, [p.size])),
      0,
    ),
    [5, 1],
  );
  const a = fromArray(A.flat(), [5, 5], { dtype: 'float64' });
  const b = fromArray(B, [5, 1], { dtype: 'float64' });
  return sub(mul(sum(mul(z, matmul(a, z))), 0.5), sum(mul(b, z)));
}

test('newton: one step to the minimum of an ill-conditioned quadratic (Hessian by finite differences of gradients)', () => {
  const before = memory().numTensors;
  const params = [param([0, 0, 0], [3], 'x.weight'), param([0, 0], [1, 2], 'y.weight')];
  const optimizer = minimise(newton(), params, quadratic, 1);
  const z = params.flatMap((p) => Array.from(p.dataSync()));
  z.forEach((v, i) => assert.ok(Math.abs(v - Z_STAR[i]) < 1e-8, `z[${i}] = ${v}, expected ${Z_STAR[i]}`));
  assert.equal(
    optimizer.lastEvaluations,
    2 * 5 + 1,
    '2n gradient evaluations for the Hessian, plus the step’s own',
  );
  // Gradient descent with the best fixed rate is nowhere near after one step.
  const gd = [param([0, 0, 0], [3], 'x.weight'), param([0, 0], [1, 2], 'y.weight')];
  const gdOptimizer = minimise(sgd({ lr: 0.05 }), gd, quadratic, 1);
  const gdError = Math.max(
    ...gd.flatMap((p) => Array.from(p.dataSync())).map((v, i) => Math.abs(v - Z_STAR[i])),
  );
  assert.ok(gdError > 0.5);
  for (const o of [optimizer, gdOptimizer]) o.dispose();
  for (const p of [...params, ...gd]) p.dispose();
  assert.equal(memory().numTensors, before);
});

test('newton: steps on a quartic match the hand-computed w ← w − C′(w)/C″(w)', () => {
  // C(w) = w⁴/4 − w: C′ = w³ − 1, C″ = 3w². From w = 2: 2 − 7/12, then again from there.
  const w = param([2], [1], 'w');
  const f = (ps: Tensor[]) => sub(mul(sum(square(square(ps[0]))), 0.25), sum(ps[0]));
  const optimizer = new Optimizer(newton(), [w]);
  const closure = () => {
    optimizer.zeroGrad();
    const loss = f([w]);
    loss.backward();
    return loss;
  };
  let expected = 2;
  for (let k = 0; k < 5; k++) {
    optimizer.step(closure);
    expected = expected - (expected ** 3 - 1) / (3 * expected ** 2);
    // float64 central differences: h ≈ 6e-6·|w|, error O(h²) on C‴ = 6w.
    assert.ok(
      Math.abs(w.dataSync()[0] - expected) < 1e-9,
      `step ${k + 1}: ${w.dataSync()[0]} vs ${expected}`,
    );
  }
  assert.ok(Math.abs(expected - 1) < 1e-6, 'quadratic convergence to w = 1');
  optimizer.dispose();
  w.dispose();
});

test('newton: jumps straight to the saddle of x² − y² (it solves ∇C = 0), and damping must be asked for', () => {
  const p = param([0.5, 0.01], [2], 'p');
  const f = (ps: Tensor[]) => sub(square(slice(ps[0], [0], [1])), square(slice(ps[0], [1], [1])));
  const o = minimise(newton(), [p], (ps) => sum(f(ps)), 1);
  assert.ok(
    Array.from(p.dataSync()).every((v) => Math.abs(v) < 1e-9),
    `at the saddle: ${Array.from(p.dataSync())}`,
  );
  o.dispose();
  p.dispose();
  // A singular Hessian is reported with the remedy.
  const q = param([1, 1], [2], 'q');
  const flat = (ps: Tensor[]) => square(sum(ps[0])); // (q₀ + q₁)²: rank-1 Hessian
  assert.throws(() => minimise(newton(), [q], flat, 1), /Hessian is singular.*add damping/);
  const damped = minimise(newton({ damping: 1e-3 }), [q], flat, 3);
  assert.ok(Math.abs(q.dataSync()[0] + q.dataSync()[1]) < 1e-3);
  damped.dispose();
  q.dispose();
});

test('newton: needs a closure, refuses large problems, and solveLinear pivots', () => {
  const w = param([1, 2], [2], 'w');
  const optimizer = new Optimizer(newton(), [w]);
  assert.throws(
    () => optimizer.step(),
    (e: unknown) => e instanceof ConfigError && /pass a closure/.test(e.message),
  );
  optimizer.dispose();
  const big = param(new Array(3000).fill(0), [3000], 'big');
  assert.throws(() => new Optimizer(newton(), [big]), /3000 parameters means a 3000×3000 Hessian/);
  big.dispose();
  w.dispose();
  // A zero leading pivot needs a row swap.
  const x = solveLinear([Float64Array.from([0, 1]), Float64Array.from([1, 0])], Float64Array.from([2, 3]));
  assert.deepEqual(Array.from(x), [3, 2]);
});

/** The 2-D Rosenbrock function (1 − x)² + 100(y − x²)². */
function rosenbrock(ps: Tensor[]): Tensor {
  const x = slice(ps[0], [0], [1]);
  const y = slice(ps[0], [1], [1]);
  return sum(add(square(sub(1, x)), mul(square(sub(y, square(x))), 100)));
}

test('lbfgs: minimises Rosenbrock from (−1.2, 1) with the strong-Wolfe line search', () => {
  const before = memory().numTensors;
  const p = param([-1.2, 1], [2], 'p');
  const optimizer = minimise(
    lbfgs({ lineSearch: 'strongWolfe', maxIter: 100, historySize: 10 }),
    [p],
    rosenbrock,
    5,
  );
  const [x, y] = p.dataSync();
  assert.ok(Math.abs(x - 1) < 1e-5 && Math.abs(y - 1) < 1e-5, `ended at (${x}, ${y})`);
  // Gradient descent gets nowhere near in the same number of gradient evaluations.
  const q = param([-1.2, 1], [2], 'q');
  const gd = minimise(sgd({ lr: 1e-3 }), [q], rosenbrock, 100);
  assert.ok(Math.abs(q.dataSync()[0] - 1) > 0.1);
  gd.dispose();
  q.dispose();
  optimizer.dispose();
  p.dispose();
  assert.equal(memory().numTensors, before);
});

test('lbfgs: without a closure, one fixed-length iteration per step, in an ordinary training loop', () => {
  const before = memory().numTensors;
  const params = [param([0, 0, 0], [3], 'x.weight'), param([0, 0], [1, 2], 'y.weight')];
  const optimizer = new Optimizer(getOptimizer('lbfgs'), params);
  for (let k = 0; k < 60; k++) {
    tidy(() => {
      optimizer.zeroGrad();
      quadratic(params).backward();
    });
    optimizer.step();
  }
  const z = params.flatMap((p) => Array.from(p.dataSync()));
  assert.ok(
    z.every((v, i) => Math.abs(v - Z_STAR[i]) < 1e-3),
    `ended at ${z}`,
  );
  // The line search is another matter.
  const o = new Optimizer(lbfgs({ lineSearch: 'strongWolfe' }), params);
  assert.throws(() => o.step(), /pass a closure/);
  for (const x of [optimizer, o]) x.dispose();
  params.forEach((p) => p.dispose());
  assert.equal(memory().numTensors, before);
});

test('Optimizer.step(closure): returns the loss, works for any optimiser, restores θ after evaluations', () => {
  const w = param([3], [1], 'w');
  const f = (ps: Tensor[]) => sum(square(ps[0]));
  const optimizer = new Optimizer(sgd({ lr: 0.25 }), [w]);
  const closure = () => {
    optimizer.zeroGrad();
    const loss = f([w]);
    loss.backward();
    return loss;
  };
  assert.equal(optimizer.step(closure), 9, 'the loss before the step');
  assert.equal(w.dataSync()[0], 1.5, 'w − 0.25·2w');
  assert.equal(optimizer.step(), undefined, 'without a closure, nothing to return');
  assert.throws(() => optimizer.step(() => fromArray([1, 2], [2])), /must return the loss/);
  optimizer.dispose();
  w.dispose();
});

test('secondOrderCost: closure calls per step grow as 2n + 1 for Newton, stay flat for L-BFGS and SGD', () => {
  const before = memory().numTensors;
  const rows = secondOrderCost({ sizes: [2, 8, 32], steps: 1 });
  assert.equal(rows.length, 9);
  for (const r of rows) {
    assert.ok(r.msPerStep >= 0 && Number.isFinite(r.msPerStep));
    if (r.optimizer === 'newton') assert.equal(r.evaluationsPerStep, 2 * r.parameters + 1);
    if (r.optimizer === 'sgd') assert.equal(r.evaluationsPerStep, 1);
    if (r.optimizer === 'lbfgs') assert.ok(r.evaluationsPerStep >= 1 && r.evaluationsPerStep <= 26);
  }
  assert.equal(memory().numTensors, before);
});

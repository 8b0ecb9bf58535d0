// Trajectories: the library's optimisers on the test functions. Plain GD follows its closed
// form exactly; divergence and escape are reported with the step; optimisers that cannot run
// are skipped with a reason; and what the lectures claim about the pictures holds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/autograd/index.js';
import { square } from '../../src/ops/arithmetic.js';
import { sum } from '../../src/ops/reduce.js';
import {
  getOptimizer,
  optimizers,
  type GradientTransformation,
  type OptState,
} from '../../src/optim/index.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { memory } from '../../src/tensor/scope.js';
import { testFunctionNames } from '../../src/lab/functions.js';
import {
  defaultLearningRate,
  defaultLearningRates,
  descend,
  trajectories,
  trajectory,
} from '../../src/lab/trajectories.js';

const parabola = (theta: Tensor) => sum(square(theta));

test('descend: sgd on J(θ) = θ² follows θₖ = (1 − 2η)ᵏ θ₀', () => {
  for (const lr of [0.05, 0.3, 0.8]) {
    const path = descend(parabola, [1.5], getOptimizer('sgd', { lr }), { steps: 25 });
    assert.equal(path.status, 'ok');
    assert.equal(path.points.length, 26);
    path.points.forEach(([theta], k) => {
      const expected = Math.pow(1 - 2 * lr, k) * 1.5;
      assert.ok(
        Math.abs(theta - expected) <= 1e-12 * Math.max(1, Math.abs(expected)),
        `η = ${lr}, k = ${k}: ${theta} vs ${expected}`,
      );
      assert.ok(Math.abs(path.losses[k] - theta * theta) <= 1e-12);
    });
  }
});

test('trajectory: sgd on the ill-conditioned quadratic shrinks each coordinate by its own factor', () => {
  const lr = 0.085;
  const t = trajectory('quadratic', 'sgd', { lr, steps: 30 });
  t.points.forEach(([x, y], k) => {
    assert.ok(Math.abs(x - -9 * Math.pow(1 - lr, k)) < 1e-9);
    assert.ok(Math.abs(y - 4 * Math.pow(1 - 20 * lr, k)) < 1e-9);
  });
  // 1 − 20η < 0: the zig-zag across the valley.
  assert.ok(t.points[1][1] < 0 && t.points[2][1] > 0);
});

test('descend: divergence is reported with the step instead of running on with NaN', () => {
  // |1 − 2η| = 2: |θₖ| = 2ᵏ and J = 4ᵏ, which passes the bound 1e6 at k = 10.
  const path = descend(parabola, [1], getOptimizer('sgd', { lr: 1.5 }), { steps: 100, bound: 1e6 });
  assert.equal(path.status, 'diverged');
  assert.equal(path.stoppedAt, 10);
  assert.match(path.note!, /step 10/);
  assert.ok(path.points.every((p) => p.every(Number.isFinite)));
});

test('trajectory: leaving the window is reported as escaped (the saddle)', () => {
  const t = trajectory('saddle', 'sgd', { lr: 0.2, steps: 200 });
  assert.equal(t.status, 'escaped');
  assert.ok(t.stoppedAt! > 0 && t.stoppedAt! < 200);
  assert.ok(Number.isNaN(t.distanceToMinimum));
});

test('trajectory: an optimiser that cannot run is skipped with its reason, and nothing leaks', () => {
  const before = memory().numTensors;
  const needsClosure: GradientTransformation<OptState> = {
    init: () => null,
    update() {
      throw new Error('lbfgs: step() needs a closure that re-evaluates the loss');
    },
  };
  const t = trajectory('beale', { name: 'fake-lbfgs', transform: needsClosure, lr: 1 });
  assert.equal(t.status, 'skipped');
  assert.match(t.note!, /closure/);
  assert.equal(memory().numTensors, before);
});

test('trajectories: every registered optimiser runs on every function without throwing or leaking', () => {
  const before = memory().numTensors;
  for (const fn of testFunctionNames) {
    const runs = trajectories(fn, { steps: 15 });
    assert.deepEqual(
      runs.map((r) => r.optimizer),
      Object.keys(optimizers),
    );
    for (const r of runs) {
      assert.ok(['ok', 'diverged', 'escaped', 'skipped'].includes(r.status));
      assert.equal(r.points.length, r.losses.length);
      if (r.status === 'ok') assert.equal(r.points.length, 16);
      assert.ok(r.lr > 0);
    }
  }
  assert.equal(memory().numTensors, before);
});

test('default learning rates exist for every function and the optimiser names of the lectures', () => {
  const lecture = [
    'sgd',
    'momentum',
    'nesterov',
    'adagrad',
    'rmsprop',
    'adadelta',
    'adam',
    'adamw',
    'adamax',
    'nadam',
    'amsgrad',
    'rprop',
    'quickprop',
    'lbfgs',
    'newton',
  ];
  for (const fn of testFunctionNames) {
    for (const name of lecture) assert.ok(defaultLearningRates[fn][name] > 0, `${fn}/${name}`);
  }
  assert.equal(defaultLearningRate('beale', 'no-such-optimiser'), 0.01);
});

test('sgd with its default rate makes progress on every function with a minimum', () => {
  for (const fn of ['beale', 'rosenbrock', 'quadratic']) {
    const t = trajectory(fn, 'sgd');
    assert.equal(t.status, 'ok', `${fn}: ${t.note}`);
    assert.ok(
      t.losses[t.losses.length - 1] < t.losses[0] / 2,
      `${fn}: loss ${t.losses[0]} → ${t.losses[t.losses.length - 1]}`,
    );
  }
});

test('the lectures’ claims, where the optimisers are registered', (t) => {
  if ('momentum' in optimizers) {
    // Same rate: momentum leaves the saddle, plain GD started near the ridge is still there.
    const gd = trajectory('saddle', 'sgd');
    const heavy = trajectory('saddle', 'momentum');
    assert.equal(gd.status, 'ok');
    assert.ok(Math.abs(gd.points[gd.points.length - 1][1]) < 0.1);
    assert.equal(heavy.status, 'escaped');
  } else t.diagnostic('momentum is not registered yet: saddle claim not checked');
  for (const name of ['adam', 'rmsprop']) {
    if (!(name in optimizers)) {
      t.diagnostic(`${name} is not registered yet: Beale claim not checked`);
      continue;
    }
    const run = trajectory('beale', name, { steps: 500 });
    assert.equal(run.status, 'ok');
    assert.ok(run.distanceToMinimum < 1e-2, `${name} ends ${run.distanceToMinimum} from Beale's minimum`);
  }
});

// Composition: clipping (by value, θ = 5 by default; by global norm), L1/L2 penalties with
// biases excluded, weight decay, gradient accumulation (k batches = one batch k times
// larger, for SGD), buildOptimizer for the CLI, the name registry and its validation, and
// the stateful wrapper's bookkeeping (state per parameter, no leaks, setState).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/autograd/index.js';
import { add, square, sub } from '../../src/ops/arithmetic.js';
import { matmul } from '../../src/ops/matmul.js';
import { mean } from '../../src/ops/reduce.js';
import { slice } from '../../src/ops/shape.js';
import { fromArray } from '../../src/tensor/creation.js';
import { Rng } from '../../src/tensor/random.js';
import { memory, tidy } from '../../src/tensor/scope.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { ConfigError } from '../../src/errors.js';
import {
  accumulateGradients,
  addDecayedWeights,
  adam,
  buildOptimizer,
  chain,
  clipByGlobalNorm,
  clipByValue,
  erase,
  getOptimizer,
  asOptimizerName,
  isBias,
  l1Penalty,
  l2Penalty,
  Optimizer,
  optimizers,
  penaltyValue,
  scaleByLearningRate,
  sgd,
  stateTensors,
} from '../../src/optim/index.js';

const values = (t: Tensor) => Array.from(t.dataSync());
const t64 = (v: number[], shape: number[], name?: string) => {
  const t = fromArray(v, shape, { dtype: 'float64', requiresGrad: true });
  if (name) t.name = name;
  return t;
};

// ---- clipping ------------------------------------------------------------------------------

test('clipByValue: the lecture default θ = 5, and any θ', () => {
  const g = [fromArray([-7, 3, 6, -5], [2, 2], { dtype: 'float64' })];
  assert.deepEqual(values(clipByValue().update(g, null, g).updates[0]), [-5, 3, 5, -5]);
  assert.deepEqual(values(clipByValue(0.5).update(g, null, g).updates[0]), [-0.5, 0.5, 0.5, -0.5]);
  assert.throws(() => clipByValue(0), /clipByValue: threshold must be a positive number, got 0/);
});

test('clipByGlobalNorm: one norm over every parameter, direction kept', () => {
  const g = [fromArray([3, 4], [2], { dtype: 'float64' }), fromArray([12], [1, 1], { dtype: 'float64' })]; // ‖g‖ = 13
  const clipped = clipByGlobalNorm(1.3).update(g, null, g).updates;
  const factor = 1.3 / (13 + 1e-6);
  assert.deepEqual(values(clipped[0]), [3 * factor, 4 * factor]);
  assert.deepEqual(values(clipped[1]), [12 * factor]);
  const untouched = clipByGlobalNorm(20).update(g, null, g).updates;
  assert.deepEqual(values(untouched[0]), [3, 4]);
});

// ---- penalties -----------------------------------------------------------------------------

test('isBias: by name, else by rank', () => {
  assert.ok(isBias(t64([1, 2], [2], 'dense_1.bias')));
  assert.ok(isBias(t64([1, 2, 3, 4], [2, 2], 'odd.bias')), 'the name decides');
  assert.ok(!isBias(t64([1, 2, 3, 4], [2, 2], 'dense_1.weight')));
  assert.ok(isBias(t64([1, 2], [2])), 'unnamed rank 1');
  assert.ok(!isBias(t64([1, 2], [1, 2])));
});

test('l2Penalty and l1Penalty: g + λw and g + λ·sign(w) on weights, biases left alone by default', () => {
  const w = t64([1, -2, 0, 4], [2, 2], 'dense_1.weight');
  const b = t64([3, -3], [2], 'dense_1.bias');
  const g = [
    fromArray([0.1, 0.1, 0.1, 0.1], [2, 2], { dtype: 'float64' }),
    fromArray([0.5, 0.5], [2], { dtype: 'float64' }),
  ];
  const l2 = l2Penalty(0.5).update(g, null, [w, b]).updates;
  assert.deepEqual(values(l2[0]), [0.6, -0.9, 0.1, 2.1]);
  assert.deepEqual(values(l2[1]), [0.5, 0.5], 'bias excluded');
  const l1 = l1Penalty(0.5).update(g, null, [w, b]).updates;
  assert.deepEqual(values(l1[0]), [0.6, -0.4, 0.1, 0.6], 'sign(0) = 0');
  assert.deepEqual(values(l1[1]), [0.5, 0.5]);
  const all = l2Penalty(0.5, { excludeBiases: false }).update(g, null, [w, b]).updates;
  assert.deepEqual(values(all[1]), [2, -1]);
  // The transforms add exactly the gradient of the penalty's value.
  const v = tidy(() => {
    const p = penaltyValue([w, b], { l1: 0.3, l2: 0.5 });
    p.backward();
    return p.item();
  });
  assert.equal(v, 0.3 * 7 + 0.25 * 21);
  const zeros = [
    fromArray([0, 0, 0, 0], [2, 2], { dtype: 'float64' }),
    fromArray([0, 0], [2], { dtype: 'float64' }),
  ];
  const both = chain(erase(l1Penalty(0.3)), erase(l2Penalty(0.5))).update(
    zeros,
    [null, null],
    [w, b],
  ).updates;
  assert.deepEqual(values(both[0]), values(w.grad!));
  assert.deepEqual(values(w.grad!), [0.8, -1.3, 0, 2.3]);
  assert.equal(b.grad, null, 'no penalty on the bias, so no gradient reached it');
  assert.throws(() => l2Penalty(-1), /l2Penalty: lambda must be a non-negative number, got -1/);
});

test('addDecayedWeights: every parameter, biases too (PyTorch weight_decay)', () => {
  const w = t64([1, 2], [1, 2], 'a.weight');
  const b = t64([4], [1], 'a.bias');
  const g = [fromArray([0, 0], [1, 2], { dtype: 'float64' }), fromArray([0], [1], { dtype: 'float64' })];
  const u = addDecayedWeights(0.1).update(g, null, [w, b]).updates;
  assert.deepEqual(values(u[0]), [0.1, 0.2]);
  assert.deepEqual(values(u[1]), [0.4]);
  const masked = addDecayedWeights(0.1, { mask: 'no-bias' }).update(g, null, [w, b]).updates;
  assert.deepEqual(values(masked[1]), [0]);
});

// ---- accumulation --------------------------------------------------------------------------

test('accumulateGradients: SGD over k = 4 mini-batches of 8 equals SGD on batches of 32', () => {
  const before = memory().numTensors;
  const rng = new Rng(3);
  const n = 96;
  const xs = Array.from({ length: n * 3 }, () => rng.normal());
  const ys = Array.from(
    { length: n },
    (_, i) => xs[3 * i] - 2 * xs[3 * i + 1] + 0.5 * xs[3 * i + 2] + 0.1 * rng.normal(),
  );
  const x = fromArray(xs, [n, 3], { dtype: 'float64' });
  const y = fromArray(ys, [n, 1], { dtype: 'float64' });
  const mse = (w: Tensor, from: number, count: number) =>
    mean(square(sub(matmul(slice(x, [from, 0], [count, 3]), w), slice(y, [from, 0], [count, 1]))));
  const run = (transform: ReturnType<typeof sgd>, batch: number) => {
    const w = t64([0, 0, 0], [3, 1], 'w');
    const optimizer = new Optimizer(transform, [w]);
    const path: number[][] = [];
    for (let from = 0; from < n; from += batch) {
      tidy(() => {
        optimizer.zeroGrad();
        mse(w, from, batch).backward();
      });
      optimizer.step();
      path.push(values(w));
    }
    optimizer.dispose();
    w.dispose();
    return path;
  };
  const accumulated = run(erase(accumulateGradients(sgd({ lr: 0.3 }), 4)), 8);
  const large = run(sgd({ lr: 0.3 }), 32);
  assert.equal(accumulated.length, 12);
  assert.equal(large.length, 3);
  large.forEach((w, k) => {
    const same = accumulated[4 * k + 3];
    w.forEach((v, i) => assert.ok(Math.abs(v - same[i]) < 1e-14, `applied step ${k + 1}: ${same} vs ${w}`));
    // Between applications the parameters do not move.
    for (let j = 4 * k; j < 4 * k + 3; j++) {
      const held = k === 0 ? [0, 0, 0] : accumulated[4 * k - 1];
      assert.deepEqual(accumulated[j], held);
    }
  });
  x.dispose();
  y.dispose();
  assert.equal(memory().numTensors, before);
});

test('accumulateGradients: the inner schedule counts applied steps only; validation', () => {
  const w = t64([0], [1], 'w');
  const seen: number[] = [];
  const optimizer = new Optimizer(
    erase(accumulateGradients(erase(scaleByLearningRate((t) => (seen.push(t), 1))), 3)),
    [w],
  );
  for (let k = 0; k < 9; k++) {
    w.grad?.dispose();
    w.grad = fromArray([1], [1], { dtype: 'float64' });
    optimizer.step();
  }
  assert.deepEqual(seen, [0, 1, 2]);
  assert.deepEqual(values(w), [-3]);
  assert.throws(
    () => accumulateGradients(sgd(), 0),
    /k \(batches per step\) must be a positive integer, got 0/,
  );
  assert.throws(() => accumulateGradients(getOptimizer('newton'), 2), /cannot accumulate/);
});

// ---- buildOptimizer ------------------------------------------------------------------------

test('buildOptimizer: the CLI flags assemble one chain', () => {
  const w = t64([1, -1], [1, 2], 'dense_1.weight');
  const b = t64([1], [1], 'dense_1.bias');
  const transform = buildOptimizer({
    name: 'sgd',
    lr: 0.1,
    momentum: 0.5,
    schedule: 'step:1:0.5',
    clipValue: 0.25,
    l2: 1,
  });
  const optimizer = new Optimizer(transform, [w, b]);
  const grads = () => {
    w.grad?.dispose();
    b.grad?.dispose();
    w.grad = fromArray([1, 0], [1, 2], { dtype: 'float64' });
    b.grad = fromArray([-1], [1], { dtype: 'float64' });
  };
  grads();
  optimizer.step();
  // l2 on the weight only: g = [1 + 1, 0 − 1] = [2, −1] → clipped [0.25, −0.25]; bias −1 → −0.25.
  // First momentum step b = g; η(0) = 0.1.
  assert.deepEqual(values(w), [1 - 0.025, -1 + 0.025]);
  assert.deepEqual(values(b), [1 + 0.025]);
  grads();
  optimizer.step();
  // η(1) = 0.05; buffers 0.5·0.25 + 0.25 = 0.375 (and signs as before).
  const [w0] = values(w);
  assert.ok(Math.abs(w0 - (0.975 - 0.05 * 0.375)) < 1e-15);
  optimizer.dispose();
  assert.throws(
    () => buildOptimizer({ name: 'adam', momentum: 0.9 }),
    /--momentum applies to sgd, momentum, nesterov, rmsprop; --optimizer adam has no momentum option/,
  );
  // Without a rate the schedule starts from the optimiser's default (test/optim/schedules.test.ts).
  assert.doesNotThrow(() => buildOptimizer({ name: 'sgd', schedule: 'exp:0.9' }));
  assert.throws(() => buildOptimizer({ name: 'newton', lr: 1, schedule: 'exp:0.9' }), /must be a number/);
  assert.throws(() => buildOptimizer({ name: 'adam', lr: 1, schedule: 'exp:9' }), /--schedule 'exp:9'/);
  assert.throws(
    () => buildOptimizer({ name: 'adamm' }),
    /Unknown optimizer 'adamm'. Valid optimizers: sgd, momentum/,
  );
  // paramNames tell biases from weights when the tensors carry no names.
  const decayed = (paramNames?: string[]) => {
    const u = t64([2], [1]);
    const v = t64([2, 2], [1, 2]);
    const o = new Optimizer(buildOptimizer({ name: 'sgd', lr: 1, l2: 0.5, paramNames }), [u, v]);
    u.grad = fromArray([0], [1], { dtype: 'float64' });
    v.grad = fromArray([0, 0], [1, 2], { dtype: 'float64' });
    o.step();
    o.dispose();
    return [values(u), values(v)];
  };
  // Unnamed: the rank-1 tensor is a bias, the [1, 2] one a weight (decayed by 1·0.5·2).
  assert.deepEqual(decayed(), [[2], [1, 1]]);
  // Named 'x.bias', the [1, 2] tensor is left alone too.
  assert.deepEqual(decayed(['x.weight', 'x.bias']), [[2], [2, 2]]);
});

// ---- the registry --------------------------------------------------------------------------

const NAMES = [
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

test('the registry has every name the CLI and compile accept, and only those', () => {
  assert.deepEqual(Object.keys(optimizers), NAMES);
  assert.throws(() => getOptimizer('toString' as never), /Unknown optimizer 'toString'/);
});

for (const name of NAMES) {
  test(`${name}: by name with its defaults, descends a quadratic without leaking (state per parameter readable)`, () => {
    const before = memory().numTensors;
    const w = t64([1, -2, 0.5, 3], [2, 2], 'dense_1.weight');
    const b = t64([0.5, -0.5], [2], 'dense_1.bias');
    const optimizer = new Optimizer(
      getOptimizer(
        asOptimizerName(name),
        name === 'sgd' || name === 'momentum' || name === 'nesterov' ? { lr: 0.1 } : {},
      ),
      [w, b],
    );
    const loss = () => add(mean(square(w)), mean(square(b)));
    const closure = () => {
      optimizer.zeroGrad();
      const l = loss();
      l.backward();
      return l;
    };
    const start = tidy(() => loss().item());
    for (let k = 0; k < 30; k++) {
      if (name === 'newton') optimizer.step(closure);
      else {
        tidy(() => {
          closure();
        });
        optimizer.step();
      }
    }
    const end = tidy(() => loss().item());
    assert.ok(end < start, `${name}: loss ${start} → ${end}`);
    const perParameter = optimizer.parameterState();
    assert.deepEqual(Object.keys(perParameter), ['dense_1.weight', 'dense_1.bias']);
    const stateCount = stateTensors(optimizer.state).length;
    optimizer.dispose();
    w.dispose();
    b.dispose();
    assert.equal(memory().numTensors, before, `${name} leaked (state held ${stateCount} tensors)`);
  });
}

test('hyper-parameters are validated with messages in PyTorch’s spirit', () => {
  const cases: Array<[() => unknown, RegExp]> = [
    [() => adam({ beta1: 1.2 }), /adam: beta1 must be in \[0, 1\), got 1.2/],
    [() => getOptimizer('adam', { beta2: -0.1 }), /adam: beta2 must be in \[0, 1\), got -0.1/],
    [() => getOptimizer('adamw', { eps: -1 }), /adamw: eps must be a non-negative number, got -1/],
    [() => getOptimizer('sgd', { momentum: 1 }), /sgd: momentum must be in \[0, 1\), got 1/],
    [
      () => getOptimizer('sgd', { nesterov: true }),
      /sgd: Nesterov momentum requires a momentum > 0 and zero dampening/,
    ],
    [() => getOptimizer('sgd', { lr: -1 }), /optimizer 'sgd': learning rate must be positive, got -1/],
    [() => getOptimizer('rmsprop', { alpha: 1 }), /rmsprop: alpha must be in \[0, 1\), got 1/],
    [() => getOptimizer('adadelta', { rho: 1.5 }), /adadelta: rho must be in \[0, 1\], got 1.5/],
    [
      () => getOptimizer('adagrad', { lrDecay: -0.1 }),
      /adagrad: lr decay must be a non-negative number, got -0.1/,
    ],
    [
      () => getOptimizer('adam', { betas: [0.9, 0.99] }),
      /adam: unknown option 'betas'. Valid options: lr, beta1, beta2, eps, weightDecay, amsgrad/,
    ],
    [
      () => getOptimizer('lbfgs', { lineSearch: 'armijo' }),
      /lbfgs: lineSearch must be 'none' or 'strongWolfe'/,
    ],
    [
      () => getOptimizer('nadam', { momentumDecay: -1 }),
      /nadam: momentum decay must be a non-negative number/,
    ],
    [
      () => getOptimizer('adam', { weightDecay: -0.1 }),
      /adam: weight decay must be a non-negative number, got -0.1/,
    ],
  ];
  for (const [make, pattern] of cases)
    assert.throws(make, (e: unknown) => e instanceof ConfigError && pattern.test(e.message), String(pattern));
});

test('Optimizer.setState replaces the state (a checkpoint’s), keeping its tensors and freeing the old', () => {
  const w = t64([1, 2], [2], 'w');
  const optimizer = new Optimizer(adam({ lr: 0.1 }), [w]);
  w.grad = fromArray([1, 1], [2], { dtype: 'float64' });
  optimizer.step();
  const saved = optimizer.state;
  const copy = JSON.parse(
    JSON.stringify(saved, (_k, v) =>
      v && typeof v === 'object' && 'storage' in v ? Array.from((v as Tensor).dataSync()) : v,
    ),
  );
  const before = memory().numTensors;
  const fresh = tidy(() => adam({ lr: 0.1 }).init([w]));
  optimizer.setState(fresh);
  assert.equal(memory().numTensors, before, 'as many tensors as before: old freed, new kept');
  assert.ok(stateTensors(saved).every((t) => t.isDisposed));
  assert.equal(copy[1].count, 1);
  optimizer.dispose();
});

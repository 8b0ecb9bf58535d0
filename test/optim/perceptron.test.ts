// The perceptron rule w ← w + η(y − ŷ)x against steps worked out by hand, convergence on
// separable data, no convergence on XOR, and the batch rule as SGD on the pseudo-gradient.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromArray } from '../../src/tensor/creation.js';
import { memory, tidy } from '../../src/tensor/scope.js';
import {
  Optimizer,
  perceptronGradient,
  perceptronPredict,
  sgd,
  trainPerceptron,
} from '../../src/optim/index.js';
import { ConfigError, ShapeError } from '../../src/errors.js';

const X = [0, 0, 0, 1, 1, 0, 1, 1];

// AND with zero initial weights, η = 1, step(z) = 1 for z ≥ 0, samples in order:
//   epoch 1: (0,0): z = 0 → ŷ = 1, y = 0: b = −1.      (0,1), (1,0): z = −1, right.
//            (1,1): z = −1 → ŷ = 0, y = 1: w = (1, 1), b = 0.                       2 mistakes
//   epoch 2: (0,0): z = 0 → 1: b = −1.  (0,1): z = 0 → 1: w = (1, 0), b = −2.
//            (1,0): z = −1, right.      (1,1): z = −1 → 0: w = (2, 1), b = −1.       3 mistakes
//   epoch 3: (0,0) right.  (0,1): z = 0 → 1: w = (2, 0), b = −2.  (1,0): z = 0 → 1: w = (1, 0), b = −3.
//            (1,1): z = −2 → 0: w = (2, 1), b = −2.                                  3 mistakes
//   epoch 4: (0,0), (0,1) right.  (1,0): z = 0 → 1: w = (1, 1), b = −3.  (1,1): z = −1 → 0: w = (2, 2), b = −2.   2
//   epoch 5: (0,0) right.  (0,1): z = 0 → 1: w = (2, 1), b = −3.  (1,0): −1, (1,1): 0 → 1, right.              1
//   epoch 6: no mistakes: w = (2, 1), b = −3.
test('perceptron: AND, step by step as worked out by hand', () => {
  const before = memory().numTensors;
  const x = fromArray(X, [4, 2], { dtype: 'float64' });
  const y = fromArray([0, 0, 0, 1], [4], { dtype: 'float64' });
  const result = trainPerceptron(x, y, { lr: 1 });
  assert.deepEqual(result.mistakes, [2, 3, 3, 2, 1, 0]);
  assert.equal(result.converged, true);
  assert.equal(result.updates, 11);
  assert.deepEqual(Array.from(result.weight.dataSync()), [2, 1]);
  assert.deepEqual(Array.from(result.bias.dataSync()), [-3]);
  assert.deepEqual(
    tidy(() => Array.from(perceptronPredict(x, result.weight, result.bias).dataSync())),
    [0, 0, 0, 1],
  );
  // One epoch only: the state after epoch 1.
  const first = trainPerceptron(x, y, { lr: 1, epochs: 1 });
  assert.deepEqual(Array.from(first.weight.dataSync()), [1, 1]);
  assert.deepEqual(Array.from(first.bias.dataSync()), [0]);
  assert.equal(first.converged, false);
  for (const t of [x, y, result.weight, result.bias, first.weight, first.bias]) t.dispose();
  assert.equal(memory().numTensors, before);
});

test('perceptron: XOR is not linearly separable, and the rule never settles', () => {
  const x = fromArray(X, [4, 2], { dtype: 'float64' });
  const y = fromArray([0, 1, 1, 0], [4], { dtype: 'float64' });
  const result = trainPerceptron(x, y, { epochs: 50 });
  assert.equal(result.converged, false);
  assert.equal(result.mistakes.length, 50);
  assert.ok(result.mistakes.every((m) => m > 0));
});

test('perceptron: several step units learn OR and AND side by side; initial weights are respected', () => {
  const x = fromArray(X, [4, 2], { dtype: 'float32' });
  const y = fromArray([0, 0, 1, 0, 1, 0, 1, 1], [4, 2], { dtype: 'float32' }); // columns: OR, AND
  const result = trainPerceptron(x, y, {
    lr: 0.5,
    weight: fromArray([0.1, -0.1, 0.1, -0.1], [2, 2]),
    bias: fromArray([0, 0], [2]),
  });
  assert.equal(result.converged, true);
  assert.deepEqual(
    Array.from(perceptronPredict(x, result.weight, result.bias).dataSync()),
    [0, 0, 1, 0, 1, 0, 1, 1],
  );
  assert.throws(
    () => trainPerceptron(x, fromArray([0, 2, 1, 0], [4])),
    (e: unknown) => e instanceof ConfigError && /targets must be 0 or 1, got 2/.test(e.message),
  );
  assert.throws(() => trainPerceptron(x, fromArray([0, 1, 1], [3])), ShapeError);
});

test('perceptron: sgd on perceptronGradient is the batch rule W ← W + η Xᵀ(Y − Ŷ)', () => {
  const x = fromArray(X, [4, 2], { dtype: 'float64' });
  const y = fromArray([0, 1, 1, 1], [4], { dtype: 'float64' }); // OR
  const w = fromArray([-1, 0.5], [2, 1], { dtype: 'float64', requiresGrad: true });
  const b = fromArray([0.25], [1], { dtype: 'float64', requiresGrad: true });
  // ŷ = step([0.25, 0.75, −0.75, −0.25]) = [1, 1, 0, 0]; y − ŷ = [−1, 0, 1, 1]
  // Xᵀ(y − ŷ) = [0·−1 + 0 + 1 + 1, 0 + 0 + 0 + 1] = [2, 1];  Σ(y − ŷ) = 1
  const [gw, gb] = perceptronGradient(x, y, w, b);
  assert.deepEqual(Array.from(gw.dataSync()), [-2, -1]);
  assert.deepEqual(Array.from(gb.dataSync()), [-1]);
  const optimizer = new Optimizer(sgd({ lr: 0.5 }), [w, b]);
  w.grad = gw;
  b.grad = gb;
  optimizer.step();
  assert.deepEqual(Array.from(w.dataSync()), [0, 1]);
  assert.deepEqual(Array.from(b.dataSync()), [0.75]);
});

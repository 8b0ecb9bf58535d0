// The perceptron rule against backprop on one linear unit: it stops on separable data and
// never settles on overlapping data, while gradient descent on the cross-entropy converges on both.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/autograd/index.js';
import { perceptronVersusBackprop } from '../../src/lab/perceptron.js';
import { memory } from '../../src/tensor/scope.js';

test('perceptronVersusBackprop: Novikoff on separable data, no rest on overlapping data', () => {
  const before = memory().numTensors;
  const [separable, overlapping] = perceptronVersusBackprop({ count: 40, epochs: 25, seed: 2 });
  assert.equal(memory().numTensors, before);
  assert.equal(separable.points.length, 80);
  // Separable: the rule stops with no mistakes, and its line separates every training point.
  assert.ok(separable.perceptron.converged);
  assert.equal(separable.perceptron.errors[separable.perceptron.errors.length - 1], 0);
  const side = (w: number[], b: number, p: { x: number; y: number }) =>
    w[0] * p.x + w[1] * p.y + b >= 0 ? 1 : 0;
  for (const p of separable.points)
    assert.equal(side(separable.perceptron.w, separable.perceptron.b, p), p.label);
  assert.ok(separable.backprop.errors[separable.backprop.errors.length - 1] <= 2);
  // Overlapping: a mistake in every epoch, never converged; backprop's errors settle.
  assert.ok(!overlapping.perceptron.converged);
  assert.equal(overlapping.perceptron.errors.length, 25);
  assert.ok(overlapping.perceptron.errors.every((m) => m > 0));
  const tail = overlapping.backprop.errors.slice(-5);
  assert.ok(Math.max(...tail) - Math.min(...tail) <= 3, `backprop errors ${tail}`);
  assert.ok(
    overlapping.backprop.losses[overlapping.backprop.losses.length - 1] < overlapping.backprop.losses[0],
  );
});

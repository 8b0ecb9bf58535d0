// The lecture's Keras script (examples/keras-lecture.ts) runs as written, and its "choosing the
// proper loss" lesson holds: behind a softmax output, cross-entropy learns where mean squared
// error barely moves. A narrower network and fewer images than the lecture's, to stay quick.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lecture, mnistShapedDigits } from '../../examples/keras-lecture.js';

test('MNIST-shaped digits: 784 pixels in [0, 1], one-hot rows', () => {
  const { xTrain, yTrain, xTest } = mnistShapedDigits();
  assert.equal(xTrain[0].length, 784);
  assert.equal(xTrain.length + xTest.length, 1797);
  assert.ok(xTrain.every((row) => row.every((v) => v >= 0 && v <= 1)));
  assert.ok(yTrain.every((row) => row.length === 10 && row.reduce((s, v) => s + v, 0) === 1));
});

test('the lecture script: cross-entropy beats mean squared error behind softmax; dropout runs', async () => {
  const result = await lecture({ hidden: 32, epochs: 8, limit: 1000, batchSize: 20 });
  assert.ok(
    result.crossEntropy > result.mse + 0.3,
    `cross-entropy ${result.crossEntropy.toFixed(3)} vs mse ${result.mse.toFixed(3)}`,
  );
  assert.ok(result.crossEntropy > 0.7, `cross-entropy test accuracy ${result.crossEntropy}`);
  // Dropout 0.7 on 32 units slows learning down, but it learns (chance is 0.1).
  assert.ok(result.crossEntropyWithDropout > 0.3, `with dropout ${result.crossEntropyWithDropout}`);
});

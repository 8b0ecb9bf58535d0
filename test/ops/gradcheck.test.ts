// gradcheck (central differences, float64) for every differentiable op, on random
// non-square shapes, with broadcasting cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ops from '../../src/ops/index.js';
import * as losses from '../../src/losses/index.js';
import { gradcheck } from '../../src/autograd/index.js';
import { Rng } from '../../src/tensor/random.js';
import { fromArray } from '../../src/tensor/creation.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { awayFromZero, positive, randomTensor } from '../helpers/random.js';

const rng = new Rng(42);
const r = (...shape: number[]) => randomTensor(shape, rng);

function check(name: string, fn: (...xs: Tensor[]) => Tensor, inputs: () => Tensor[]): void {
  test(`gradcheck ${name}`, () => {
    const result = gradcheck(fn, inputs());
    assert.ok(result.ok, `${name}: max error ${result.maxError} at ${JSON.stringify(result.worst)}`);
  });
}

// Binary arithmetic, same shape and broadcast.
for (const [name, f] of [
  ['add', ops.add],
  ['sub', ops.sub],
  ['mul', ops.mul],
] as const) {
  check(`${name} same shape`, f, () => [r(3, 4), r(3, 4)]);
  check(`${name} broadcast [3,4]∘[4]`, f, () => [r(3, 4), r(4)]);
  check(`${name} broadcast [2,1,5]∘[3,1]`, f, () => [r(2, 1, 5), r(3, 1)]);
  check(`${name} with scalar tensor`, f, () => [r(2, 3), randomTensor([], rng)]);
}
check('div same shape', ops.div, () => [r(3, 4), awayFromZero([3, 4], rng)]);
check('div broadcast', ops.div, () => [r(2, 3, 4), awayFromZero([3, 1], rng)]);
check('pow tensor^tensor', ops.pow, () => [positive([3, 2], rng), r(3, 2)]);
check('pow broadcast', ops.pow, () => [positive([2, 3], rng), r(3)]);
check(
  'pow scalar exponent',
  (x) => ops.pow(x, 3),
  () => [r(4, 3)],
);
check('maximum', ops.maximum, () => [r(3, 5), r(5)]);
check('minimum', ops.minimum, () => [r(3, 5), r(3, 1)]);
check(
  'add number',
  (x) => ops.add(x, 2.5),
  () => [r(3, 2)],
);
check(
  'number minus tensor',
  (x) => ops.sub(1, x),
  () => [r(3, 2)],
);

// Unary.
check('neg', ops.neg, () => [r(4, 3)]);
check('exp', ops.exp, () => [r(4, 3)]);
check('log', ops.log, () => [positive([4, 3], rng)]);
check('sqrt', ops.sqrt, () => [positive([4, 3], rng)]);
check('abs', ops.abs, () => [awayFromZero([4, 3], rng)]);
check('square', ops.square, () => [r(5)]);
check('reciprocal', ops.reciprocal, () => [awayFromZero([5, 2], rng)]);
check(
  'clamp',
  (x) => ops.clamp(x, -0.5, 0.5),
  () => [
    fromArray(
      [
        [-0.9, -0.3, 0.1],
        [0.4, 0.7, -0.6],
      ],
      undefined,
      { dtype: 'float64' },
    ),
  ],
);

// Activations.
check('sigmoid', ops.sigmoid, () => [r(3, 7)]);
check('tanh', ops.tanh, () => [r(3, 7)]);
check('relu', ops.relu, () => [awayFromZero([3, 7], rng)]);
check(
  'leakyRelu',
  (x) => ops.leakyRelu(x, 0.1),
  () => [awayFromZero([3, 7], rng)],
);
check(
  'elu',
  (x) => ops.elu(x, 0.7),
  () => [awayFromZero([3, 7], rng)],
);
check('softplus', ops.softplus, () => [r(3, 7)]);
check('prelu per feature', ops.prelu, () => [awayFromZero([4, 3], rng), r(3)]);
check('prelu shared α', ops.prelu, () => [awayFromZero([2, 3, 2], rng), r(1)]);
check(
  'softmax last axis',
  (x) => ops.softmax(x),
  () => [r(3, 5)],
);
check(
  'softmax axis 0',
  (x) => ops.softmax(x, 0),
  () => [r(4, 3, 2)],
);
check(
  'logSoftmax last axis',
  (x) => ops.logSoftmax(x),
  () => [r(3, 5)],
);
check(
  'logSoftmax middle axis',
  (x) => ops.logSoftmax(x, 1),
  () => [r(2, 4, 3)],
);
test('step has zero gradient (documented choice)', () => {
  const x = r(3, 2);
  x.requiresGrad = true;
  ops.sum(ops.step(x)).backward();
  assert.deepEqual([...x.grad!.dataSync()], [0, 0, 0, 0, 0, 0]);
});

// Matrix products.
check('matmul [3,4]·[4,5]', ops.matmul, () => [r(3, 4), r(4, 5)]);
check('matmul [1,7]·[7,2]', ops.matmul, () => [r(1, 7), r(7, 2)]);
check('matmul batched [2,3,4]·[2,4,5]', ops.matmul, () => [r(2, 3, 4), r(2, 4, 5)]);
check('matmul batch·shared [2,3,4]·[4,2]', ops.matmul, () => [r(2, 3, 4), r(4, 2)]);
check('matmul shared·batch [3,4]·[2,4,5]', ops.matmul, () => [r(3, 4), r(2, 4, 5)]);
check('matmul vector·matrix', ops.matmul, () => [r(4), r(4, 3)]);
check('matmul matrix·vector', ops.matmul, () => [r(3, 4), r(4)]);
check('matmul 4-D batch', ops.matmul, () => [r(2, 2, 3, 4), r(2, 2, 4, 3)]);

// Reductions.
check(
  'sum all',
  (x) => ops.sum(x),
  () => [r(3, 4)],
);
check(
  'sum axis 0',
  (x) => ops.sum(x, 0),
  () => [r(3, 4)],
);
check(
  'sum axes [0,2] keepDims',
  (x) => ops.sum(x, [0, 2], true),
  () => [r(2, 3, 4)],
);
check(
  'sum axis -1',
  (x) => ops.sum(x, -1),
  () => [r(2, 3, 4)],
);
check(
  'mean axes [1,2]',
  (x) => ops.mean(x, [1, 2]),
  () => [r(2, 3, 4)],
);
check(
  'max axis 1',
  (x) => ops.max(x, 1),
  () => [r(3, 5)],
);
check(
  'max all',
  (x) => ops.max(x),
  () => [r(3, 5)],
);
check(
  'min axis 0 keepDims',
  (x) => ops.min(x, 0, true),
  () => [r(4, 3)],
);
check(
  'broadcastTo',
  (x) => ops.broadcastTo(x, [2, 3, 4]),
  () => [r(3, 1)],
);

// Shape ops.
check(
  'reshape',
  (x) => ops.reshape(x, [4, -1]),
  () => [r(2, 3, 2)],
);
check(
  'flatten',
  (x) => ops.flatten(x),
  () => [r(2, 3, 2)],
);
check(
  'transpose',
  (x) => ops.transpose(x),
  () => [r(3, 5)],
);
check(
  'permute',
  (x) => ops.permute(x, [2, 0, 1]),
  () => [r(2, 3, 4)],
);
check(
  'slice',
  (x) => ops.slice(x, [1, 0, 2], [2, -1, 2]),
  () => [r(3, 2, 5)],
);
check(
  'concat axis 1',
  (a, b) => ops.concat([a, b], 1),
  () => [r(2, 3), r(2, 4)],
);
check(
  'concat axis 0',
  (a, b, c) => ops.concat([a, b, c], 0),
  () => [r(1, 3), r(2, 3), r(3, 3)],
);
check(
  'gather rows with repeats',
  (x) => ops.gather(x, [2, 0, 2, 1]),
  () => [r(3, 4)],
);
check(
  'gather axis 1',
  (x) => ops.gather(x, [1, 1, 0], 1),
  () => [r(2, 3, 2)],
);
check(
  'cast float64→float32→float64 path',
  (x) => ops.cast(ops.mul(x, 2), 'float64'),
  () => [r(3)],
);

// Losses.
const labels = () => fromArray([2, 0, 1, 2], [4], { dtype: 'int32' });
check('loss mse', losses.mse, () => [r(4, 3), r(4, 3)]);
check('loss sse', losses.sse, () => [r(4, 3), r(4, 3)]);
check('loss binaryCrossEntropy', losses.binaryCrossEntropy, () => [
  randomTensor([5, 2], rng, 0.05, 0.95),
  randomTensor([5, 2], rng, 0, 1),
]);
check('loss binaryCrossEntropyFromLogits', losses.binaryCrossEntropyFromLogits, () => [
  r(5, 2),
  randomTensor([5, 2], rng, 0, 1),
]);
check(
  'loss crossEntropy integer labels',
  (z) => losses.crossEntropy(z, labels()),
  () => [r(4, 3)],
);
check('loss crossEntropy one-hot / soft targets', losses.crossEntropy, () => [r(4, 3), ops.softmax(r(4, 3))]);
check(
  'loss klDivergence',
  (q, p) => losses.klDivergence(ops.softmax(q), ops.softmax(p)),
  () => [r(4, 3), r(4, 3)],
);

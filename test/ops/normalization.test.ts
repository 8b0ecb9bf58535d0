// Batch norm: gradcheck in training mode (through the batch mean and variance) wrt x, γ
// and β; PyTorch fixtures (output, gradients, running statistics); behaviour and errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as ops from '../../src/ops/index.js';
import { backward, gradcheck, memory, noGrad, tidy } from '../../src/autograd/index.js';
import { ConfigError, ShapeError } from '../../src/errors.js';
import { fromArray, ones, zeros } from '../../src/tensor/creation.js';
import { Rng } from '../../src/tensor/random.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { assertClose, positive, randomTensor } from '../helpers/random.js';

const rng = new Rng(11);
const r = (...shape: number[]) => randomTensor(shape, rng);

function check(name: string, fn: (...xs: Tensor[]) => Tensor, inputs: () => Tensor[]): void {
  test(`gradcheck batchNorm ${name}`, () => {
    const result = gradcheck(fn, inputs());
    assert.ok(result.ok, `${name}: max error ${result.maxError} at ${JSON.stringify(result.worst)}`);
  });
}

const train = { training: true };
check(
  'training [N, C] wrt x, γ, β',
  (x, g, b) => ops.batchNorm(x, g, b, train).output,
  () => [r(5, 3), positive([3], rng), r(3)],
);
check(
  'training [N, C, H, W] wrt x, γ, β',
  (x, g, b) => ops.batchNorm(x, g, b, train).output,
  () => [r(3, 2, 4, 3), positive([2], rng), r(2)],
);
check(
  'training batch of 2',
  (x, g, b) => ops.batchNorm(x, g, b, train).output,
  () => [r(2, 4), positive([4], rng), r(4)],
);
check(
  'training, channels last (axis −1)',
  (x, g, b) => ops.batchNorm(x, g, b, { ...train, axis: -1 }).output,
  () => [r(2, 3, 4), positive([4], rng), r(4)],
);
check(
  'training without γ and β',
  (x) => ops.batchNorm(x, null, null, { ...train, eps: 1e-3 }).output,
  () => [r(4, 2, 3, 2)],
);
check(
  'training, then a nonlinearity (non-trivial cotangent through μ and σ²)',
  (x, g, b) => ops.square(ops.batchNorm(ops.mul(x, 3), g, b, train).output),
  () => [r(6, 2), positive([2], rng), r(2)],
);
check(
  'inference with running statistics',
  (x, g, b) =>
    ops.batchNorm(x, g, b, {
      runningMean: fromArray([0.2, -0.1], [2], { dtype: 'float64' }),
      runningVar: fromArray([0.8, 1.3], [2], { dtype: 'float64' }),
    }).output,
  () => [r(2, 2, 3, 3), positive([2], rng), r(2)],
);

// ---- PyTorch fixtures ------------------------------------------------------------------

interface Encoded {
  shape: number[];
  data: number[];
}
interface TorchCase {
  name: string;
  options: { training: boolean; eps: number; momentum: number };
  inputs: { x: Encoded; gamma: Encoded; beta: Encoded };
  output: Encoded;
  cotangent: Encoded;
  grads: { x: Encoded; gamma: Encoded; beta: Encoded };
  runningMean: Encoded;
  runningVar: Encoded;
  newRunningMean: Encoded;
  newRunningVar: Encoded;
  batchMean?: Encoded;
  batchVar?: Encoded;
}

const url = new URL('../../../test/fixtures/conv/batchnorm.json', import.meta.url);
const cases = (JSON.parse(readFileSync(url, 'utf8')) as { cases: TorchCase[] }).cases;

for (const c of cases) {
  for (const dtype of ['float64', 'float32'] as const) {
    test(`batchNorm equals PyTorch (${dtype}): ${c.name}`, () => {
      tidy(() => {
        const tol = dtype === 'float64' ? 1e-8 : 2e-5;
        const t = (e: Encoded) => fromArray(e.data, e.shape, { dtype });
        const [x, gamma, beta] = [t(c.inputs.x), t(c.inputs.gamma), t(c.inputs.beta)];
        for (const p of [x, gamma, beta]) p.requiresGrad = true;
        const runningMean = t(c.runningMean);
        const runningVar = t(c.runningVar);
        const result = ops.batchNorm(x, gamma, beta, { ...c.options, runningMean, runningVar });
        assertClose(result.output.dataSync(), c.output.data, tol, 'output');
        assertClose(runningMean.dataSync(), c.newRunningMean.data, tol, 'running mean');
        assertClose(runningVar.dataSync(), c.newRunningVar.data, tol, 'running var');
        if (c.batchMean) assertClose(result.mean!.dataSync(), c.batchMean.data, tol, 'batch mean');
        if (c.batchVar) assertClose(result.variance!.dataSync(), c.batchVar.data, tol, 'batch variance');
        backward(result.output, t(c.cotangent));
        assertClose(x.grad!.dataSync(), c.grads.x.data, tol, 'dx');
        assertClose(gamma.grad!.dataSync(), c.grads.gamma.data, tol, 'dgamma');
        assertClose(beta.grad!.dataSync(), c.grads.beta.data, tol, 'dbeta');
      });
    });
  }
}

// ---- behaviour ---------------------------------------------------------------------------

test('batchNorm training: each channel of the output has mean β and standard deviation γ', () => {
  const x = r(4, 3, 5, 2);
  const gamma = fromArray([1, 2, 0.5], [3], { dtype: 'float64' });
  const beta = fromArray([0, -1, 3], [3], { dtype: 'float64' });
  const { output, mean, variance, count } = ops.batchNorm(x, gamma, beta, { training: true, eps: 0 });
  assert.equal(count, 40);
  const y = output.dataSync();
  for (let c = 0; c < 3; c++) {
    const values: number[] = [];
    for (let n = 0; n < 4; n++) for (let k = 0; k < 10; k++) values.push(y[(n * 3 + c) * 10 + k]);
    const m = values.reduce((s, v) => s + v, 0) / values.length;
    const v = values.reduce((s, u) => s + (u - m) ** 2, 0) / values.length;
    assert.ok(Math.abs(m - [0, -1, 3][c]) < 1e-12);
    assert.ok(Math.abs(Math.sqrt(v) - [1, 2, 0.5][c]) < 1e-12);
  }
  assert.deepEqual(mean!.shape, [3]);
  assert.deepEqual(variance!.shape, [3]);
});

test('batchNorm: the running averages follow PyTorch (momentum 0.1, unbiased variance); float32 buffers with float64 input', () => {
  const x = fromArray(
    [
      [1, 10],
      [3, 20],
      [5, 60],
    ],
    undefined,
    { dtype: 'float64' },
  );
  const runningMean = zeros([2]);
  const runningVar = ones([2]);
  ops.batchNorm(x, null, null, { training: true, runningMean, runningVar, momentum: 0.1 });
  assert.equal(runningMean.dtype, 'float32');
  assertClose(runningMean.dataSync(), [0.3, 3], 1e-6);
  // Unbiased batch variances: 4 and 700.
  assertClose(runningVar.dataSync(), [0.9 + 0.4, 0.9 + 70], 1e-6);
  // Inference uses them.
  const y = ops.batchNorm(fromArray([[0.3, 3]], undefined, { dtype: 'float64' }), null, null, {
    runningMean,
    runningVar,
    eps: 0,
  });
  assertClose(y.output.dataSync(), [0, 0], 1e-6);
});

test('batchNorm: errors name the op and the shapes', () => {
  assert.throws(
    () => ops.batchNorm(r(4, 3), r(2), null, { training: true }),
    (e: unknown) =>
      e instanceof ShapeError && /gamma must be shaped \[3\] for input \[4, 3\]/.test(e.message),
  );
  assert.throws(
    () => ops.batchNorm(r(1, 3), null, null, { training: true, name: 'bn_1 (batchNorm1d)' }),
    /ShapeError: bn_1 \(batchNorm1d\): training needs more than one value per channel/,
  );
  assert.throws(
    () => ops.batchNorm(r(4, 3), null, null),
    (e: unknown) => e instanceof ConfigError && /needs runningMean and runningVar/.test(e.message),
  );
  assert.throws(() => ops.batchNorm(r(4), null, null, { training: true }), ShapeError);
  assert.throws(
    () => ops.batchNorm(r(4, 3), null, null, { training: true, runningMean: zeros([3]) }),
    /both runningMean and runningVar/,
  );
});

test('batchNorm: no tensors leak beyond the result and gradients', () => {
  const x = r(4, 3, 2, 2);
  const gamma = positive([3], rng);
  const beta = r(3);
  gamma.requiresGrad = true;
  beta.requiresGrad = true;
  const runningMean = zeros([3]);
  const runningVar = ones([3]);
  const before = memory().numTensors;
  tidy(() => {
    ops.sum(ops.batchNorm(x, gamma, beta, { training: true, runningMean, runningVar }).output).backward();
  });
  assert.equal(memory().numTensors, before + 2);
});

test('batchNorm: float32 γ and β with a float64 input compute in float64; their gradients come back float32', () => {
  const gamma = ones([2]);
  const beta = zeros([2]);
  gamma.requiresGrad = true;
  beta.requiresGrad = true;
  const { output } = ops.batchNorm(r(4, 2), gamma, beta, { training: true });
  assert.equal(output.dtype, 'float64');
  ops.sum(ops.square(output)).backward();
  assert.equal(gamma.grad!.dtype, 'float32');
  assertClose(gamma.grad!.dataSync(), [8, 8], 1e-4);
  assert.equal(beta.grad!.dtype, 'float32');
});

test('batchNorm in training without a gradient keeps only the output and the batch statistics', () => {
  const x = r(4, 3);
  const before = memory().numTensors;
  const result = noGrad(() => ops.batchNorm(x, null, null, { training: true }));
  assert.equal(memory().numTensors, before + 3);
  for (const t of [result.output, result.mean!, result.variance!]) t.dispose();
});

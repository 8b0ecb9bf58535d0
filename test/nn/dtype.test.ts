// The model's dtype is honoured: a model built on float64 inputs has float64 parameters and
// buffers everywhere (initialisers, batch norm's γ, β and statistics, prelu's α), so a float64
// gradient check of a batch-normalised model agrees to 1e-10.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/autograd/index.js';
import * as nn from '../../src/nn/index.js';
import { gradcheck } from '../../src/autograd/gradcheck.js';
import { noGrad } from '../../src/autograd/tape.js';
import { fromArray, randn } from '../../src/tensor/creation.js';
import { setSeed } from '../../src/tensor/random.js';
import { sum } from '../../src/ops/reduce.js';
import { mul } from '../../src/ops/arithmetic.js';
import { ShapeError } from '../../src/errors.js';
import type { Tensor } from '../../src/tensor/tensor.js';

function batchNormalisedMlp(): nn.Sequential {
  return nn.sequential([
    nn.dense({ units: 5, activation: 'tanh' }),
    nn.batchNorm1d(),
    nn.dense({ units: 4 }),
    nn.prelu(),
    nn.batchNorm1d(),
    nn.dense({ units: 3 }),
  ]);
}

/**
 * The largest error of backward()'s gradients of `loss` with respect to `leaves`, against the
 * five-point stencil (−L(w+2h) + 8L(w+h) − 8L(w−h) + L(w−2h)) / 12h, whose O(h⁴) truncation
 * leaves room to tell 1e-10 from float32's 1e-8 (plain central differences cannot).
 */
function gradientError(leaves: readonly Tensor[], loss: () => Tensor, h = 3e-4): number {
  for (const t of leaves) t.grad = null;
  loss().backward();
  let worst = 0;
  for (const t of leaves) {
    const analytic = Float64Array.from(t.grad!.dataSync());
    const values = Float64Array.from(t.dataSync());
    const at = (k: number, value: number): number => {
      const original = values[k];
      values[k] = value;
      const s = t.backend.upload('float64', values);
      t.backend.cast(s, 'float64', t.storage, 'float64', t.size);
      t.backend.free(s);
      values[k] = original;
      const l = noGrad(() => loss().item());
      return l;
    };
    for (let k = 0; k < values.length; k++) {
      const w = values[k];
      const numeric = (-at(k, w + 2 * h) + 8 * at(k, w + h) - 8 * at(k, w - h) + at(k, w - 2 * h)) / (12 * h);
      at(k, w);
      worst = Math.max(worst, Math.abs(analytic[k] - numeric) / Math.max(1, Math.abs(numeric)));
    }
  }
  return worst;
}

test('a model built on float64 inputs is float64 throughout: parameters and batch-norm buffers', () => {
  setSeed(3);
  const net = batchNormalisedMlp();
  const x = randn([6, 4], { dtype: 'float64' });
  const y = net.call(x, { training: true });
  assert.equal(y.dtype, 'float64');
  for (const [name, p] of net.namedParameters()) assert.equal(p.dtype, 'float64', name);
  for (const layer of net.layers) {
    if (layer instanceof nn.BatchNorm)
      for (const [name, b] of layer.namedBuffers()) assert.equal(b.dtype, 'float64', name);
  }
  // buildFor says the type without data; float32 stays the default.
  const other = batchNormalisedMlp();
  other.buildFor([1, 4], 'float64');
  assert.ok(other.parameters().every((p) => p.dtype === 'float64'));
  const plain = batchNormalisedMlp();
  plain.buildFor([1, 4]);
  assert.ok(plain.parameters().every((p) => p.dtype === 'float32'));
  // An eager batch norm takes its type as an option.
  const bn = nn.batchNorm1d({ numFeatures: 3, dtype: 'float64' });
  assert.equal(bn.gamma!.dtype, 'float64');
  assert.equal(bn.runningVar.dtype, 'float64');
});

test('a custom initialiser that makes float32 values is cast to the model type', () => {
  const net = nn.dense({
    units: 2,
    kernelInitializer: (shape) => fromArray([1, 2, 3, 4], shape),
  });
  net.buildFor([1, 2], 'float64');
  assert.equal((net as nn.Dense).weight.dtype, 'float64');
  assert.deepEqual(Array.from((net as nn.Dense).weight.dataSync()), [1, 2, 3, 4]);
});

test('float64 gradient check of a batch-normalised model (training mode) within 1e-10', () => {
  setSeed(11);
  const net = batchNormalisedMlp();
  net.buildFor([1, 4], 'float64');
  const x = randn([8, 4], { dtype: 'float64' });
  x.requiresGrad = true;
  const v = randn([8, 3], { dtype: 'float64' });
  // L = Σ v ⊙ net(x): through the batch statistics, γ, β, weights, biases and α.
  const loss = () => sum(mul(net.call(x, { training: true }), v));
  const error = gradientError([x, ...net.parameters()], loss);
  assert.ok(error < 1e-10, `gradient error ${error}`);
  // The library's own gradcheck (central differences) agrees to its differencing noise.
  const byInput = gradcheck((xs) => net.call(xs, { training: true }), [x], { eps: 1e-5, tolerance: 1e-9 });
  assert.ok(byInput.ok, `gradcheck error ${byInput.maxError}`);
});

test('a float32 model given float64 inputs says which layer and what to do', () => {
  const net = nn.sequential([nn.dense({ units: 2, inFeatures: 3 })]);
  assert.throws(
    () => net.call(randn([2, 3], { dtype: 'float64' })),
    (e: unknown) =>
      e instanceof ShapeError && /dense_1 \(dense\).*float32.*float64.*buildFor/.test((e as Error).message),
  );
});

// The tape and backward(): accumulation, shared inputs, diamonds, noGrad, errors,
// freeing of intermediate gradients and deep graphs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backward, isGradEnabled, noGrad } from '../../src/autograd/index.js';
import { fromArray, ones, zeros } from '../../src/tensor/creation.js';
import { keep, memory, tidy } from '../../src/tensor/scope.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { add, exp, mul, sub } from '../../src/ops/arithmetic.js';
import { sigmoid, tanh } from '../../src/ops/activation.js';
import { matmul } from '../../src/ops/matmul.js';
import { mean, sum } from '../../src/ops/reduce.js';
import { Optimizer } from '../../src/optim/optimizer.js';
import { sgd } from '../../src/optim/sgd.js';
import { DescentError, ShapeError } from '../../src/errors.js';

const f64 = (v: number[], shape?: number[], requiresGrad = false) =>
  fromArray(v, shape, { dtype: 'float64', requiresGrad });
const grad = (t: Tensor): number[] => {
  assert.ok(t.grad, `${t.name ?? 'tensor'} has no gradient`);
  return Array.from(t.grad.dataSync());
};

function assertClose(actual: number[], expected: number[], tol = 1e-12): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((a, i) =>
    assert.ok(
      Math.abs(a - expected[i]) <= tol * Math.max(1, Math.abs(expected[i])),
      `[${i}]: ${a} vs ${expected[i]}`,
    ),
  );
}

test('gradients accumulate across backward calls until zeroed', () => {
  const x = f64([1, 2, 3], undefined, true);
  sum(mul(x, 2)).backward();
  assert.deepEqual(grad(x), [2, 2, 2]);
  const first = x.grad;
  sum(mul(x, x)).backward(); // + 2x
  assert.deepEqual(grad(x), [4, 6, 8]);
  assert.equal(x.grad, first, 'accumulated in place into the same gradient tensor');
  assert.equal(x.grad!.dtype, 'float64');
  assert.deepEqual(x.grad!.shape, [3]);
  assert.equal(x.grad!.kept, true, 'a leaf gradient outlives tidy scopes');
});

test('Optimizer.zeroGrad zeroes gradients in place; the next backward starts from zero', () => {
  const w = f64([0.5, -1], [2], true);
  const opt = new Optimizer(sgd({ lr: 0.1 }), [w]);
  sum(mul(w, 3)).backward();
  sum(mul(w, 3)).backward();
  assert.deepEqual(grad(w), [6, 6]);
  const buffer = w.grad;
  opt.zeroGrad();
  assert.equal(w.grad, buffer, 'the buffer is reused, not reallocated');
  assert.deepEqual(grad(w), [0, 0]);
  sum(mul(w, w)).backward();
  assert.deepEqual(grad(w), [1, -2]);
  opt.step(); // w ← w − 0.1·∇
  assertClose(Array.from(w.dataSync()), [0.4, -0.8]);
});

test('a tensor used several times gets the sum of its gradients (x·x, x·x·x, x + x)', () => {
  const x = f64([1.5, -2, 0.25], undefined, true);
  sum(mul(x, x)).backward();
  assertClose(grad(x), [3, -4, 0.5]);
  x.grad = null;
  sum(mul(mul(x, x), x)).backward();
  assertClose(grad(x), [3 * 1.5 ** 2, 3 * 4, 3 * 0.0625]);
  x.grad = null;
  sum(add(x, x)).backward();
  assertClose(grad(x), [2, 2, 2]);
  x.grad = null;
  // The same input on both sides of a matmul: d/dA Σ (A·A) for a 2×2 A.
  const a = f64([1, 2, 3, 4], [2, 2], true);
  sum(matmul(a, a)).backward();
  // L = Σᵢⱼₖ AᵢₖAₖⱼ, so ∂L/∂Aₚ_q = Σⱼ A_qⱼ + Σᵢ Aᵢₚ (row sum of row q plus column sum of column p).
  const A = [
    [1, 2],
    [3, 4],
  ];
  const rowSum = A.map((row) => row[0] + row[1]);
  const colSum = [A[0][0] + A[1][0], A[0][1] + A[1][1]];
  const expected = [0, 1, 2, 3].map((k) => rowSum[k % 2] + colSum[Math.floor(k / 2)]);
  assertClose(grad(a), expected);
});

test('diamond graphs: two paths from x meet again', () => {
  // L = Σ (2x)·eˣ  →  ∂L/∂x = 2eˣ + 2x·eˣ
  const xs = [0.3, -1.2, 2];
  const x = f64(xs, undefined, true);
  const a = mul(x, 2);
  const b = exp(x);
  sum(mul(a, b)).backward();
  assertClose(
    grad(x),
    xs.map((v) => 2 * Math.exp(v) + 2 * v * Math.exp(v)),
  );
  assert.equal(a.grad, null, 'intermediates keep no .grad (only leaves do)');

  // y = σ(x); L = Σ (y·y + y − x)  →  ∂L/∂x = (2y + 1)·y(1 − y) − 1
  const z = f64(xs, undefined, true);
  const y = sigmoid(z);
  sum(sub(add(mul(y, y), y), z)).backward();
  assertClose(
    grad(z),
    xs.map((v) => {
      const s = 1 / (1 + Math.exp(-v));
      return (2 * s + 1) * s * (1 - s) - 1;
    }),
  );

  // Two leaves feeding a shared intermediate: h = u·v; L = Σ (h + h·u)
  const u = f64([1, 2], undefined, true);
  const v = f64([3, -1], undefined, true);
  const h = mul(u, v);
  sum(add(h, mul(h, u))).backward();
  // ∂L/∂u = v + 2uv ; ∂L/∂v = u + u²
  assertClose(grad(u), [3 + 2 * 3, -1 + 2 * 2 * -1]);
  assertClose(grad(v), [1 + 1, 2 + 4]);
});

test('only tensors that require a gradient receive one', () => {
  const w = f64([1, 2], undefined, true);
  const c = f64([5, 7]);
  sum(mul(w, c)).backward();
  assert.deepEqual(grad(w), [5, 7]);
  assert.equal(c.grad, null);
  assert.equal(c.requiresGrad, false);
});

test('noGrad records nothing and restores the previous mode, even on error', () => {
  const x = f64([1, 2], undefined, true);
  assert.equal(isGradEnabled(), true);
  const y = noGrad(() => {
    assert.equal(isGradEnabled(), false);
    return mul(x, 3);
  });
  assert.equal(isGradEnabled(), true);
  assert.equal(y.requiresGrad, false);
  assert.equal(y.gradFn, null);
  assert.deepEqual(Array.from(y.dataSync()), [3, 6]);
  assert.throws(() => y.backward(), /does not require a gradient/);

  assert.throws(() =>
    noGrad(() => {
      throw new Error('inside');
    }),
  );
  assert.equal(isGradEnabled(), true);
  // Nested noGrad stays disabled until the outermost one ends.
  noGrad(() => {
    noGrad(() => undefined);
    assert.equal(isGradEnabled(), false);
  });
  // Outside noGrad recording works again.
  const z = mul(x, 3);
  assert.equal(z.requiresGrad, true);
  assert.equal(z.gradFn?.op, 'mul');
});

test('backward on a non-scalar needs an explicit seed of the same shape', () => {
  const x = f64([1, 2, 3], undefined, true);
  const y = mul(x, x);
  assert.throws(
    () => y.backward(),
    (e: Error) =>
      e instanceof ShapeError && /root has shape \[3\]/.test(e.message) && /explicitly/.test(e.message),
  );
  y.backward(f64([1, 0, -1]));
  assert.deepEqual(grad(x), [2, 0, -6]);
  assert.throws(
    () => y.backward(f64([1, 1])),
    (e: Error) => e instanceof ShapeError && e.message.includes('[2]') && e.message.includes('[3]'),
  );
  // A one-element root of any rank needs no seed.
  const w = f64([4], [1, 1], true);
  mul(w, w).backward();
  assert.deepEqual(grad(w), [8]);
  // The function form takes the same arguments.
  const v = f64([1, 1], undefined, true);
  backward(mul(v, 5), f64([2, 3]));
  assert.deepEqual(grad(v), [10, 15]);
});

test('backward on a tensor that requires no gradient says so', () => {
  const x = f64([1, 2]);
  assert.throws(
    () => sum(mul(x, 2)).backward(),
    (e: Error) =>
      e instanceof DescentError &&
      e.message.startsWith('backward(): this tensor does not require a gradient') &&
      /requiresGrad/.test(e.message) &&
      /noGrad\(\)/.test(e.message),
  );
  const gone = f64([1], undefined, true);
  const l = mul(gone, 2);
  l.dispose();
  assert.throws(() => l.backward(), /backward\(\): .* was disposed/);
});

test('intermediate gradients are freed: a training step inside tidy leaves the live count unchanged', () => {
  const w1 = keep(fromArray([0.1, -0.2, 0.3, 0.4, -0.5, 0.6], [3, 2], { requiresGrad: true }));
  const b1 = keep(zeros([2], { requiresGrad: true }));
  const w2 = keep(fromArray([0.7, -0.8], [2, 1], { requiresGrad: true }));
  const x = keep(fromArray([1, 2, 3, -1, 0, 2, 0.5, 0.5, 0.5, 2, -2, 1], [4, 3]));
  const params = [w1, b1, w2];
  const opt = new Optimizer(sgd({ lr: 0.1 }), params);
  const stepOnce = () =>
    tidy(() => {
      opt.zeroGrad();
      const h = tanh(add(matmul(x, w1), b1));
      const loss = sum(mul(sigmoid(matmul(h, w2)), 2));
      loss.backward();
      opt.step();
    });

  const start = memory().numTensors;
  stepOnce();
  assert.equal(
    memory().numTensors,
    start + params.length,
    'the first step adds exactly one .grad per parameter',
  );
  const afterFirst = memory();
  for (let i = 0; i < 5; i++) {
    stepOnce();
    assert.equal(memory().numTensors, afterFirst.numTensors, `step ${i + 2}`);
    assert.equal(memory().totalBytes, afterFirst.totalBytes, `bytes after step ${i + 2}`);
  }
});

test('backward frees intermediate gradients and temporaries as it goes: only leaf gradients remain', () => {
  // Broadcasting (bias, constants) and reductions make temporaries in the backward pass too.
  const w = keep(fromArray([0.5, -0.25, 1, 0.75], [2, 2], { requiresGrad: true }));
  const v = keep(fromArray([1, -1, 2, 0.5], [2, 2], { requiresGrad: true }));
  const b = keep(fromArray([0.1, -0.1], [2], { requiresGrad: true }));
  const x = keep(fromArray([1, 2, 3, 4, 5, 6], [3, 2]));
  const start = memory().numTensors;
  const h = tanh(matmul(x, w));
  const loss = mean(mul(mul(sigmoid(add(matmul(h, v), b)), h), 3));
  const afterForward = memory().numTensors;
  assert.ok(afterForward > start);
  loss.backward();
  assert.equal(memory().numTensors, afterForward + 3, 'three new leaf gradients and nothing else');
  // The forward graph is still usable (not disposed by backward).
  assert.equal(h.isDisposed, false);
});

test('a chain of 5000 ops back-propagates without overflowing the stack', () => {
  const x = f64([1, -2], undefined, true);
  const start = memory().numTensors;
  const n = 5000;
  tidy(() => {
    let y = x;
    for (let i = 0; i < n; i++) y = i % 2 === 0 ? mul(y, 1.0001) : add(y, 0.5);
    sum(y).backward();
  });
  assertClose(grad(x), [1.0001 ** 2500, 1.0001 ** 2500], 1e-9);
  assert.equal(memory().numTensors, start + 1, 'everything but x.grad is freed');

  // A wide fan-in too: one leaf feeding 5000 products summed up one by one.
  const w = f64([2], undefined, true);
  tidy(() => {
    let acc = mul(w, 0);
    for (let i = 1; i <= n; i++) acc = add(acc, mul(w, 1));
    acc.backward(ones([1], { dtype: 'float64' }));
  });
  assert.deepEqual(grad(w), [n]);
});

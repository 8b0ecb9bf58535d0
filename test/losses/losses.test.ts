// Loss values against numbers worked out by hand, their gradients at the edges, and shape errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/autograd/index.js'; // Tensor.prototype.backward
import {
  binaryCrossEntropy,
  binaryCrossEntropyFromLogits,
  categoricalCrossEntropy,
  crossEntropy,
  getLoss,
  klDivergence,
  losses,
  mse,
  sse,
} from '../../src/losses/index.js';
import { fromArray } from '../../src/tensor/creation.js';
import { Rng } from '../../src/tensor/random.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { sigmoid, softmax } from '../../src/ops/activation.js';
import { ConfigError, ShapeError } from '../../src/errors.js';

const f64 = (v: number[] | number[][], requiresGrad = false): Tensor =>
  fromArray(v, undefined, { dtype: 'float64', requiresGrad });

function close(actual: number, expected: number, tol = 1e-12, what = 'value'): void {
  assert.ok(
    Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected)),
    `${what}: ${actual} vs ${expected}`,
  );
}

function randomRows(n: number, c: number, r: Rng, scale = 2): number[][] {
  return Array.from({ length: n }, () => Array.from({ length: c }, () => r.uniformIn(-scale, scale)));
}

test('mse is the mean of squared errors over every element; its gradient is 2(ŷ − y)/n', () => {
  const p = f64(
    [
      [1, 2],
      [3, 4],
    ],
    true,
  );
  const y = f64([
    [1, 1],
    [1, 1],
  ]);
  const l = mse(p, y);
  assert.deepEqual(l.shape, [], 'losses are scalars');
  close(l.item(), (0 + 1 + 4 + 9) / 4);
  l.backward();
  assert.deepEqual(Array.from(p.grad!.dataSync()), [0, 0.5, 1, 1.5]);
  // Integer targets are converted to the prediction's dtype.
  close(mse(f64([0.5, 2]), fromArray(new Int32Array([1, 2]))).item(), 0.125);
});

test("sse is ½ Σ (ŷ − y)² — the lectures' quadratic cost, not averaged; its gradient is ŷ − y", () => {
  const p = f64(
    [
      [1, 2],
      [3, 4],
    ],
    true,
  );
  const y = f64([
    [1, 1],
    [1, 1],
  ]);
  const l = sse(p, y);
  close(l.item(), 0.5 * 14);
  l.backward();
  assert.deepEqual(Array.from(p.grad!.dataSync()), [0, 1, 2, 3]);
});

test('binaryCrossEntropy matches −mean[y ln p + (1 − y) ln(1 − p)], soft labels included', () => {
  const p = [0.9, 0.2, 0.6, 0.35];
  const y = [1, 0, 0.5, 1];
  const expected =
    -p.reduce((s, pi, i) => s + y[i] * Math.log(pi) + (1 - y[i]) * Math.log(1 - pi), 0) / p.length;
  close(binaryCrossEntropy(f64(p), f64(y)).item(), expected);
  close(getLoss('bce')(f64([[0.9], [0.2]]), f64([[1], [0]])).item(), -(Math.log(0.9) + Math.log(0.8)) / 2);
});

test('binaryCrossEntropy clamps each log at −100 like PyTorch (no Infinity, no NaN)', () => {
  // Confidently wrong: each term is −(−100).
  close(binaryCrossEntropy(f64([0, 1]), f64([1, 0])).item(), 100);
  // Confidently right: exactly 0, not NaN from 0·(−∞).
  const right = binaryCrossEntropy(f64([0, 1]), f64([0, 1])).item();
  assert.ok(Object.is(right, 0) || Object.is(right, -0), `got ${right}`);
  assert.equal(Math.abs(right), 0);
  // Mixed, in float32 too.
  close(binaryCrossEntropy(fromArray([0, 0.5]), fromArray([1, 1])).item(), (100 + Math.LN2) / 2, 1e-6);
});

test('binaryCrossEntropy has finite gradients where p reaches exactly 0 or 1', () => {
  // A sigmoid output saturates to exactly 1.0 in float32 for z ≳ 17 — a confident, correct
  // prediction. Back-propagating through BCE must not turn that into NaN.
  const z = fromArray([[20], [-120], [0.5]], undefined, { requiresGrad: true });
  const y = fromArray([[1], [0], [1]]);
  const l = binaryCrossEntropy(sigmoid(z), y);
  assert.ok(Number.isFinite(l.item()), `loss ${l.item()}`);
  l.backward();
  const g = Array.from(z.grad!.dataSync());
  assert.ok(g.every(Number.isFinite), `∂L/∂z = ${g}`);
  // Away from saturation the gradient is the familiar (σ(z) − y)/n.
  close(g[2], (1 / (1 + Math.exp(-0.5)) - 1) / 3, 1e-6);

  const p = f64([0, 1, 0.5], true);
  binaryCrossEntropy(p, f64([1, 0, 1])).backward();
  const gp = Array.from(p.grad!.dataSync());
  assert.ok(gp.every(Number.isFinite), `∂L/∂p = ${gp}`);
  close(gp[2], -1 / 0.5 / 3);
});

test('binaryCrossEntropyFromLogits equals binaryCrossEntropy(sigmoid(z)) and stays finite for any z', () => {
  const r = new Rng(1);
  const z = randomRows(6, 2, r, 4);
  const y = randomRows(6, 2, r, 1).map((row) => row.map((v) => Math.abs(v)));
  close(
    binaryCrossEntropyFromLogits(f64(z), f64(y)).item(),
    binaryCrossEntropy(sigmoid(f64(z)), f64(y)).item(),
    1e-12,
  );
  // Closed form: softplus(z) − z·y.
  const flat = z.flat();
  const yf = y.flat();
  const expected = flat.reduce((s, v, i) => s + Math.log1p(Math.exp(v)) - v * yf[i], 0) / flat.length;
  close(binaryCrossEntropyFromLogits(f64(z), f64(y)).item(), expected, 1e-12);
  // Extreme logits: no overflow.
  close(binaryCrossEntropyFromLogits(f64([1000, -1000]), f64([0, 1])).item(), 1000);
  close(binaryCrossEntropyFromLogits(f64([1000, -1000]), f64([1, 0])).item(), 0);
  const big = fromArray([80, -80, 200], undefined, { requiresGrad: true });
  const l = binaryCrossEntropyFromLogits(big, fromArray([0, 0, 1]));
  assert.ok(Number.isFinite(l.item()));
  l.backward();
  assert.ok(Array.from(big.grad!.dataSync()).every(Number.isFinite));
});

test('crossEntropy from logits: hand-computed value; integer labels equal one-hot targets', () => {
  const logits = [
    [1, 2, 3],
    [1, 1, 1],
  ];
  const labels = [2, 0];
  const lse = (row: number[]) => Math.log(row.reduce((s, v) => s + Math.exp(v), 0));
  const expected = (lse(logits[0]) - 3 + (lse(logits[1]) - 1)) / 2;
  close(crossEntropy(f64(logits), fromArray(new Int32Array(labels))).item(), expected);
  close(
    crossEntropy(
      f64(logits),
      f64([
        [0, 0, 1],
        [1, 0, 0],
      ]),
    ).item(),
    expected,
  );

  const r = new Rng(2);
  const z = randomRows(7, 4, r);
  const ints = Array.from({ length: 7 }, () => r.int(4));
  const oneHot = ints.map((c) => [0, 1, 2, 3].map((k) => (k === c ? 1 : 0)));
  const a = f64(z, true);
  const b = f64(z, true);
  const la = crossEntropy(a, fromArray(new Int32Array(ints)));
  const lb = crossEntropy(b, f64(oneHot));
  close(la.item(), lb.item(), 1e-14);
  la.backward();
  lb.backward();
  assert.deepEqual(Array.from(a.grad!.dataSync()), Array.from(b.grad!.dataSync()));
  // Gradient: (softmax(z) − onehot)/N.
  const s = softmax(f64(z)).dataSync();
  const g = a.grad!.dataSync();
  for (let i = 0; i < g.length; i++) close(g[i], (s[i] - oneHot.flat()[i]) / 7, 1e-12, `grad[${i}]`);
  // Float labels of integer value are accepted as labels; soft targets work.
  close(crossEntropy(f64(logits), f64(labels)).item(), expected);
  const soft = [
    [0.2, 0.3, 0.5],
    [0.6, 0.2, 0.2],
  ];
  const softExpected =
    soft.reduce(
      (acc, row, i) => acc + row.reduce((s2, t, c) => s2 + t * (lse(logits[i]) - logits[i][c]), 0),
      0,
    ) / 2;
  close(crossEntropy(f64(logits), f64(soft)).item(), softExpected);
  // Large logits are handled stably.
  close(crossEntropy(f64([[1000, 0]]), fromArray(new Int32Array([1]))).item(), 1000);
});

test('klDivergence is ≥ 0, 0 for equal distributions, and matches Σ p ln(p/q) / N', () => {
  const r = new Rng(3);
  for (let trial = 0; trial < 5; trial++) {
    const p = softmax(f64(randomRows(4, 5, r)));
    const q = softmax(f64(randomRows(4, 5, r)));
    assert.ok(klDivergence(q, p).item() >= 0);
    assert.ok(Math.abs(klDivergence(p, p).item()) < 1e-15);
  }
  const target = [
    [0.5, 0.5],
    [0.9, 0.1],
  ];
  const prediction = [
    [0.25, 0.75],
    [0.5, 0.5],
  ];
  const expected =
    (0.5 * Math.log(0.5 / 0.25) +
      0.5 * Math.log(0.5 / 0.75) +
      0.9 * Math.log(0.9 / 0.5) +
      0.1 * Math.log(0.1 / 0.5)) /
    2;
  close(klDivergence(f64(prediction), f64(target)).item(), expected);
  // Zeros are clipped to 1e-7 (Keras): finite even where q = 0, and 0·ln 0 counts as 0.
  const clipped = klDivergence(f64([[1, 0]]), f64([[0, 1]])).item();
  close(clipped, Math.log(1 / 1e-7) + 1e-7 * Math.log(1e-7 / 1), 1e-9);
  close(klDivergence(f64([[1, 0]]), f64([[1, 0]])).item(), 0);
});

test('shape mismatches are errors naming the loss and both shapes', () => {
  const shapes = (e: Error, name: string, a: string, b: string) =>
    e instanceof ShapeError &&
    e.message.includes(`'${name}'`) &&
    e.message.includes(a) &&
    e.message.includes(b);
  for (const name of [
    'mse',
    'sse',
    'binaryCrossEntropy',
    'binaryCrossEntropyFromLogits',
    'klDivergence',
  ] as const) {
    assert.throws(
      () =>
        losses[name](
          f64([
            [0.5, 0.5, 0.5],
            [0.5, 0.5, 0.5],
          ]),
          f64([
            [1, 0],
            [0, 1],
            [1, 1],
          ]),
        ),
      (e: Error) => shapes(e, name, '[2, 3]', '[3, 2]'),
    );
  }
  // A column of predictions against a row of targets is a mistake, not a broadcast.
  assert.throws(
    () => mse(f64([[1], [2], [3]]), f64([1, 2, 3])),
    (e: Error) => shapes(e, 'mse', '[3, 1]', '[3]'),
  );
  assert.throws(
    () => crossEntropy(f64([1, 2, 3]), fromArray(new Int32Array([0]))),
    (e: Error) =>
      e instanceof ShapeError && /\[batch, classes\]/.test(e.message) && e.message.includes('[3]'),
  );
  assert.throws(
    () =>
      crossEntropy(
        f64([
          [1, 2],
          [3, 4],
        ]),
        fromArray(new Int32Array([0, 1, 1])),
      ),
    (e: Error) => e instanceof ShapeError && /3 labels/.test(e.message) && /batch of 2/.test(e.message),
  );
  assert.throws(
    () =>
      crossEntropy(
        f64([
          [1, 2],
          [3, 4],
        ]),
        f64([
          [1, 0, 0],
          [0, 1, 0],
        ]),
      ),
    (e: Error) => shapes(e, 'crossEntropy', '[2, 2]', '[2, 3]'),
  );
  assert.throws(
    () =>
      crossEntropy(
        f64([
          [1, 2],
          [3, 4],
        ]),
        fromArray(new Int32Array([0, 2])),
      ),
    (e: Error) => e instanceof ShapeError && /label 2/.test(e.message) && /\[0, 2\)/.test(e.message),
  );
});

test('losses by name: aliases work; an unknown name lists the valid ones', () => {
  assert.equal(getLoss('mse'), mse);
  assert.equal(getLoss('meanSquaredError'), mse);
  // Keras's names take probabilities (test/losses/from-logits.test.ts).
  assert.equal(getLoss('categoricalCrossEntropy'), categoricalCrossEntropy);
  assert.equal(getLoss('sparseCategoricalCrossEntropy'), categoricalCrossEntropy);
  assert.equal(getLoss('kld'), klDivergence);
  const custom = (a: Tensor) => a;
  assert.equal(getLoss(custom), custom);
  assert.throws(
    () => getLoss('hinge' as never),
    (e: Error) =>
      e instanceof ConfigError &&
      e.message.startsWith("Unknown loss 'hinge'. Valid losses: ") &&
      Object.keys(losses).every((n) => e.message.includes(n)),
  );
});

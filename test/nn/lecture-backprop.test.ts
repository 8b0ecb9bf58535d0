// Acceptance: a sigmoid MLP's gradients equal the lecture's backpropagation equations,
// computed here in plain JavaScript arrays, independently of the library:
//
//   δᴸ = ∇ₐC ⊙ σ′(zᴸ)
//   δˡ = ((wˡ⁺¹)ᵀ δˡ⁺¹) ⊙ σ′(zˡ)
//   ∂C/∂bˡ = δˡ
//   ∂C/∂wˡ = δˡ (aˡ⁻¹)ᵀ        (wˡ is [units, inputs], so ∂C/∂wˡⱼₖ = δˡⱼ aˡ⁻¹ₖ)
//
// summed over the samples of a small batch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/autograd/index.js'; // Tensor.prototype.backward
import * as nn from '../../src/nn/index.js';
import type { Initializer } from '../../src/nn/initializers.js';
import { mse, sse } from '../../src/losses/index.js';
import { fromArray } from '../../src/tensor/creation.js';
import { Rng, setSeed } from '../../src/tensor/random.js';
import type { Tensor } from '../../src/tensor/tensor.js';

type Matrix = number[][];

const sigma = (z: number) => 1 / (1 + Math.exp(-z));
const sigmaPrime = (z: number) => sigma(z) * (1 - sigma(z));

interface LayerValues {
  w: Matrix; // [units][inputs]
  b: number[];
}

interface Gradients {
  dw: Matrix[];
  db: number[][];
  cost: number;
}

/**
 * The lecture's algorithm for one network and a batch. `costGradient(a, y)` is ∇ₐC for
 * one sample's output; `cost(a, y)` its contribution to C.
 */
function lectureBackprop(
  layers: LayerValues[],
  xs: number[][],
  ys: number[][],
  costGradient: (a: number[], y: number[]) => number[],
  cost: (a: number[], y: number[]) => number,
): Gradients {
  const dw = layers.map((l) => l.w.map((row) => row.map(() => 0)));
  const db = layers.map((l) => l.b.map(() => 0));
  let total = 0;
  xs.forEach((x, s) => {
    // Forward: zˡ = wˡ aˡ⁻¹ + bˡ, aˡ = σ(zˡ).
    const a: number[][] = [x];
    const z: number[][] = [];
    for (const { w, b } of layers) {
      const prev = a[a.length - 1];
      const zl = w.map((row, j) => row.reduce((acc, wjk, k) => acc + wjk * prev[k], b[j]));
      z.push(zl);
      a.push(zl.map(sigma));
    }
    const output = a[a.length - 1];
    total += cost(output, ys[s]);
    // Output error δᴸ = ∇ₐC ⊙ σ′(zᴸ).
    const L = layers.length - 1;
    let delta = costGradient(output, ys[s]).map((g, j) => g * sigmaPrime(z[L][j]));
    for (let l = L; l >= 0; l--) {
      // ∂C/∂bˡ = δˡ, ∂C/∂wˡⱼₖ = δˡⱼ aˡ⁻¹ₖ (a[l] is aˡ⁻¹: a[0] is the input).
      delta.forEach((d, j) => {
        db[l][j] += d;
        a[l].forEach((ak, k) => (dw[l][j][k] += d * ak));
      });
      if (l > 0) {
        // δˡ⁻¹ = ((wˡ)ᵀ δˡ) ⊙ σ′(zˡ⁻¹).
        const w = layers[l].w;
        delta = z[l - 1].map(
          (zk, k) => w.reduce((acc, row, j) => acc + row[k] * delta[j], 0) * sigmaPrime(zk),
        );
      }
    }
  });
  return { dw, db, cost: total };
}

function randomMatrix(rows: number, cols: number, r: Rng, scale = 1): Matrix {
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => r.uniformIn(-scale, scale)));
}

/** An initializer that returns exactly these values, in float64. */
function constant(values: number[]): Initializer {
  return (shape) => fromArray(values, shape, { dtype: 'float64' });
}

function assertMatches(actual: ArrayLike<number>, expected: number[], tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]) / Math.max(1e-3, Math.abs(expected[i]));
    assert.ok(
      err <= tol,
      `${what}[${i}]: library ${actual[i]}, lecture ${expected[i]} (relative error ${err} > ${tol})`,
    );
  }
}

function gradOf(t: Tensor | null | undefined, what: string): Float32Array | Float64Array {
  assert.ok(t?.grad, `${what} has no gradient`);
  return t.grad.dataSync() as Float32Array | Float64Array;
}

interface Case {
  sizes: number[]; // [inputs, hidden…, outputs]
  batch: number;
  loss: 'sse' | 'mse';
  seed: number;
}

/** Builds the library network with the given float64 values and compares every gradient. */
function compareFloat64({ sizes, batch, loss, seed }: Case): void {
  const r = new Rng(seed);
  const layers: LayerValues[] = [];
  for (let l = 1; l < sizes.length; l++) {
    layers.push({
      w: randomMatrix(sizes[l], sizes[l - 1], r),
      b: Array.from({ length: sizes[l] }, () => r.uniformIn(-0.5, 0.5)),
    });
  }
  const xs = randomMatrix(batch, sizes[0], r, 2);
  const ys = Array.from({ length: batch }, () =>
    Array.from({ length: sizes[sizes.length - 1] }, () => r.uniform()),
  );

  const dense = layers.map((l) =>
    nn.dense({
      units: l.w.length,
      activation: 'sigmoid',
      kernelInitializer: constant(l.w.flat()),
      biasInitializer: constant(l.b),
    }),
  );
  const net = nn.sequential(dense);
  const x = fromArray(xs, undefined, { dtype: 'float64' });
  const y = fromArray(ys, undefined, { dtype: 'float64' });
  const output = net.call(x);
  assert.equal(output.dtype, 'float64');
  const C = loss === 'sse' ? sse(output, y) : mse(output, y);
  C.backward();

  // sse: C = ½ Σₛ Σⱼ (aⱼ − yⱼ)², ∇ₐC = a − y.   mse: C = 1/(N·K) Σₛ Σⱼ (aⱼ − yⱼ)², ∇ₐC = 2(a − y)/(N·K).
  const count = batch * sizes[sizes.length - 1];
  const lecture =
    loss === 'sse'
      ? lectureBackprop(
          layers,
          xs,
          ys,
          (a, t) => a.map((v, j) => v - t[j]),
          (a, t) => 0.5 * a.reduce((s, v, j) => s + (v - t[j]) ** 2, 0),
        )
      : lectureBackprop(
          layers,
          xs,
          ys,
          (a, t) => a.map((v, j) => (2 * (v - t[j])) / count),
          (a, t) => a.reduce((s, v, j) => s + (v - t[j]) ** 2, 0) / count,
        );

  assertMatches([C.item()], [lecture.cost], 1e-12, 'cost');
  dense.forEach((layer, l) => {
    assert.deepEqual(
      layer.weight.shape,
      [sizes[l + 1], sizes[l]],
      'weights are [units, inputs] (PyTorch layout)',
    );
    assert.equal(layer.weight.dtype, 'float64');
    assertMatches(
      gradOf(layer.weight, `${layer.name}.weight`),
      lecture.dw[l].flat(),
      1e-10,
      `${layer.name} ∂C/∂w`,
    );
    assertMatches(gradOf(layer.bias, `${layer.name}.bias`), lecture.db[l], 1e-10, `${layer.name} ∂C/∂b`);
  });
}

test('2-layer sigmoid MLP, quadratic cost (sse = ½Σ): gradients equal the lecture equations (float64)', () => {
  compareFloat64({ sizes: [3, 4, 2], batch: 5, loss: 'sse', seed: 1 });
});

test('2-layer sigmoid MLP, mean squared error: gradients equal the lecture equations (float64)', () => {
  compareFloat64({ sizes: [4, 3, 3], batch: 6, loss: 'mse', seed: 2 });
});

test('single sample and a deeper 3-layer sigmoid MLP: the recursion for δˡ holds at every layer', () => {
  compareFloat64({ sizes: [2, 3, 2], batch: 1, loss: 'sse', seed: 3 });
  compareFloat64({ sizes: [5, 4, 3, 2], batch: 4, loss: 'sse', seed: 4 });
});

test('default float32 network (glorot weights, zero biases) matches the lecture equations to 1e-5', () => {
  setSeed(11);
  const net = nn.sequential([
    nn.dense({ units: 4, activation: 'sigmoid' }),
    nn.dense({ units: 2, activation: 'sigmoid' }),
  ]);
  const r = new Rng(12);
  const xs = randomMatrix(8, 3, r, 1.5);
  const ys = Array.from({ length: 8 }, () => [r.uniform() < 0.5 ? 0 : 1, r.uniform()]);
  const output = net.call(fromArray(xs));
  const C = sse(output, fromArray(ys));
  C.backward();

  const [d1, d2] = net.layers as nn.Dense[];
  assert.equal(d1.weight.dtype, 'float32');
  // Read the library's (float32) parameters back and run the lecture's algorithm in float64.
  const read = (d: nn.Dense): LayerValues => {
    const [units, inputs] = d.weight.shape;
    const w = Array.from(d.weight.dataSync());
    return {
      w: Array.from({ length: units }, (_, j) => w.slice(j * inputs, (j + 1) * inputs)),
      b: Array.from(d.bias!.dataSync()),
    };
  };
  const layers = [read(d1), read(d2)];
  assert.ok(
    layers[0].b.every((v) => v === 0),
    'biases start at zero',
  );
  // Use the float32-rounded inputs the library saw.
  const xs32 = xs.map((row) => row.map(Math.fround));
  const ys32 = ys.map((row) => row.map(Math.fround));
  const lecture = lectureBackprop(
    layers,
    xs32,
    ys32,
    (a, t) => a.map((v, j) => v - t[j]),
    (a, t) => 0.5 * a.reduce((s, v, j) => s + (v - t[j]) ** 2, 0),
  );
  assertMatches([C.item()], [lecture.cost], 1e-5, 'cost');
  [d1, d2].forEach((layer, l) => {
    assertMatches(
      gradOf(layer.weight, `${layer.name}.weight`),
      lecture.dw[l].flat(),
      1e-5,
      `${layer.name} ∂C/∂w`,
    );
    assertMatches(gradOf(layer.bias, `${layer.name}.bias`), lecture.db[l], 1e-5, `${layer.name} ∂C/∂b`);
  });
});

// The dropout layer: active only in training, seeded masks, the two modes, input dropout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/autograd/index.js'; // Tensor.prototype.backward
import { ConfigError } from '../../src/errors.js';
import { dense } from '../../src/nn/dense.js';
import { dropout } from '../../src/nn/dropout.js';
import { sequential } from '../../src/nn/sequential.js';
import * as ops from '../../src/ops/index.js';
import { ones, randn } from '../../src/tensor/creation.js';
import { Rng, setSeed } from '../../src/tensor/random.js';

test('dropout layer: identity at inference (inverted), drops and rescales in training', () => {
  const layer = dropout(0.25);
  const x = randn([10, 20]);
  assert.equal(layer.call(x), x);
  assert.equal(layer.call(x, { training: false }), x);
  const y = layer.call(x, { training: true }).dataSync();
  const xs = x.dataSync();
  let dropped = 0;
  y.forEach((v, i) => {
    if (v === 0) dropped++;
    else assert.ok(Math.abs(v - xs[i] / 0.75) < 1e-5);
  });
  assert.ok(dropped > 20 && dropped < 80, `dropped ${dropped} of 200`);
});

test("dropout layer, mode 'scaleAtTest': unscaled in training, × keep probability at inference", () => {
  const layer = dropout({ rate: 0.5, mode: 'scaleAtTest' });
  const x = ones([4, 5]);
  assert.ok([...layer.call(x, { training: true }).dataSync()].every((v) => v === 0 || v === 1));
  assert.ok([...layer.call(x).dataSync()].every((v) => v === 0.5));
  assert.deepEqual(layer.config(), { rate: 0.5, mode: 'scaleAtTest' });
});

test("dropout layer: the global seed (or the layer's own Rng) reproduces the masks", () => {
  const x = randn([6, 6]);
  setSeed(7);
  const a = dropout(0.5).call(x, { training: true }).dataSync();
  setSeed(7);
  const b = dropout(0.5).call(x, { training: true }).dataSync();
  assert.deepEqual(a, b);
  const c = dropout({ rate: 0.5, rng: new Rng(1) })
    .call(x, { training: true })
    .dataSync();
  const d = dropout({ rate: 0.5, rng: new Rng(1) })
    .call(x, { training: true })
    .dataSync();
  assert.deepEqual(c, d);
});

test('dropout on the inputs of a network: dropped inputs get no gradient through their weights', () => {
  setSeed(3);
  const model = sequential([dropout(0.5), dense({ units: 1, inFeatures: 8, useBias: false })]);
  const x = ones([1, 8]);
  const y = model.call(x, { training: true });
  ops.sum(y).backward();
  const weight = model.parameters()[0];
  const kept = Array.from(model.layers[0].call(x, { training: false }).dataSync()); // all ones: identity
  assert.deepEqual(kept, new Array(8).fill(1));
  const grad = weight.grad!.dataSync();
  // ∂y/∂w_k = x̃_k: 0 where input k was dropped, 2 (= 1/(1 − 0.5)) where it was kept.
  assert.ok([...grad].every((g) => g === 0 || g === 2));
  assert.ok([...grad].some((g) => g === 0) && [...grad].some((g) => g === 2));
});

test('dropout layer: bad rate or mode', () => {
  assert.throws(() => dropout(1), ConfigError);
  assert.throws(() => dropout(-0.1), /rate must be in \[0, 1\)/);
  assert.throws(
    () => dropout({ rate: 0.5, mode: 'alpha' as 'inverted' }),
    /Valid modes: inverted, scaleAtTest/,
  );
});

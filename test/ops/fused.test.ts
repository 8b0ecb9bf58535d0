// fuse(): one kernel pass for an element-wise expression, equal to the same expression
// written with the separate ops (bit for bit on the cpu backend), with broadcast inputs
// (a dense bias, a channel bias) and clear errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ops from '../../src/ops/index.js';
import { fuse } from '../../src/ops/fused.js';
import { noGrad } from '../../src/autograd/index.js';
import { setBackend, getBackend } from '../../src/backend/registry.js';
import { Rng } from '../../src/tensor/random.js';
import { fromArray, zeros } from '../../src/tensor/creation.js';
import { ConfigError, ShapeError } from '../../src/errors.js';
import { randomTensor } from '../helpers/random.js';

const rng = new Rng(5);

for (const backend of ['cpu', 'wasm']) {
  test(`fuse on ${backend}: Adam's moments and update equal the unfused ops`, () => {
    const previous = getBackend().name;
    setBackend(backend);
    try {
      const r = () => ops.cast(randomTensor([37, 29], rng), 'float32');
      const [g, m, v] = [r(), r(), ops.abs(r())];
      const [b1, b2, c1, c2, eps] = [0.9, 0.999, 1 - 0.9 ** 3, Math.sqrt(1 - 0.999 ** 3), 1e-8];
      const [m1, v1, u] = fuse([g, m, v], (g, m, v) => {
        const m1 = m.mul(b1).add(g.mul(1 - b1));
        const v1 = v.mul(b2).add(g.mul(g).mul(1 - b2));
        return [m1, v1, m1.div(v1.sqrt().div(c2).add(eps)).div(c1)];
      });
      const m2 = ops.add(ops.mul(m, b1), ops.mul(g, 1 - b1));
      const v2 = ops.add(ops.mul(v, b2), ops.mul(ops.mul(g, g), 1 - b2));
      const u2 = ops.div(ops.div(m2, ops.add(ops.div(ops.sqrt(v2), c2), eps)), c1);
      assert.deepEqual(m1.shape, [37, 29]);
      assert.deepEqual(m1.dataSync(), m2.dataSync());
      assert.deepEqual(v1.dataSync(), v2.dataSync());
      assert.deepEqual(u.dataSync(), u2.dataSync());
    } finally {
      setBackend(previous);
    }
  });
}

test('fuse: a bias [units] under [batch, units] and a channel bias [C, 1, 1] under NCHW broadcast', () => {
  const z = randomTensor([6, 5], rng);
  const b = randomTensor([5], rng);
  const [y] = fuse([z, b], (z, b) => [z.add(b).relu()]);
  assert.deepEqual(y.dataSync(), ops.relu(ops.add(z, b)).dataSync());

  const x = randomTensor([2, 3, 4, 5], rng);
  const c = randomTensor([3, 1, 1], rng);
  const [w] = fuse([x, c], (x, c) => [x.mul(c).tanh()]);
  assert.deepEqual(w.dataSync(), ops.tanh(ops.mul(x, c)).dataSync());

  const s = fromArray([2], [1], { dtype: 'float64' });
  const [t] = fuse([x, s], (x, s) => [x.sub(s)]);
  assert.deepEqual(t.dataSync(), ops.sub(x, s).dataSync());
});

test('fuse: float64 works; int32, mixed dtypes, shapes that do not broadcast as one block and tape inputs are refused', () => {
  const a = randomTensor([4, 3], rng);
  assert.deepEqual(fuse([a], (a) => a.square())[0].dataSync(), ops.square(a).dataSync());
  assert.throws(() => fuse([zeros([3], { dtype: 'int32' })], (x) => x.neg()), ConfigError);
  const f32 = ops.cast(randomTensor([4, 3], rng), 'float32');
  assert.throws(() => fuse([a, f32], (a, b) => a.add(b)), /input 1 is float32, input 0 is float64/);
  // [4, 1, 3] under [4, 2, 3]: two separated blocks of dimensions.
  assert.throws(
    () => fuse([randomTensor([4, 2, 3], rng), randomTensor([4, 1, 3], rng)], (a, b) => a.add(b)),
    (e: Error) =>
      e instanceof ShapeError && /input 1 \[4, 1, 3\] does not broadcast to \[4, 2, 3\]/.test(e.message),
  );
  const p = randomTensor([3], rng);
  p.requiresGrad = true;
  assert.throws(() => fuse([p], (x) => x.neg()), /not recorded on the tape/);
  assert.doesNotThrow(() => noGrad(() => fuse([p], (x) => x.neg())));
});

// Tensors: creation, dtypes and promotion, broadcasting, read-back, disposal, tidy/keep, memory().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  arange,
  eye,
  fromArray,
  full,
  linspace,
  ones,
  rand,
  randn,
  scalar,
  zeros,
} from '../../src/tensor/creation.js';
import { Rng, rng, setSeed } from '../../src/tensor/random.js';
import { dispose, keep, memory, tidy } from '../../src/tensor/scope.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { add, div, mul, sub } from '../../src/ops/arithmetic.js';
import { matmul } from '../../src/ops/matmul.js';
import { sum } from '../../src/ops/reduce.js';
import { ConfigError, DescentError, ShapeError } from '../../src/errors.js';
import { getBackend, setBackend } from '../../src/backend/registry.js';

const values = (t: Tensor): number[] => Array.from(t.dataSync());

function meanStd(a: ArrayLike<number>): { mean: number; std: number } {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  const mean = s / a.length;
  let v = 0;
  for (let i = 0; i < a.length; i++) v += (a[i] - mean) ** 2;
  return { mean, std: Math.sqrt(v / a.length) };
}

// ---- creation -------------------------------------------------------------------------

test('zeros, ones and full: shape, default dtype float32, values', () => {
  const z = zeros([2, 3]);
  assert.deepEqual(z.shape, [2, 3]);
  assert.equal(z.size, 6);
  assert.equal(z.rank, 2);
  assert.equal(z.dtype, 'float32');
  assert.ok(z.dataSync() instanceof Float32Array);
  assert.deepEqual(values(z), [0, 0, 0, 0, 0, 0]);
  assert.deepEqual(values(ones([4])), [1, 1, 1, 1]);
  const f = full([2, 2], 7.5, { dtype: 'float64' });
  assert.equal(f.dtype, 'float64');
  assert.deepEqual(values(f), [7.5, 7.5, 7.5, 7.5]);
  const i = full([3], -2, { dtype: 'int32' });
  assert.equal(i.dtype, 'int32');
  assert.ok(i.dataSync() instanceof Int32Array);
  assert.deepEqual(values(i), [-2, -2, -2]);
  // Zero-sized and zero-dimensional tensors.
  assert.equal(zeros([0, 3]).size, 0);
  const s = ones([]);
  assert.deepEqual(s.shape, []);
  assert.equal(s.size, 1);
  assert.equal(s.item(), 1);
  assert.equal(zeros([2], { requiresGrad: true }).requiresGrad, true);
  assert.equal(zeros([2]).requiresGrad, false);
});

test('shapes must hold non-negative integers', () => {
  assert.throws(
    () => zeros([2, -1]),
    (e: Error) => e instanceof ShapeError && /\[2, -1\]/.test(e.message),
  );
  assert.throws(() => ones([1.5]), ShapeError);
});

test('fromArray infers the shape of nested arrays', () => {
  const t = fromArray([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  assert.deepEqual(t.shape, [2, 3]);
  assert.equal(t.dtype, 'float32');
  assert.deepEqual(values(t), [1, 2, 3, 4, 5, 6]);
  const t3 = fromArray([
    [[1], [2]],
    [[3], [4]],
    [[5], [6]],
  ]);
  assert.deepEqual(t3.shape, [3, 2, 1]);
  assert.deepEqual(values(t3), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(fromArray([1, 2, 3]).shape, [3]);
  const s = fromArray(4.25);
  assert.deepEqual(s.shape, []);
  assert.equal(s.item(), 4.25);
  assert.deepEqual(scalar(3).shape, []);
  // A flat array with an explicit shape, and a nested one reshaped.
  assert.deepEqual(fromArray([1, 2, 3, 4, 5, 6], [3, 2]).toArray(), [
    [1, 2],
    [3, 4],
    [5, 6],
  ]);
  assert.deepEqual(fromArray([[1, 2, 3, 4]], [2, 2]).toArray(), [
    [1, 2],
    [3, 4],
  ]);
});

test('fromArray takes its dtype from a typed array unless told otherwise', () => {
  const i = fromArray(new Int32Array([1, -2, 3]));
  assert.equal(i.dtype, 'int32');
  assert.ok(i.dataSync() instanceof Int32Array);
  const d = fromArray(new Float64Array([0.1, 0.2]), [2, 1]);
  assert.equal(d.dtype, 'float64');
  assert.deepEqual(d.shape, [2, 1]);
  assert.deepEqual(values(d), [0.1, 0.2]); // exact in float64
  assert.equal(fromArray(new Float32Array(6), [2, 3]).dtype, 'float32');
  // float32 storage rounds; float64 keeps every bit.
  assert.equal(fromArray([0.1]).dataSync()[0], Math.fround(0.1));
  assert.equal(fromArray([0.1], undefined, { dtype: 'float64' }).dataSync()[0], 0.1);
  // int32 storage truncates like Int32Array.
  assert.deepEqual(values(fromArray([1.7, -1.7], undefined, { dtype: 'int32' })), [1, -1]);
  // An explicit dtype beats the typed array's.
  assert.equal(fromArray(new Int32Array([1, 2]), undefined, { dtype: 'float64' }).dtype, 'float64');
  // The tensor does not share memory with the input.
  const src = new Float32Array([1, 2, 3]);
  const t = fromArray(src);
  src[0] = 100;
  assert.equal(t.dataSync()[0], 1);
});

test('fromArray rejects ragged nested arrays and sizes that do not fill the shape', () => {
  assert.throws(
    () => fromArray([[1, 2], [3]]),
    (e: Error) =>
      e instanceof ShapeError &&
      /ragged/.test(e.message) &&
      /values\[1\]/.test(e.message) &&
      /expected 2/.test(e.message),
  );
  assert.throws(
    () => fromArray([[1, 2], 3] as never),
    (e: Error) => e instanceof ShapeError && /values\[1\]/.test(e.message),
  );
  assert.throws(
    () =>
      fromArray([
        [
          [1, 2],
          [3, 4],
        ],
        [[5, 6], [7]],
      ]),
    (e: Error) => e instanceof ShapeError && /values\[1\]\[1\]/.test(e.message),
  );
  assert.throws(
    () =>
      fromArray([
        [1, [2]],
        [3, 4],
      ] as never),
    (e: Error) => e instanceof ShapeError && /values\[0\]\[1\]/.test(e.message),
  );
  assert.throws(
    () => fromArray([1, 2, 3], [2, 2]),
    (e: Error) =>
      e instanceof ShapeError &&
      /3 values/.test(e.message) &&
      /\[2, 2\]/.test(e.message) &&
      /4 elements/.test(e.message),
  );
  assert.throws(
    () => fromArray(new Float32Array(5), [2, 3]),
    (e: Error) => e instanceof ShapeError && /5 values/.test(e.message) && /\[2, 3\]/.test(e.message),
  );
  assert.throws(
    () =>
      fromArray(
        [
          [1, 2],
          [3, 4],
        ],
        [3],
      ),
    ShapeError,
  );
});

test('arange follows numpy: [start, stop) by step, one argument means [0, n)', () => {
  assert.deepEqual(values(arange(5)), [0, 1, 2, 3, 4]);
  assert.deepEqual(values(arange(2, 5)), [2, 3, 4]);
  assert.deepEqual(values(arange(1, 2, 0.25)), [1, 1.25, 1.5, 1.75]);
  assert.deepEqual(values(arange(5, 0, -2)), [5, 3, 1]);
  assert.equal(arange(3, 3).size, 0);
  assert.equal(arange(3, 1).size, 0);
  assert.equal(arange(4, undefined, 1, { dtype: 'int32' }).dtype, 'int32');
  assert.equal(arange(0, 1, 0.1, { dtype: 'float64' }).size, 10);
  assert.throws(
    () => arange(0, 5, 0),
    (e: Error) => e instanceof ConfigError && /step/.test(e.message),
  );
});

test('linspace includes both ends; eye is the identity', () => {
  assert.deepEqual(values(linspace(0, 1, 5)), [0, 0.25, 0.5, 0.75, 1]);
  assert.deepEqual(values(linspace(-1, 1, 3)), [-1, 0, 1]);
  assert.deepEqual(values(linspace(2, 9, 1)), [2]);
  const l = linspace(0, 1, 7, { dtype: 'float64' });
  assert.equal(l.dataSync()[0], 0);
  assert.equal(l.dataSync()[6], 1);
  assert.deepEqual(eye(3).toArray(), [
    [1, 0, 0],
    [0, 1, 0],
    [0, 0, 1],
  ]);
  assert.equal(eye(2, { dtype: 'float64' }).dtype, 'float64');
});

test('randn and rand are reproducible from setSeed', () => {
  setSeed(123);
  const a = values(randn([50]));
  const u = values(rand([50]));
  setSeed(123);
  assert.deepEqual(values(randn([50])), a);
  assert.deepEqual(values(rand([50])), u);
  setSeed(124);
  const b = values(randn([50]));
  assert.notDeepEqual(b, a);
  // Consecutive draws continue the stream rather than repeating it.
  setSeed(123);
  randn([50]);
  assert.notDeepEqual(values(randn([50])), a);
});

test('randn and rand with an explicit Rng are reproducible and leave the global generator alone', () => {
  const a = values(randn([40], { rng: new Rng(9) }));
  const b = values(randn([40], { rng: new Rng(9) }));
  assert.deepEqual(a, b);
  assert.notDeepEqual(values(randn([40], { rng: new Rng(10) })), a);
  assert.deepEqual(values(rand([8], { rng: new Rng(5) })), values(rand([8], { rng: new Rng(5) })));

  setSeed(77);
  const expected = values(rand([10]));
  setSeed(77);
  randn([1000], { rng: new Rng(1) });
  rand([1000], { rng: new Rng(2) });
  assert.deepEqual(values(rand([10])), expected, 'a private Rng must not advance the global one');

  // The same stream as drawing from the Rng by hand (float64 keeps the exact values).
  const r = new Rng(31);
  const byHand = Array.from({ length: 6 }, () => r.normal());
  assert.deepEqual(values(randn([6], { rng: new Rng(31), dtype: 'float64' })), byHand);
  assert.equal(rng() instanceof Rng, true);
});

test('randn and rand have roughly the right statistics', () => {
  const n = 40_000;
  const g = meanStd(randn([n], { rng: new Rng(3) }).dataSync());
  assert.ok(Math.abs(g.mean) < 0.03, `randn mean ${g.mean}`);
  assert.ok(Math.abs(g.std - 1) < 0.03, `randn std ${g.std}`);
  const g2 = meanStd(randn([n], { rng: new Rng(4), mean: 3, std: 2 }).dataSync());
  assert.ok(Math.abs(g2.mean - 3) < 0.06, `randn(mean 3) mean ${g2.mean}`);
  assert.ok(Math.abs(g2.std - 2) < 0.06, `randn(std 2) std ${g2.std}`);

  const u = rand([n], { rng: new Rng(5) }).dataSync();
  const us = meanStd(u);
  assert.ok(Math.abs(us.mean - 0.5) < 0.01, `rand mean ${us.mean}`);
  assert.ok(Math.abs(us.std - Math.sqrt(1 / 12)) < 0.01, `rand std ${us.std}`);
  assert.ok(u.every((v) => v >= 0 && v < 1));
  const w = rand([n], { rng: new Rng(6), low: -3, high: 5 }).dataSync();
  assert.ok(w.every((v) => v >= -3 && v < 5));
  const ws = meanStd(w);
  assert.ok(Math.abs(ws.mean - 1) < 0.1, `rand(-3, 5) mean ${ws.mean}`);
  assert.ok(Math.abs(ws.std - 8 / Math.sqrt(12)) < 0.05, `rand(-3, 5) std ${ws.std}`);
});

test('rand stays below high even where float32 rounding would reach it', () => {
  // Seed 143's 43,654th draw is within 2⁻²⁵ of 1, which float32 storage would round to 1.0.
  const u = rand([50_000], { rng: new Rng(143) }).dataSync();
  let max = 0;
  for (const v of u) max = Math.max(max, v);
  assert.ok(max < 1, `rand gave ${max}`);
  assert.equal(max, 1 - 2 ** -24, 'capped at the largest float32 below 1');
  // Far from 0 the float32 grid is coarse (2⁻¹⁴ at 1000): a few draws per 10⁵ would round up.
  const w = rand([100_000], { rng: new Rng(1), low: 1000, high: 1001 }).dataSync();
  for (const v of w) assert.ok(v >= 1000 && v < 1001, `rand(1000, 1001) gave ${v}`);
  const neg = rand([100_000], { rng: new Rng(2), low: -1001, high: -1000 }).dataSync();
  for (const v of neg) assert.ok(v >= -1001 && v < -1000, `rand(-1001, -1000) gave ${v}`);
  const toZero = rand([1000], { rng: new Rng(3), low: -1, high: 0 }).dataSync();
  for (const v of toZero) assert.ok(v >= -1 && v < 0, `rand(-1, 0) gave ${v}`);
  // float64 keeps the draws exactly.
  const r = new Rng(4);
  assert.deepEqual(
    Array.from(rand([5], { rng: new Rng(4), dtype: 'float64' }).dataSync()),
    [0, 1, 2, 3, 4].map(() => r.uniform()),
  );
});

// ---- dtypes ---------------------------------------------------------------------------

test('dtype promotion: int32 stays int32, int with float is float32, float32 with float64 is float64', () => {
  const i = fromArray(new Int32Array([7, -3, 4]));
  const j = fromArray(new Int32Array([2, 2, 3]));
  const f = fromArray([0.5, 0.5, 0.5]);
  const d = fromArray([0.25, 0.25, 0.25], undefined, { dtype: 'float64' });

  for (const [name, op, expected] of [
    ['add', add, [9, -1, 7]],
    ['sub', sub, [5, -5, 1]],
    ['mul', mul, [14, -6, 12]],
  ] as const) {
    const r = op(i, j);
    assert.equal(r.dtype, 'int32', `int32 ${name} int32`);
    assert.deepEqual(values(r), expected);
  }
  const q = div(i, j);
  assert.equal(q.dtype, 'float32', 'int32 / int32 gives a float');
  assert.deepEqual(values(q), [3.5, -1.5, 4 / 3].map(Math.fround));

  assert.equal(add(i, f).dtype, 'float32');
  assert.deepEqual(values(add(i, f)), [7.5, -2.5, 4.5]);
  assert.equal(mul(f, i).dtype, 'float32');
  assert.equal(add(i, d).dtype, 'float64');
  assert.equal(add(f, d).dtype, 'float64');
  assert.equal(sub(d, f).dtype, 'float64');
  assert.deepEqual(values(sub(d, f)), [-0.25, -0.25, -0.25]);
  assert.equal(mul(f, f).dtype, 'float32');
  assert.equal(mul(d, d).dtype, 'float64');

  // Plain numbers take the tensor's dtype, unless a fraction meets an int tensor.
  assert.equal(add(i, 2).dtype, 'int32');
  assert.deepEqual(values(add(i, 2)), [9, -1, 6]);
  assert.equal(add(i, 0.5).dtype, 'float32');
  assert.deepEqual(values(add(i, 0.5)), [7.5, -2.5, 4.5]);
  assert.equal(mul(d, 3).dtype, 'float64');
  assert.equal(div(i, 2).dtype, 'float32');
  assert.deepEqual(values(div(i, 2)), [3.5, -1.5, 2]);

  // matmul of ints computes in float32.
  const m = matmul(
    fromArray(new Int32Array([1, 2, 3, 4]), [2, 2]),
    fromArray(new Int32Array([1, 0, 0, 1]), [2, 2]),
  );
  assert.equal(m.dtype, 'float32');
  assert.deepEqual(values(m), [1, 2, 3, 4]);
});

// ---- broadcasting ---------------------------------------------------------------------

test('numpy broadcasting: align on the right, dimensions equal or 1', () => {
  const col = fromArray([[1], [2], [3]]); // [3, 1]
  const row = fromArray([[10, 20, 30, 40]]); // [1, 4]
  const s = add(col, row);
  assert.deepEqual(s.shape, [3, 4]);
  assert.deepEqual(s.toArray(), [
    [11, 21, 31, 41],
    [12, 22, 32, 42],
    [13, 23, 33, 43],
  ]);
  const m = fromArray([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  assert.deepEqual(mul(m, fromArray([1, 10, 100])).toArray(), [
    [1, 20, 300],
    [4, 50, 600],
  ]);
  assert.deepEqual(sub(m, scalar(1)).toArray(), [
    [0, 1, 2],
    [3, 4, 5],
  ]);
  // Missing leading dimensions count as 1: [2, 1, 3] with [4, 1] gives [2, 4, 3].
  const a = ones([2, 1, 3]);
  const b = fromArray([[1], [2], [3], [4]]);
  const c = add(a, b);
  assert.deepEqual(c.shape, [2, 4, 3]);
  assert.deepEqual(values(c).slice(0, 6), [2, 2, 2, 3, 3, 3]);
  assert.deepEqual(add(ones([5, 1]), ones([1])).shape, [5, 1]);
  assert.deepEqual(add(zeros([0, 3]), ones([3])).shape, [0, 3]);
});

test('shapes that do not broadcast give an error naming both shapes', () => {
  assert.throws(
    () => add(ones([2, 3]), ones([2])),
    (e: Error) =>
      e instanceof ShapeError &&
      e.message.includes('[2, 3]') &&
      e.message.includes('[2]') &&
      /add/.test(e.message),
  );
  assert.throws(
    () => mul(ones([4, 1, 5]), ones([3, 4])),
    (e: Error) =>
      e instanceof ShapeError &&
      e.message.includes('[4, 1, 5]') &&
      e.message.includes('[3, 4]') &&
      /mul/.test(e.message),
  );
});

// ---- read-back ------------------------------------------------------------------------

test('dataSync, data, item and toArray', async () => {
  const t = fromArray([
    [1, 2],
    [3, 4],
  ]);
  const sync = t.dataSync();
  assert.ok(sync instanceof Float32Array);
  assert.deepEqual(Array.from(sync), [1, 2, 3, 4]);
  // A copy: writing into it does not change the tensor.
  sync[0] = 100;
  assert.equal(t.dataSync()[0], 1);
  const asyncValues = await t.data();
  assert.ok(asyncValues instanceof Float32Array);
  assert.deepEqual(Array.from(asyncValues), [1, 2, 3, 4]);
  assert.ok((await fromArray(new Int32Array([5])).data()) instanceof Int32Array);
  assert.ok(fromArray([1], undefined, { dtype: 'float64' }).dataSync() instanceof Float64Array);

  assert.deepEqual(t.toArray(), [
    [1, 2],
    [3, 4],
  ]);
  assert.deepEqual(fromArray([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2]).toArray(), [
    [
      [1, 2],
      [3, 4],
    ],
    [
      [5, 6],
      [7, 8],
    ],
  ]);
  assert.equal(scalar(2.5).toArray(), 2.5);
  assert.equal(scalar(2.5).item(), 2.5);
  assert.equal(fromArray([[7]]).item(), 7);
  assert.equal(sum(t).item(), 10);
  assert.throws(
    () => t.item(),
    (e: Error) => e instanceof DescentError && /one element/.test(e.message) && e.message.includes('[2, 2]'),
  );
  assert.match(t.toString(), /Tensor\(\[2, 2\], float32\)/);
});

// ---- disposal, tidy, keep, memory -----------------------------------------------------

test('dispose frees a tensor once; using it afterwards gives a clear error', async () => {
  const backend = getBackend().name;
  const before = memory();
  const t = zeros([2, 2]);
  t.name = 'probe';
  assert.equal(t.backend.name, backend);
  assert.equal(memory().numTensors, before.numTensors + 1);
  assert.equal(memory().bytes[backend], (before.bytes[backend] ?? 0) + 16);
  t.dispose();
  assert.equal(t.isDisposed, true);
  assert.equal(memory().numTensors, before.numTensors);
  assert.equal(memory().bytes[backend], before.bytes[backend] ?? 0);
  t.dispose(); // a second dispose is harmless and not counted twice
  assert.equal(memory().numTensors, before.numTensors);

  const disposedMessage = (where: string) => (e: Error) =>
    e instanceof DescentError &&
    e.message.startsWith(`${where}: tensor probe [2, 2] was disposed`) &&
    /tidy\(\)/.test(e.message) &&
    /keep\(\)/.test(e.message);
  assert.throws(() => t.dataSync(), disposedMessage('dataSync()'));
  await assert.rejects(() => t.data(), disposedMessage('data()'));
  assert.throws(() => add(t, 1), disposedMessage('add'));
  assert.throws(() => matmul(t, ones([2, 2])), disposedMessage('matmul'));
  assert.match(t.toString(), /<disposed>/);

  const anonymous = ones([3]);
  anonymous.dispose();
  assert.throws(
    () => anonymous.dataSync(),
    (e: Error) => e.message.includes(`tensor #${anonymous.id} [3] was disposed`),
  );

  // dispose() also takes arrays and plain objects.
  const start = memory().numTensors;
  const group = { a: ones([1]), b: [ones([2]), { c: ones([3]) }] };
  assert.equal(memory().numTensors, start + 3);
  dispose(group);
  assert.equal(memory().numTensors, start);
  assert.equal(group.b[0] instanceof Tensor && group.b[0].isDisposed, true);
});

test('tidy disposes what it made and keeps what it returns (nested arrays and objects)', () => {
  const start = memory().numTensors;
  const outside = ones([3]);
  let inner: Tensor | null = null;
  const result = tidy(() => {
    inner = mul(outside, 2);
    const a = add(inner, 1);
    const b = sub(inner, 1);
    const c = mul(a, b);
    return { a, list: [b, { deep: c }], label: 'not a tensor', n: 3 };
  });
  assert.equal(inner!.isDisposed, true, 'an intermediate is disposed');
  assert.equal(outside.isDisposed, false, 'a tensor made outside is untouched');
  assert.equal(result.a.isDisposed, false);
  assert.equal((result.list[0] as Tensor).isDisposed, false);
  assert.equal((result.list[1] as { deep: Tensor }).deep.isDisposed, false);
  assert.equal(result.label, 'not a tensor');
  assert.deepEqual(values(result.a), [3, 3, 3]);
  assert.equal(memory().numTensors, start + 4, 'outside + three returned tensors');
  dispose([outside, result.a, result.list]);
  assert.equal(memory().numTensors, start);

  // A single returned tensor and a plain value.
  const t = tidy(() => add(ones([2]), ones([2])));
  assert.deepEqual(values(t), [2, 2]);
  assert.equal(memory().numTensors, start + 1);
  t.dispose();
  assert.equal(
    tidy(() => sum(ones([4])).item()),
    4,
  );
  assert.equal(memory().numTensors, start);
});

test('tidy scopes nest: a tensor returned from an inner tidy belongs to the outer one', () => {
  const start = memory().numTensors;
  let fromInner: Tensor | null = null;
  const out = tidy(() => {
    fromInner = tidy(() => mul(ones([2]), 3));
    assert.equal(fromInner.isDisposed, false);
    return add(fromInner, 1);
  });
  assert.equal(fromInner!.isDisposed, true, 'the outer tidy did not return it, so it is freed');
  assert.deepEqual(values(out), [4, 4]);
  out.dispose();
  assert.equal(memory().numTensors, start);
});

test('keep() exempts a tensor from every tidy until it is disposed explicitly', () => {
  const start = memory().numTensors;
  let kept: Tensor | null = null;
  let dropped: Tensor | null = null;
  tidy(() => {
    tidy(() => {
      kept = keep(ones([5]));
      dropped = ones([5]);
    });
  });
  assert.equal(kept!.isDisposed, false);
  assert.equal(kept!.kept, true);
  assert.equal(dropped!.isDisposed, true);
  assert.equal(memory().numTensors, start + 1);
  kept!.dispose();
  assert.equal(memory().numTensors, start);
});

test('tidy frees its tensors when fn throws, and refuses async functions', () => {
  const start = memory().numTensors;
  assert.throws(
    () =>
      tidy(() => {
        ones([3]);
        zeros([3]);
        throw new Error('boom');
      }),
    /boom/,
  );
  assert.equal(memory().numTensors, start);
  assert.throws(
    () => tidy(async () => 1),
    (e: Error) => e instanceof TypeError && /synchronous/.test(e.message),
  );
});

test('memory() counts live tensors and bytes per backend and dtype size', () => {
  const original = getBackend().name;
  try {
    // The active backend, and the cpu backend beside it (the same one when cpu is the default).
    for (const name of new Set([original, 'cpu'])) {
      setBackend(name);
      const before = memory();
      const mine = before.bytes[name] ?? 0;
      const f32 = zeros([10]);
      const f64 = zeros([10], { dtype: 'float64' });
      const i32 = zeros([3, 2], { dtype: 'int32' });
      assert.equal(f32.backend.name, name);
      const m = memory();
      assert.equal(m.numTensors, before.numTensors + 3);
      assert.equal(m.bytes[name], mine + 40 + 80 + 24, `${name} bytes`);
      assert.equal(m.totalBytes, before.totalBytes + 144);
      assert.equal(
        m.totalBytes,
        Object.values(m.bytes).reduce((s, b) => s + b, 0),
      );
      // Other backends' counts are untouched.
      for (const [other, b] of Object.entries(before.bytes))
        if (other !== name) assert.equal(m.bytes[other], b);
      dispose([f32, f64, i32]);
      const after = memory();
      assert.equal(after.numTensors, before.numTensors);
      assert.equal(after.bytes[name], mine);
      assert.equal(after.totalBytes, before.totalBytes);
    }
    // Tensors on two backends at once are counted under each name.
    if (original !== 'cpu') {
      setBackend('cpu');
      const onCpu = zeros([4]);
      setBackend(original);
      const onDefault = zeros([8]);
      const m = memory();
      onCpu.dispose();
      onDefault.dispose();
      const after = memory();
      assert.equal(m.bytes.cpu - after.bytes.cpu, 16);
      assert.equal(m.bytes[original] - after.bytes[original], 32);
    }
  } finally {
    setBackend(original);
  }
});

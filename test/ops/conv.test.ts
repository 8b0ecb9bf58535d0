// conv2d: gradcheck over option combinations, PyTorch fixtures (forward and backward,
// float64 and float32), shape errors, and memory hygiene.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as ops from '../../src/ops/index.js';
import { backward, gradcheck, memory, noGrad, tidy } from '../../src/autograd/index.js';
import { ConfigError, ShapeError } from '../../src/errors.js';
import { fromArray } from '../../src/tensor/creation.js';
import { Rng } from '../../src/tensor/random.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { assertClose, randomTensor } from '../helpers/random.js';

const rng = new Rng(4);
const r = (...shape: number[]) => randomTensor(shape, rng);

function check(name: string, fn: (...xs: Tensor[]) => Tensor, inputs: () => Tensor[]): void {
  test(`gradcheck conv2d ${name}`, () => {
    const result = gradcheck(fn, inputs());
    assert.ok(result.ok, `${name}: max error ${result.maxError} at ${JSON.stringify(result.worst)}`);
  });
}

// Every combination of stride, padding and dilation, on a non-square kernel and image,
// batch 2, 2 → 3 channels, with a bias.
for (const stride of [1, 2]) {
  for (const padding of [0, 1, 'same'] as const) {
    for (const dilation of [1, 2]) {
      const options = { stride, padding, dilation };
      check(
        `stride ${stride} padding ${padding} dilation ${dilation}`,
        (x, w, b) => ops.conv2d(x, w, b, options),
        () => [r(2, 2, 7, 6), r(3, 2, 3, 2), r(3)],
      );
    }
  }
}
check(
  'stride [2,1] padding [0,2] dilation [2,1]',
  (x, w, b) => ops.conv2d(x, w, b, { stride: [2, 1], padding: [0, 2], dilation: [2, 1] }),
  () => [r(2, 2, 7, 5), r(2, 2, 2, 3), r(2)],
);
check(
  'asymmetric padding [top, left, bottom, right]',
  (x, w) => ops.conv2d(x, w, null, { padding: [1, 0, 2, 1], stride: 2 }),
  () => [r(1, 2, 5, 6), r(3, 2, 3, 3)],
);
check(
  'no bias, 1×1 kernel',
  (x, w) => ops.conv2d(x, w),
  () => [r(2, 3, 3, 4), r(2, 3, 1, 1)],
);
check(
  'kernel as large as the image',
  (x, w, b) => ops.conv2d(x, w, b),
  () => [r(2, 2, 3, 4), r(3, 2, 3, 4), r(3)],
);
check(
  'groups 2',
  (x, w, b) => ops.conv2d(x, w, b, { groups: 2, padding: 1 }),
  () => [r(2, 4, 4, 5), r(6, 2, 3, 2), r(6)],
);
check(
  'depthwise (groups = channels) stride 2',
  (x, w) => ops.conv2d(x, w, null, { groups: 3, stride: 2, padding: 'same' }),
  () => [r(2, 3, 5, 6), r(3, 1, 3, 3)],
);
check(
  'composed with relu and a second conv',
  (x, w1, w2) => ops.conv2d(ops.tanh(ops.conv2d(x, w1, null, { padding: 1 })), w2),
  () => [r(2, 1, 5, 4), r(2, 1, 3, 3), r(2, 2, 2, 2)],
);

// ---- PyTorch fixtures ------------------------------------------------------------------

interface Encoded {
  shape: number[];
  data: number[];
}
interface TorchCase {
  name: string;
  options: Record<string, unknown>;
  inputs: Record<string, Encoded>;
  output: Encoded;
  cotangent: Encoded;
  grads: Record<string, Encoded>;
}

function loadFixture<T>(file: string): T[] {
  const url = new URL(`../../../test/fixtures/conv/${file}`, import.meta.url);
  return (JSON.parse(readFileSync(url, 'utf8')) as { cases: T[] }).cases;
}

const tensorOf = (e: Encoded, dtype: 'float32' | 'float64') => fromArray(e.data, e.shape, { dtype });

for (const c of loadFixture<TorchCase>('conv2d.json')) {
  for (const dtype of ['float64', 'float32'] as const) {
    test(`conv2d equals PyTorch (${dtype}): ${c.name}`, () => {
      tidy(() => {
        const tol = dtype === 'float64' ? 1e-8 : 2e-5;
        const x = tensorOf(c.inputs.x, dtype);
        const w = tensorOf(c.inputs.weight, dtype);
        const b = c.inputs.bias ? tensorOf(c.inputs.bias, dtype) : null;
        for (const t of [x, w, b]) if (t) t.requiresGrad = true;
        const y = ops.conv2d(x, w, b, c.options as ops.Conv2dOptions);
        assert.deepEqual(y.shape, c.output.shape);
        assertClose(y.dataSync(), c.output.data, tol, 'output');
        backward(y, tensorOf(c.cotangent, dtype));
        assertClose(x.grad!.dataSync(), c.grads.x.data, tol, 'dx');
        assertClose(w.grad!.dataSync(), c.grads.weight.data, tol, 'dweight');
        if (b) assertClose(b.grad!.dataSync(), c.grads.bias.data, tol, 'dbias');
      });
    });
  }
}

// ---- behaviour ---------------------------------------------------------------------------

test('conv2d: a hand-computed example (cross-correlation, zero padding)', () => {
  const x = fromArray([
    [
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
    ],
  ]); // [1, 1, 2, 3]
  const w = fromArray([
    [
      [
        [1, 0],
        [0, -1],
      ],
    ],
  ]); // [1, 1, 2, 2]
  assert.deepEqual(ops.conv2d(x, w).toArray(), [[[[1 - 5, 2 - 6]]]]);
  const padded = ops.conv2d(x, w, fromArray([10]), { padding: 1 });
  assert.deepEqual(padded.shape, [1, 1, 3, 4]);
  assert.deepEqual(padded.toArray(), [
    [
      [
        [9, 8, 7, 10],
        [6, 6, 6, 13],
        [10, 14, 15, 16],
      ],
    ],
  ]);
});

test("conv2d: 'same' keeps the size at stride 1 and gives ⌈in/stride⌉ otherwise", () => {
  const x = r(1, 1, 7, 6);
  assert.deepEqual(ops.conv2d(x, r(1, 1, 4, 3), null, { padding: 'same' }).shape, [1, 1, 7, 6]);
  assert.deepEqual(ops.conv2d(x, r(1, 1, 3, 3), null, { padding: 'same', dilation: 2 }).shape, [1, 1, 7, 6]);
  assert.deepEqual(ops.conv2d(x, r(1, 1, 3, 3), null, { padding: 'same', stride: 2 }).shape, [1, 1, 4, 3]);
  assert.deepEqual(ops.conv2d(x, r(1, 1, 3, 3), null, { padding: 'valid' }).shape, [1, 1, 5, 4]);
});

test('conv2d: float32 weights with a float64 input compute in float64', () => {
  const y = ops.conv2d(r(1, 1, 3, 3), fromArray([[[[1]]]], undefined, { dtype: 'float32' }));
  assert.equal(y.dtype, 'float64');
});

test('conv2d: shape errors name the input, kernel, stride, padding and dilation', () => {
  assert.throws(
    () => ops.conv2d(r(1, 2, 4, 4), r(3, 2, 5, 5), null, { stride: 2, padding: 0, name: 'conv_1 (conv2d)' }),
    (e: unknown) =>
      e instanceof ShapeError &&
      /^conv_1 \(conv2d\): input \[1, 2, 4, 4\]/.test(e.message) &&
      /kernel \[5, 5\]/.test(e.message) &&
      /stride \[2, 2\]/.test(e.message) &&
      /padding \[0, 0, 0, 0\]/.test(e.message) &&
      /dilation \[1, 1\]/.test(e.message),
  );
  assert.throws(() => ops.conv2d(r(1, 2, 4, 4), r(3, 2, 3, 3), null, { dilation: 2 }), /kernel spans 5×5/);
  assert.throws(
    () => ops.conv2d(r(1, 3, 4, 4), r(3, 2, 3, 3)),
    (e: unknown) => e instanceof ShapeError && /3 channels.*expects 2/.test(e.message),
  );
  assert.throws(
    () => ops.conv2d(r(2, 4, 4), r(3, 2, 3, 3)),
    /expected input shaped \[batch, channels, height, width\], got \[2, 4, 4\]/,
  );
  assert.throws(() => ops.conv2d(r(1, 2, 4, 4), r(3, 2, 3, 3), r(2)), /bias shaped \[3\]/);
  assert.throws(
    () => ops.conv2d(r(1, 4, 4, 4), r(3, 2, 3, 3), null, { groups: 2 }),
    /3 output channels .* do not split into 2 groups/,
  );
  assert.throws(() => ops.conv2d(r(1, 2, 4, 4), r(3, 2, 3, 3), null, { stride: 0 }), ConfigError);
  assert.throws(() => ops.conv2d(r(1, 2, 4, 4), r(3, 2, 3, 3), null, { padding: -1 }), ConfigError);
  assert.throws(
    () => ops.conv2d(r(1, 2, 4, 4), r(3, 2, 3, 3), null, { padding: 'full' as 'same' }),
    ConfigError,
  );
});

test('conv2d: no tensors leak, with or without a gradient', () => {
  const x = r(2, 2, 6, 5);
  const w = r(3, 2, 3, 3);
  const b = r(3);
  const before = memory().numTensors;
  // Without tidy, a no-gradient call leaves only its output (the columns are freed at once).
  const y = noGrad(() => ops.conv2d(x, w, b, { padding: 1 }));
  assert.equal(memory().numTensors, before + 1);
  y.dispose();
  tidy(() => {
    noGrad(() => ops.conv2d(x, w, b, { padding: 1 }));
  });
  assert.equal(memory().numTensors, before);
  w.requiresGrad = true;
  b.requiresGrad = true;
  tidy(() => ops.sum(ops.conv2d(x, w, b, { padding: 1 })).backward());
  assert.equal(memory().numTensors, before + 2, 'only the two .grad tensors remain');
});

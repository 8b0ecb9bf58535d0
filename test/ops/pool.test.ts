// Pooling: gradcheck, PyTorch fixtures (forward and backward), hand examples, edge
// cases (ties, NaN, padding, ceil mode) and shape errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as ops from '../../src/ops/index.js';
import { backward, gradcheck, tidy } from '../../src/autograd/index.js';
import { ShapeError } from '../../src/errors.js';
import { fromArray } from '../../src/tensor/creation.js';
import { Rng } from '../../src/tensor/random.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { assertClose, randomTensor } from '../helpers/random.js';

const rng = new Rng(7);
const r = (...shape: number[]) => randomTensor(shape, rng);

function check(name: string, fn: (x: Tensor) => Tensor, shape: number[]): void {
  test(`gradcheck ${name}`, () => {
    const result = gradcheck(fn, [r(...shape)]);
    assert.ok(result.ok, `${name}: max error ${result.maxError} at ${JSON.stringify(result.worst)}`);
  });
}

check('maxPool2d 2×2', (x) => ops.maxPool2d(x, 2), [2, 3, 6, 5]);
check(
  'maxPool2d 3×3 stride 1 (overlapping windows)',
  (x) => ops.maxPool2d(x, 3, { stride: 1 }),
  [2, 2, 5, 6],
);
check(
  'maxPool2d 3×3 stride 2 padding 1',
  (x) => ops.maxPool2d(x, 3, { stride: 2, padding: 1 }),
  [2, 2, 7, 6],
);
check(
  'maxPool2d [2,3] stride [1,2] dilation 2',
  (x) => ops.maxPool2d(x, [2, 3], { stride: [1, 2], dilation: 2 }),
  [1, 2, 7, 9],
);
check('maxPool2d ceil mode', (x) => ops.maxPool2d(x, 3, { stride: 2, ceilMode: true }), [2, 1, 8, 6]);
check("maxPool2d padding 'same'", (x) => ops.maxPool2d(x, 2, { stride: 1, padding: 'same' }), [1, 2, 5, 4]);
check('avgPool2d 2×2', (x) => ops.avgPool2d(x, 2), [2, 3, 6, 5]);
check(
  'avgPool2d 3×3 stride 2 padding 1 (count padding)',
  (x) => ops.avgPool2d(x, 3, { stride: 2, padding: 1 }),
  [2, 2, 7, 6],
);
check(
  'avgPool2d 3×3 stride 2 padding 1 (exclude padding)',
  (x) => ops.avgPool2d(x, 3, { stride: 2, padding: 1, countIncludePad: false }),
  [2, 2, 7, 6],
);
check(
  'avgPool2d [3,2] stride [2,1] padding [1,0] ceil mode',
  (x) => ops.avgPool2d(x, [3, 2], { stride: [2, 1], padding: [1, 0], ceilMode: true }),
  [1, 2, 8, 5],
);
check('avgPool2d 2×2 stride 1', (x) => ops.avgPool2d(x, 2, { stride: 1 }), [2, 2, 4, 5]);
check('globalAvgPool2d', (x) => ops.globalAvgPool2d(x), [2, 3, 4, 5]);

// ---- PyTorch fixtures ------------------------------------------------------------------

interface Encoded {
  shape: number[];
  data: number[];
}
interface TorchCase {
  name: string;
  op: 'maxPool2d' | 'avgPool2d' | 'globalAvgPool2d';
  options: { kernel?: number | [number, number] } & ops.AvgPool2dOptions;
  inputs: { x: Encoded };
  output: Encoded;
  cotangent: Encoded;
  grads: { x: Encoded };
}

const url = new URL('../../../test/fixtures/conv/pool.json', import.meta.url);
const cases = (JSON.parse(readFileSync(url, 'utf8')) as { cases: TorchCase[] }).cases;

function apply(c: TorchCase, x: Tensor): Tensor {
  const { kernel, ...options } = c.options;
  switch (c.op) {
    case 'maxPool2d':
      return ops.maxPool2d(x, kernel!, options);
    case 'avgPool2d':
      return ops.avgPool2d(x, kernel!, options);
    case 'globalAvgPool2d':
      return ops.globalAvgPool2d(x);
  }
}

for (const c of cases) {
  for (const dtype of ['float64', 'float32'] as const) {
    test(`${c.op} equals PyTorch (${dtype}): ${c.name}`, () => {
      tidy(() => {
        const tol = dtype === 'float64' ? 1e-8 : 1e-6;
        const x = fromArray(c.inputs.x.data, c.inputs.x.shape, { dtype });
        x.requiresGrad = true;
        const y = apply(c, x);
        assert.deepEqual(y.shape, c.output.shape);
        assertClose(y.dataSync(), c.output.data, tol, 'output');
        backward(y, fromArray(c.cotangent.data, c.cotangent.shape, { dtype }));
        assertClose(x.grad!.dataSync(), c.grads.x.data, tol, 'dx');
      });
    });
  }
}

// ---- behaviour ---------------------------------------------------------------------------

const img = (rows: number[][]) => fromArray([[rows]], undefined, { dtype: 'float64' });

test('maxPool2d and avgPool2d: hand-computed 2×2 pooling; stride defaults to the kernel', () => {
  const x = img([
    [1, 2, 3, 4],
    [5, 6, 7, 8],
    [9, 10, 11, 12],
  ]);
  assert.deepEqual(ops.maxPool2d(x, 2).toArray(), [[[[6, 8]]]]);
  assert.deepEqual(ops.avgPool2d(x, 2).toArray(), [[[[3.5, 5.5]]]]);
  assert.deepEqual(ops.maxPool2d(x, 2, { stride: 1 }).toArray(), [
    [
      [
        [6, 7, 8],
        [10, 11, 12],
      ],
    ],
  ]);
});

test('avgPool2d: padding counts in the divisor by default (PyTorch), or not (ONNX default)', () => {
  const x = img([
    [4, 4],
    [4, 4],
  ]);
  // One 3×3 window centred on the corner pixel of a 1-padded 2×2 image: 4 of 9 cells are real.
  assert.deepEqual(ops.avgPool2d(x, 3, { stride: 2, padding: 1 }).toArray(), [[[[16 / 9]]]]);
  assert.deepEqual(ops.avgPool2d(x, 3, { stride: 2, padding: 1, countIncludePad: false }).toArray(), [
    [[[4]]],
  ]);
});

test('maxPool2d: the gradient goes to the first maximum of a window; overlapping windows add up', () => {
  const x = img([
    [1, 3, 3],
    [0, 2, 1],
  ]);
  x.requiresGrad = true;
  ops.sum(ops.maxPool2d(x, 2, { stride: 1 })).backward();
  assert.deepEqual(x.grad!.toArray(), [
    [
      [
        [0, 2, 0],
        [0, 0, 0],
      ],
    ],
  ]);
});

test('maxPool2d: NaN propagates; padding never wins, even over negative values', () => {
  assert.ok(
    Number.isNaN(
      ops
        .maxPool2d(
          img([
            [1, NaN],
            [3, 2],
          ]),
          2,
        )
        .item(),
    ),
  );
  assert.deepEqual(
    ops
      .maxPool2d(
        img([
          [-5, -6],
          [-7, -8],
        ]),
        2,
        { padding: 1 },
      )
      .toArray(),
    [
      [
        [
          [-5, -6],
          [-7, -8],
        ],
      ],
    ],
  );
});

test('pooling int32 input gives float32', () => {
  const x = fromArray(new Int32Array([1, 2, 3, 4]), [1, 1, 2, 2]);
  const y = ops.maxPool2d(x, 2);
  assert.equal(y.dtype, 'float32');
  assert.equal(y.item(), 4);
});

test('pooling: shape errors name the input, kernel, stride and padding', () => {
  assert.throws(
    () => ops.maxPool2d(r(1, 2, 3, 3), 4, { name: 'pool_2 (maxPool2d)' }),
    (e: unknown) =>
      e instanceof ShapeError &&
      /^pool_2 \(maxPool2d\): input \[1, 2, 3, 3\] is too small for kernel \[4, 4\] with stride \[4, 4\], padding \[0, 0, 0, 0\]/.test(
        e.message,
      ),
  );
  assert.throws(
    () => ops.avgPool2d(r(2, 3, 3), 2),
    /avgPool2d: expected input shaped \[batch, channels, height, width\], got \[2, 3, 3\]/,
  );
  assert.throws(() => ops.globalAvgPool2d(r(2, 3)), ShapeError);
  assert.throws(() => ops.maxPool2d(r(1, 1, 4, 4), 0), /kernel size must be a positive integer/);
});

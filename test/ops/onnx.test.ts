// The ONNX backend node tests (Debian's libonnx-testdata) for Conv, MaxPool, AveragePool,
// GlobalAveragePool, GlobalMaxPool, BatchNormalization and Dropout, converted to JSON by
// scripts/extract-onnx-cases.py (test/fixtures/onnx/*.json; the large random pooling
// cases are cut down there). Set DESCENT_ONNX_FULL to a directory written by
// `extract-onnx-cases.py --full DIR` to run every case uncut.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as ops from '../../src/ops/index.js';
import { window2d } from '../../src/ops/conv.js';
import { fromArray } from '../../src/tensor/creation.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { assertClose } from '../helpers/random.js';

interface Encoded {
  shape: number[];
  dtype: string;
  data: number[];
}
interface OnnxCase {
  name: string;
  op: string;
  opset: number;
  attributes: Record<string, number | string | number[]>;
  inputNames: string[];
  inputs: Encoded[];
  outputs: Encoded[];
  cut?: string;
}

const fullDir = process.env.DESCENT_ONNX_FULL;
function load(group: string): OnnxCase[] {
  const url = fullDir
    ? new URL(`file://${fullDir.replace(/\/$/, '')}/${group}.json`)
    : new URL(`../../../test/fixtures/onnx/${group}.json`, import.meta.url);
  return (JSON.parse(readFileSync(url, 'utf8')) as { cases: OnnxCase[] }).cases;
}

const TOL = 2e-6;
const tensor = (e: Encoded): Tensor => fromArray(e.data, e.shape, { dtype: 'float32' });
const attr = <T>(c: OnnxCase, name: string, fallback: T): T =>
  (c.attributes[name] as T | undefined) ?? fallback;

/** ONNX window attributes as descent options: pads [top, left, bottom, right], auto_pad. */
function windowOptions(c: OnnxCase, x: Encoded): ops.WindowOptions {
  const kernel = attr<number[]>(c, 'kernel_shape', x.shape.slice(2));
  const stride = attr<number[]>(c, 'strides', [1, 1]) as [number, number];
  const dilation = attr<number[]>(c, 'dilations', [1, 1]) as [number, number];
  const autoPad = attr<string>(c, 'auto_pad', 'NOTSET');
  let padding: ops.Padding;
  if (autoPad === 'SAME_UPPER') padding = 'same';
  else if (autoPad === 'VALID') padding = 'valid';
  else if (autoPad === 'SAME_LOWER') {
    // Like 'same', with the odd pixel at the beginning instead of the end.
    const pads = [0, 1].map((i) => {
      const out = Math.ceil(x.shape[2 + i] / stride[i]);
      const total = Math.max(0, (out - 1) * stride[i] + dilation[i] * (kernel[i] - 1) + 1 - x.shape[2 + i]);
      return [total - Math.floor(total / 2), Math.floor(total / 2)];
    });
    padding = [pads[0][0], pads[1][0], pads[0][1], pads[1][1]];
  } else padding = attr<number[]>(c, 'pads', [0, 0, 0, 0]) as [number, number, number, number];
  return { stride, dilation, padding, ceilMode: attr<number>(c, 'ceil_mode', 0) === 1 };
}

/** The top-left block of `y` shaped like `expected` (the cut cases keep only that block). */
function block(y: Tensor, shape: number[]): ArrayLike<number> {
  if (y.shape.every((d, i) => d === shape[i])) return y.dataSync();
  return ops.slice(y, [0, 0, 0, 0], shape).dataSync();
}

for (const c of load('conv')) {
  test(`ONNX ${c.name}`, () => {
    const [x, w, b] = c.inputs;
    const { ceilMode: _, ...options } = windowOptions(c, x);
    const y = ops.conv2d(tensor(x), tensor(w), b ? tensor(b) : null, {
      ...options,
      groups: attr(c, 'group', 1),
    });
    assert.deepEqual(y.shape, c.outputs[0].shape);
    assertClose(y.dataSync(), c.outputs[0].data, TOL, c.name);
  });
}

for (const c of load('pool')) {
  test(`ONNX ${c.name}${c.cut ? ' (cut)' : ''}`, () => {
    const [x] = c.inputs;
    const expected = c.outputs[0];
    let y: Tensor;
    switch (c.op) {
      case 'GlobalAveragePool':
        y = ops.globalAvgPool2d(tensor(x));
        break;
      case 'GlobalMaxPool':
        y = ops.maxPool2d(tensor(x), [x.shape[2], x.shape[3]]);
        break;
      case 'MaxPool':
        y = ops.maxPool2d(
          tensor(x),
          attr<number[]>(c, 'kernel_shape', []) as [number, number],
          windowOptions(c, x),
        );
        break;
      case 'AveragePool':
        y = ops.avgPool2d(tensor(x), attr<number[]>(c, 'kernel_shape', []) as [number, number], {
          ...windowOptions(c, x),
          countIncludePad: attr<number>(c, 'count_include_pad', 0) === 1,
        });
        break;
      default:
        throw new Error(`unexpected op ${c.op}`);
    }
    if (!c.cut) assert.deepEqual(y.shape, expected.shape);
    assertClose(block(y, expected.shape), expected.data, TOL, c.name);

    if (c.op === 'MaxPool' && c.outputs[1]) {
      // Indices: the backend's argmax (ih·W + iw within a plane) in ONNX's flat numbering,
      // row-major (storage_order 0) or column-major (1) within each plane.
      const [N, C, H, W] = x.shape;
      const xt = tensor(x);
      const g = window2d(
        'MaxPool',
        x.shape,
        attr<number[]>(c, 'kernel_shape', []) as [number, number],
        windowOptions(c, x),
      );
      const out = xt.backend.alloc('float32', N * C * g.outH * g.outW);
      const argmax = xt.backend.alloc('int32', N * C * g.outH * g.outW);
      xt.backend.pool2d('max', xt.storage, g, out, argmax, 'float32');
      const idx = xt.backend.readSync!(argmax, 'int32', N * C * g.outH * g.outW);
      const columnMajor = attr<number>(c, 'storage_order', 0) === 1;
      const onnx = Array.from(idx, (a, o) => {
        const plane = Math.floor(o / (g.outH * g.outW));
        const [ih, iw] = [Math.floor(a / W), a % W];
        return plane * H * W + (columnMajor ? iw * H + ih : a);
      });
      assert.deepEqual(onnx, c.outputs[1].data);
      xt.backend.free(out);
      xt.backend.free(argmax);
    }
  });
}

for (const c of load('batchnorm')) {
  test(`ONNX ${c.name}`, () => {
    const [x, scale, bias, mean, variance] = c.inputs.map(tensor);
    const eps = attr(c, 'epsilon', 1e-5);
    const training = attr<number>(c, 'training_mode', 0) === 1;
    if (!training) {
      const { output } = ops.batchNorm(x, scale, bias, { eps, runningMean: mean, runningVar: variance });
      assertClose(output.dataSync(), c.outputs[0].data, TOL, 'Y');
      return;
    }
    const result = ops.batchNorm(x, scale, bias, { eps, training: true });
    assertClose(result.output.dataSync(), c.outputs[0].data, TOL, 'Y');
    // ONNX's running statistics weight the old value by `momentum` (default 0.9) and use the
    // biased batch variance: r = r·momentum + batch·(1 − momentum).
    const momentum = attr(c, 'momentum', 0.9);
    const runningMean = ops.add(ops.mul(mean, momentum), ops.mul(result.mean!, 1 - momentum));
    const runningVar = ops.add(ops.mul(variance, momentum), ops.mul(result.variance!, 1 - momentum));
    assertClose(runningMean.dataSync(), c.outputs[1].data, TOL, 'running_mean');
    assertClose(runningVar.dataSync(), c.outputs[2].data, TOL, 'running_var');
  });
}

for (const c of load('dropout')) {
  test(`ONNX ${c.name}`, () => {
    const x = tensor(c.inputs[0]);
    const ratio = c.opset < 12 ? attr(c, 'ratio', 0.5) : c.inputs[1] ? c.inputs[1].data[0] : 0.5;
    const training = c.opset >= 12 && c.inputs[2] ? c.inputs[2].data[0] === 1 : false;
    const [expected, expectedMask] = c.outputs;
    if (!training || ratio === 0) {
      const y = ops.dropout(x, ratio, { training });
      assert.deepEqual(
        Array.from(y.dataSync()),
        expected.data.map(Math.fround),
        'output: the identity, bit for bit',
      );
      if (expectedMask) assert.ok(expectedMask.data.every((v) => v === 1));
      return;
    }
    // ONNX draws its mask from numpy's generator, which descent does not replay: take the mask
    // from ONNX's output (or its mask output) and check that inverted dropout with it gives
    // exactly ONNX's values, and that a descent mask has the same form.
    const keep = expectedMask ? expectedMask.data : expected.data.map((v) => (v !== 0 ? 1 : 0));
    const mask = fromArray(keep, expected.shape, { dtype: 'float32' });
    assertClose(ops.dropoutWithMask(x, mask, 1 / (1 - ratio)).dataSync(), expected.data, TOL, 'output');
    const ours = ops.dropout(x, ratio).dataSync();
    const xs = x.dataSync();
    ours.forEach((v, i) => assert.ok(v === 0 || Math.abs(v - xs[i] / (1 - ratio)) < 1e-6));
  });
}

/**
 * ONNX operators as descent's differentiable ops: each entry says which attributes it reads,
 * how many inputs and outputs it has, how it uses each input, what it checks when a file is
 * imported, and how it runs. Everything runs through src/ops, so gradients flow and every
 * backend works; integer shape arithmetic runs on the host (host.ts).
 *
 * Semantics follow the ONNX operator specification for opsets 6 to 21, including the changes
 * between versions that matter here: Softmax and LogSoftmax (2-D coercion before opset 13),
 * Squeeze/Unsqueeze/ReduceSum axes (attributes before 13, inputs after), Pad (attributes
 * before 11), Dropout (ratio attribute before 12), Reshape's allowzero (14), Slice (inputs
 * from 10), Clip (inputs from 11), BatchNormalization's training_mode (14).
 */
import { noGrad } from '../../autograd/tape.js';
import { ConfigError, ShapeError } from '../../errors.js';
import * as ops from '../../ops/index.js';
import { fromArray, full } from '../../tensor/creation.js';
import { rng as globalRng } from '../../tensor/random.js';
import { formatShape, sizeOf } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';
import {
  broadcastHost,
  concatHost,
  gatherHost,
  hostArray,
  hostInts,
  mapHost,
  reshapeHost,
  sliceHost,
} from './host.js';
import { ONNX_DTYPE } from './schema.js';
import { isHost, type AttrType, type InputRole, type NodeView, type Value } from './spec.js';
import { hostTypeOf, onnxTypeName, SUPPORTED_TYPES, type HostArray } from './tensor.js';

/** What an op's `run` gets: its node, its inputs, and conversions between host and device. */
export interface RunContext {
  view: NodeView;
  inputs: ReadonlyArray<Value | undefined>;
  /** descent's training flag (Layer.call(x, { training })). */
  training: boolean;
  /** Input i as a device tensor (host arrays are uploaded). */
  tensor(i: number): Tensor;
  /** Input i on the host (a device tensor is read back where the backend can). */
  host(i: number): HostArray;
  /** The graph's buffer behind input i, when input i is one (for in-place updates). */
  buffer(i: number): Tensor | null;
}

export interface OpSpec {
  attributes: Record<string, AttrType>;
  /** [fewest, most] inputs (Infinity: variadic). */
  inputs: [number, number];
  /** Outputs this implementation can produce. */
  outputs: number;
  role?(index: number, opset: number): InputRole;
  /** Import-time checks (attribute values, outputs in use); throw through view.unsupported. */
  check?(view: NodeView, used: (output: number) => boolean): void;
  run(ctx: RunContext): Value[];
}

// ---- helpers ------------------------------------------------------------------------------

const allHostInts = (ctx: RunContext, count = ctx.inputs.length) => {
  for (let i = 0; i < count; i++) {
    const v = ctx.inputs[i];
    if (v !== undefined && !(isHost(v) && v.type === 'int')) return false;
  }
  return true;
};

function normalizeAxis(view: NodeView, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= Math.max(rank, 1))
    throw new ShapeError(`${view.where}: axis ${axis} is out of range for rank ${rank}.`);
  return a;
}

/** Ops that size their output from values (Pad, Expand, ConstantOfShape) refuse sizes no tensor can have. */
const MAX_ELEMENTS = 2 ** 31 - 1;
function checkSize(view: NodeView, shape: readonly number[]): void {
  const n = sizeOf(shape);
  if (!(n <= MAX_ELEMENTS))
    throw new ShapeError(
      `${view.where}: the output would be shaped [${shape.join(', ')}] (${n} values), more than a tensor can hold.`,
    );
}

function shapeOf(v: Value): readonly number[] {
  return isHost(v) ? v.shape : v.shape;
}

function asInts(view: NodeView, a: HostArray, what: string): number[] {
  if (a.type !== 'int')
    throw new ShapeError(`${view.where}: ${what} must be integers, got ${onnxTypeName(a.onnxType)}.`);
  return Array.from(a.data);
}

/** A scalar host value (e.g. Pad's constant_value, Clip's bounds), or `fallback` when omitted. */
function hostScalar(ctx: RunContext, i: number, fallback: number, what: string): number {
  if (!ctx.view.hasInput(i)) return fallback;
  const h = ctx.host(i);
  if (h.data.length !== 1)
    throw new ShapeError(
      `${ctx.view.where}: ${what} must hold one value, got shape ${formatShape(h.shape)}.`,
    );
  return h.data[0];
}

const unaryOp = (f: (x: Tensor, view: NodeView) => Tensor, host?: (x: number) => number): OpSpec => ({
  attributes: {},
  inputs: [1, 1],
  outputs: 1,
  run: (ctx) => [host && allHostInts(ctx) ? mapHost(ctx.host(0), host) : f(ctx.tensor(0), ctx.view)],
});

const binaryOp = (
  f: (a: Tensor, b: Tensor) => Tensor,
  host?: (a: number, b: number) => number,
  attributes: Record<string, AttrType> = {},
): OpSpec => ({
  attributes: { broadcast: 'int', axis: 'int', consumed_inputs: 'ints', ...attributes },
  inputs: [2, 2],
  outputs: 1,
  run: (ctx) => {
    if (host && allHostInts(ctx)) return [broadcastHost(ctx.view.where, ctx.host(0), ctx.host(1), host)];
    const a = ctx.tensor(0);
    return [f(a, legacyBroadcast(ctx.view, a, ctx.tensor(1)))];
  },
});

/**
 * Before opset 7, B broadcasts only with broadcast = 1, its dimensions lined up with A's
 * from `axis` (default: the trailing ones, numpy's rule): B gets trailing 1s to match.
 */
function legacyBroadcast(view: NodeView, a: Tensor, b: Tensor): Tensor {
  if (view.opset >= 7 || view.int('broadcast', 0) !== 1 || !view.has('axis')) return b;
  const axis = normalizeAxis(view, view.int('axis', 0), a.rank);
  const trailing = a.rank - axis - b.rank;
  if (trailing < 0)
    throw new ShapeError(
      `${view.where}: B ${formatShape(b.shape)} does not fit A ${formatShape(a.shape)} from axis ${axis}.`,
    );
  return trailing === 0 ? b : ops.reshape(b, [...b.shape, ...new Array<number>(trailing).fill(1)]);
}

/** Variadic element-wise ops (Max, Min, Sum, Mean) with numpy broadcasting. */
const variadic = (
  f: (a: Tensor, b: Tensor) => Tensor,
  finish?: (y: Tensor, n: number) => Tensor,
): OpSpec => ({
  attributes: { consumed_inputs: 'ints' },
  inputs: [1, Infinity],
  outputs: 1,
  run(ctx) {
    let y = ctx.tensor(0);
    for (let i = 1; i < ctx.inputs.length; i++) y = f(y, ctx.tensor(i));
    return [finish ? finish(y, ctx.inputs.length) : ctx.inputs.length === 1 ? ops.add(y, 0) : y];
  },
});

const comparison = (f: (a: Tensor, b: Tensor) => Tensor, host: (a: number, b: number) => number): OpSpec => ({
  attributes: {},
  inputs: [2, 2],
  outputs: 1,
  run: (ctx) => {
    if (allHostInts(ctx))
      return [broadcastHost(ctx.view.where, ctx.host(0), ctx.host(1), host, 'int', ONNX_DTYPE.BOOL)];
    return [f(ctx.tensor(0), ctx.tensor(1))];
  },
});

/** Softmax-family semantics: opset ≥ 13 along one axis; before, over the input coerced to 2-D at `axis`. */
function softmaxLike(f: (x: Tensor, axis: number) => Tensor): OpSpec {
  return {
    attributes: { axis: 'int' },
    inputs: [1, 1],
    outputs: 1,
    run: (ctx) => {
      const x = ctx.tensor(0);
      if (ctx.view.opset >= 13) return [f(x, normalizeAxis(ctx.view, ctx.view.int('axis', -1), x.rank))];
      const axis = normalizeAxis(ctx.view, ctx.view.int('axis', 1), x.rank);
      const rows = sizeOf(x.shape.slice(0, axis));
      const y = f(ops.reshape(x, [rows, sizeOf(x.shape.slice(axis))]), 1);
      return [ops.reshape(y, x.shape)];
    },
  };
}

// ---- windows: Conv, MaxPool, AveragePool --------------------------------------------------

interface Window {
  kernel: [number, number];
  stride: [number, number];
  dilation: [number, number];
  pads: [number, number, number, number];
  /** A 1-D op run as 2-D with height 1. */
  oneD: boolean;
}

const windowAttributes: Record<string, AttrType> = {
  auto_pad: 'string',
  kernel_shape: 'ints',
  pads: 'ints',
  strides: 'ints',
  dilations: 'ints',
};

const AUTO_PADS = ['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'];

function checkWindow(view: NodeView, spatialFromKernel = true): void {
  const autoPad = view.string('auto_pad', 'NOTSET');
  if (!AUTO_PADS.includes(autoPad))
    view.unsupported(`auto_pad '${autoPad}' is not supported; supported: ${AUTO_PADS.join(', ')}.`);
  const k = view.ints('kernel_shape');
  if (k && k.length !== 1 && k.length !== 2)
    view.unsupported(
      `a ${k.length}-D kernel (kernel_shape [${k.join(', ')}]) is not supported; descent runs 1-D and 2-D windows.`,
    );
  if (!k && !spatialFromKernel) view.unsupported('kernel_shape is required.');
  for (const name of ['strides', 'dilations'] as const) {
    const v = view.ints(name);
    if (v && (!v.every((s) => Number.isInteger(s) && s > 0) || (k && v.length !== k.length)))
      view.unsupported(`${name} [${v.join(', ')}] must be positive, one per kernel dimension.`);
  }
  const pads = view.ints('pads');
  if (pads && (!pads.every((p) => Number.isInteger(p) && p >= 0) || (k && pads.length !== 2 * k.length)))
    view.unsupported(
      `pads [${pads.join(', ')}] must be non-negative, a begin and an end per kernel dimension.`,
    );
}

/** The window geometry of a node on input x ([N, C, L] or [N, C, H, W]), kernel from the attribute or `kernelShape`. */
function windowOf(view: NodeView, x: Tensor, kernelShape?: readonly number[]): Window {
  const spatial = x.rank - 2;
  if (spatial !== 1 && spatial !== 2)
    view.unsupported(
      `a ${spatial}-D input (shape ${formatShape(x.shape)}) is not supported; descent runs 1-D and 2-D windows ([N, C, L] or [N, C, H, W]).`,
    );
  const k = view.ints('kernel_shape') ?? kernelShape?.slice(-spatial);
  if (!k || k.length !== spatial)
    throw new ShapeError(
      `${view.where}: kernel_shape ${k ? `[${k.join(', ')}]` : '(missing)'} does not fit input ${formatShape(x.shape)}.`,
    );
  const strides = view.ints('strides') ?? new Array<number>(spatial).fill(1);
  const dilations = view.ints('dilations') ?? new Array<number>(spatial).fill(1);
  let pads = view.ints('pads') ?? new Array<number>(2 * spatial).fill(0);
  if (strides.length !== spatial || dilations.length !== spatial || pads.length !== 2 * spatial)
    throw new ShapeError(`${view.where}: strides, dilations and pads do not match the ${spatial}-D input.`);
  const autoPad = view.string('auto_pad', 'NOTSET');
  if (autoPad === 'VALID') pads = new Array<number>(2 * spatial).fill(0);
  else if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    pads = new Array<number>(2 * spatial);
    for (let i = 0; i < spatial; i++) {
      const size = x.shape[2 + i];
      const out = Math.ceil(size / strides[i]);
      const total = Math.max(0, (out - 1) * strides[i] + dilations[i] * (k[i] - 1) + 1 - size);
      const small = Math.floor(total / 2);
      pads[i] = autoPad === 'SAME_UPPER' ? small : total - small;
      pads[i + spatial] = total - pads[i];
    }
  }
  if (spatial === 1)
    return {
      kernel: [1, k[0]],
      stride: [1, strides[0]],
      dilation: [1, dilations[0]],
      pads: [0, pads[0], 0, pads[1]],
      oneD: true,
    };
  return {
    kernel: [k[0], k[1]],
    stride: [strides[0], strides[1]],
    dilation: [dilations[0], dilations[1]],
    pads: [pads[0], pads[1], pads[2], pads[3]],
    oneD: false,
  };
}

const to2d = (x: Tensor, w: Window) => (w.oneD ? ops.unsqueeze(x, 2) : x);
const from2d = (y: Tensor, w: Window) => (w.oneD ? ops.squeeze(y, 2) : y);

function pooling(kind: 'max' | 'avg'): OpSpec {
  return {
    attributes: {
      ...windowAttributes,
      ceil_mode: 'int',
      ...(kind === 'max' ? { storage_order: 'int' } : { count_include_pad: 'int' }),
    },
    inputs: [1, 1],
    outputs: 1,
    check(view, used) {
      checkWindow(view, false);
      if (kind === 'max' && used(1))
        view.unsupported('the Indices output is not supported (only the pooled values); nothing may use it.');
      if (kind === 'avg' && view.opset < 19 && view.has('dilations'))
        view.unsupported('AveragePool has dilations only from opset 19.');
    },
    run(ctx) {
      const x = ctx.tensor(0);
      const w = windowOf(ctx.view, x);
      const options = {
        stride: w.stride,
        padding: w.pads,
        dilation: w.dilation,
        ceilMode: ctx.view.int('ceil_mode', 0) === 1,
        name: ctx.view.where,
      };
      const x2 = to2d(x, w);
      const y =
        kind === 'max'
          ? ops.maxPool2d(x2, w.kernel, options)
          : ops.avgPool2d(x2, w.kernel, {
              ...options,
              countIncludePad: ctx.view.int('count_include_pad', 0) === 1,
            });
      return [from2d(y, w)];
    },
  };
}

// ---- the table ----------------------------------------------------------------------------

const identity: OpSpec = { attributes: {}, inputs: [1, 1], outputs: 1, run: (ctx) => [ctx.inputs[0]!] };

function argReduce(f: (x: Tensor, axis: number, keep: boolean) => Tensor): OpSpec {
  return {
    attributes: { axis: 'int', keepdims: 'int', select_last_index: 'int' },
    inputs: [1, 1],
    outputs: 1,
    check(view) {
      if (view.int('select_last_index', 0) !== 0)
        view.unsupported('select_last_index = 1 is not supported (descent picks the first extreme).');
    },
    run(ctx) {
      const x = ctx.tensor(0);
      return [
        f(x, normalizeAxis(ctx.view, ctx.view.int('axis', 0), x.rank), ctx.view.int('keepdims', 1) === 1),
      ];
    },
  };
}

function reduceOp(
  name: string,
  f: (x: Tensor, axes: number[], keep: boolean) => Tensor,
  axesInputFrom: number,
): OpSpec {
  return {
    attributes: { axes: 'ints', keepdims: 'int', noop_with_empty_axes: 'int' },
    inputs: [1, 2],
    outputs: 1,
    role: (i) => (i === 1 ? 'host' : 'value'),
    check(view) {
      if (view.opset >= axesInputFrom && view.has('axes'))
        view.unsupported(
          `${name} takes its axes as an input from opset ${axesInputFrom}, not as an attribute.`,
        );
    },
    run(ctx) {
      const x = ctx.tensor(0);
      const keep = ctx.view.int('keepdims', 1) === 1;
      let axes: number[] | undefined =
        ctx.view.opset >= axesInputFrom
          ? ctx.view.hasInput(1)
            ? asInts(ctx.view, ctx.host(1), 'axes')
            : undefined
          : ctx.view.ints('axes');
      if (axes !== undefined && axes.length === 0) axes = undefined;
      if (axes === undefined && ctx.view.int('noop_with_empty_axes', 0) === 1) return [x];
      const all = axes ?? x.shape.map((_, i) => i);
      return [
        f(
          x,
          all.map((a) => normalizeAxis(ctx.view, a, x.rank)),
          keep,
        ),
      ];
    },
  };
}

export const OPS: Record<string, OpSpec> = {
  // -- arithmetic
  Add: binaryOp(ops.add, (a, b) => a + b),
  Sub: binaryOp(ops.sub, (a, b) => a - b),
  Mul: binaryOp(ops.mul, (a, b) => a * b),
  Div: binaryOp(ops.div, (a, b) => Math.trunc(a / b)),
  Pow: binaryOp(ops.pow),
  Neg: unaryOp(ops.neg, (x) => -x),
  Abs: unaryOp(ops.abs, Math.abs),
  Exp: unaryOp(ops.exp),
  Log: unaryOp(ops.log),
  Sqrt: unaryOp(ops.sqrt),
  Reciprocal: unaryOp(ops.reciprocal),
  Identity: identity,

  // -- activations
  Relu: unaryOp(ops.relu),
  Sigmoid: unaryOp(ops.sigmoid),
  Tanh: unaryOp(ops.tanh),
  Softplus: unaryOp(ops.softplus),
  Softsign: unaryOp((x) => ops.div(x, ops.add(ops.abs(x), 1))),
  LeakyRelu: {
    attributes: { alpha: 'float' },
    inputs: [1, 1],
    outputs: 1,
    run: (ctx) => [ops.leakyRelu(ctx.tensor(0), ctx.view.float('alpha', 0.01))],
  },
  Elu: {
    attributes: { alpha: 'float' },
    inputs: [1, 1],
    outputs: 1,
    run: (ctx) => [ops.elu(ctx.tensor(0), ctx.view.float('alpha', 1))],
  },
  Selu: {
    attributes: { alpha: 'float', gamma: 'float' },
    inputs: [1, 1],
    outputs: 1,
    run: (ctx) => [
      ops.mul(
        ops.elu(ctx.tensor(0), ctx.view.float('alpha', 1.67326319217681884765625)),
        ctx.view.float('gamma', 1.05070102214813232421875),
      ),
    ],
  },
  HardSigmoid: {
    attributes: { alpha: 'float', beta: 'float' },
    inputs: [1, 1],
    outputs: 1,
    run: (ctx) => [
      ops.clamp(
        ops.add(ops.mul(ctx.tensor(0), ctx.view.float('alpha', 0.2)), ctx.view.float('beta', 0.5)),
        0,
        1,
      ),
    ],
  },
  PRelu: {
    attributes: { consumed_inputs: 'ints' },
    inputs: [2, 2],
    outputs: 1,
    run(ctx) {
      const x = ctx.tensor(0);
      let slope = ctx.tensor(1);
      // Before opset 7 a 1-D slope of C values is per channel (axis 1), not numpy-broadcast.
      if (ctx.view.opset < 7 && slope.rank === 1 && slope.size > 1 && x.rank > 2)
        slope = ops.reshape(slope, [slope.size, ...new Array<number>(x.rank - 2).fill(1)]);
      return [ops.prelu(x, slope)];
    },
  },
  Softmax: softmaxLike(ops.softmax),
  LogSoftmax: softmaxLike(ops.logSoftmax),
  Clip: {
    attributes: { min: 'float', max: 'float' },
    inputs: [1, 3],
    outputs: 1,
    role: (i) => (i === 0 ? 'value' : 'host'),
    run(ctx) {
      const v = ctx.view;
      const lo = v.opset >= 11 ? hostScalar(ctx, 1, -Infinity, 'min') : v.float('min', -Infinity);
      const hi = v.opset >= 11 ? hostScalar(ctx, 2, Infinity, 'max') : v.float('max', Infinity);
      // ONNX: min > max gives max everywhere; descent's clamp refuses it, so say so plainly.
      if (lo > hi) throw new ConfigError(`${v.where}: min ${lo} exceeds max ${hi}.`);
      return [ops.clamp(ctx.tensor(0), lo, hi)];
    },
  },

  // -- comparisons (results are 0/1; Cast turns them into numbers)
  Equal: comparison(ops.equal, (a, b) => (a === b ? 1 : 0)),
  Greater: comparison(ops.greater, (a, b) => (a > b ? 1 : 0)),
  GreaterOrEqual: comparison(ops.greaterEqual, (a, b) => (a >= b ? 1 : 0)),
  Less: comparison(ops.less, (a, b) => (a < b ? 1 : 0)),
  LessOrEqual: comparison(ops.lessEqual, (a, b) => (a <= b ? 1 : 0)),

  // -- linear algebra
  MatMul: {
    attributes: {},
    inputs: [2, 2],
    outputs: 1,
    run(ctx) {
      let a = ctx.tensor(0);
      let b = ctx.tensor(1);
      if (a.rank > 2 && b.rank > 2) {
        // ONNX broadcasts the batch dimensions; descent's matmul wants them equal.
        const batch = broadcastBatch(ctx.view, a.shape.slice(0, -2), b.shape.slice(0, -2));
        a = ops.broadcastTo(a, [...batch, ...a.shape.slice(-2)]);
        b = ops.broadcastTo(b, [...batch, ...b.shape.slice(-2)]);
      }
      return [ops.matmul(a, b)];
    },
  },
  Gemm: {
    attributes: { alpha: 'float', beta: 'float', transA: 'int', transB: 'int', broadcast: 'int' },
    inputs: [2, 3],
    outputs: 1,
    run(ctx) {
      const v = ctx.view;
      const alpha = v.float('alpha', 1);
      const beta = v.float('beta', 1);
      const transA = v.int('transA', 0) === 1;
      const transB = v.int('transB', 0) === 1;
      const a = ctx.tensor(0);
      const b = ctx.tensor(1);
      if (a.rank !== 2 || b.rank !== 2)
        throw new ShapeError(
          `${v.where}: Gemm needs 2-D A and B, got ${formatShape(a.shape)} and ${formatShape(b.shape)}.`,
        );
      const c = v.hasInput(2) ? ctx.tensor(2) : null;
      // The dense layer's layout (B = W [out, in], transB = 1): one fused linear, as nn.dense runs.
      if (!transA && transB && alpha === 1 && (beta === 1 || !c) && (!c || c.size === b.shape[0])) {
        return [ops.linear(a, b, c ? (c.rank === 1 ? c : ops.reshape(c, [c.size])) : null)];
      }
      let y = ops.matmul(transA ? ops.transpose(a) : a, transB ? ops.transpose(b) : b);
      if (alpha !== 1) y = ops.mul(y, alpha);
      if (c) y = ops.add(y, beta === 1 ? c : ops.mul(c, beta));
      return [y];
    },
  },

  // -- convolution, pooling, normalisation, dropout
  Conv: {
    attributes: { ...windowAttributes, group: 'int' },
    inputs: [2, 3],
    outputs: 1,
    check: (view) => checkWindow(view),
    run(ctx) {
      const x = ctx.tensor(0);
      const weight = ctx.tensor(1);
      const w = windowOf(ctx.view, x, weight.shape.slice(2));
      const bias = ctx.view.hasInput(2) ? ctx.tensor(2) : null;
      const y = ops.conv2d(to2d(x, w), w.oneD ? ops.unsqueeze(weight, 2) : weight, bias, {
        stride: w.stride,
        padding: w.pads,
        dilation: w.dilation,
        groups: ctx.view.int('group', 1),
        name: ctx.view.where,
      });
      return [from2d(y, w)];
    },
  },
  MaxPool: pooling('max'),
  AveragePool: pooling('avg'),
  GlobalAveragePool: {
    attributes: {},
    inputs: [1, 1],
    outputs: 1,
    run(ctx) {
      const x = ctx.tensor(0);
      return [ops.mean(x, x.shape.map((_, i) => i).slice(2), true)];
    },
  },
  GlobalMaxPool: {
    attributes: {},
    inputs: [1, 1],
    outputs: 1,
    run(ctx) {
      const x = ctx.tensor(0);
      return [ops.max(x, x.shape.map((_, i) => i).slice(2), true)];
    },
  },
  BatchNormalization: {
    attributes: {
      epsilon: 'float',
      momentum: 'float',
      spatial: 'int',
      is_test: 'int',
      training_mode: 'int',
      consumed_inputs: 'ints',
    },
    inputs: [5, 5],
    outputs: 3,
    role: (i) => (i === 3 || i === 4 ? 'state' : 'value'),
    check(view, used) {
      if (view.int('spatial', 1) !== 1)
        view.unsupported('spatial = 0 (per-activation statistics) is not supported.');
      const trainingOutputs = view.opset >= 14 && view.int('training_mode', 0) === 1;
      for (let o = 1; o < 5; o++)
        if (used(o) && !(trainingOutputs && o <= 2))
          view.unsupported(
            `output ${o} is not supported (descent gives Y, and running_mean/running_var with training_mode = 1 from opset 14).`,
          );
    },
    run: runBatchNorm,
  },
  Dropout: {
    attributes: { ratio: 'float', seed: 'int', is_test: 'int' },
    inputs: [1, 3],
    outputs: 2,
    role: (i) => (i === 0 ? 'value' : 'host'),
    run(ctx) {
      const v = ctx.view;
      const x = ctx.tensor(0);
      const ratio = v.opset >= 12 ? hostScalar(ctx, 1, 0.5, 'ratio') : v.float('ratio', 0.5);
      const forced = v.opset >= 12 && hostScalar(ctx, 2, 0, 'training_mode') !== 0;
      if (!(ratio >= 0 && ratio < 1))
        throw new ConfigError(`${v.where}: ratio must be in [0, 1), got ${ratio}.`);
      const active = (ctx.training || forced) && ratio > 0;
      const wantMask = v.node.outputs.length > 1 && v.node.outputs[1] !== '';
      if (!active)
        return [
          x,
          ...(wantMask ? [hostArray('int', ONNX_DTYPE.BOOL, x.shape, new Float64Array(x.size).fill(1))] : []),
        ];
      // Inverted dropout with a mask from the seeded RNG, as ops.dropout draws it.
      const r = globalRng();
      const keep = new Float32Array(x.size);
      for (let i = 0; i < keep.length; i++) keep[i] = r.uniform() >= ratio ? 1 : 0;
      const mask = fromArray(keep, x.shape);
      const y = ops.dropoutWithMask(
        x,
        x.dtype === 'float32' ? mask : ops.cast(mask, x.dtype),
        1 / (1 - ratio),
      );
      return [y, ...(wantMask ? [hostArray('int', ONNX_DTYPE.BOOL, x.shape, keep)] : [])];
    },
  },

  // -- shapes
  Flatten: {
    attributes: { axis: 'int' },
    inputs: [1, 1],
    outputs: 1,
    run(ctx) {
      const x = ctx.inputs[0]!;
      const shape = shapeOf(x);
      const axis = ctx.view.int('axis', 1);
      const a = axis < 0 ? axis + shape.length : axis;
      if (!(a >= 0 && a <= shape.length))
        throw new ShapeError(`${ctx.view.where}: axis ${axis} is out of range for rank ${shape.length}.`);
      const target = [sizeOf(shape.slice(0, a)), sizeOf(shape.slice(a))];
      return [isHost(x) ? reshapeHost(x, target) : ops.reshape(x, target)];
    },
  },
  Reshape: {
    attributes: { allowzero: 'int', shape: 'ints' },
    inputs: [1, 2],
    outputs: 1,
    role: (i) => (i === 1 ? 'host' : 'value'),
    check(view) {
      if (view.opset >= 5 && !view.hasInput(1)) view.unsupported('the shape input is missing.');
    },
    run(ctx) {
      const x = ctx.inputs[0]!;
      const shape = shapeOf(x);
      const requested =
        ctx.view.opset >= 5 ? asInts(ctx.view, ctx.host(1), 'shape') : (ctx.view.ints('shape') ?? []);
      const allowZero = ctx.view.int('allowzero', 0) === 1;
      const target = requested.map((d, i) => {
        if (d === 0 && !allowZero) {
          if (i >= shape.length)
            throw new ShapeError(
              `${ctx.view.where}: shape entry ${i} is 0 (copy), but the input has rank ${shape.length}.`,
            );
          return shape[i];
        }
        return d;
      });
      const inferred = target.filter((d) => d === -1).length;
      const known = sizeOf(target.filter((d) => d !== -1));
      const total = sizeOf(shape);
      if (
        inferred > 1 ||
        target.some((d) => d < -1) ||
        (inferred === 1 ? known === 0 || total % known !== 0 : known !== total)
      )
        throw new ShapeError(
          `${ctx.view.where}: cannot reshape ${formatShape(shape)} to [${requested.join(', ')}].`,
        );
      const final = target.map((d) => (d === -1 ? total / known : d));
      return [isHost(x) ? reshapeHost(x, final) : ops.reshape(x, final)];
    },
  },
  Transpose: {
    attributes: { perm: 'ints' },
    inputs: [1, 1],
    outputs: 1,
    run(ctx) {
      const x = ctx.tensor(0);
      const perm = ctx.view.ints('perm') ?? x.shape.map((_, i) => x.rank - 1 - i);
      return [ops.permute(x, perm)];
    },
  },
  Concat: {
    attributes: { axis: 'int' },
    inputs: [1, Infinity],
    outputs: 1,
    run(ctx) {
      const rank = shapeOf(ctx.inputs[0]!).length;
      if (!ctx.view.has('axis') && ctx.view.opset >= 4)
        ctx.view.unsupported('the axis attribute is required.');
      const axis = normalizeAxis(ctx.view, ctx.view.int('axis', 1), rank);
      const present = ctx.inputs.map((_, i) => i).filter((i) => ctx.inputs[i] !== undefined);
      if (allHostInts(ctx)) {
        const parts = present.map((i) => ctx.host(i));
        checkConcat(
          ctx.view,
          parts.map((p) => p.shape),
          axis,
        );
        return [concatHost(parts, axis)];
      }
      // Empty parts (size 0 along the axis) add nothing; descent's concat needs equal dtypes.
      const parts = present.map((i) => ctx.tensor(i)).filter((t) => t.size > 0 || present.length === 1);
      if (parts.length === 0) return [ctx.tensor(present[0])];
      return [ops.concat(parts, axis)];
    },
  },
  Squeeze: {
    attributes: { axes: 'ints' },
    inputs: [1, 2],
    outputs: 1,
    role: (i) => (i === 1 ? 'host' : 'value'),
    run(ctx) {
      const x = ctx.inputs[0]!;
      const shape = shapeOf(x);
      const axesList =
        ctx.view.opset >= 13
          ? ctx.view.hasInput(1)
            ? asInts(ctx.view, ctx.host(1), 'axes')
            : undefined
          : ctx.view.ints('axes');
      const axes = axesList?.map((a) => normalizeAxis(ctx.view, a, shape.length));
      for (const a of axes ?? [])
        if (shape[a] !== 1)
          throw new ShapeError(
            `${ctx.view.where}: axis ${a} of ${formatShape(shape)} has size ${shape[a]}, not 1.`,
          );
      const target = shape.filter((d, i) => (axes ? !axes.includes(i) : d !== 1));
      return [isHost(x) ? reshapeHost(x, target) : ops.reshape(x, target)];
    },
  },
  Unsqueeze: {
    attributes: { axes: 'ints' },
    inputs: [1, 2],
    outputs: 1,
    role: (i) => (i === 1 ? 'host' : 'value'),
    run(ctx) {
      const x = ctx.inputs[0]!;
      const shape = shapeOf(x);
      const axesList =
        ctx.view.opset >= 13 ? asInts(ctx.view, ctx.host(1), 'axes') : (ctx.view.ints('axes') ?? []);
      const rank = shape.length + axesList.length;
      const axes = axesList.map((a) => normalizeAxis(ctx.view, a, rank));
      if (new Set(axes).size !== axes.length)
        throw new ShapeError(`${ctx.view.where}: axes [${axesList.join(', ')}] repeat an axis.`);
      const target: number[] = [];
      let next = 0;
      for (let i = 0; i < rank; i++) target.push(axes.includes(i) ? 1 : shape[next++]);
      return [isHost(x) ? reshapeHost(x, target) : ops.reshape(x, target)];
    },
  },
  Pad: {
    attributes: { mode: 'string', pads: 'ints', value: 'float' },
    inputs: [1, 4],
    outputs: 1,
    role: (i) => (i === 0 ? 'value' : 'host'),
    check(view) {
      const mode = view.string('mode', 'constant');
      const modes =
        view.opset >= 19 ? ['constant', 'reflect', 'edge', 'wrap'] : ['constant', 'reflect', 'edge'];
      if (!modes.includes(mode))
        view.unsupported(`mode '${mode}' is not supported; supported: ${modes.join(', ')}.`);
    },
    run(ctx) {
      const v = ctx.view;
      const x = ctx.tensor(0);
      const pads = v.opset >= 11 ? asInts(v, ctx.host(1), 'pads') : (v.ints('pads') ?? []);
      const value = v.opset >= 11 ? hostScalar(ctx, 2, 0, 'constant_value') : v.float('value', 0);
      const axes =
        v.opset >= 18 && v.hasInput(3)
          ? asInts(v, ctx.host(3), 'axes').map((a) => normalizeAxis(v, a, x.rank))
          : x.shape.map((_, i) => i);
      if (pads.length !== 2 * axes.length)
        throw new ShapeError(
          `${v.where}: pads [${pads.join(', ')}] needs ${2 * axes.length} entries for ${formatShape(x.shape)}.`,
        );
      const mode = v.string('mode', 'constant');
      const padded = [...x.shape];
      axes.forEach((a, j) => (padded[a] += pads[j] + pads[j + axes.length]));
      checkSize(v, padded);
      return [mode === 'constant' ? padConstant(x, axes, pads, value) : padByIndex(v, x, axes, pads, mode)];
    },
  },
  Shape: {
    attributes: { start: 'int', end: 'int' },
    inputs: [1, 1],
    outputs: 1,
    run(ctx) {
      const shape = shapeOf(ctx.inputs[0]!);
      const clampIndex = (i: number) => Math.min(Math.max(i < 0 ? i + shape.length : i, 0), shape.length);
      const start = clampIndex(ctx.view.int('start', 0));
      const end = clampIndex(ctx.view.int('end', shape.length));
      return [hostInts(shape.slice(start, Math.max(start, end)))];
    },
  },
  Size: {
    attributes: {},
    inputs: [1, 1],
    outputs: 1,
    run: (ctx) => [hostInts([sizeOf(shapeOf(ctx.inputs[0]!))], [])],
  },
  Gather: {
    attributes: { axis: 'int' },
    inputs: [2, 2],
    outputs: 1,
    run(ctx) {
      const data = ctx.inputs[0]!;
      const shape = shapeOf(data);
      const axis = normalizeAxis(ctx.view, ctx.view.int('axis', 0), shape.length);
      const idx = ctx.host(1);
      const positions = asInts(ctx.view, idx, 'indices').map((i) => {
        const j = i < 0 ? i + shape[axis] : i;
        if (!(j >= 0 && j < shape[axis]))
          throw new ShapeError(
            `${ctx.view.where}: index ${i} is out of range for axis ${axis} of size ${shape[axis]}.`,
          );
        return j;
      });
      const indices = hostArray('int', ONNX_DTYPE.INT64, idx.shape, positions);
      if (isHost(data)) return [gatherHost(data, indices, axis)];
      const picked = ops.gather(data, Int32Array.from(positions), axis);
      return [ops.reshape(picked, [...shape.slice(0, axis), ...idx.shape, ...shape.slice(axis + 1)])];
    },
  },
  Slice: {
    attributes: { starts: 'ints', ends: 'ints', axes: 'ints' },
    inputs: [1, 5],
    outputs: 1,
    role: (i) => (i === 0 ? 'value' : 'host'),
    run(ctx) {
      const v = ctx.view;
      const x = ctx.inputs[0]!;
      const shape = shapeOf(x);
      const list = (i: number, name: 'starts' | 'ends' | 'axes') =>
        v.opset >= 10 ? (v.hasInput(i) ? asInts(v, ctx.host(i), name) : undefined) : v.ints(name);
      const starts = list(1, 'starts') ?? [];
      const ends = list(2, 'ends') ?? [];
      const axes = (list(3, 'axes') ?? starts.map((_, i) => i)).map((a) => normalizeAxis(v, a, shape.length));
      const steps = v.opset >= 10 && v.hasInput(4) ? asInts(v, ctx.host(4), 'steps') : starts.map(() => 1);
      if (starts.length !== ends.length || axes.length !== starts.length || steps.length !== starts.length)
        throw new ShapeError(`${v.where}: starts, ends, axes and steps must have the same length.`);
      const begin = shape.map(() => 0);
      const size = [...shape];
      // Axes with a step other than 1 pick their positions with a gather, after the box.
      const picks: Array<[number, number[]]> = [];
      axes.forEach((a, j) => {
        const d = shape[a];
        const step = steps[j];
        if (step === 0) throw new ShapeError(`${v.where}: a step of 0 is not allowed.`);
        if (step > 0) {
          const clampIndex = (i: number) => Math.min(Math.max(i < 0 ? i + d : i, 0), d);
          const s = clampIndex(starts[j]);
          const e = clampIndex(ends[j]);
          begin[a] = s;
          size[a] = Math.max(0, e - s);
          if (step > 1) picks.push([a, range(0, size[a], step)]);
        } else {
          // Negative steps walk backwards from start (clamped to d − 1) down to end (clamped to −1).
          const clampIndex = (i: number) => Math.min(Math.max(i < 0 ? i + d : i, -1), d - 1);
          const s = clampIndex(starts[j]);
          const e = clampIndex(ends[j]);
          picks.push([a, s > e ? range(s, e, step) : []]);
        }
      });
      let y: Value = isHost(x) ? sliceHost(x, begin, size) : ops.slice(x, begin, size);
      for (const [a, positions] of picks) {
        const idx = hostArray('int', ONNX_DTYPE.INT64, [positions.length], positions);
        if (isHost(y)) y = gatherHost(y, idx, a);
        else
          y =
            positions.length === 0
              ? full(
                  y.shape.map((d, k) => (k === a ? 0 : d)),
                  0,
                  { dtype: y.dtype },
                )
              : ops.gather(y, Int32Array.from(positions), a);
      }
      return [y];
    },
  },
  Cast: {
    attributes: { to: 'int', saturate: 'int' },
    inputs: [1, 1],
    outputs: 1,
    check(view) {
      const to = view.int('to', 0);
      if (!hostTypeOf(to))
        view.unsupported(`casting to ${onnxTypeName(to)} is not supported; supported: ${SUPPORTED_TYPES}.`);
    },
    run(ctx) {
      const to = ctx.view.int('to', 0);
      const type = hostTypeOf(to)!;
      const x = ctx.inputs[0]!;
      if (isHost(x)) {
        const convert =
          to === ONNX_DTYPE.BOOL
            ? (n: number) => (n !== 0 ? 1 : 0)
            : type === 'int'
              ? Math.trunc
              : (n: number) => n;
        return [hostArray(type, to, x.shape, Array.from(x.data, convert))];
      }
      if (to === ONNX_DTYPE.BOOL) return [ops.cast(ops.sub(1, ops.equal(x, 0)), 'int32')];
      return [ops.cast(x, type === 'int' ? 'int32' : type)];
    },
  },
  Constant: {
    // Hoisted by the importer into the graph's constants; never run.
    attributes: {
      value: 'tensor',
      value_float: 'float',
      value_floats: 'floats',
      value_int: 'int',
      value_ints: 'ints',
    },
    inputs: [0, 0],
    outputs: 1,
    run: (ctx) => ctx.view.unsupported('Constant nodes are hoisted at import; this one was not.'),
  },
  ConstantOfShape: {
    attributes: { value: 'tensor' },
    inputs: [1, 1],
    outputs: 1,
    role: () => 'host',
    run(ctx) {
      const shape = asInts(ctx.view, ctx.host(0), 'shape');
      if (shape.some((d) => !(Number.isInteger(d) && d >= 0)))
        throw new ShapeError(`${ctx.view.where}: shape [${shape.join(', ')}] must be non-negative integers.`);
      checkSize(ctx.view, shape);
      const value = ctx.view.tensor('value');
      const fill = value ? value.data[0] : 0;
      const type = value?.type ?? 'float32';
      if (type === 'int' && sizeOf(shape) <= 4096)
        return [hostArray('int', value!.onnxType, shape, new Float64Array(sizeOf(shape)).fill(fill))];
      return [full(shape, fill, { dtype: type === 'int' ? 'int32' : type })];
    },
  },

  Max: variadic(ops.maximum),
  Min: variadic(ops.minimum),
  Sum: variadic(ops.add),
  Mean: variadic(ops.add, (y, n) => ops.div(y, n)),
  Expand: {
    attributes: {},
    inputs: [2, 2],
    outputs: 1,
    role: (i) => (i === 1 ? 'host' : 'value'),
    run(ctx) {
      const x = ctx.tensor(0);
      const requested = asInts(ctx.view, ctx.host(1), 'shape');
      // Expand broadcasts both ways: the result has the broadcast of x's shape and the requested one.
      const rank = Math.max(x.rank, requested.length);
      const target = Array.from({ length: rank }, (_, i) => {
        const a = x.shape[i - (rank - x.rank)] ?? 1;
        const b = requested[i - (rank - requested.length)] ?? 1;
        if (a !== b && a !== 1 && b !== 1)
          throw new ShapeError(
            `${ctx.view.where}: cannot expand ${formatShape(x.shape)} to [${requested.join(', ')}].`,
          );
        return a === 1 ? b : a;
      });
      checkSize(ctx.view, target);
      return [ops.broadcastTo(x, target)];
    },
  },
  Split: {
    attributes: { axis: 'int', split: 'ints', num_outputs: 'int' },
    inputs: [1, 2],
    outputs: Infinity,
    role: (i) => (i === 1 ? 'host' : 'value'),
    run(ctx) {
      const v = ctx.view;
      const x = ctx.tensor(0);
      const axis = normalizeAxis(v, v.int('axis', 0), x.rank);
      const count = v.node.outputs.length;
      const given =
        v.opset >= 13 ? (v.hasInput(1) ? asInts(v, ctx.host(1), 'split') : undefined) : v.ints('split');
      const d = x.shape[axis];
      const sizes =
        given ??
        (v.has('num_outputs')
          ? Array.from({ length: count }, (_, i) =>
              Math.min(Math.ceil(d / count), Math.max(0, d - i * Math.ceil(d / count))),
            )
          : new Array<number>(count).fill(d / count));
      if (
        sizes.length !== count ||
        sizes.some((n) => !Number.isInteger(n) || n < 0) ||
        sizes.reduce((a, b) => a + b, 0) !== d
      )
        throw new ShapeError(
          `${v.where}: cannot split axis ${axis} of size ${d} into [${sizes.join(', ')}] for ${count} outputs.`,
        );
      let offset = 0;
      return sizes.map((n) => {
        const begin = x.shape.map((_, k) => (k === axis ? offset : 0));
        offset += n;
        return ops.slice(
          x,
          begin,
          x.shape.map((e, k) => (k === axis ? n : e)),
        );
      });
    },
  },
  ArgMax: argReduce(ops.argmax),
  ArgMin: argReduce(ops.argmin),
  CastLike: {
    attributes: { saturate: 'int' },
    inputs: [2, 2],
    outputs: 1,
    run(ctx) {
      const like = ctx.inputs[1]!;
      const x = ctx.inputs[0]!;
      const type = isHost(like) ? like.type : like.dtype === 'int32' ? 'int' : like.dtype;
      if (isHost(x))
        return [
          hostArray(
            type,
            isHost(like) ? like.onnxType : ONNX_DTYPE.FLOAT,
            x.shape,
            type === 'int' ? Array.from(x.data, Math.trunc) : x.data,
          ),
        ];
      return [ops.cast(x, type === 'int' ? 'int32' : type)];
    },
  },
  ThresholdedRelu: {
    attributes: { alpha: 'float' },
    inputs: [1, 1],
    outputs: 1,
    run(ctx) {
      const x = ctx.tensor(0);
      return [ops.mul(x, ops.greater(x, ctx.view.float('alpha', 1)))];
    },
  },

  // -- reductions
  ReduceSum: reduceOp('ReduceSum', (x, axes, keep) => ops.sum(x, axes, keep), 13),
  ReduceMean: reduceOp('ReduceMean', (x, axes, keep) => ops.mean(x, axes, keep), 18),
  ReduceMax: reduceOp('ReduceMax', (x, axes, keep) => ops.max(x, axes, keep), 18),
  ReduceMin: reduceOp('ReduceMin', (x, axes, keep) => ops.min(x, axes, keep), 18),
};

/** start, start + step, … up to (not including) end. */
function range(start: number, end: number, step: number): number[] {
  const out: number[] = [];
  for (let i = start; step > 0 ? i < end : i > end; i += step) out.push(i);
  return out;
}

function broadcastBatch(view: NodeView, a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[i - (rank - a.length)] ?? 1;
    const db = b[i - (rank - b.length)] ?? 1;
    if (da !== db && da !== 1 && db !== 1)
      throw new ShapeError(
        `${view.where}: batch dimensions [${a.join(', ')}] and [${b.join(', ')}] do not broadcast.`,
      );
    out.push(Math.max(da, db));
  }
  return out;
}

function checkConcat(view: NodeView, shapes: readonly (readonly number[])[], axis: number): void {
  const first = shapes[0];
  for (const s of shapes)
    if (s.length !== first.length || s.some((d, k) => k !== axis && d !== first[k]))
      throw new ShapeError(
        `${view.where}: cannot concatenate ${shapes.map((x) => formatShape(x)).join(', ')} along axis ${axis}.`,
      );
}

/** Constant padding as concatenation with filled blocks (differentiable through concat); negative pads crop. */
function padConstant(x: Tensor, axes: readonly number[], pads: readonly number[], value: number): Tensor {
  let y = x;
  axes.forEach((axis, j) => {
    const before = pads[j];
    const after = pads[j + axes.length];
    if (before < 0 || after < 0) {
      const begin = y.shape.map(() => 0);
      const size = [...y.shape];
      begin[axis] = Math.max(0, -before);
      size[axis] = y.shape[axis] - Math.max(0, -before) - Math.max(0, -after);
      if (size[axis] < 0)
        throw new ShapeError(`Pad: pads [${pads.join(', ')}] crop more than axis ${axis} holds.`);
      y = ops.slice(y, begin, size);
    }
    const parts: Tensor[] = [];
    const block = (n: number) => {
      const shape = [...y.shape];
      shape[axis] = n;
      return full(shape, value, { dtype: y.dtype });
    };
    if (before > 0) parts.push(block(before));
    parts.push(y);
    if (after > 0) parts.push(block(after));
    if (parts.length > 1) y = ops.concat(parts, axis);
  });
  return y;
}

/**
 * 'reflect', 'edge' and 'wrap' padding: each padded axis is a gather of source positions
 * (mirrored, clamped or wrapped), so the gradient flows back through the gather.
 */
function padByIndex(
  view: NodeView,
  x: Tensor,
  axes: readonly number[],
  pads: readonly number[],
  mode: string,
): Tensor {
  let y = x;
  axes.forEach((axis, j) => {
    const before = pads[j];
    const after = pads[j + axes.length];
    if (before === 0 && after === 0) return;
    const d = y.shape[axis];
    if (before < 0 || after < 0) view.unsupported(`negative pads are supported only in 'constant' mode.`);
    if (mode === 'reflect' && (before > d - 1 || after > d - 1))
      throw new ShapeError(
        `${view.where}: reflect padding of ${before} and ${after} needs more than ${d} values along axis ${axis}.`,
      );
    const positions: number[] = [];
    for (let i = -before; i < d + after; i++) {
      if (mode === 'edge') positions.push(Math.min(Math.max(i, 0), d - 1));
      else if (mode === 'wrap') positions.push(((i % d) + d) % d);
      else positions.push(i < 0 ? -i : i >= d ? 2 * (d - 1) - i : i);
    }
    y = ops.gather(y, Int32Array.from(positions), axis);
  });
  return y;
}

function runBatchNorm(ctx: RunContext): Value[] {
  const v = ctx.view;
  const x = ctx.tensor(0);
  const eps = v.float('epsilon', 1e-5);
  const onnxMomentum = v.float('momentum', 0.9);
  const fileTraining = v.opset >= 14 && v.int('training_mode', 0) === 1;
  const scale = ctx.tensor(1);
  const bias = ctx.tensor(2);
  const mean = ctx.tensor(3);
  const variance = ctx.tensor(4);
  if (fileTraining) {
    // ONNX's training mode: batch statistics, and the running ones returned as outputs with
    // ONNX's rule r·m + batch·(1 − m) on the biased batch variance.
    const r = ops.batchNorm(x, scale, bias, { training: true, eps, name: v.where });
    const [newMean, newVar] = noGrad(() => [
      ops.add(ops.mul(mean, onnxMomentum), ops.mul(r.mean!, 1 - onnxMomentum)),
      ops.add(ops.mul(variance, onnxMomentum), ops.mul(r.variance!, 1 - onnxMomentum)),
    ]);
    const meanBuffer = ctx.buffer(3);
    const varBuffer = ctx.buffer(4);
    if (ctx.training && meanBuffer && varBuffer) {
      assign(meanBuffer, newMean);
      assign(varBuffer, newVar);
    }
    return [r.output, newMean, newVar];
  }
  if (ctx.training) {
    // descent (and PyTorch) training: batch statistics; the running statistics, when they are
    // the graph's buffers, move in place by PyTorch's rule (unbiased variance).
    const meanBuffer = ctx.buffer(3);
    const varBuffer = ctx.buffer(4);
    const r = ops.batchNorm(x, scale, bias, {
      training: true,
      eps,
      momentum: 1 - onnxMomentum,
      runningMean: meanBuffer && varBuffer ? meanBuffer : null,
      runningVar: meanBuffer && varBuffer ? varBuffer : null,
      name: v.where,
    });
    return [r.output];
  }
  return [
    ops.batchNorm(x, scale, bias, { eps, runningMean: mean, runningVar: variance, name: v.where }).output,
  ];
}

/** Copies `src` into `dst`'s storage (an in-place update of a buffer). */
function assign(dst: Tensor, src: Tensor): void {
  dst.backend.cast(src.storage, src.dtype, dst.storage, dst.dtype, dst.size);
}

/** The supported op types, for messages. */
export const supportedOps = (): string[] =>
  Object.keys(OPS)
    .filter((k) => k !== 'Constant' || true)
    .sort();

/** Which opsets of the default domain descent reads. */
export const MIN_OPSET = 1;
export const MAX_OPSET = 21;

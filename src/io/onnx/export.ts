/**
 * io.exportOnnx(model): a descent model as the bytes of an ONNX file (opset 17, IR version 8)
 * that onnxruntime, ONNX's checker and every other ONNX consumer read.
 *
 *   const bytes = await io.exportOnnx(net, { inputShape: [1, 28, 28] });   // Node or browser
 *
 * One named input ('input', [batch, ...inputShape]) and one named output ('output'); the
 * batch dimension is symbolic, so any batch size runs. Every layer maps to the standard
 * operators with the same arithmetic:
 *
 *   dense        Gemm (transB = 1: descent's weight is [out, in], as the operator wants)
 *   conv2d       Conv (strides, explicit pads — 'same' resolved for the input size — dilations, group)
 *   pooling      MaxPool / AveragePool (count_include_pad as descent's countIncludePad), GlobalAveragePool
 *   batch norm   BatchNormalization with the running (or population) statistics: the inference form
 *   dropout      Dropout (the identity at inference); 'scaleAtTest' mode: Mul by 1 − rate
 *   flatten      Flatten (axis 1)
 *   activations  Relu, Sigmoid, Tanh, LeakyRelu, Elu, Softplus, PRelu, Softmax / LogSoftmax (axis −1),
 *                step as GreaterOrEqual(x, 0) then Cast to float
 *   onnxGraph    an imported graph, written back with its current weights
 *
 * Parameters become initialisers named by their keys in descent's weights file
 * (`dense_1.weight`), so the two can be matched. Values are written as float32.
 */
import { ConfigError } from '../../errors.js';
import { Activation, PRelu } from '../../nn/activations.js';
import { BatchNorm } from '../../nn/batchnorm.js';
import { Conv2d } from '../../nn/conv2d.js';
import { Dense } from '../../nn/dense.js';
import { Dropout } from '../../nn/dropout.js';
import { Flatten } from '../../nn/flatten.js';
import { Layer } from '../../nn/layer.js';
import { AvgPool2d, GlobalAvgPool2d, MaxPool2d } from '../../nn/pool.js';
import { Sequential } from '../../nn/sequential.js';
import { window2d, type Padding } from '../../ops/conv.js';
import type { Window2d } from '../../backend/contract.js';
import { descentVersion } from '../json.js';
import { namedTensors } from '../model-format.js';
import { OnnxGraph } from './graph.js';
import { encodeOnnxModel } from './proto.js';
import { ATTRIBUTE_TYPE, ONNX_DTYPE } from './schema.js';
import type { AttrValue } from './spec.js';
import { tensorProto, type HostArray } from './tensor.js';

export interface ExportOnnxOptions {
  /** One sample's shape without the batch dimension ([1, 28, 28], [64]); default: what the model knows. */
  inputShape?: readonly number[];
  /** The graph input's name (default 'input'). */
  inputName?: string;
  /** The graph output's name (default 'output'). */
  outputName?: string;
  /** The batch dimension's symbolic name (default 'batch'). */
  batchName?: string;
  /** The model's name in the file (default: the layer's name). */
  graphName?: string;
}

export const EXPORT_OPSET = 17;
export const EXPORT_IR_VERSION = 8;

interface Node {
  opType: string;
  name: string;
  input: string[];
  output: string[];
  attribute: Record<string, unknown>[];
  domain: string;
}

/** A value in the graph being built: its name and static shape (batch dimension 1). */
interface Flow {
  name: string;
  shape: number[];
}

function attribute(name: string, value: AttrValue): Record<string, unknown> {
  switch (value.type) {
    case 'float':
      return { name, type: ATTRIBUTE_TYPE.FLOAT, f: value.value };
    case 'int':
      return { name, type: ATTRIBUTE_TYPE.INT, i: value.value };
    case 'string':
      return { name, type: ATTRIBUTE_TYPE.STRING, s: new TextEncoder().encode(value.value) };
    case 'floats':
      return { name, type: ATTRIBUTE_TYPE.FLOATS, floats: value.value };
    case 'ints':
      return { name, type: ATTRIBUTE_TYPE.INTS, ints: value.value };
    case 'strings':
      return {
        name,
        type: ATTRIBUTE_TYPE.STRINGS,
        strings: value.value.map((s) => new TextEncoder().encode(s)),
      };
    case 'tensor':
      return { name, type: ATTRIBUTE_TYPE.TENSOR, t: hostTensor(name, value.value) };
  }
}

function hostTensor(name: string, h: HostArray): Record<string, unknown> {
  const onnxType =
    h.type === 'int'
      ? h.onnxType === ONNX_DTYPE.BOOL
        ? ONNX_DTYPE.BOOL
        : ONNX_DTYPE.INT64
      : h.type === 'float64'
        ? ONNX_DTYPE.DOUBLE
        : ONNX_DTYPE.FLOAT;
  return tensorProto(name, onnxType, h.shape, h.data);
}

const ints = (value: number[]): AttrValue => ({ type: 'ints', value });
const int = (value: number): AttrValue => ({ type: 'int', value });
const float = (value: number): AttrValue => ({ type: 'float', value });

class GraphBuilder {
  readonly nodes: Node[] = [];
  readonly initializers: Record<string, unknown>[] = [];
  private readonly names = new Set<string>();

  constructor(
    private readonly values: Map<unknown, ArrayLike<number>>,
    /** The population statistics of batch norms that infer with them, read in advance. */
    readonly population: Map<Layer, { mean: ArrayLike<number>; variance: ArrayLike<number> }>,
  ) {}

  /** A name not used yet, based on `base`. */
  unique(base: string): string {
    let name = base;
    for (let n = 1; this.names.has(name); n++) name = `${base}_${n}`;
    this.names.add(name);
    return name;
  }

  reserve(name: string): void {
    if (this.names.has(name)) throw new ConfigError(`exportOnnx: the name '${name}' is used twice.`);
    this.names.add(name);
  }

  node(
    op: string,
    name: string,
    inputs: string[],
    attributes: Record<string, AttrValue> = {},
    outputs = 1,
  ): string[] {
    const nodeName = this.unique(name);
    const out = Array.from({ length: outputs }, (_, i) =>
      this.unique(`${nodeName}_output${outputs > 1 ? `_${i}` : ''}`),
    );
    this.nodes.push({
      opType: op,
      name: nodeName,
      input: inputs,
      output: out,
      attribute: Object.entries(attributes).map(([k, v]) => attribute(k, v)),
      domain: '',
    });
    return out;
  }

  /** A float32 initializer from a parameter or buffer (its values read before building). */
  tensor(
    name: string,
    source: { shape: readonly number[] },
    shape: readonly number[] = source.shape,
  ): string {
    const values = this.values.get(source);
    if (!values) throw new ConfigError(`exportOnnx: no values for '${name}'.`);
    this.reserve(name);
    this.initializers.push(tensorProto(name, ONNX_DTYPE.FLOAT, shape, values));
    return name;
  }

  constant(base: string, onnxType: number, shape: readonly number[], data: ArrayLike<number>): string {
    const name = this.unique(base);
    this.initializers.push(tensorProto(name, onnxType, shape, data));
    return name;
  }
}

function padsOf(
  where: string,
  shape: readonly number[],
  kernel: readonly [number, number],
  options: {
    stride?: number | readonly [number, number];
    padding?: Padding;
    dilation?: number | readonly [number, number];
    ceilMode?: boolean;
  },
) {
  const g = window2d(where, shape, kernel, options);
  return {
    geometry: g,
    attributes: {
      kernel_shape: ints([g.kH, g.kW]),
      strides: ints([g.strideH, g.strideW]),
      pads: ints([g.padTop, g.padLeft, g.padBottom, g.padRight]),
    },
  };
}

/**
 * descent's ceil mode (PyTorch's) drops a last window that would start in the end padding;
 * ONNX's shape inference does not. Written as ceil_mode = 0 with the end padding extended to
 * reach descent's output size, both agree (the extra padding never wins a max and, with
 * count_include_pad = 0, never counts in an average). Null when that padding would reach a
 * whole kernel (onnxruntime refuses it); ceil_mode = 1 is written then.
 */
function ceilWindow(g: Window2d, ceilMode: boolean): { pads: number[] } | null {
  if (!ceilMode) return null;
  const end = (size: number, begin: number, endPad: number, k: number, d: number, s: number, out: number) =>
    Math.max(endPad, (out - 1) * s + d * (k - 1) + 1 - size - begin);
  const bottom = end(g.inH, g.padTop, g.padBottom, g.kH, g.dilationH, g.strideH, g.outH);
  const right = end(g.inW, g.padLeft, g.padRight, g.kW, g.dilationW, g.strideW, g.outW);
  if (bottom >= g.kH || right >= g.kW) return null;
  return { pads: [g.padTop, g.padLeft, bottom, right] };
}

function emitActivation(
  b: GraphBuilder,
  layer: Layer,
  prefix: string,
  x: Flow,
  keyOf: (t: unknown) => string,
): Flow {
  if (layer instanceof PRelu) {
    // α is [C] (or [1] shared); for [N, C, H, W] it must be [C, 1, 1] to broadcast on the channel axis.
    const alpha = layer.alpha;
    const shape =
      alpha.size > 1 && x.shape.length > 2
        ? [alpha.size, ...new Array<number>(x.shape.length - 2).fill(1)]
        : [...alpha.shape];
    const slope = b.tensor(keyOf(alpha), alpha, shape);
    return { name: b.node('PRelu', `${prefix}/PRelu`, [x.name, slope])[0], shape: x.shape };
  }
  if (!(layer instanceof Activation)) throw unsupportedLayer(layer);
  const one = (op: string, attributes: Record<string, AttrValue> = {}) => ({
    name: b.node(op, `${prefix}/${op}`, [x.name], attributes)[0],
    shape: x.shape,
  });
  switch (layer.kind) {
    case 'linear':
      return x;
    case 'relu':
      return one('Relu');
    case 'sigmoid':
      return one('Sigmoid');
    case 'tanh':
      return one('Tanh');
    case 'softplus':
      return one('Softplus');
    case 'leakyRelu':
      return one('LeakyRelu', { alpha: float(layer.alpha ?? 0.01) });
    case 'elu':
      return one('Elu', { alpha: float(layer.alpha ?? 1) });
    case 'softmax':
      return one('Softmax', { axis: int(-1) });
    case 'logSoftmax':
      return one('LogSoftmax', { axis: int(-1) });
    case 'step': {
      // step(z) = 1 if z ≥ 0 else 0: a comparison, then the boolean as float.
      const zero = b.constant(`${prefix}/zero`, ONNX_DTYPE.FLOAT, [], [0]);
      const [ge] = b.node('GreaterOrEqual', `${prefix}/GreaterOrEqual`, [x.name, zero]);
      return {
        name: b.node('Cast', `${prefix}/Cast`, [ge], { to: int(ONNX_DTYPE.FLOAT) })[0],
        shape: x.shape,
      };
    }
  }
  throw unsupportedLayer(layer);
}

function unsupportedLayer(layer: Layer): ConfigError {
  return new ConfigError(
    `exportOnnx: layer '${layer.label}' (${layer.kind}) cannot be exported; ONNX export knows dense, conv2d, maxPool2d, avgPool2d, ` +
      'globalAvgPool2d, batchNorm1d/2d, dropout, flatten, the activations (incl. prelu and step), sequential and onnxGraph.',
  );
}

/** The activation child of a dense or conv2d layer, if any. */
function activationOf(layer: Layer): Layer | null {
  return layer.children()[0] ?? null;
}

function emit(b: GraphBuilder, layer: Layer, prefix: string, x: Flow, keyOf: (t: unknown) => string): Flow {
  const where = `exportOnnx: layer '${prefix}' (${layer.kind})`;
  if (layer instanceof Sequential) {
    let y = x;
    for (const child of layer.layers)
      y = emit(b, child, prefix ? `${prefix}/${child.label}` : child.label, y, keyOf);
    return y;
  }
  if (layer instanceof Dense) {
    const inputs = [x.name, b.tensor(keyOf(layer.weight), layer.weight)];
    if (layer.bias) inputs.push(b.tensor(keyOf(layer.bias), layer.bias));
    const [z] = b.node('Gemm', `${prefix}/Gemm`, inputs, { transB: int(1) });
    const act = activationOf(layer);
    const flow = { name: z, shape: layer.outputShape(x.shape) };
    return act ? emitActivation(b, act, prefix, flow, keyOf) : flow;
  }
  if (layer instanceof Conv2d) {
    const c = layer.config() as {
      stride: number | [number, number];
      padding: Padding;
      dilation: number | [number, number];
    };
    const { geometry: g, attributes } = padsOf(where, x.shape, layer.kernelSize, c);
    const inputs = [x.name, b.tensor(keyOf(layer.weight), layer.weight)];
    if (layer.bias) inputs.push(b.tensor(keyOf(layer.bias), layer.bias));
    const [z] = b.node('Conv', `${prefix}/Conv`, inputs, {
      ...attributes,
      dilations: ints([g.dilationH, g.dilationW]),
      group: int(layer.groups),
    });
    const flow = { name: z, shape: layer.outputShape(x.shape) };
    const act = activationOf(layer);
    return act ? emitActivation(b, act, prefix, flow, keyOf) : flow;
  }
  if (layer instanceof MaxPool2d || layer instanceof AvgPool2d) {
    const c = layer.config() as {
      kernelSize: [number, number];
      stride: number | [number, number];
      padding: Padding;
      dilation: number | [number, number];
      ceilMode: boolean;
      countIncludePad?: boolean;
    };
    const { geometry: g, attributes } = padsOf(where, x.shape, layer.kernelSize, c);
    const shape = layer.outputShape(x.shape);
    const dilated = g.dilationH !== 1 || g.dilationW !== 1;
    if (layer instanceof AvgPool2d && dilated)
      throw new ConfigError(
        `${where}: a dilated average pooling needs opset 19; this exporter writes opset ${EXPORT_OPSET}.`,
      );
    const includePad = layer instanceof AvgPool2d && c.countIncludePad !== false;
    const padded = g.padTop + g.padLeft + g.padBottom + g.padRight > 0;
    const window = ceilWindow(g, c.ceilMode);
    let input = x.name;
    let pads = window ? window.pads : [g.padTop, g.padLeft, g.padBottom, g.padRight];
    if (window && includePad && padded) {
      // Averages that count the padding, in ceil mode: pad with zeros first (they then count as
      // values), and pool with count_include_pad = 0 over the extra end padding — PyTorch's export.
      const zeros = b.constant(
        `${prefix}/pads`,
        ONNX_DTYPE.INT64,
        [8],
        [0, 0, g.padTop, g.padLeft, 0, 0, g.padBottom, g.padRight],
      );
      [input] = b.node('Pad', `${prefix}/Pad`, [x.name, zeros], {
        mode: { type: 'string', value: 'constant' },
      });
      pads = [0, 0, window.pads[2] - g.padBottom, window.pads[3] - g.padRight];
    }
    const common = { ...attributes, pads: ints(pads), ceil_mode: int(window || !c.ceilMode ? 0 : 1) };
    if (layer instanceof MaxPool2d) {
      const [y] = b.node('MaxPool', `${prefix}/MaxPool`, [input], {
        ...common,
        dilations: ints([g.dilationH, g.dilationW]),
      });
      return { name: y, shape };
    }
    const [y] = b.node('AveragePool', `${prefix}/AveragePool`, [input], {
      ...common,
      count_include_pad: int(includePad && !window ? 1 : 0),
    });
    return { name: y, shape };
  }
  if (layer instanceof GlobalAvgPool2d) {
    const [pooled] = b.node('GlobalAveragePool', `${prefix}/GlobalAveragePool`, [x.name]);
    const shape = layer.outputShape(x.shape);
    if (layer.keepDims) return { name: pooled, shape };
    return { name: b.node('Flatten', `${prefix}/Flatten`, [pooled], { axis: int(1) })[0], shape };
  }
  if (layer instanceof BatchNorm) {
    const c = layer.numFeatures!;
    const population = b.population.get(layer);
    const stat = (name: string, tensor: { shape: readonly number[] }) =>
      b.tensor(keyOf(tensor) || `${prefix}.${name}`, tensor);
    const scale = layer.gamma
      ? b.tensor(keyOf(layer.gamma), layer.gamma)
      : b.constant(`${prefix}.scale`, ONNX_DTYPE.FLOAT, [c], new Float32Array(c).fill(1));
    const bias = layer.beta
      ? b.tensor(keyOf(layer.beta), layer.beta)
      : b.constant(`${prefix}.bias`, ONNX_DTYPE.FLOAT, [c], new Float32Array(c));
    let mean: string;
    let variance: string;
    if (population) {
      mean = b.constant(`${prefix}.populationMean`, ONNX_DTYPE.FLOAT, [c], population.mean);
      variance = b.constant(`${prefix}.populationVar`, ONNX_DTYPE.FLOAT, [c], population.variance);
    } else {
      mean = stat('runningMean', layer.runningMean);
      variance = stat('runningVar', layer.runningVar);
    }
    const [y] = b.node(
      'BatchNormalization',
      `${prefix}/BatchNormalization`,
      [x.name, scale, bias, mean, variance],
      {
        epsilon: float(layer.eps),
        momentum: float(1 - layer.momentum),
      },
    );
    return { name: y, shape: x.shape };
  }
  if (layer instanceof Dropout) {
    if (layer.mode === 'scaleAtTest' && layer.rate > 0) {
      const k = b.constant(`${prefix}/keep`, ONNX_DTYPE.FLOAT, [], [1 - layer.rate]);
      return { name: b.node('Mul', `${prefix}/Mul`, [x.name, k])[0], shape: x.shape };
    }
    const ratio = b.constant(`${prefix}/ratio`, ONNX_DTYPE.FLOAT, [], [layer.rate]);
    return { name: b.node('Dropout', `${prefix}/Dropout`, [x.name, ratio])[0], shape: x.shape };
  }
  if (layer instanceof Flatten) {
    const [y] = b.node('Flatten', `${prefix}/Flatten`, [x.name], { axis: int(1) });
    return { name: y, shape: layer.outputShape(x.shape) };
  }
  if (layer instanceof OnnxGraph) return emitGraph(b, layer, prefix, x, keyOf);
  if (layer instanceof Activation || layer instanceof PRelu)
    return emitActivation(b, layer, prefix, x, keyOf);
  throw unsupportedLayer(layer);
}

/** An imported graph, inlined: its values renamed under `prefix/` unless it is the whole model. */
function emitGraph(
  b: GraphBuilder,
  layer: OnnxGraph,
  prefix: string,
  x: Flow,
  keyOf: (t: unknown) => string,
): Flow {
  const desc = layer.description;
  if (desc.inputs.length !== 1 || desc.outputs.length !== 1)
    throw new ConfigError(
      `exportOnnx: layer '${prefix}' (onnxGraph) has ${desc.inputs.length} inputs and ${desc.outputs.length} outputs; only a one-input, one-output graph can be part of an exported model.`,
    );
  const renamed = new Map<string, string>([[desc.inputs[0].name, x.name]]);
  const nameOf = (n: string) => {
    if (n === '') return '';
    let r = renamed.get(n);
    if (r === undefined) {
      r = b.unique(prefix ? `${prefix}/${n}` : n);
      renamed.set(n, r);
    }
    return r;
  };
  const tensors = new Map(namedTensors(layer).map((t) => [t.local, t.tensor]));
  for (const p of [...desc.parameters, ...desc.buffers]) {
    const t = tensors.get(p.name)!;
    renamed.set(p.name, b.tensor(prefix ? keyOf(t) : p.name, t));
  }
  for (const c of desc.constants) {
    const name = nameOf(c.name);
    b.initializers.push(hostTensor(name, c.value));
  }
  for (const node of desc.nodes) {
    const attrs = Object.entries(node.attributes).map(([k, v]) => attribute(k, v));
    b.nodes.push({
      opType: node.op,
      name: b.unique(prefix ? `${prefix}/${node.name || node.op}` : node.name || node.op),
      input: node.inputs.map(nameOf),
      output: node.outputs.map(nameOf),
      attribute: attrs,
      domain: node.domain,
    });
  }
  return { name: nameOf(desc.outputs[0].name), shape: layer.outputShape(x.shape) };
}

function networkOf(model: unknown): Layer {
  if (model instanceof Layer) return model;
  const net = (model as { net?: unknown } | null)?.net;
  if (net instanceof Layer) return net;
  throw new ConfigError('exportOnnx: expected a network (a Layer) or a Model.');
}

/** The bytes of an ONNX file holding `model` (a Layer or a train.Model). */
export async function exportOnnx(model: unknown, options: ExportOnnxOptions = {}): Promise<Uint8Array> {
  const net = networkOf(model);
  const known = net.knownInputShape();
  const sample = options.inputShape ? [...options.inputShape] : known?.slice(1);
  if (!sample || !sample.every((d) => Number.isInteger(d) && d > 0))
    throw new ConfigError(
      `exportOnnx: the input shape of '${net.label}' is not known; pass { inputShape: [...] } (one sample's shape, e.g. [1, 28, 28]).`,
    );
  const inputName = options.inputName ?? 'input';
  const outputName = options.outputName ?? 'output';
  const batchName = options.batchName ?? 'batch';
  if (inputName === outputName) throw new ConfigError('exportOnnx: inputName and outputName must differ.');
  // Build first (a lazy model learns its sizes), then read every parameter and buffer once.
  net.buildFor([1, ...sample]);
  const tensors = namedTensors(net);
  const data = await Promise.all(tensors.map((t) => t.tensor.data()));
  const values = new Map<unknown, ArrayLike<number>>(tensors.map((t, i) => [t.tensor, data[i]]));
  const keys = new Map<unknown, string>(tensors.map((t) => [t.tensor, t.key]));
  const keyOf = (t: unknown) => keys.get(t) ?? '';
  const population = new Map<Layer, { mean: ArrayLike<number>; variance: ArrayLike<number> }>();
  for (const t of tensors) {
    const layer = t.layer;
    if (!(layer instanceof BatchNorm) || layer.inference !== 'population' || population.has(layer)) continue;
    const stats = layer.populationStatistics();
    if (!stats) continue;
    population.set(layer, { mean: await stats.mean.data(), variance: await stats.variance.data() });
    stats.mean.dispose();
    stats.variance.dispose();
  }
  const b = new GraphBuilder(values, population);
  b.reserve(inputName);
  b.reserve(outputName);
  // Node names are layer paths: 'dense_1/Gemm' (a whole imported graph keeps its own names).
  const prefix = net instanceof Sequential || net instanceof OnnxGraph ? '' : net.label;
  const out = emit(b, net, prefix, { name: inputName, shape: [1, ...sample] }, keyOf);
  // The last value takes the output's name: rename its producer's output, or copy it when it is the input itself.
  const producer = b.nodes.find((n) => n.output.includes(out.name));
  if (producer && out.name !== inputName && !b.initializers.some((t) => t.name === out.name))
    producer.output = producer.output.map((o) => (o === out.name ? outputName : o));
  else
    b.nodes.push({
      opType: 'Identity',
      name: b.unique('output/Identity'),
      input: [out.name],
      output: [outputName],
      attribute: [],
      domain: '',
    });
  const dims = (shape: readonly number[]) =>
    shape.map((d, i) => (i === 0 ? { dimParam: batchName } : { dimValue: d }));
  const valueInfo = (name: string, shape: readonly number[]) => ({
    name,
    type: { tensorType: { elemType: ONNX_DTYPE.FLOAT, shape: { dim: dims(shape) } } },
  });
  const modelProto = {
    irVersion: EXPORT_IR_VERSION,
    producerName: 'descent',
    producerVersion: descentVersion(),
    opsetImport: [{ domain: '', version: EXPORT_OPSET }],
    graph: {
      name: options.graphName ?? (net.name || 'descent'),
      node: b.nodes,
      initializer: b.initializers,
      input: [valueInfo(inputName, [1, ...sample])],
      output: [valueInfo(outputName, out.shape)],
    },
  };
  return encodeOnnxModel(modelProto);
}

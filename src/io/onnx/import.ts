/**
 * io.importOnnx(bytes): an ONNX model as a descent layer (an OnnxGraph) that evaluates,
 * trains and saves.
 *
 *   const net = io.importOnnx(readFileSync('lenet.onnx'));
 *   new train.Model(net).compile({ optimizer: 'sgd', loss: 'crossEntropy' }).fit(data);
 *
 * Float initialisers become trainable parameters — except those an op reads on the host
 * (a Pad value) or updates in place (batch norm's running statistics, which become
 * buffers); integer initialisers and Constant nodes become constants. Anything descent
 * cannot run — an op type, an opset, an attribute value, a data type, an external data file —
 * is an OnnxUnsupportedError naming the node and what is supported; bytes that are not a valid
 * ONNX file are a FormatError naming the byte where reading stopped.
 */
import { FormatError } from '../../errors.js';
import { OnnxGraph, initializerRoles } from './graph.js';
import {
  decodeOnnxModel,
  long,
  type OnnxAttributeProto,
  type OnnxModelProto,
  type OnnxValueInfoProto,
} from './proto.js';
import { ATTRIBUTE_TYPE, ONNX_DTYPE } from './schema.js';
import {
  OnnxUnsupportedError,
  nodeLabel,
  type AttrValue,
  type GraphDescription,
  type GraphNode,
  type ValueSpec,
} from './spec.js';
import {
  checkDims,
  hostTypeOf,
  MAX_DIM,
  onnxTypeName,
  readTensorProto,
  SUPPORTED_TYPES,
  type HostArray,
} from './tensor.js';

export interface ImportOnnxOptions {
  /** The layer's name (default 'onnx'); parameters are saved as `<name>.<initializer>`. */
  name?: string;
  /** Where the bytes came from, for messages (default 'model.onnx'). */
  source?: string;
}

/** Constants larger than this (in values) are kept with the weights rather than in model.json. */
const CONFIG_CONSTANT_LIMIT = 4096;

const decoder = new TextDecoder();
/** UTF-8 text of a bytes field (one never set reads protobufjs's default, an empty array). */
const utf8 = (bytes: unknown): string => (bytes instanceof Uint8Array ? decoder.decode(bytes) : '');

/** Decodes an ONNX file's bytes into the description an OnnxGraph runs, and its initialisers' values. */
export function describeOnnx(
  bytes: Uint8Array,
  source = 'model.onnx',
): { description: GraphDescription; values: Map<string, HostArray> } {
  const model = decodeOnnxModel(bytes, source);
  return describeModel(model, source);
}

export function importOnnx(bytes: Uint8Array, options: ImportOnnxOptions = {}): OnnxGraph {
  const source = options.source ?? 'model.onnx';
  const { description, values } = describeOnnx(bytes, source);
  return new OnnxGraph(description, values, { name: options.name ?? 'onnx', source });
}

function defaultOpset(model: OnnxModelProto, source: string): number {
  const entry = model.opsetImport.find((o) => o.domain === '' || o.domain === 'ai.onnx');
  if (!entry)
    throw new OnnxUnsupportedError(
      `${source}: the model imports no opset of ONNX's default domain (opset_import lists ${model.opsetImport.map((o) => `'${o.domain}'`).join(', ') || 'nothing'}).`,
    );
  return long(entry.version);
}

function valueSpec(v: OnnxValueInfoProto, where: string): ValueSpec {
  const tensor = v.type?.tensorType;
  if (!tensor)
    throw new OnnxUnsupportedError(
      `${where} '${v.name}': only tensor values are supported (not sequences, maps, optionals or sparse tensors).`,
    );
  const type = hostTypeOf(tensor.elemType);
  if (!type)
    throw new OnnxUnsupportedError(
      `${where} '${v.name}': element type ${onnxTypeName(tensor.elemType)} is not supported; supported: ${SUPPORTED_TYPES}.`,
    );
  const shape = tensor.shape
    ? tensor.shape.dim.map((d, i) => {
        if (d.dimParam) return d.dimParam;
        if (!Object.hasOwn(d, 'dimValue')) return '?';
        const size = long(d.dimValue);
        if (!Number.isSafeInteger(size) || size < 0 || size > MAX_DIM)
          throw new FormatError(`${where} '${v.name}': dimension ${i} is ${size}.`);
        return size;
      })
    : null;
  return { name: v.name, type, onnxType: tensor.elemType, shape };
}

function attributeValue(a: OnnxAttributeProto, where: string): AttrValue {
  if (a.refAttrName)
    throw new OnnxUnsupportedError(`${where}: attribute '${a.name}' refers to a function attribute.`);
  let type = a.type;
  if (!type) {
    // Files before IR version 2 leave the type out; infer it from the field that is set.
    if (a.floats.length) type = ATTRIBUTE_TYPE.FLOATS;
    else if (a.ints.length) type = ATTRIBUTE_TYPE.INTS;
    else if (a.strings.length) type = ATTRIBUTE_TYPE.STRINGS;
    else if (a.t) type = ATTRIBUTE_TYPE.TENSOR;
    else if (a.g || a.graphs.length) type = ATTRIBUTE_TYPE.GRAPH;
    else if (a.s && a.s.length) type = ATTRIBUTE_TYPE.STRING;
    else if (Object.hasOwn(a, 'f')) type = ATTRIBUTE_TYPE.FLOAT;
    else if (Object.hasOwn(a, 'i')) type = ATTRIBUTE_TYPE.INT;
  }
  const checkInt = (n: number) => {
    if (!Number.isSafeInteger(n))
      throw new FormatError(`${where}: attribute '${a.name}' holds ${n}, beyond 2⁵³.`);
    return n;
  };
  switch (type) {
    case ATTRIBUTE_TYPE.FLOAT:
      return { type: 'float', value: a.f };
    case ATTRIBUTE_TYPE.INT:
      return { type: 'int', value: checkInt(long(a.i)) };
    case ATTRIBUTE_TYPE.STRING:
      return { type: 'string', value: utf8(a.s) };
    case ATTRIBUTE_TYPE.FLOATS:
      return { type: 'floats', value: [...a.floats] };
    case ATTRIBUTE_TYPE.INTS:
      return { type: 'ints', value: a.ints.map(checkInt) };
    case ATTRIBUTE_TYPE.STRINGS:
      return { type: 'strings', value: a.strings.map(utf8) };
    case ATTRIBUTE_TYPE.TENSOR:
      if (!a.t) throw new FormatError(`${where}: tensor attribute '${a.name}' holds no tensor.`);
      return { type: 'tensor', value: readTensorProto(a.t, `${where}: attribute '${a.name}'`) };
    default: {
      const names = Object.fromEntries(Object.entries(ATTRIBUTE_TYPE).map(([k, v]) => [v, k]));
      throw new OnnxUnsupportedError(
        `${where}: attribute '${a.name}' is of type ${names[type] ?? type}; descent reads FLOAT, INT, STRING, FLOATS, INTS, STRINGS and TENSOR attributes (no subgraphs).`,
      );
    }
  }
}

/** The value of a Constant node (opset 1–21 forms), or an error naming the node. */
function constantValue(node: GraphNode, where: string): HostArray {
  const names = Object.keys(node.attributes);
  if (names.length !== 1)
    throw new FormatError(
      `${where}: a Constant needs exactly one value attribute, got ${names.join(', ') || 'none'}.`,
    );
  const a = node.attributes[names[0]];
  const ints = (values: number[], shape: number[]): HostArray => ({
    type: 'int',
    onnxType: ONNX_DTYPE.INT64,
    shape,
    data: Float64Array.from(values),
  });
  switch (names[0]) {
    case 'value':
      if (a.type === 'tensor') return a.value;
      break;
    case 'value_float':
      if (a.type === 'float')
        return { type: 'float32', onnxType: ONNX_DTYPE.FLOAT, shape: [], data: Float32Array.of(a.value) };
      break;
    case 'value_floats':
      if (a.type === 'floats')
        return {
          type: 'float32',
          onnxType: ONNX_DTYPE.FLOAT,
          shape: [a.value.length],
          data: Float32Array.from(a.value),
        };
      break;
    case 'value_int':
      if (a.type === 'int') return ints([a.value], []);
      break;
    case 'value_ints':
      if (a.type === 'ints') return ints(a.value, [a.value.length]);
      break;
  }
  throw new OnnxUnsupportedError(
    `${where}: Constant attribute '${names[0]}' (${a.type}) is not supported; supported: value, value_float, value_floats, value_int, value_ints.`,
  );
}

function describeModel(
  model: OnnxModelProto,
  source: string,
): { description: GraphDescription; values: Map<string, HostArray> } {
  const graph = model.graph;
  if (!graph) throw new FormatError(`${source}: the model has no graph.`);
  const opset = defaultOpset(model, source);
  if (graph.sparseInitializer.length > 0)
    throw new OnnxUnsupportedError(`${source}: sparse initializers are not supported.`);
  const initializers = new Map<string, HostArray>();
  graph.initializer.forEach((t, i) => {
    const where = `${source}: graph.initializer[${i}] '${t.name}'`;
    if (!t.name) throw new FormatError(`${where}: an initializer needs a name.`);
    if (initializers.has(t.name)) throw new FormatError(`${where}: the name is used twice.`);
    initializers.set(t.name, readTensorProto(t, where));
  });
  // Before IR version 4, initializers were listed among the inputs too; they are not inputs to feed.
  const inputs = graph.input
    .filter((v) => !initializers.has(v.name))
    .map((v, i) => valueSpec(v, `${source}: graph.input[${i}]`));
  const outputs = graph.output.map((v, i) => valueSpec(v, `${source}: graph.output[${i}]`));

  const nodes: GraphNode[] = [];
  const constants = new Map<string, HostArray>();
  graph.node.forEach((n, index) => {
    const node: GraphNode = {
      op: n.opType,
      domain: n.domain ?? '',
      name: n.name ?? '',
      inputs: [...n.input],
      outputs: [...n.output],
      attributes: {},
    };
    const where = `${source}: ${nodeLabel(node, index)}`;
    for (const a of n.attribute) {
      if (Object.hasOwn(node.attributes, a.name))
        throw new FormatError(`${where}: attribute '${a.name}' is given twice.`);
      node.attributes[a.name] = attributeValue(a, where);
    }
    if (node.op === 'Constant' && (node.domain === '' || node.domain === 'ai.onnx')) {
      if (node.outputs.length !== 1 || node.outputs[0] === '')
        throw new FormatError(`${where}: a Constant has exactly one output.`);
      constants.set(node.outputs[0], constantValue(node, where));
      return;
    }
    nodes.push(node);
  });

  const roles = initializerRoles(nodes, opset);
  const description: GraphDescription = {
    opset,
    irVersion: long(model.irVersion),
    producer: [model.producerName, model.producerVersion].filter(Boolean).join(' '),
    graphName: graph.name ?? '',
    inputs,
    outputs,
    nodes,
    parameters: [],
    buffers: [],
    constants: [],
  };
  const values = new Map<string, HostArray>();
  const classify = (name: string, value: HostArray, fromInitializer: boolean) => {
    const used = roles.get(name);
    const isOutput = outputs.some((o) => o.name === name);
    if (!used && !isOutput) return; // read by nothing: dropped
    const float = value.type !== 'int';
    const spec = () => ({
      name,
      shape: checkDims(value.shape, `${source}: '${name}'`),
      type: value.type as 'float32' | 'float64',
      onnxType: value.type === 'float64' ? ONNX_DTYPE.DOUBLE : ONNX_DTYPE.FLOAT,
    });
    if (float && used?.has('state')) {
      description.buffers.push(spec());
      values.set(name, value);
    } else if (float && fromInitializer && used?.has('value')) {
      description.parameters.push(spec());
      values.set(name, value);
    } else if (float && value.data.length > CONFIG_CONSTANT_LIMIT && !used?.has('host')) {
      description.buffers.push(spec());
      values.set(name, value);
    } else description.constants.push({ name, value });
  };
  for (const [name, value] of initializers) classify(name, value, true);
  for (const [name, value] of constants) {
    if (initializers.has(name))
      throw new FormatError(`${source}: '${name}' is both an initializer and a Constant's output.`);
    classify(name, value, false);
  }
  return { description, values };
}

/**
 * OnnxGraph: an imported ONNX graph as a descent Layer. Its nodes run as descent's ops (so
 * it trains with autograd on every backend), its float initialisers are its parameters, the
 * running statistics of its batch norms are buffers, and its config is the graph itself, so
 * model.save / io.loadModel round-trip it like any other layer.
 *
 *   const net = io.importOnnx(bytes);                     // an OnnxGraph
 *   net.call(x);                                          // the graph's first output
 *   net.run({ input: x, mask: m });                       // every output, by name
 *
 * `validateGraph` checks a description once, when it is imported or loaded: every op is
 * supported at the file's opset with the attributes it has, every value is defined before
 * it is used, outputs an op cannot produce are unused. Errors name the node and op type.
 */
import { ConfigError, FormatError, ShapeError } from '../../errors.js';
import { Layer, type ForwardOptions } from '../../nn/layer.js';
import { fromArray, zeros } from '../../tensor/creation.js';
import { keep, tidy } from '../../tensor/scope.js';
import { formatShape, sizeOf, type Shape } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';
import { noGrad } from '../../autograd/tape.js';
import { getBackend } from '../../backend/registry.js';
import { MAX_OPSET, MIN_OPSET, OPS, type OpSpec, type RunContext } from './ops.js';
import {
  isHost,
  NodeView,
  type AttrValue,
  OnnxUnsupportedError,
  type GraphDescription,
  type GraphNode,
  type InputRole,
  type TensorSpec,
  type Value,
} from './spec.js';
import type { HostArray } from './tensor.js';

interface CompiledNode {
  node: GraphNode;
  view: NodeView;
  spec: OpSpec;
}

export const supportedOnnxOps = (): string[] => Object.keys(OPS).sort();

/** Checks a graph description; returns each node with its op. `source` names the file in errors. */
export function validateGraph(desc: GraphDescription, source: string): CompiledNode[] {
  if (!(desc.opset >= MIN_OPSET && desc.opset <= MAX_OPSET))
    throw new OnnxUnsupportedError(
      `${source}: opset ${desc.opset} of the default domain is not supported; descent reads opsets ${MIN_OPSET} to ${MAX_OPSET}.`,
    );
  const defined = new Set<string>();
  const define = (name: string, what: string) => {
    if (name === '') throw new FormatError(`${source}: ${what} has an empty name.`);
    if (defined.has(name)) throw new FormatError(`${source}: ${what} '${name}' is defined twice.`);
    defined.add(name);
  };
  for (const i of desc.inputs) define(i.name, 'graph input');
  for (const p of desc.parameters) define(p.name, 'initializer');
  for (const b of desc.buffers) define(b.name, 'initializer');
  for (const c of desc.constants) define(c.name, 'constant');
  // Which outputs later nodes or the graph use, for the ops that cannot produce some outputs.
  const consumers = new Set<string>(desc.outputs.map((o) => o.name));
  for (const n of desc.nodes) for (const i of n.inputs) consumers.add(i);
  const compiled: CompiledNode[] = [];
  desc.nodes.forEach((node, index) => {
    const view = new NodeView(node, index, desc.opset, source);
    if (node.domain !== '' && node.domain !== 'ai.onnx')
      view.unsupported(
        `operators of domain '${node.domain}' are not supported; descent runs ONNX's standard operators (domain '').`,
      );
    const spec = OPS[node.op];
    if (!spec || node.op === 'Constant')
      view.unsupported(`op type '${node.op}' is not supported. Supported: ${supportedOnnxOps().join(', ')}.`);
    for (const name of Object.keys(node.attributes)) {
      const type = spec.attributes[name];
      if (!type) {
        const known = Object.keys(spec.attributes);
        view.unsupported(
          `attribute '${name}' is not supported for ${node.op}; supported: ${known.length ? known.join(', ') : 'none'}.`,
        );
      }
      if (node.attributes[name].type !== type)
        view.unsupported(`attribute '${name}' is ${node.attributes[name].type}, expected ${type}.`);
    }
    const given = node.inputs.length;
    if (given < spec.inputs[0] || given > spec.inputs[1])
      view.unsupported(
        `${node.op} takes ${spec.inputs[0] === spec.inputs[1] ? spec.inputs[0] : `${spec.inputs[0]} to ${spec.inputs[1] === Infinity ? 'any number of' : spec.inputs[1]}`} inputs, got ${given}.`,
      );
    for (const [k, name] of node.inputs.entries()) {
      if (name === '') continue;
      if (!defined.has(name))
        throw new FormatError(
          `${view.where}: input ${k} '${name}' is not defined before this node (not a graph input, initializer or earlier output).`,
        );
    }
    if (node.outputs.length === 0 || node.outputs[0] === '')
      throw new FormatError(`${view.where}: the node has no output.`);
    const used = (o: number) =>
      o < node.outputs.length && node.outputs[o] !== '' && consumers.has(node.outputs[o]);
    for (let o = spec.outputs; o < node.outputs.length; o++)
      if (used(o))
        view.unsupported(
          `output ${o} ('${node.outputs[o]}') is not supported; ${node.op} gives ${spec.outputs}.`,
        );
    spec.check?.(view, used);
    for (const name of node.outputs) if (name !== '') define(name, `${view.where}: output`);
    compiled.push({ node, view, spec });
  });
  for (const o of desc.outputs)
    if (!defined.has(o.name)) throw new FormatError(`${source}: graph output '${o.name}' is never computed.`);
  if (desc.outputs.length === 0) throw new FormatError(`${source}: the graph has no outputs.`);
  return compiled;
}

/** The role each initializer plays, from the ops that read it (a float initializer read on a device is trainable). */
export function initializerRoles(nodes: readonly GraphNode[], opset: number): Map<string, Set<InputRole>> {
  const roles = new Map<string, Set<InputRole>>();
  for (const node of nodes) {
    const spec = OPS[node.op];
    node.inputs.forEach((name, i) => {
      if (name === '') return;
      const role = spec?.role?.(i, opset) ?? 'value';
      const set = roles.get(name) ?? new Set<InputRole>();
      roles.set(name, set.add(role));
    });
  }
  return roles;
}

export interface OnnxGraphOptions {
  name?: string;
  /** Where the graph came from, for messages (a file name). */
  source?: string;
}

/** Options of `run` (the training flag, as for `call`). */
export type RunOptions = ForwardOptions;

/** An ONNX graph as a descent layer. */
export class OnnxGraph extends Layer {
  readonly kind = 'onnxGraph';
  readonly description: GraphDescription;
  private readonly compiled: CompiledNode[];
  private readonly buffers = new Map<string, Tensor>();
  private readonly constants = new Map<string, HostArray>();
  /** Device copies of constants, made on first use and kept (per backend). */
  private readonly uploaded = new Map<string, Tensor>();
  private readonly source: string;

  /**
   * `values` gives the parameters' and buffers' values by name (a missing one starts at zero,
   * e.g. when model.json is loaded and the weights follow).
   */
  constructor(
    description: GraphDescription,
    values: ReadonlyMap<string, HostArray> = new Map(),
    options: OnnxGraphOptions = {},
  ) {
    super(options.name);
    this.source = options.source ?? 'onnx graph';
    this.description = description;
    this.compiled = validateGraph(description, this.source);
    for (const c of description.constants) this.constants.set(c.name, c.value);
    const made: Tensor[] = [];
    try {
      const tensorFor = (spec: TensorSpec) => {
        const v = values.get(spec.name);
        if (v && (sizeOf(v.shape) !== sizeOf(spec.shape) || v.shape.length !== spec.shape.length))
          throw new FormatError(
            `${this.source}: initializer '${spec.name}' has shape ${formatShape(v.shape)}, expected ${formatShape(spec.shape)}.`,
          );
        const t = v
          ? fromArray(v.data, spec.shape, { dtype: spec.type })
          : zeros(spec.shape, { dtype: spec.type });
        made.push(t);
        return t;
      };
      for (const p of description.parameters) this.addParameter(p.name, tensorFor(p));
      for (const b of description.buffers) this.buffers.set(b.name, keep(tensorFor(b)));
    } catch (error) {
      for (const t of made) t.dispose();
      throw error;
    }
    this.built = true;
  }

  /** The graph input fed by `call(x)`: the only one. */
  private get primaryInput(): string {
    const inputs = this.description.inputs;
    if (inputs.length !== 1)
      throw new ConfigError(
        `${this.label} (onnxGraph): the graph has ${inputs.length} inputs (${inputs.map((i) => i.name).join(', ')}); ` +
          'call run({ name: tensor, … }) instead of call(x).',
      );
    return inputs[0].name;
  }

  override knownInputShape(): number[] | null {
    const inputs = this.description.inputs;
    if (inputs.length !== 1 || !inputs[0].shape) return null;
    const shape = inputs[0].shape.map((d, i) => (i === 0 ? 1 : d));
    return shape.every((d) => typeof d === 'number' && d > 0) ? (shape as number[]) : null;
  }

  protected override checkInput(x: Tensor): void {
    const spec = this.description.inputs.find((i) => i.name === this.primaryInput)!;
    this.checkValue(spec.name, x.shape);
  }

  private checkValue(name: string, shape: Shape): void {
    const spec = this.description.inputs.find((i) => i.name === name)!;
    if (!spec.shape) return;
    const wrong =
      spec.shape.length !== shape.length ||
      spec.shape.some((d, i) => i > 0 && typeof d === 'number' && d > 0 && d !== shape[i]);
    if (wrong)
      throw this.shapeError(
        `graph input '${name}' expects shape [${spec.shape.join(', ')}], got ${formatShape(shape)}.`,
      );
  }

  forward(x: Tensor, options: ForwardOptions): Tensor {
    const outputs = this.run({ [this.primaryInput]: x }, options);
    return outputs[this.description.outputs[0].name];
  }

  /** Runs the graph on named inputs; returns every graph output by name. */
  run(
    inputs: Readonly<Record<string, Tensor | HostArray>>,
    options: RunOptions = {},
  ): Record<string, Tensor> {
    const env = new Map<string, Value>();
    for (const spec of this.description.inputs) {
      const v = inputs[spec.name];
      if (v === undefined)
        throw new ConfigError(
          `${this.label} (onnxGraph): missing graph input '${spec.name}'; the graph's inputs are ${this.description.inputs.map((i) => i.name).join(', ')}.`,
        );
      if (v instanceof Tensor) this.checkValue(spec.name, v.shape);
      env.set(spec.name, v);
    }
    for (const name of Object.keys(inputs))
      if (!this.description.inputs.some((i) => i.name === name))
        throw new ConfigError(`${this.label} (onnxGraph): '${name}' is not one of the graph's inputs.`);
    for (const [name, t] of this.namedParameters()) env.set(name.slice(this.label.length + 1), t);
    for (const [name, t] of this.buffers) env.set(name, t);
    for (const [name, c] of this.constants) env.set(name, c);
    const training = options.training ?? false;
    for (const { node, view, spec } of this.compiled) {
      const values = node.inputs.map((n) => (n === '' ? undefined : env.get(n)));
      const ctx: RunContext = {
        view,
        inputs: values,
        training,
        tensor: (i) => this.toTensor(view, values[i], node.inputs[i], i),
        host: (i) => this.toHost(view, values[i], i),
        buffer: (i) => this.buffers.get(node.inputs[i]) ?? null,
      };
      const outputs = spec.run(ctx);
      node.outputs.forEach((name, o) => {
        if (name !== '' && outputs[o] !== undefined) env.set(name, outputs[o]);
      });
    }
    const result: Record<string, Tensor> = {};
    for (const o of this.description.outputs) {
      const v = env.get(o.name)!;
      result[o.name] = isHost(v) ? this.upload(v) : v;
    }
    return result;
  }

  private toTensor(view: NodeView, v: Value | undefined, name: string, i: number): Tensor {
    if (v === undefined) throw new ShapeError(`${view.where}: input ${i} is required.`);
    if (!isHost(v)) return v;
    if (!this.constants.has(name)) return this.upload(v);
    // Constants go to the device once per backend and stay there.
    const t = this.uploaded.get(name);
    if (t && !t.isDisposed && t.backend === getBackend()) return t;
    const made = noGrad(() => tidy(() => keep(this.upload(v))));
    t?.dispose();
    this.uploaded.set(name, made);
    return made;
  }

  private upload(v: HostArray): Tensor {
    if (v.type === 'int') {
      for (const x of v.data)
        if (!(x >= -(2 ** 31) && x < 2 ** 31))
          throw new OnnxUnsupportedError(
            `${this.source}: the integer ${x} does not fit descent's int32 tensors (a device computation needs it).`,
          );
      return fromArray(Int32Array.from(v.data), v.shape, { dtype: 'int32' });
    }
    return fromArray(v.data, v.shape, { dtype: v.type });
  }

  private toHost(view: NodeView, v: Value | undefined, i: number): HostArray {
    if (v === undefined) throw new ShapeError(`${view.where}: input ${i} is required.`);
    if (isHost(v)) return v;
    if (!v.backend.readSync)
      throw new OnnxUnsupportedError(
        `${view.where}: input ${i} must be known on the host (a constant or shape arithmetic), but it is computed on the ${v.backend.name} backend, which cannot be read synchronously.`,
      );
    const data = v.dataSync();
    return {
      type: v.dtype === 'int32' ? 'int' : v.dtype,
      onnxType: v.dtype === 'int32' ? 7 : v.dtype === 'float64' ? 11 : 1,
      shape: [...v.shape],
      data: v.dtype === 'float32' ? Float32Array.from(data) : Float64Array.from(data),
    };
  }

  /** The graph's running statistics (and large constants), saved with the weights. */
  namedBuffers(): Array<[string, Tensor]> {
    return [...this.buffers].map(([name, t]) => [`${this.label}.${name}`, t]);
  }

  /** The values of the graph's constants (shape vectors, axes …) by name. */
  constantValues(): ReadonlyMap<string, HostArray> {
    return this.constants;
  }

  override outputShape(inputShape: Shape): number[] {
    // Shapes follow from running the graph (ONNX shape inference would be a second implementation).
    return tidy(() => noGrad(() => [...this.call(zeros([...inputShape]), { training: false }).shape]));
  }

  override dispose(): void {
    super.dispose();
    for (const t of this.buffers.values()) t.dispose();
    for (const t of this.uploaded.values()) t.dispose();
    this.uploaded.clear();
  }

  config(): Record<string, unknown> {
    return graphToJson(this.description);
  }
}

// ---- the config in model.json ---------------------------------------------------------------

/** JSON has no Infinity or NaN: those are written as the strings 'Infinity', '-Infinity', 'NaN'. */
export const numberToJson = (n: number): number | string => (Number.isFinite(n) ? n : String(n));

const hostToJson = (h: HostArray) => ({
  type: h.type,
  onnxType: h.onnxType,
  shape: h.shape,
  data: Array.from(h.data, numberToJson),
});

function attributeToJson(a: AttrValue): unknown {
  switch (a.type) {
    case 'tensor':
      return { type: 'tensor', value: hostToJson(a.value) };
    case 'float':
      return { type: 'float', value: numberToJson(a.value) };
    case 'floats':
      return { type: 'floats', value: a.value.map(numberToJson) };
    default:
      return a;
  }
}

/** The description as JSON (host arrays as number lists). */
export function graphToJson(desc: GraphDescription): Record<string, unknown> {
  return {
    opset: desc.opset,
    irVersion: desc.irVersion,
    producer: desc.producer,
    graphName: desc.graphName,
    inputs: desc.inputs,
    outputs: desc.outputs,
    nodes: desc.nodes.map((n) => ({
      ...n,
      attributes: Object.fromEntries(Object.entries(n.attributes).map(([k, a]) => [k, attributeToJson(a)])),
    })),
    parameters: desc.parameters,
    buffers: desc.buffers,
    constants: desc.constants.map((c) => ({ name: c.name, value: hostToJson(c.value) })),
  };
}

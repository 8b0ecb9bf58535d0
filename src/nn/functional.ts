/**
 * Functional models (Keras's functional API): layers applied to symbolic inputs make a
 * directed acyclic graph, and `model({ inputs, outputs })` runs it.
 *
 *   const x = nn.input({ shape: [2] });
 *   const h = nn.dense({ units: 32, activation: 'relu' }).apply(x);
 *   const r = nn.add([h, nn.dense({ units: 32, activation: 'relu' }).apply(h)]);   // a residual link
 *   const net = nn.model({ inputs: x, outputs: nn.dense({ units: 2 }).apply(r) });
 *
 * A symbolic tensor knows its shape (without the batch dimension) and the node that makes it;
 * applying a layer builds it for that shape at once, so parameters and `summary()` are
 * complete before any data. `add` sums equal shapes, `concatenate` joins along an axis of the
 * sample (default the last). A layer applied twice shares its weights. With one input and one
 * output the model is a Layer like any other (`call`, `fit`, save/load); `run([x1, x2])`
 * evaluates several inputs and outputs.
 */
import { ConfigError, ShapeError } from '../errors.js';
import { add as addOp } from '../ops/arithmetic.js';
import { concat } from '../ops/shape.js';
import { formatShape, type Shape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { Layer, type FloatDType, type ForwardOptions } from './layer.js';

type Merge = { op: 'add' } | { op: 'concatenate'; axis: number };

/** One step of the graph: a layer applied to one tensor, or a merge of several. */
interface GraphNode {
  id: number;
  layer: Layer | null;
  merge: Merge | null;
  inputs: SymbolicTensor[];
}

let nextId = 0;

export class SymbolicTensor {
  readonly id = nextId++;
  constructor(
    /** Shape of one sample (no batch dimension). */
    readonly shape: readonly number[],
    /** The node that makes it; null for a model input. */
    readonly node: GraphNode | null,
    readonly dtype: FloatDType,
    readonly name: string,
  ) {}

  toString(): string {
    return `${this.name} ${formatShape(this.shape)}`;
  }
}

export interface InputOptions {
  /** One sample's shape, without the batch dimension: [784], [1, 28, 28]. */
  shape: readonly number[];
  dtype?: FloatDType;
  name?: string;
}

/** A model input (Keras's Input(shape=…)). */
export function input(options: InputOptions): SymbolicTensor {
  const shape = options?.shape;
  if (!Array.isArray(shape) || shape.some((d) => !(Number.isInteger(d) && d > 0)))
    throw new ConfigError(
      `input: shape must be an array of positive integers (no batch dimension), got ${JSON.stringify(shape)}.`,
    );
  return new SymbolicTensor([...shape], null, options.dtype ?? 'float32', options.name ?? 'input');
}

function checkSymbolic(where: string, x: unknown): SymbolicTensor {
  if (!(x instanceof SymbolicTensor))
    throw new ConfigError(
      `${where}: expected a symbolic tensor (from nn.input or layer.apply), got ${String(x)}.`,
    );
  return x;
}

/** Applies `layer` to a symbolic tensor: builds it for that shape and records the node. */
export function applyLayer(layer: Layer, x: SymbolicTensor): SymbolicTensor {
  checkSymbolic(`${layer.label}.apply`, x);
  const batched = [1, ...x.shape];
  if (layer.isBuilt) {
    if (layer.dtype !== x.dtype)
      throw new ShapeError(`${layer.label}.apply: the layer is ${layer.dtype}, its input ${x.dtype}.`);
  } else {
    layer.buildFor(batched, x.dtype);
  }
  const out = layer.outputShape(batched);
  if (out.some((d) => !(Number.isInteger(d) && d > 0)))
    throw new ShapeError(
      `${layer.label}.apply: input ${formatShape(x.shape)} gives no valid output (${formatShape(out)}).`,
    );
  const node: GraphNode = { id: nextId++, layer, merge: null, inputs: [x] };
  return new SymbolicTensor(out.slice(1), node, x.dtype, layer.label);
}

declare module './layer.js' {
  interface Layer {
    /** Applies the layer to a symbolic tensor, for functional models (see nn/functional.ts). */
    apply(x: SymbolicTensor): SymbolicTensor;
  }
}
Layer.prototype.apply = function (this: Layer, x: SymbolicTensor) {
  return applyLayer(this, x);
};

/** The element-wise sum of tensors of one shape: a residual link. */
export function add(tensors: readonly SymbolicTensor[]): SymbolicTensor {
  if (!Array.isArray(tensors) || tensors.length < 2)
    throw new ConfigError('add: needs an array of at least 2 tensors.');
  tensors.forEach((t) => checkSymbolic('add', t));
  const shape = tensors[0].shape;
  for (const t of tensors) {
    if (t.shape.join() !== shape.join())
      throw new ShapeError(
        `add: shapes must be equal, got ${tensors.map((u) => formatShape(u.shape)).join(' and ')}.`,
      );
  }
  const node: GraphNode = { id: nextId++, layer: null, merge: { op: 'add' }, inputs: [...tensors] };
  return new SymbolicTensor([...shape], node, tensors[0].dtype, 'add');
}

/** Joins tensors along `axis` of the sample (default −1, the last); the other sizes must agree. */
export function concatenate(
  tensors: readonly SymbolicTensor[],
  options: { axis?: number } = {},
): SymbolicTensor {
  if (!Array.isArray(tensors) || tensors.length < 2)
    throw new ConfigError('concatenate: needs an array of at least 2 tensors.');
  tensors.forEach((t) => checkSymbolic('concatenate', t));
  const rank = tensors[0].shape.length;
  const given = options.axis ?? -1;
  const axis = given < 0 ? given + rank : given;
  if (!(Number.isInteger(axis) && axis >= 0 && axis < rank))
    throw new ConfigError(`concatenate: axis ${given} is outside a sample of rank ${rank}.`);
  const shape = [...tensors[0].shape];
  shape[axis] = 0;
  for (const t of tensors) {
    const ok =
      t.shape.length === rank &&
      t.shape.every((d: number, i: number) => i === axis || d === tensors[0].shape[i]);
    if (!ok)
      throw new ShapeError(
        `concatenate: along axis ${given} the other sizes must agree, got ${tensors.map((u) => formatShape(u.shape)).join(' and ')}.`,
      );
    shape[axis] += t.shape[axis];
  }
  const node: GraphNode = {
    id: nextId++,
    layer: null,
    merge: { op: 'concatenate', axis },
    inputs: [...tensors],
  };
  return new SymbolicTensor(shape, node, tensors[0].dtype, 'concatenate');
}

export interface ModelOptions {
  inputs: SymbolicTensor | readonly SymbolicTensor[];
  outputs: SymbolicTensor | readonly SymbolicTensor[];
  name?: string;
}

export class FunctionalModel extends Layer {
  readonly kind = 'functional';
  readonly inputs: readonly SymbolicTensor[];
  readonly outputs: readonly SymbolicTensor[];
  /** The nodes between the inputs and the outputs, in an order that runs (each after its inputs). */
  private readonly nodes: GraphNode[];
  /** Each layer once, in the order first applied. */
  readonly layers: Layer[];

  constructor(options: ModelOptions) {
    super(options.name ?? 'model');
    const list = (v: SymbolicTensor | readonly SymbolicTensor[]) =>
      Array.isArray(v) ? [...v] : [v as SymbolicTensor];
    this.inputs = list(options.inputs).map((t) => checkSymbolic('model inputs', t));
    this.outputs = list(options.outputs).map((t) => checkSymbolic('model outputs', t));
    if (this.inputs.length === 0 || this.outputs.length === 0)
      throw new ConfigError('model: needs at least one input and one output.');
    if (this.inputs.some((t) => t.node !== null))
      throw new ConfigError('model: inputs must come from nn.input().');
    // Walk back from the outputs; every path must end at one of the inputs.
    const found = new Map<number, GraphNode>();
    const visit = (t: SymbolicTensor) => {
      if (t.node === null) {
        if (!this.inputs.includes(t))
          throw new ConfigError(
            `model: output depends on ${t.toString()}, which is not among the model's inputs.`,
          );
        return;
      }
      if (found.has(t.node.id)) return;
      found.set(t.node.id, t.node);
      t.node.inputs.forEach(visit);
    };
    this.outputs.forEach(visit);
    this.nodes = [...found.values()].sort((a, b) => a.id - b.id);
    this.layers = [];
    for (const n of this.nodes) if (n.layer && !this.layers.includes(n.layer)) this.layers.push(n.layer);
    const used = new Set(this.layers.map((l) => l.name).filter(Boolean));
    if (used.size !== this.layers.filter((l) => l.name).length)
      throw new ConfigError('model: layer names must be unique.');
    for (const layer of this.layers) {
      if (layer.name) continue;
      let k = 0;
      do k++;
      while (used.has(`${layer.kind}_${k}`));
      layer.name = `${layer.kind}_${k}`;
      used.add(layer.name);
    }
    this.dtype = this.inputs[0].dtype;
    this.built = true;
  }

  override knownInputShape(): number[] | null {
    return this.inputs.length === 1 ? [1, ...this.inputs[0].shape] : null;
  }

  /** Every output for every input (batch first), in the order given to `model()`. */
  run(xs: readonly Tensor[], options: ForwardOptions = {}): Tensor[] {
    if (xs.length !== this.inputs.length)
      throw this.shapeError(`expected ${this.inputs.length} inputs, got ${xs.length}.`);
    const values = new Map<SymbolicTensor | GraphNode, Tensor>();
    xs.forEach((x, i) => {
      const want = this.inputs[i].shape;
      if (x.rank !== want.length + 1 || want.some((d, j) => x.shape[j + 1] !== d))
        throw this.shapeError(
          `input ${i} (${this.inputs[i].name}): expected [batch, ${want.join(', ')}], got ${formatShape(x.shape)}.`,
        );
      values.set(this.inputs[i], x);
    });
    const valueOf = (t: SymbolicTensor) => values.get(t.node ?? t)!;
    for (const n of this.nodes) {
      const args = n.inputs.map(valueOf);
      let out: Tensor;
      if (n.layer) out = n.layer.call(args[0], options);
      else if (n.merge!.op === 'add') out = args.slice(1).reduce((s, a) => addOp(s, a), args[0]);
      else out = concat(args, n.merge!.axis + 1);
      values.set(n, out);
    }
    return this.outputs.map(valueOf);
  }

  forward(x: Tensor, options: ForwardOptions): Tensor {
    if (this.inputs.length !== 1 || this.outputs.length !== 1)
      throw this.shapeError(
        `has ${this.inputs.length} inputs and ${this.outputs.length} outputs; use model.run([x1, …]) for more than one.`,
      );
    return this.run([x], options)[0];
  }

  override outputShape(inputShape: Shape): number[] {
    return [inputShape[0], ...this.outputs[0].shape];
  }

  override children(): Layer[] {
    return this.layers;
  }

  override namedParameters(): Array<[string, Tensor]> {
    return this.layers.flatMap((l) => l.namedParameters());
  }

  /** The graph as saved in model.json: the layers, then the nodes by index, inputs by reference. */
  config(): Record<string, unknown> {
    const ref = (t: SymbolicTensor) =>
      t.node === null ? { input: this.inputs.indexOf(t) } : { node: this.nodes.indexOf(t.node) };
    return {
      inputs: this.inputs.map((t) => ({ shape: [...t.shape], name: t.name, dtype: t.dtype })),
      layers: this.layers.map((l) => ({ kind: l.kind, name: l.name, config: l.config() })),
      nodes: this.nodes.map((n) => ({
        ...(n.layer ? { layer: this.layers.indexOf(n.layer) } : { merge: n.merge }),
        inputs: n.inputs.map(ref),
      })),
      outputs: this.outputs.map(ref),
    };
  }

  /** A table of the nodes: name, kind, output shape, parameters, and where each input comes from. */
  summary(): string {
    const rows: string[][] = [['node', 'kind', 'output shape', 'parameters', 'from']];
    const label = (t: SymbolicTensor) => (t.node === null ? t.name : nodeName(t.node));
    const counted = new Set<Layer>();
    const nodeName = (n: GraphNode) =>
      n.layer ? n.layer.name : `${n.merge!.op}_${this.nodes.indexOf(n) + 1}`;
    let total = 0;
    for (const t of this.inputs) rows.push([t.name, 'input', `[batch, ${t.shape.join(', ')}]`, '0', '']);
    const shapes = new Map<GraphNode, readonly number[]>();
    const shapeOf = (t: SymbolicTensor) => (t.node ? shapes.get(t.node)! : t.shape);
    for (const n of this.nodes) {
      const inShape = shapeOf(n.inputs[0]);
      const out = n.layer
        ? n.layer.outputShape([1, ...inShape]).slice(1)
        : n.merge!.op === 'add'
          ? inShape
          : inShape.map((d, i) =>
              i === (n.merge as { axis: number }).axis ? n.inputs.reduce((s, u) => s + shapeOf(u)[i], 0) : d,
            );
      shapes.set(n, out);
      let count = 0;
      if (n.layer && !counted.has(n.layer)) {
        counted.add(n.layer);
        count = n.layer.parameters().reduce((s, p) => s + p.size, 0);
      }
      total += count;
      rows.push([
        nodeName(n),
        n.layer ? n.layer.kind : n.merge!.op,
        `[batch, ${out.join(', ')}]`,
        String(count),
        n.inputs.map(label).join(', '),
      ]);
    }
    rows.push(['total', '', '', String(total), '']);
    const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
    return rows
      .map((r) =>
        r
          .map((cell, c) => cell.padEnd(widths[c]))
          .join('  ')
          .trimEnd(),
      )
      .join('\n');
  }
}

/** A functional model from symbolic inputs to outputs (Keras's Model(inputs, outputs)). */
export function model(options: ModelOptions): FunctionalModel {
  return new FunctionalModel(options);
}

/** The saved graph of a functional model, rebuilt over layers made from `config().layers`. */
export function functionalFromConfig(
  config: {
    inputs: Array<{ shape: number[]; name?: string; dtype?: FloatDType }>;
    nodes: Array<{ layer?: number; merge?: Merge; inputs: Array<{ input?: number; node?: number }> }>;
    outputs: Array<{ input?: number; node?: number }>;
  },
  layers: readonly Layer[],
  name?: string,
): FunctionalModel {
  const inputs = config.inputs.map((i) => input({ shape: i.shape, name: i.name, dtype: i.dtype }));
  const made: SymbolicTensor[] = [];
  const resolve = (ref: { input?: number; node?: number }, where: string): SymbolicTensor => {
    const t =
      ref.input !== undefined ? inputs[ref.input] : ref.node !== undefined ? made[ref.node] : undefined;
    if (!t)
      throw new ConfigError(
        `${where}: refers to ${JSON.stringify(ref)}, which comes later or does not exist.`,
      );
    return t;
  };
  config.nodes.forEach((n, i) => {
    const where = `nodes[${i}]`;
    const args = n.inputs.map((r) => resolve(r, where));
    if (n.layer !== undefined) {
      const layer = layers[n.layer];
      if (!layer || args.length !== 1)
        throw new ConfigError(`${where}: a layer node needs a saved layer and one input.`);
      made.push(applyLayer(layer, args[0]));
    } else if (n.merge?.op === 'add') made.push(add(args));
    else if (n.merge?.op === 'concatenate') made.push(concatenate(args, { axis: n.merge.axis }));
    else throw new ConfigError(`${where}: expected a layer or a merge ('add', 'concatenate').`);
  });
  return new FunctionalModel({ inputs, outputs: config.outputs.map((r) => resolve(r, 'outputs')), name });
}

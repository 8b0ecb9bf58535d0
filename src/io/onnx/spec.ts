/**
 * The shape of an imported ONNX graph in descent's terms — what the importer produces from a
 * .onnx file, what the OnnxGraph layer runs, and what model.json stores for it:
 *
 *   nodes        op type, name, inputs, outputs and typed attributes, in ONNX's order
 *   inputs       the graph's inputs (initialisers excluded), with element type and shape
 *   outputs      the graph's outputs
 *   parameters   float initialisers the graph computes with: trainable (weights.safetensors)
 *   buffers      initialisers ops update in place (batch norm's running statistics), and
 *                large float constants: saved with the weights, not trained
 *   constants    small constants (shape vectors, axes, Constant nodes' values): in the config
 *
 * Values flowing through the graph at run time are descent Tensors, or HostArrays for the
 * small integer arithmetic on shapes that exporters emit (Shape → Gather → Concat → Reshape),
 * which never touches a device.
 */
import { DescentError } from '../../errors.js';
import { Tensor } from '../../tensor/tensor.js';
import type { HostArray, HostType } from './tensor.js';

/** A model uses something descent cannot run (op, opset, attribute value, data type). */
export class OnnxUnsupportedError extends DescentError {}

export type AttrType = 'float' | 'int' | 'string' | 'floats' | 'ints' | 'strings' | 'tensor';

export type AttrValue =
  | { type: 'float'; value: number }
  | { type: 'int'; value: number }
  | { type: 'string'; value: string }
  | { type: 'floats'; value: number[] }
  | { type: 'ints'; value: number[] }
  | { type: 'strings'; value: string[] }
  | { type: 'tensor'; value: HostArray };

export interface GraphNode {
  op: string;
  /** '' (or 'ai.onnx') for ONNX's standard operators. */
  domain: string;
  name: string;
  /** Value names; '' marks an omitted optional input. */
  inputs: string[];
  outputs: string[];
  attributes: Record<string, AttrValue>;
}

/** A graph input or output: its element type and shape (numbers, or names for symbolic dimensions). */
export interface ValueSpec {
  name: string;
  type: HostType;
  onnxType: number;
  shape: Array<number | string> | null;
}

/** A parameter's or buffer's name, shape and element type (its values live in a Tensor). */
export interface TensorSpec {
  name: string;
  shape: number[];
  type: 'float32' | 'float64';
  onnxType: number;
}

export interface GraphDescription {
  opset: number;
  irVersion: number;
  producer: string;
  graphName: string;
  inputs: ValueSpec[];
  outputs: ValueSpec[];
  nodes: GraphNode[];
  parameters: TensorSpec[];
  buffers: TensorSpec[];
  constants: Array<{ name: string; value: HostArray }>;
}

export type Value = Tensor | HostArray;

export function isHost(v: Value | undefined): v is HostArray {
  return v !== undefined && !(v instanceof Tensor);
}

/** How an op uses an input: computed with on a device, read on the host, or updated in place. */
export type InputRole = 'value' | 'host' | 'state';

/** The label of a node in messages: its name and index, or its index alone. */
export function nodeLabel(node: GraphNode, index: number): string {
  return node.name ? `node '${node.name}' (#${index}, ${node.op})` : `node #${index} (${node.op})`;
}

/** Reads a node's attributes, checking their types; errors name the node and op type. */
export class NodeView {
  constructor(
    readonly node: GraphNode,
    readonly index: number,
    readonly opset: number,
    readonly source: string,
  ) {}

  get where(): string {
    return `${this.source}: ${nodeLabel(this.node, this.index)}`;
  }

  unsupported(what: string): never {
    throw new OnnxUnsupportedError(`${this.where}: ${what}`);
  }

  has(name: string): boolean {
    return Object.hasOwn(this.node.attributes, name);
  }

  private get(name: string, type: AttrType): AttrValue | undefined {
    const a = this.node.attributes[name];
    if (a === undefined) return undefined;
    if (a.type !== type) this.unsupported(`attribute '${name}' is ${a.type}, expected ${type}.`);
    return a;
  }

  int(name: string, fallback: number): number {
    return (this.get(name, 'int')?.value as number | undefined) ?? fallback;
  }

  float(name: string, fallback: number): number {
    return (this.get(name, 'float')?.value as number | undefined) ?? fallback;
  }

  string(name: string, fallback: string): string {
    return (this.get(name, 'string')?.value as string | undefined) ?? fallback;
  }

  ints(name: string): number[] | undefined {
    return this.get(name, 'ints')?.value as number[] | undefined;
  }

  floats(name: string): number[] | undefined {
    return this.get(name, 'floats')?.value as number[] | undefined;
  }

  tensor(name: string): HostArray | undefined {
    return this.get(name, 'tensor')?.value as HostArray | undefined;
  }

  /** Whether optional input `i` is given. */
  hasInput(i: number): boolean {
    return i < this.node.inputs.length && this.node.inputs[i] !== '';
  }
}

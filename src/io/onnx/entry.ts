/**
 * The onnxGraph layer in descent's model format: model.json holds the graph (its config),
 * weights.safetensors its parameters and buffers. This reads the config back, checking every
 * field (a FormatError names the JSON path), then validates the graph as an import does.
 */
import { FormatError } from '../../errors.js';
import { describe, isPlainObject } from '../json.js';
import type { LayerEntry } from '../layers.js';
import { OnnxGraph } from './graph.js';
import type { AttrValue, GraphDescription, GraphNode, TensorSpec, ValueSpec } from './spec.js';
import { MAX_DIM, hostTypeOf, type HostArray, type HostType } from './tensor.js';

class JsonReader {
  constructor(
    readonly source: string,
    readonly path: string,
  ) {}

  fail(path: string, expected: string, got: unknown): never {
    throw new FormatError(`${this.source}: ${path}: expected ${expected}, got ${describe(got)}.`);
  }

  object(v: unknown, path: string): Record<string, unknown> {
    if (!isPlainObject(v)) this.fail(path, 'an object', v);
    return v as Record<string, unknown>;
  }

  array(v: unknown, path: string): unknown[] {
    if (!Array.isArray(v)) this.fail(path, 'an array', v);
    return v as unknown[];
  }

  string(v: unknown, path: string): string {
    if (typeof v !== 'string') this.fail(path, 'a string', v);
    return v as string;
  }

  int(v: unknown, path: string, min = -Number.MAX_SAFE_INTEGER): number {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min)
      this.fail(path, min === 0 ? 'a non-negative integer' : 'an integer', v);
    return v as number;
  }

  /** A number, or 'Infinity', '-Infinity', 'NaN' (how JSON keeps them). */
  number(v: unknown, path: string): number {
    if (v === 'Infinity' || v === '-Infinity' || v === 'NaN') return Number(v);
    if (typeof v !== 'number') this.fail(path, 'a number', v);
    return v as number;
  }

  hostType(v: unknown, path: string): HostType {
    if (v !== 'float32' && v !== 'float64' && v !== 'int')
      this.fail(path, "'float32', 'float64' or 'int'", v);
    return v as HostType;
  }

  shape(v: unknown, path: string): number[] {
    return this.array(v, path).map((d, i) => {
      const n = this.int(d, `${path}[${i}]`, 0);
      if (n > MAX_DIM) this.fail(`${path}[${i}]`, `a dimension ≤ ${MAX_DIM}`, d);
      return n;
    });
  }

  host(v: unknown, path: string, budget: { remaining: number }): HostArray {
    const o = this.object(v, path);
    const type = this.hostType(o.type, `${path}.type`);
    const onnxType = this.int(o.onnxType, `${path}.onnxType`, 0);
    if (hostTypeOf(onnxType) !== type)
      this.fail(`${path}.onnxType`, `an ONNX type stored as ${type}`, o.onnxType);
    const shape = this.shape(o.shape, `${path}.shape`);
    const data = this.array(o.data, `${path}.data`);
    const count = shape.reduce((a, b) => a * b, 1);
    if (data.length !== count)
      this.fail(`${path}.data`, `${count} values for shape [${shape.join(', ')}]`, `${data.length} values`);
    budget.remaining -= count;
    const values = type === 'float32' ? new Float32Array(count) : new Float64Array(count);
    data.forEach((x, i) => {
      values[i] = type === 'int' ? this.int(x, `${path}.data[${i}]`) : this.number(x, `${path}.data[${i}]`);
    });
    return { type, onnxType, shape, data: values };
  }

  valueSpec(v: unknown, path: string): ValueSpec {
    const o = this.object(v, path);
    const shape =
      o.shape === null
        ? null
        : this.array(o.shape, `${path}.shape`).map((d, i) =>
            typeof d === 'string' ? d : this.int(d, `${path}.shape[${i}]`, 0),
          );
    return {
      name: this.string(o.name, `${path}.name`),
      type: this.hostType(o.type, `${path}.type`),
      onnxType: this.int(o.onnxType, `${path}.onnxType`, 0),
      shape,
    };
  }

  tensorSpec(v: unknown, path: string): TensorSpec {
    const o = this.object(v, path);
    const type = this.hostType(o.type, `${path}.type`);
    if (type === 'int') this.fail(`${path}.type`, "'float32' or 'float64'", o.type);
    return {
      name: this.string(o.name, `${path}.name`),
      shape: this.shape(o.shape, `${path}.shape`),
      type: type as 'float32' | 'float64',
      onnxType: this.int(o.onnxType, `${path}.onnxType`, 0),
    };
  }

  attribute(v: unknown, path: string, budget: { remaining: number }): AttrValue {
    const o = this.object(v, path);
    const list = (read: (x: unknown, p: string) => unknown) =>
      this.array(o.value, `${path}.value`).map((x, i) => read(x, `${path}.value[${i}]`));
    switch (o.type) {
      case 'float':
        return { type: 'float', value: this.number(o.value, `${path}.value`) };
      case 'int':
        return { type: 'int', value: this.int(o.value, `${path}.value`) };
      case 'string':
        return { type: 'string', value: this.string(o.value, `${path}.value`) };
      case 'floats':
        return { type: 'floats', value: list((x, p) => this.number(x, p)) as number[] };
      case 'ints':
        return { type: 'ints', value: list((x, p) => this.int(x, p)) as number[] };
      case 'strings':
        return { type: 'strings', value: list((x, p) => this.string(x, p)) as string[] };
      case 'tensor':
        return { type: 'tensor', value: this.host(o.value, `${path}.value`, budget) };
      default:
        return this.fail(
          `${path}.type`,
          'an attribute type (float, int, string, floats, ints, strings, tensor)',
          o.type,
        );
    }
  }

  node(v: unknown, path: string, budget: { remaining: number }): GraphNode {
    const o = this.object(v, path);
    const names = (key: string) =>
      this.array(o[key], `${path}.${key}`).map((x, i) => this.string(x, `${path}.${key}[${i}]`));
    const attrs = this.object(o.attributes, `${path}.attributes`);
    const attributes: Record<string, AttrValue> = {};
    for (const [k, a] of Object.entries(attrs))
      attributes[k] = this.attribute(a, `${path}.attributes.${k}`, budget);
    return {
      op: this.string(o.op, `${path}.op`),
      domain: this.string(o.domain, `${path}.domain`),
      name: this.string(o.name, `${path}.name`),
      inputs: names('inputs'),
      outputs: names('outputs'),
      attributes,
    };
  }
}

/** A graph description from its saved config; every field checked. */
export function graphFromJson(
  config: Record<string, unknown>,
  path: string,
  source: string,
  maxValues = Infinity,
): GraphDescription {
  const r = new JsonReader(source, path);
  const p = (key: string) => `${path}.${key}`;
  const budget = { remaining: maxValues };
  const list = <T>(key: string, read: (v: unknown, path: string) => T) =>
    r.array(config[key], p(key)).map((v, i) => read(v, `${p(key)}[${i}]`));
  const description: GraphDescription = {
    opset: r.int(config.opset, p('opset'), 1),
    irVersion: r.int(config.irVersion, p('irVersion'), 0),
    producer: r.string(config.producer, p('producer')),
    graphName: r.string(config.graphName, p('graphName')),
    inputs: list('inputs', (v, q) => r.valueSpec(v, q)),
    outputs: list('outputs', (v, q) => r.valueSpec(v, q)),
    nodes: list('nodes', (v, q) => r.node(v, q, budget)),
    parameters: list('parameters', (v, q) => r.tensorSpec(v, q)),
    buffers: list('buffers', (v, q) => r.tensorSpec(v, q)),
    constants: list('constants', (v, q) => {
      const o = r.object(v, q);
      return { name: r.string(o.name, `${q}.name`), value: r.host(o.value, `${q}.value`, budget) };
    }),
  };
  if (budget.remaining < 0)
    throw new FormatError(`${source}: ${path}: the constants hold more values than allowed.`);
  return description;
}

export const onnxGraphEntry: LayerEntry = {
  create(c, ctx) {
    const description = graphFromJson(c.config, `${ctx.path}.config`, ctx.source);
    let values = 0;
    for (const t of [...description.parameters, ...description.buffers])
      values += t.shape.reduce((a, b) => a * b, 1);
    ctx.reserve(values, 'its initializers');
    return new OnnxGraph(description, new Map(), { name: ctx.name || undefined, source: ctx.source });
  },
};

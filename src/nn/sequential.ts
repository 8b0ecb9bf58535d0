/**
 * A stack of layers, each feeding the next. Layers without a name get `<kind>_<n>`
 * (dense_1, dense_2, relu_1 …), so every error names the layer it came from.
 */
import { ConfigError } from '../errors.js';
import type { Shape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { Layer, type ForwardOptions } from './layer.js';

export class Sequential extends Layer {
  readonly kind = 'sequential';
  readonly layers: Layer[];

  constructor(layers: readonly Layer[], name?: string) {
    super(name ?? 'sequential');
    if (!Array.isArray(layers) || layers.length === 0)
      throw new ConfigError('sequential: needs a non-empty array of layers.');
    layers.forEach((l, i) => {
      if (!(l instanceof Layer)) throw new ConfigError(`sequential: element ${i} is not a Layer.`);
    });
    this.layers = [...layers];
    const counts = new Map<string, number>();
    const used = new Set(this.layers.map((l) => l.name).filter(Boolean));
    for (const layer of this.layers) {
      if (layer.name) continue;
      let n = counts.get(layer.kind) ?? 0;
      do n++;
      while (used.has(`${layer.kind}_${n}`));
      counts.set(layer.kind, n);
      layer.name = `${layer.kind}_${n}`;
      used.add(layer.name);
    }
    if (used.size !== this.layers.length) throw new ConfigError('sequential: layer names must be unique.');
    // When the first layer knows its input size, build the whole stack now, so that
    // parameters() is complete before any data is seen (an optimiser can be made at once).
    const inputShape = this.layers[0].knownInputShape();
    if (inputShape) this.buildFor(inputShape);
  }

  override knownInputShape(): number[] | null {
    return this.layers[0].knownInputShape();
  }

  protected override build(inputShape: Shape): void {
    let shape: Shape = inputShape;
    for (const layer of this.layers) {
      layer.buildFor(shape, this.dtype);
      shape = layer.outputShape(shape);
    }
  }

  forward(x: Tensor, options: ForwardOptions): Tensor {
    let y = x;
    for (const layer of this.layers) y = layer.call(y, options);
    return y;
  }

  override outputShape(inputShape: Shape): number[] {
    let shape: number[] = [...inputShape];
    for (const layer of this.layers) shape = layer.outputShape(shape);
    return shape;
  }

  override children(): Layer[] {
    return this.layers;
  }

  // In stateDict the children are numbered by position, as in PyTorch's nn.Sequential.
  protected override childStates(): Array<[string, Layer]> {
    return this.layers.map((l, i) => [String(i), l]);
  }

  // Parameters of a container are its children's, named by the children.
  override namedParameters(): Array<[string, Tensor]> {
    return this.layers.flatMap((l) => l.namedParameters());
  }

  config(): Record<string, unknown> {
    return { layers: this.layers.map((l) => ({ kind: l.kind, name: l.name, config: l.config() })) };
  }

  /** A table of layers, output shapes and parameter counts. */
  summary(inputShape?: Shape): string {
    const rows: string[][] = [['layer', 'kind', 'output shape', 'parameters']];
    let shape: number[] | undefined = inputShape ? [...inputShape] : undefined;
    let total = 0;
    for (const layer of this.layers) {
      if (shape) shape = layer.outputShape(shape);
      const count = layer.parameters().reduce((s, p) => s + p.size, 0);
      total += count;
      rows.push([
        layer.name,
        layer.kind,
        shape ? `[${shape.map((d, i) => (i === 0 ? 'batch' : d)).join(', ')}]` : '?',
        String(count),
      ]);
    }
    rows.push(['total', '', '', String(total)]);
    const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
    return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c])).join('  ')).join('\n');
  }
}

export function sequential(layers: readonly Layer[], name?: string): Sequential {
  return new Sequential(layers, name);
}

/**
 * A stack of layers, each feeding the next. Layers without a name get `<kind>_<n>`
 * (dense_1, dense_2, relu_1 …), so every error names the layer it came from.
 */
import { ConfigError } from '../errors.js';
import { formatShape, type Shape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { Activation, PRelu } from './activations.js';
import { Dropout } from './dropout.js';
import { Layer, type ForwardOptions } from './layer.js';

export class Sequential extends Layer {
  readonly kind = 'sequential';
  readonly layers: Layer[] = [];
  /** The input shape the stack was built for (null until built). */
  private builtInputShape: Shape | null = null;

  /** A stack of `layers`, or an empty one to fill with `add` (Keras's Sequential()). */
  constructor(layers: readonly Layer[] = [], name?: string) {
    super(name ?? 'sequential');
    if (!Array.isArray(layers)) throw new ConfigError('sequential: expected an array of layers.');
    layers.forEach((l, i) => {
      if (!(l instanceof Layer)) throw new ConfigError(`sequential: element ${i} is not a Layer.`);
    });
    // Given names first, so that the generated ones avoid them.
    const used = new Set(layers.map((l) => l.name).filter(Boolean));
    if (used.size !== layers.filter((l) => l.name).length)
      throw new ConfigError('sequential: layer names must be unique.');
    for (const layer of layers) this.push(layer, used);
    // When the first layer knows its input size, build the whole stack now, so that
    // parameters() is complete before any data is seen (an optimiser can be made at once).
    const inputShape = this.knownInputShape();
    if (inputShape) this.buildFor(inputShape, this.layers[0].dtype);
  }

  /**
   * Appends a layer (Keras's model.add): `model.add(nn.dense({ units: 500, inputDim: 784 }))`.
   * A stack already built (its first layer knows its input size) builds the new layer at once.
   */
  add(layer: Layer): this {
    if (!(layer instanceof Layer))
      throw new ConfigError(`sequential.add: expected a Layer, got ${String(layer)}.`);
    const used = new Set(this.layers.map((l) => l.name));
    if (layer.name && used.has(layer.name))
      throw new ConfigError(`sequential.add: a layer named '${layer.name}' is already in ${this.label}.`);
    this.push(layer, used);
    if (this.isBuilt && this.builtInputShape) {
      let shape: Shape = this.builtInputShape;
      for (const l of this.layers.slice(0, -1)) shape = l.outputShape(shape);
      layer.buildFor(shape, this.dtype);
    } else if (this.layers.length === 1) {
      const inputShape = layer.knownInputShape();
      if (inputShape) this.buildFor(inputShape, layer.dtype);
    }
    return this;
  }

  /** Names an unnamed layer `<kind>_<n>`, the first n free, and appends it. */
  private push(layer: Layer, used: Set<string>): void {
    if (this.layers.includes(layer)) throw new ConfigError(`sequential: ${layer.label} is added twice.`);
    if (!layer.name) {
      let n = 0;
      do n++;
      while (used.has(`${layer.kind}_${n}`));
      layer.name = `${layer.kind}_${n}`;
    }
    used.add(layer.name);
    this.layers.push(layer);
  }

  override knownInputShape(): number[] | null {
    return this.layers[0]?.knownInputShape() ?? null;
  }

  // The first layer that says, looking through those that keep any shape (activations, dropout).
  override expectedInputRank(): number | null {
    for (const layer of this.layers) {
      const rank = layer.expectedInputRank();
      if (rank !== null) return rank;
      if (!(layer instanceof Activation || layer instanceof PRelu || layer instanceof Dropout)) return null;
    }
    return null;
  }

  protected override build(inputShape: Shape): void {
    if (this.layers.length === 0) throw this.empty();
    this.builtInputShape = [...inputShape];
    let shape: Shape = inputShape;
    for (const layer of this.layers) {
      layer.buildFor(shape, this.dtype);
      shape = layer.outputShape(shape);
    }
  }

  private empty(): ConfigError {
    return new ConfigError(`${this.label}: the model has no layers yet; add some with model.add(layer).`);
  }

  forward(x: Tensor, options: ForwardOptions): Tensor {
    if (this.layers.length === 0) throw this.empty();
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
    return {
      layers: this.layers.map((l) => ({
        kind: l.kind,
        name: l.name,
        config: l.config(),
        ...(l.trainable ? {} : { trainable: false }),
      })),
    };
  }

  /**
   * A table of layers, output shapes and parameter counts. `inputShape` may leave out the batch
   * dimension when the stack knows its input rank (its first layer was given its input size, or
   * it was built); an unbuilt stack is built for it, so the counts are complete before any data.
   */
  summary(inputShape?: Shape): string {
    const rows: string[][] = [['layer', 'kind', 'output shape', 'parameters']];
    const known = this.builtInputShape ?? this.knownInputShape();
    let shape: number[] | undefined;
    if (inputShape) {
      shape = known && inputShape.length === known.length - 1 ? [1, ...inputShape] : [...inputShape];
      if (known && shape.length !== known.length) {
        throw this.shapeError(
          `summary: input shape ${formatShape(inputShape)} does not fit the model's input ${formatShape(known.map((d, i) => (i === 0 ? 1 : d)))} (with or without the batch dimension).`,
        );
      }
      if (!this.isBuilt) this.buildFor(shape);
    } else if (known) {
      shape = [...known];
    }
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

export function sequential(layers: readonly Layer[] = [], name?: string): Sequential {
  return new Sequential(layers, name);
}

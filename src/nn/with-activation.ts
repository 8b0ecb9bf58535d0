/**
 * A layer followed by an optional activation (`dense({ activation: 'relu' })`,
 * `conv2d({ activation: 'prelu' })`). The activation is a child layer, so a learned one
 * (prelu's α) is trained and saved, under this layer's name: `dense_1.activation.alpha`.
 */
import type { Tensor } from '../tensor/tensor.js';
import { activation as makeActivation, type ActivationName } from './activations.js';
import { Layer, type ForwardOptions } from './layer.js';

export abstract class WithActivation extends Layer {
  protected readonly activationLayer: Layer | null;

  constructor(name: string | undefined, activation: ActivationName | undefined) {
    super(name);
    this.activationLayer = activation ? makeActivation(activation, { name: 'activation' }) : null;
  }

  /** Builds the activation for this layer's output shape (call at the end of build). */
  protected buildActivation(outputShape: readonly number[]): void {
    this.activationLayer?.buildFor(outputShape, this.dtype);
    this.nameActivationParameters();
  }

  /** Applies the activation, if any, to the layer's pre-activation z. */
  protected activate(z: Tensor, options: ForwardOptions): Tensor {
    return this.activationLayer ? this.activationLayer.call(z, options) : z;
  }

  override get name(): string {
    return super.name;
  }

  override set name(value: string) {
    super.name = value;
    this.nameActivationParameters();
  }

  private nameActivationParameters(): void {
    for (const [qualified, t] of this.activationLayer?.namedParameters() ?? [])
      t.name = `${this.label}.${qualified}`;
  }

  // Listed once built (with this layer's own parameters): an unbuilt layer is a leaf, so saving
  // refuses it and loading builds it from its weights' shapes, as any other.
  override children(): Layer[] {
    return this.built && this.activationLayer ? [this.activationLayer] : [];
  }

  override namedParameters(): Array<[string, Tensor]> {
    const fromActivation = new Set(this.activationLayer?.parameters() ?? []);
    return super.namedParameters().map(([n, t]) => [fromActivation.has(t) ? `${this.label}.${n}` : n, t]);
  }
}

/**
 * The fully connected layer, in the lectures' notation (and PyTorch's weight layout):
 *
 *   zˡ = wˡ aˡ⁻¹ + bˡ,   aˡ = σ(zˡ)        w: [units, inFeatures],  b: [units]
 *
 * applied to a batch as Z = X·Wᵀ + b. The activation σ is optional (default: none); it is a
 * child layer named 'activation', so a learned one (prelu's α) is among the parameters —
 * trained, and saved as `<dense>.activation.alpha`.
 */
import { ConfigError, checkPositiveInt } from '../errors.js';
import { linear } from '../ops/matmul.js';
import { formatShape, type Shape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { Activation, type ActivationName } from './activations.js';
import { getInitializer, type Initializer, type InitializerName } from './initializers.js';
import type { ForwardOptions } from './layer.js';
import { WithActivation } from './with-activation.js';

export interface DenseOptions {
  units: number;
  /** Input features; inferred from the first input when omitted. */
  inFeatures?: number;
  /** Keras's name for inFeatures (`dense({ units: 500, inputDim: 784 })`); give one or the other. */
  inputDim?: number;
  activation?: ActivationName;
  useBias?: boolean;
  /** Default glorotUniform (as in Keras). */
  kernelInitializer?: InitializerName | Initializer;
  /** Default zeros. */
  biasInitializer?: InitializerName | Initializer;
  name?: string;
}

export class Dense extends WithActivation {
  readonly kind = 'dense';
  readonly units: number;
  inFeatures?: number;
  weight!: Tensor;
  bias: Tensor | null = null;

  constructor(private readonly options: DenseOptions) {
    super(options.name, options.activation);
    this.units = checkPositiveInt('dense', 'units', options.units);
    if (
      options.inFeatures !== undefined &&
      options.inputDim !== undefined &&
      options.inFeatures !== options.inputDim
    )
      throw new ConfigError(
        `dense: inFeatures (${options.inFeatures}) and its Keras name inputDim (${options.inputDim}) disagree; give one.`,
      );
    if (options.inFeatures !== undefined)
      this.inFeatures = checkPositiveInt('dense', 'inFeatures', options.inFeatures);
    else if (options.inputDim !== undefined)
      this.inFeatures = checkPositiveInt('dense', 'inputDim', options.inputDim);
    getInitializer(options.kernelInitializer ?? 'glorotUniform');
    if (this.inFeatures !== undefined) this.buildFor([1, this.inFeatures]);
  }

  protected override needsBuild(): boolean {
    return true;
  }

  override expectedInputRank(): number {
    return 2;
  }

  override knownInputShape(): number[] | null {
    return this.inFeatures === undefined ? null : [1, this.inFeatures];
  }

  protected override build(inputShape: Shape): void {
    if (inputShape.length !== 2) {
      throw this.shapeError(
        `expected input shaped [batch, features], got ${formatShape(inputShape)} (add a flatten layer before it?).`,
      );
    }
    this.inFeatures ??= inputShape[1];
    const context = { fanIn: this.inFeatures, fanOut: this.units, dtype: this.dtype };
    const kernelInit = getInitializer(this.options.kernelInitializer ?? 'glorotUniform');
    this.weight = this.addParameter('weight', kernelInit([this.units, this.inFeatures], context));
    if (this.options.useBias ?? true) {
      this.bias = this.addParameter(
        'bias',
        getInitializer(this.options.biasInitializer ?? 'zeros')([this.units], context),
      );
    }
    this.buildActivation([inputShape[0], this.units]);
  }

  protected override checkInput(x: Tensor): void {
    if (x.rank !== 2 || x.shape[1] !== this.inFeatures) {
      throw this.shapeError(
        `expected input shaped [batch, ${this.inFeatures}] (${this.inFeatures} features), got ${formatShape(x.shape)}.`,
      );
    }
  }

  forward(x: Tensor, options: ForwardOptions): Tensor {
    // An element-wise activation runs inside linear's fused bias pass; others (prelu, softmax) after it.
    const fused = this.activationLayer instanceof Activation ? this.activationLayer.elementwise() : null;
    if (fused) return linear(x, this.weight, this.bias, fused);
    return this.activate(linear(x, this.weight, this.bias), options);
  }

  override outputShape(inputShape: Shape): number[] {
    return [inputShape[0], this.units];
  }

  config(): Record<string, unknown> {
    return {
      units: this.units,
      inFeatures: this.inFeatures,
      ...(this.options.activation ? { activation: this.options.activation } : {}),
      useBias: this.options.useBias ?? true,
    };
  }
}

export function dense(options: DenseOptions): Dense {
  return new Dense(options);
}

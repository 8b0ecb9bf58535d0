/**
 * The 2-D convolutional layer (NCHW, PyTorch's weight layout):
 *
 *   y[n, o] = b[o] + Σ_c w[o, c] ⋆ x[n, c]        w: [outChannels, inChannels/groups, kH, kW],  b: [outChannels]
 *
 * where ⋆ is the cross-correlation of ops/conv.ts (stride, padding incl. 'same', dilation,
 * groups). The activation is optional (default: none). The input channel count is
 * inferred from the first input unless given; give `inputShape` ([C, H, W]) to build the
 * layer — and a sequential model it starts — before any data is seen.
 */
import { ConfigError, checkPositiveInt } from '../errors.js';
import { conv2d as conv2dOp, pair, window2d, type Padding, type Pair } from '../ops/conv.js';
import { formatShape, type Shape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import type { ActivationName } from './activations.js';
import { getInitializer, type Initializer, type InitializerName } from './initializers.js';
import type { ForwardOptions } from './layer.js';
import { WithActivation } from './with-activation.js';

export interface Conv2dLayerOptions {
  outChannels: number;
  kernelSize: Pair;
  /** Input channels; inferred from the first input when omitted. */
  inChannels?: number;
  /** The input's [channels, height, width], when known in advance (builds the layer at once). */
  inputShape?: readonly [number, number, number];
  stride?: Pair;
  padding?: Padding;
  dilation?: Pair;
  groups?: number;
  activation?: ActivationName;
  useBias?: boolean;
  /** Default glorotUniform with fanIn = inChannels/groups·kH·kW, fanOut = outChannels/groups·kH·kW (as Keras). */
  kernelInitializer?: InitializerName | Initializer;
  /** Default zeros. */
  biasInitializer?: InitializerName | Initializer;
  name?: string;
}

export class Conv2d extends WithActivation {
  readonly kind = 'conv2d';
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly groups: number;
  inChannels?: number;
  weight!: Tensor;
  bias: Tensor | null = null;

  constructor(private readonly options: Conv2dLayerOptions) {
    super(options.name, options.activation);
    this.outChannels = checkPositiveInt('conv2d', 'outChannels', options.outChannels);
    this.kernelSize = pair('conv2d', 'kernelSize', options.kernelSize);
    this.groups = checkPositiveInt('conv2d', 'groups', options.groups ?? 1);
    pair('conv2d', 'stride', options.stride ?? 1);
    pair('conv2d', 'dilation', options.dilation ?? 1);
    if (options.inputShape) {
      if (options.inputShape.length !== 3 || !options.inputShape.every((d) => Number.isInteger(d) && d > 0)) {
        throw new ConfigError(
          `conv2d: inputShape must be [channels, height, width], got ${JSON.stringify(options.inputShape)}.`,
        );
      }
      if (options.inChannels !== undefined && options.inChannels !== options.inputShape[0]) {
        throw new ConfigError(
          `conv2d: inChannels ${options.inChannels} contradicts inputShape ${formatShape(options.inputShape)}.`,
        );
      }
    }
    const inChannels = options.inChannels ?? options.inputShape?.[0];
    if (inChannels !== undefined) this.inChannels = checkPositiveInt('conv2d', 'inChannels', inChannels);
    if (this.outChannels % this.groups !== 0) {
      throw new ConfigError(
        `conv2d: outChannels ${this.outChannels} must be divisible by groups ${this.groups}.`,
      );
    }
    getInitializer(options.kernelInitializer ?? 'glorotUniform');
    if (options.inputShape) this.buildFor([1, ...options.inputShape]);
  }

  protected override needsBuild(): boolean {
    return true;
  }

  override expectedInputRank(): number {
    return 4;
  }

  override knownInputShape(): number[] | null {
    return this.options.inputShape ? [1, ...this.options.inputShape] : null;
  }

  private get where(): string {
    return `${this.label} (conv2d)`;
  }

  protected override build(inputShape: Shape): void {
    if (inputShape.length !== 4) {
      throw this.shapeError(
        `expected input shaped [batch, channels, height, width], got ${formatShape(inputShape)}.`,
      );
    }
    this.inChannels ??= inputShape[1];
    if (this.inChannels % this.groups !== 0) {
      throw this.shapeError(`${this.inChannels} input channels do not split into ${this.groups} groups.`);
    }
    const [kH, kW] = this.kernelSize;
    const area = kH * kW;
    const context = {
      fanIn: (this.inChannels / this.groups) * area,
      fanOut: (this.outChannels / this.groups) * area,
      dtype: this.dtype,
    };
    const kernelInit = getInitializer(this.options.kernelInitializer ?? 'glorotUniform');
    this.weight = this.addParameter(
      'weight',
      kernelInit([this.outChannels, this.inChannels / this.groups, kH, kW], context),
    );
    if (this.options.useBias ?? true) {
      this.bias = this.addParameter(
        'bias',
        getInitializer(this.options.biasInitializer ?? 'zeros')([this.outChannels], context),
      );
    }
    this.buildActivation([inputShape[0], this.outChannels, 1, 1]);
  }

  protected override checkInput(x: Tensor): void {
    if (x.rank !== 4 || x.shape[1] !== this.inChannels) {
      throw this.shapeError(
        `expected input shaped [batch, ${this.inChannels}, height, width] (${this.inChannels} channels), got ${formatShape(x.shape)}.`,
      );
    }
  }

  forward(x: Tensor, options: ForwardOptions): Tensor {
    const { stride, padding, dilation } = this.options;
    const z = conv2dOp(x, this.weight, this.bias, {
      stride,
      padding,
      dilation,
      groups: this.groups,
      name: this.where,
    });
    return this.activate(z, options);
  }

  override outputShape(inputShape: Shape): number[] {
    const { stride, padding, dilation } = this.options;
    const g = window2d(this.where, inputShape, this.kernelSize, { stride, padding, dilation });
    return [inputShape[0], this.outChannels, g.outH, g.outW];
  }

  config(): Record<string, unknown> {
    const o = this.options;
    return {
      outChannels: this.outChannels,
      kernelSize: this.kernelSize,
      inChannels: this.inChannels,
      ...(o.inputShape ? { inputShape: [...o.inputShape] } : {}),
      stride: o.stride ?? 1,
      padding: o.padding ?? 0,
      dilation: o.dilation ?? 1,
      groups: this.groups,
      ...(o.activation ? { activation: o.activation } : {}),
      useBias: o.useBias ?? true,
    };
  }
}

export function conv2d(options: Conv2dLayerOptions): Conv2d {
  return new Conv2d(options);
}

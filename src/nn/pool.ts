/**
 * Pooling layers (NCHW), without parameters: `maxPool2d(2)`, `avgPool2d({ kernelSize: 3,
 * stride: 2, padding: 1 })`, `globalAvgPool2d()`. The stride defaults to the kernel size;
 * see ops/pool.ts for the arithmetic and its gradient.
 */
import { pair, window2d, type Padding, type Pair } from '../ops/conv.js';
import {
  avgPool2d as avgPoolOp,
  globalAvgPool2d as globalAvgPoolOp,
  maxPool2d as maxPoolOp,
} from '../ops/pool.js';
import { reshape } from '../ops/shape.js';
import { formatShape, type Shape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { Layer } from './layer.js';

export interface Pool2dLayerOptions {
  kernelSize: Pair;
  /** Default: the kernel size. */
  stride?: Pair;
  padding?: Padding;
  dilation?: Pair;
  /** Round the output size up (PyTorch's ceil_mode). */
  ceilMode?: boolean;
  name?: string;
}

export interface AvgPool2dLayerOptions extends Pool2dLayerOptions {
  /** Whether padding counts in the divisor (default true, as PyTorch). */
  countIncludePad?: boolean;
}

abstract class Pool2d extends Layer {
  readonly kernelSize: [number, number];

  constructor(protected readonly options: AvgPool2dLayerOptions) {
    super(options.name);
    this.kernelSize = pair('pooling', 'kernelSize', options.kernelSize);
    pair('pooling', 'stride', options.stride ?? 1);
    pair('pooling', 'dilation', options.dilation ?? 1);
    this.built = true; // nothing to build: no parameters
  }

  protected get where(): string {
    return `${this.label} (${this.kind})`;
  }

  protected get windowOptions() {
    const { stride, padding, dilation, ceilMode } = this.options;
    return { stride: stride ?? this.kernelSize, padding, dilation, ceilMode, name: this.where };
  }

  protected override checkInput(x: Tensor): void {
    if (x.rank !== 4)
      throw this.shapeError(
        `expected input shaped [batch, channels, height, width], got ${formatShape(x.shape)}.`,
      );
  }

  override outputShape(inputShape: Shape): number[] {
    const g = window2d(this.where, inputShape, this.kernelSize, this.windowOptions);
    return [inputShape[0], inputShape[1], g.outH, g.outW];
  }

  config(): Record<string, unknown> {
    const o = this.options;
    return {
      kernelSize: this.kernelSize,
      stride: o.stride ?? this.kernelSize,
      padding: o.padding ?? 0,
      dilation: o.dilation ?? 1,
      ceilMode: o.ceilMode ?? false,
    };
  }
}

export class MaxPool2d extends Pool2d {
  readonly kind = 'maxPool2d';

  forward(x: Tensor): Tensor {
    return maxPoolOp(x, this.kernelSize, this.windowOptions);
  }
}

export class AvgPool2d extends Pool2d {
  readonly kind = 'avgPool2d';

  forward(x: Tensor): Tensor {
    return avgPoolOp(x, this.kernelSize, {
      ...this.windowOptions,
      countIncludePad: this.options.countIncludePad ?? true,
    });
  }

  override config(): Record<string, unknown> {
    return { ...super.config(), countIncludePad: this.options.countIncludePad ?? true };
  }
}

const asOptions = (o: Pair | AvgPool2dLayerOptions): AvgPool2dLayerOptions =>
  typeof o === 'number' || Array.isArray(o) ? { kernelSize: o as Pair } : (o as AvgPool2dLayerOptions);

/** Max pooling: `maxPool2d(2)` or `maxPool2d({ kernelSize: 3, stride: 2, padding: 1 })`. */
export function maxPool2d(options: Pair | Pool2dLayerOptions): MaxPool2d {
  return new MaxPool2d(asOptions(options));
}

/** Average pooling: `avgPool2d(2)` or `avgPool2d({ kernelSize: 2, countIncludePad: false })`. */
export function avgPool2d(options: Pair | AvgPool2dLayerOptions): AvgPool2d {
  return new AvgPool2d(asOptions(options));
}

export interface GlobalAvgPool2dOptions {
  /** Keep the pooled dimensions: [N, C, 1, 1] (true) or [N, C] (false, the default, ready for a dense layer). */
  keepDims?: boolean;
  name?: string;
}

/** The mean of each channel: [N, C, H, W] → [N, C] (or [N, C, 1, 1]). */
export class GlobalAvgPool2d extends Layer {
  readonly kind = 'globalAvgPool2d';
  readonly keepDims: boolean;

  constructor(options: GlobalAvgPool2dOptions = {}) {
    super(options.name);
    this.keepDims = options.keepDims ?? false;
    this.built = true; // nothing to build: no parameters
  }

  protected override checkInput(x: Tensor): void {
    if (x.rank !== 4)
      throw this.shapeError(
        `expected input shaped [batch, channels, height, width], got ${formatShape(x.shape)}.`,
      );
  }

  forward(x: Tensor): Tensor {
    const y = globalAvgPoolOp(x);
    return this.keepDims ? y : reshape(y, [x.shape[0], x.shape[1]]);
  }

  override outputShape(inputShape: Shape): number[] {
    return this.keepDims ? [inputShape[0], inputShape[1], 1, 1] : [inputShape[0], inputShape[1]];
  }

  config(): Record<string, unknown> {
    return { keepDims: this.keepDims };
  }
}

export function globalAvgPool2d(options: GlobalAvgPool2dOptions = {}): GlobalAvgPool2d {
  return new GlobalAvgPool2d(options);
}

/**
 * The flatten layer: [N, d₁, d₂, …] → [N, d₁·d₂·…], the bridge from convolutional feature
 * maps (NCHW) to dense layers. Row-major, so the order of the features is PyTorch's
 * `nn.Flatten()` (channel, then row, then column) and weights move between them as they are.
 */
import { reshape } from '../ops/shape.js';
import { formatShape, type Shape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { Layer } from './layer.js';

export interface FlattenOptions {
  name?: string;
}

export class Flatten extends Layer {
  readonly kind = 'flatten';

  constructor(options: FlattenOptions = {}) {
    super(options.name);
    this.built = true; // nothing to build: no parameters
  }

  protected override checkInput(x: Tensor): void {
    if (x.rank < 1) throw this.shapeError(`expected input shaped [batch, ...], got ${formatShape(x.shape)}.`);
  }

  forward(x: Tensor): Tensor {
    if (x.rank === 2) return x;
    return reshape(x, [x.shape[0], features(x.shape)]);
  }

  override outputShape(inputShape: Shape): number[] {
    return [inputShape[0], features(inputShape)];
  }

  config(): Record<string, unknown> {
    return {};
  }
}

function features(shape: Shape): number {
  let n = 1;
  for (let i = 1; i < shape.length; i++) n *= shape[i];
  return n;
}

/** `flatten()`: [N, ...] → [N, product of the rest]. */
export function flatten(options: FlattenOptions = {}): Flatten {
  return new Flatten(options);
}

/**
 * Activation layers: the units of the lectures as layers, by name.
 * `prelu` learns its negative slope α (one per feature/channel, or one shared).
 */
import { ConfigError, unknownName } from '../errors.js';
import * as act from '../ops/activation.js';
import type { LinearActivation } from '../ops/matmul.js';
import { reshape } from '../ops/shape.js';
import { full } from '../tensor/creation.js';
import type { Shape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { Layer, type ForwardOptions } from './layer.js';

const functions = {
  linear: (x: Tensor) => x,
  step: act.step,
  sigmoid: act.sigmoid,
  tanh: act.tanh,
  relu: act.relu,
  leakyRelu: (x: Tensor, alpha?: number) => act.leakyRelu(x, alpha ?? 0.01),
  elu: (x: Tensor, alpha?: number) => act.elu(x, alpha ?? 1),
  softplus: act.softplus,
  softmax: (x: Tensor) => act.softmax(x, -1),
  logSoftmax: (x: Tensor) => act.logSoftmax(x, -1),
} as const;

export type ActivationName = keyof typeof functions | 'prelu';
export const activationNames: readonly ActivationName[] = [
  ...(Object.keys(functions) as ActivationName[]),
  'prelu',
];

export class Activation extends Layer {
  constructor(
    readonly kind: keyof typeof functions,
    readonly alpha?: number,
    name?: string,
  ) {
    super(name);
    if (!(kind in functions)) unknownName('activation', kind, activationNames);
  }

  forward(x: Tensor): Tensor {
    return functions[this.kind](x, this.alpha);
  }

  /**
   * The activation as one element-wise kernel op with its constant (relu, sigmoid, tanh,
   * step, softplus, leakyRelu α, elu α), for layers that fuse it into their own pass; null
   * for those that are not element-wise (softmax) or the identity.
   */
  elementwise(): LinearActivation | null {
    switch (this.kind) {
      case 'step':
      case 'sigmoid':
      case 'tanh':
      case 'relu':
      case 'softplus':
        return { op: this.kind };
      case 'leakyRelu':
        return { op: 'leakyRelu', p0: this.alpha ?? 0.01 };
      case 'elu':
        return { op: 'elu', p0: this.alpha ?? 1 };
      default:
        return null;
    }
  }

  config(): Record<string, unknown> {
    return this.alpha === undefined ? {} : { alpha: this.alpha };
  }
}

export interface PreluOptions {
  /** 'channel': one α per feature (axis 1), as PyTorch's PReLU(num_parameters=C); 'shared': one α. */
  alphaPer?: 'channel' | 'shared';
  /** Initial slope (PyTorch's default 0.25). */
  init?: number;
  name?: string;
}

export class PRelu extends Layer {
  readonly kind = 'prelu';
  alpha!: Tensor;
  readonly alphaPer: 'channel' | 'shared';
  readonly init: number;

  constructor(options: PreluOptions = {}) {
    super(options.name);
    this.alphaPer = options.alphaPer ?? 'channel';
    this.init = options.init ?? 0.25;
    if (this.alphaPer !== 'channel' && this.alphaPer !== 'shared') {
      throw new ConfigError(`prelu: alphaPer must be 'channel' or 'shared', got '${String(this.alphaPer)}'.`);
    }
  }

  protected override build(inputShape: Shape): void {
    const count = this.alphaPer === 'channel' && inputShape.length > 1 ? inputShape[1] : 1;
    this.alpha = this.addParameter('alpha', full([count], this.init, { dtype: this.dtype }), 'weight');
  }

  protected override needsBuild(): boolean {
    return true;
  }

  forward(x: Tensor, _options: ForwardOptions): Tensor {
    // Per-channel α must line up with axis 1: [C] for [N, C], [C, 1, 1] for [N, C, H, W].
    const alpha =
      x.rank > 2 && this.alpha.size > 1
        ? reshape(this.alpha, [this.alpha.size, ...new Array(x.rank - 2).fill(1)])
        : this.alpha;
    return act.prelu(x, alpha);
  }

  config(): Record<string, unknown> {
    return { alphaPer: this.alphaPer, init: this.init };
  }
}

/** An activation layer by name: `activation('relu')`. */
export function activation(
  name: ActivationName | string,
  options: { alpha?: number; name?: string } = {},
): Layer {
  if (name === 'prelu') return new PRelu({ name: options.name });
  if (!(name in functions)) unknownName('activation', name, activationNames);
  return new Activation(name as keyof typeof functions, options.alpha, options.name);
}

/**
 * The dropout layer: in training, each unit of its input is zeroed with probability
 * `rate`, with a fresh mask from the seeded RNG at every call; see ops/dropout.ts.
 *
 *   mode 'inverted' (default):  training y = x ⊙ mask / (1 − rate),  inference y = x
 *   mode 'scaleAtTest':         training y = x ⊙ mask,              inference y = (1 − rate)·x
 *
 * 'scaleAtTest' is the lectures' "multiply the outgoing weights by the keep probability at
 * test time", applied to the activations (the same thing for the next layer). Put a dropout
 * layer first to drop inputs (the original paper keeps inputs with p = 0.8, i.e. rate 0.2).
 *
 * `rate` is the fraction of units dropped, as Keras's `Dropout(rate)` and PyTorch's
 * `Dropout(p)`: `dropout({ rate: 0.7 })` is Keras's `Dropout(0.7)` and keeps 30% of the units
 * (TensorFlow 1's `keep_prob` was the other way round: keep_prob 0.7 is rate 0.3 here).
 */
import { ConfigError } from '../errors.js';
import { dropout as dropoutOp, type DropoutMode } from '../ops/dropout.js';
import type { Rng } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { Layer, type ForwardOptions } from './layer.js';

export interface DropoutLayerOptions {
  rate: number;
  mode?: DropoutMode;
  /** The generator for the masks (default: the global one, see setSeed). */
  rng?: Rng;
  name?: string;
}

export class Dropout extends Layer {
  readonly kind = 'dropout';
  readonly rate: number;
  readonly mode: DropoutMode;
  private readonly rng?: Rng;

  constructor(options: DropoutLayerOptions) {
    super(options.name);
    this.rate = options.rate;
    this.mode = options.mode ?? 'inverted';
    this.rng = options.rng;
    if (!(typeof this.rate === 'number' && this.rate >= 0 && this.rate < 1)) {
      throw new ConfigError(`dropout: rate must be in [0, 1), got ${this.rate}.`);
    }
    if (this.mode !== 'inverted' && this.mode !== 'scaleAtTest') {
      throw new ConfigError(
        `dropout: unknown mode '${String(this.mode)}'. Valid modes: inverted, scaleAtTest.`,
      );
    }
    this.built = true; // nothing to build: no parameters
  }

  forward(x: Tensor, options: ForwardOptions): Tensor {
    return dropoutOp(x, this.rate, { training: options.training ?? false, mode: this.mode, rng: this.rng });
  }

  config(): Record<string, unknown> {
    return { rate: this.rate, mode: this.mode };
  }
}

/** `dropout(0.5)` or `dropout({ rate: 0.5, mode: 'scaleAtTest' })`. */
export function dropout(options: number | DropoutLayerOptions): Dropout {
  return new Dropout(typeof options === 'number' ? { rate: options } : options);
}

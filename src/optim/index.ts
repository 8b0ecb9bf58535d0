/** optim: optimisers as pure gradient transformations, their stateful wrapper, schedules, names. */
import { ConfigError, unknownName } from '../errors.js';
import { sgd } from './sgd.js';
import type { GradientTransformation, OptState, ScheduleLike } from './transform.js';

export * from './transform.js';
export * from './sgd.js';
export * from './schedules.js';
export { Optimizer } from './optimizer.js';

/** Hyper-parameters accepted by name-based construction (compile and the CLI). */
export interface NamedOptimizerOptions {
  lr?: ScheduleLike;
  momentum?: number;
  [key: string]: unknown;
}

type Factory = (options: NamedOptimizerOptions) => GradientTransformation<OptState>;

/** Optimisers usable by name, as in `compile({ optimizer: 'sgd' })` and `--optimizer`. */
export const optimizers: Record<string, Factory> = {
  sgd: (o) => sgd({ lr: o.lr }) as GradientTransformation<OptState>,
};

export function getOptimizer(name: string, options: NamedOptimizerOptions = {}): GradientTransformation<OptState> {
  const factory = optimizers[name];
  if (!factory) unknownName('optimizer', name, Object.keys(optimizers));
  if (typeof options.lr === 'number' && !(options.lr > 0)) {
    throw new ConfigError(`optimizer '${name}': learning rate must be positive, got ${options.lr}.`);
  }
  return factory(options);
}

/**
 * Optimisers by name, as `compile({ optimizer: 'adam' })` and `--optimizer adam` use them.
 * Each name maps to the factory with that name in this folder, with its documented
 * defaults (PyTorch's wherever PyTorch has the optimiser); options a factory does not take
 * are refused with the list of those it does.
 */
import { ConfigError, unknownName } from '../errors.js';
import { adadelta } from './adadelta.js';
import { adagrad } from './adagrad.js';
import { adam, amsgrad, ADAM_OPTIONS } from './adam.js';
import { adamax } from './adamax.js';
import { adamw } from './adamw.js';
import { lbfgs } from './lbfgs.js';
import { momentum } from './momentum.js';
import { nadam } from './nadam.js';
import { nesterov } from './nesterov.js';
import { newton } from './newton.js';
import { quickprop } from './quickprop.js';
import { rmsprop } from './rmsprop.js';
import { rprop } from './rprop.js';
import { sgd, SGD_OPTIONS } from './sgd.js';
import { erase, type GradientTransformation, type OptState, type ScheduleLike } from './transform.js';

/** Hyper-parameters accepted by name-based construction (compile and the CLI). */
export interface NamedOptimizerOptions {
  lr?: ScheduleLike;
  momentum?: number;
  [key: string]: unknown;
}

type Factory = (options: NamedOptimizerOptions) => GradientTransformation<OptState>;

// The factories validate their own options.
const as =
  <T, S extends OptState>(make: (options: T) => GradientTransformation<S>): Factory =>
  (options) =>
    erase(make(options as T));

/** Optimisers usable by name, as in `compile({ optimizer: 'sgd' })` and `--optimizer`. */
export const optimizers = {
  sgd: as(sgd),
  momentum: as(momentum),
  nesterov: as(nesterov),
  adagrad: as(adagrad),
  rmsprop: as(rmsprop),
  adadelta: as(adadelta),
  adam: as(adam),
  adamw: as(adamw),
  adamax: as(adamax),
  nadam: as(nadam),
  amsgrad: as(amsgrad),
  rprop: as(rprop),
  quickprop: as(quickprop),
  lbfgs: as(lbfgs),
  newton: as(newton),
} as const satisfies Record<string, Factory>;

/** The optimiser names (a typo is a compile error): `compile({ optimizer: 'adam' })`. */
export type OptimizerName = keyof typeof optimizers;
export const optimizerNames = Object.keys(optimizers) as OptimizerName[];

/** A string from outside (a flag, a saved record) as an optimiser name; unknown names are refused. */
export function asOptimizerName(name: string): OptimizerName {
  if (!isOptimizerName(name)) unknownName('optimizer', name, optimizerNames);
  return name;
}

/** Whether a string (a command-line flag) names an optimiser. */
export function isOptimizerName(name: string): name is OptimizerName {
  return Object.hasOwn(optimizers, name);
}

const OPTION_NAMES: Record<OptimizerName, readonly string[]> = {
  sgd: SGD_OPTIONS,
  momentum: ['lr', 'momentum'],
  nesterov: ['lr', 'momentum', 'weightDecay'],
  adagrad: ['lr', 'lrDecay', 'weightDecay', 'initialAccumulatorValue', 'eps'],
  rmsprop: ['lr', 'alpha', 'eps', 'weightDecay', 'momentum', 'centered'],
  adadelta: ['lr', 'rho', 'eps', 'weightDecay'],
  adam: ADAM_OPTIONS,
  adamw: ['lr', 'beta1', 'beta2', 'eps', 'weightDecay', 'amsgrad', 'decayMask'],
  adamax: ['lr', 'beta1', 'beta2', 'eps', 'weightDecay'],
  nadam: ['lr', 'beta1', 'beta2', 'eps', 'momentumDecay', 'weightDecay', 'pytorch113'],
  amsgrad: ADAM_OPTIONS.filter((k) => k !== 'amsgrad'),
  rprop: ['lr', 'etaMinus', 'etaPlus', 'stepSizeMin', 'stepSizeMax', 'variant'],
  quickprop: ['lr', 'maxGrowth'],
  lbfgs: ['lr', 'maxIter', 'maxEval', 'toleranceGrad', 'toleranceChange', 'historySize', 'lineSearch'],
  newton: ['lr', 'damping', 'maxParameters'],
};

/**
 * Each optimiser's default learning rate η₀ (its factory's `lr` default, PyTorch's where PyTorch
 * has it): the base of a schedule given without a rate.
 */
const DEFAULT_LR: Record<OptimizerName, number> = {
  sgd: 0.01,
  momentum: 0.01,
  nesterov: 0.01,
  adagrad: 0.01,
  rmsprop: 0.01,
  adadelta: 1,
  adam: 1e-3,
  adamw: 1e-3,
  adamax: 2e-3,
  nadam: 2e-3,
  amsgrad: 1e-3,
  rprop: 0.01,
  quickprop: 0.01,
  lbfgs: 1,
  newton: 1,
};

export function defaultLearningRate(name: OptimizerName): number {
  return DEFAULT_LR[asOptimizerName(name)];
}

/** The option names a registered optimiser takes (empty for names registered elsewhere). */
export function optimizerOptions(name: OptimizerName): readonly string[] {
  if (!isOptimizerName(name)) unknownName('optimizer', name, optimizerNames);
  return OPTION_NAMES[name];
}

export function getOptimizer(
  name: OptimizerName,
  options: NamedOptimizerOptions = {},
): GradientTransformation<OptState> {
  if (!isOptimizerName(name)) unknownName('optimizer', name, optimizerNames);
  const factory = optimizers[name];
  if (typeof options.lr === 'number' && !(options.lr > 0)) {
    throw new ConfigError(`optimizer '${name}': learning rate must be positive, got ${options.lr}.`);
  }
  // Absent and undefined are the same: the factory's default applies.
  const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  return factory(given);
}

/** optim: optimisers as pure gradient transformations, their stateful wrapper, schedules, names. */
export * from './transform.js';
export * from './sgd.js';
export * from './momentum.js';
export * from './nesterov.js';
export * from './adagrad.js';
export * from './rmsprop.js';
export * from './adadelta.js';
export * from './adam.js';
export * from './adamw.js';
export * from './adamax.js';
export * from './nadam.js';
export * from './rprop.js';
export * from './quickprop.js';
export * from './newton.js';
export * from './lbfgs.js';
export * from './perceptron.js';
export * from './clipping.js';
export * from './regularizers.js';
export * from './accumulate.js';
export * from './schedules.js';
export * from './cost.js';
export * from './build.js';
export { isBias, type ParamMask } from './util.js';
export {
  optimizers,
  optimizerNames,
  isOptimizerName,
  asOptimizerName,
  getOptimizer,
  optimizerOptions,
  defaultLearningRate,
  type OptimizerName,
  type NamedOptimizerOptions,
} from './registry.js';
export { Optimizer, type Closure } from './optimizer.js';

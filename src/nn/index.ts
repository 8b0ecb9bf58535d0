/** nn: layers with parameters, initialisers, containers. */
export { Layer, type ForwardOptions } from './layer.js';
export { Dense, dense, type DenseOptions } from './dense.js';
export {
  Activation,
  PRelu,
  activation,
  activationNames,
  type ActivationName,
  type PreluOptions,
} from './activations.js';
export { Sequential, sequential } from './sequential.js';
export {
  FunctionalModel,
  SymbolicTensor,
  input,
  model,
  add,
  concatenate,
  applyLayer,
  functionalFromConfig,
  type InputOptions,
  type ModelOptions,
} from './functional.js';
export { Flatten, flatten, type FlattenOptions } from './flatten.js';
export { Conv2d, conv2d, type Conv2dLayerOptions } from './conv2d.js';
export {
  MaxPool2d,
  AvgPool2d,
  GlobalAvgPool2d,
  maxPool2d,
  avgPool2d,
  globalAvgPool2d,
  type Pool2dLayerOptions,
  type AvgPool2dLayerOptions,
  type GlobalAvgPool2dOptions,
} from './pool.js';
export {
  BatchNorm,
  batchNorm1d,
  batchNorm2d,
  type BatchNormLayerOptions,
  type BatchNormInference,
} from './batchnorm.js';
export { Dropout, dropout, type DropoutLayerOptions } from './dropout.js';
export {
  mlp,
  lenet1990,
  lenet5,
  fashionCnn,
  buildModel,
  modelNames,
  parameterCount,
  type ModelName,
  type ZooOptions,
  type MlpOptions,
  type Lenet1990Options,
  type Lenet5Options,
  type FashionCnnOptions,
  type BuildModelOptions,
} from './zoo.js';
export * as initializers from './initializers.js';
export { getInitializer, type Initializer, type InitializerName } from './initializers.js';
import { activation } from './activations.js';

export const relu = () => activation('relu');
export const sigmoid = () => activation('sigmoid');
export const tanh = () => activation('tanh');
export const step = () => activation('step');
export const softmax = () => activation('softmax');
export const softplus = () => activation('softplus');
export const leakyRelu = (alpha = 0.01) => activation('leakyRelu', { alpha });
export const elu = (alpha = 1) => activation('elu', { alpha });
export { PRelu as PReLU } from './activations.js';
import { PRelu, type PreluOptions } from './activations.js';
export const prelu = (options: PreluOptions = {}) => new PRelu(options);

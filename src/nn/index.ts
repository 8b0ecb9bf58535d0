/** nn: layers with parameters, initialisers, containers. */
export { Layer, type ForwardOptions } from './layer.js';
export { Dense, dense, type DenseOptions } from './dense.js';
export { Activation, PRelu, activation, activationNames, type ActivationName, type PreluOptions } from './activations.js';
export { Sequential, sequential } from './sequential.js';
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

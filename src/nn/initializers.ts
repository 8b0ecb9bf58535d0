/**
 * Weight initialisers. fanIn and fanOut count the connections into and out of one
 * unit (for a dense layer: inputs and units; for a convolution: channels × kernel area).
 *
 *   randomNormal    N(mean, std²)                    default N(0, 0.05²) (Keras)
 *   randomUniform   U[low, high]                     default U[−0.05, 0.05] (Keras)
 *   glorotUniform   U[−a, a],  a = √(6 / (fanIn + fanOut))     (Glorot & Bengio, 2010)
 *   glorotNormal    N(0, 2 / (fanIn + fanOut))
 *   heNormal        N(0, 2 / fanIn)                              (He et al., 2015; for ReLU)
 *   heUniform       U[−a, a],  a = √(6 / fanIn)
 *   lecunNormal     N(0, 1 / fanIn)                              (LeCun et al., 1998)
 *   zeros, ones
 *
 * The normal variants are plain (not truncated) normals, as in PyTorch's init functions.
 * All draw from the global seeded RNG unless given one.
 */
import { ConfigError, unknownName } from '../errors.js';
import { fromArray } from '../tensor/creation.js';
import { rng as globalRng, type Rng } from '../tensor/random.js';
import { sizeOf, type Shape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import type { DType } from '../backend/contract.js';

export interface InitContext {
  fanIn: number;
  fanOut: number;
  rng?: Rng;
  dtype?: DType;
}

export type Initializer = (shape: Shape, context: InitContext) => Tensor;

function sample(shape: Shape, context: InitContext, draw: (r: Rng) => number): Tensor {
  const r = context.rng ?? globalRng();
  const values = new Float64Array(sizeOf(shape));
  for (let i = 0; i < values.length; i++) values[i] = draw(r);
  return fromArray(values, shape, { dtype: context.dtype ?? 'float32' });
}

export const zeros = (): Initializer => (shape, c) => sample(shape, c, () => 0);
export const ones = (): Initializer => (shape, c) => sample(shape, c, () => 1);

export function randomNormal({ mean = 0, std = 0.05 } = {}): Initializer {
  if (!(std >= 0)) throw new ConfigError(`randomNormal: std must be non-negative, got ${std}.`);
  return (shape, c) => sample(shape, c, (r) => mean + std * r.normal());
}

export function randomUniform({ low = -0.05, high = 0.05 } = {}): Initializer {
  if (!(high >= low)) throw new ConfigError(`randomUniform: high (${high}) must be ≥ low (${low}).`);
  return (shape, c) => sample(shape, c, (r) => r.uniformIn(low, high));
}

export const glorotUniform = (): Initializer => (shape, c) => {
  const a = Math.sqrt(6 / (c.fanIn + c.fanOut));
  return sample(shape, c, (r) => r.uniformIn(-a, a));
};
export const glorotNormal = (): Initializer => (shape, c) => {
  const std = Math.sqrt(2 / (c.fanIn + c.fanOut));
  return sample(shape, c, (r) => std * r.normal());
};
export const heNormal = (): Initializer => (shape, c) => {
  const std = Math.sqrt(2 / c.fanIn);
  return sample(shape, c, (r) => std * r.normal());
};
export const heUniform = (): Initializer => (shape, c) => {
  const a = Math.sqrt(6 / c.fanIn);
  return sample(shape, c, (r) => r.uniformIn(-a, a));
};
export const lecunNormal = (): Initializer => (shape, c) => {
  const std = Math.sqrt(1 / c.fanIn);
  return sample(shape, c, (r) => std * r.normal());
};

export const initializers = {
  zeros,
  ones,
  randomNormal,
  randomUniform,
  glorotUniform,
  glorotNormal,
  heNormal,
  heUniform,
  lecunNormal,
} as const;

/** The initialiser names (a typo is a compile error): `dense({ kernelInitializer: 'heNormal' })`. */
export type InitializerName = keyof typeof initializers;
export const initializerNames = Object.keys(initializers) as InitializerName[];

/** Whether a string names an initialiser. */
export function isInitializerName(name: string): name is InitializerName {
  return Object.hasOwn(initializers, name);
}

export function getInitializer(nameOrFn: InitializerName | Initializer): Initializer {
  if (typeof nameOrFn === 'function') return nameOrFn;
  if (!isInitializerName(nameOrFn)) unknownName('initializer', nameOrFn, initializerNames);
  return initializers[nameOrFn]();
}

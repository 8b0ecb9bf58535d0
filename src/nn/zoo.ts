/**
 * The model zoo: the networks of the lectures and of the Fashion-MNIST benchmark, by name.
 *
 *   lenet1990    LeCun et al. (1990), the lectures' LeNet ("LeNet-1"): 4 feature maps of 5×5
 *                tanh stencils, 2×2 average pooling, 12 maps of 5×5 tanh stencils, 2×2
 *                average pooling, a dense output layer. 28×28 → 24×24 → 12×12 → 8×8 → 4×4.
 *   lenet5       LeCun et al. (1998): conv 6@5×5 → pool → conv 16@5×5 → pool → 120 → 84 → out.
 *                The first convolution pads by 2 for inputs smaller than 32×32 (28×28 → 28×28,
 *                as the paper's 32×32 input would give), so the flattened maps are 16×5×5
 *                and the network has 61,706 parameters for 1×28×28 and 10 classes. ReLU and
 *                max pooling by default (they train faster); `{ activation: 'tanh', pool:
 *                'avg' }` is the paper's.
 *   fashionCnn   two convolutional blocks, each conv 3×3 (same padding) → batch norm → ReLU →
 *                2×2 max pooling → dropout, then flatten → dense → ReLU → dropout → out:
 *                the "two conv + pooling + batch normalisation" entry of Fashion-MNIST's
 *                benchmark table. `batchNorm: false` and `dropout: 0` switch the tricks off.
 *   mlp          flatten (for images) → dense layers with one activation → out.
 *
 * Every model ends in raw scores (logits), for the `crossEntropy` loss. Given `inputShape`
 * ([C, H, W] for images, [features] for tables), the model is built at once: its parameters
 * exist and `summary()` can count them; a shape that does not fit (an image too small for
 * lenet5's two 5×5 convolutions) fails here, naming the layer.
 */
import { ConfigError, checkPositiveInt, unknownName } from '../errors.js';
import { activation as makeActivation, activationNames, type ActivationName } from './activations.js';
import { batchNorm1d, batchNorm2d } from './batchnorm.js';
import { conv2d } from './conv2d.js';
import { dense } from './dense.js';
import { dropout } from './dropout.js';
import { flatten } from './flatten.js';
import type { Layer } from './layer.js';
import { avgPool2d, maxPool2d } from './pool.js';
import { Sequential, sequential } from './sequential.js';

export interface ZooOptions {
  /** One sample's shape without the batch dimension: [C, H, W] for images, [features] for tables. */
  inputShape?: readonly number[];
  /** Output units (default 10). */
  numClasses?: number;
  /** The sequential's name (default: the model's name). */
  name?: string;
}

export interface MlpOptions extends ZooOptions {
  /** Hidden layer sizes (default [256, 128, 100], the Fashion-MNIST benchmark's MLP). */
  hidden?: readonly number[];
  /** Hidden activation (default 'relu'). */
  activation?: ActivationName;
}

export interface Lenet1990Options extends ZooOptions {
  /** Zero padding of both convolutions (default 0: 28×28 → 4×4 maps before the output). */
  padding?: number;
}

export interface Lenet5Options extends ZooOptions {
  /** Activation after each convolution and hidden dense layer (default 'relu'; the paper's is 'tanh'). */
  activation?: ActivationName;
  /** Subsampling (default 'max'; the paper's is 'avg'). */
  pool?: 'max' | 'avg';
}

export interface FashionCnnOptions extends ZooOptions {
  /** Feature maps of the two convolutional blocks (default [32, 64]). */
  filters?: readonly [number, number];
  /** Units of the hidden dense layer (default 128). */
  hiddenUnits?: number;
  /** Batch normalisation after each convolution and the hidden dense layer (default true). */
  batchNorm?: boolean;
  /** Dropout rates after the conv blocks and after the hidden dense layer (default [0.25, 0.5]); 0 or false: none. */
  dropout?: false | number | readonly [number, number];
}

const DEFAULT_CLASSES = 10;

function checkCommon(where: string, options: ZooOptions): { inputShape?: number[]; numClasses: number } {
  const numClasses = checkPositiveInt(where, 'numClasses', options.numClasses ?? DEFAULT_CLASSES);
  const s = options.inputShape;
  if (
    s !== undefined &&
    (!Array.isArray(s) || s.length === 0 || !s.every((d) => Number.isInteger(d) && d > 0))
  ) {
    throw new ConfigError(
      `${where}: inputShape must be one sample's shape, e.g. [1, 28, 28] or [64], got ${JSON.stringify(s)}.`,
    );
  }
  return { inputShape: s ? [...s] : undefined, numClasses };
}

function imageShape(where: string, inputShape: number[] | undefined): [number, number, number] | undefined {
  if (inputShape === undefined) return undefined;
  if (inputShape.length !== 3) {
    throw new ConfigError(
      `${where}: a convolutional network needs images shaped [channels, height, width], got inputShape ${JSON.stringify(inputShape)} ` +
        '(use mlp for tabular data).',
    );
  }
  return inputShape as [number, number, number];
}

/** Builds the model for its input shape when known, so shape errors appear now and name the layer. */
function finish(model: Sequential, inputShape: number[] | undefined): Sequential {
  // Building walks the layers' output shapes, so a window that does not fit fails here.
  if (inputShape && !model.isBuilt) model.buildFor([1, ...inputShape]);
  return model;
}

function checkActivation(where: string, name: string | undefined, fallback: ActivationName): ActivationName {
  const a = name ?? fallback;
  if (!(activationNames as readonly string[]).includes(a)) unknownName('activation', a, activationNames);
  if (a === 'softmax' || a === 'logSoftmax')
    throw new ConfigError(`${where}: ${a} is an output function, not a hidden activation.`);
  return a as ActivationName;
}

/** A multi-layer perceptron: [flatten →] dense(h₁, σ) → … → dense(numClasses). */
export function mlp(options: MlpOptions = {}): Sequential {
  const where = 'mlp';
  const { inputShape, numClasses } = checkCommon(where, options);
  const hidden = options.hidden ?? [256, 128, 100];
  if (!Array.isArray(hidden) || !hidden.every((h) => Number.isInteger(h) && h > 0)) {
    throw new ConfigError(
      `${where}: hidden must be a list of positive layer sizes, got ${JSON.stringify(hidden)}.`,
    );
  }
  const act = checkActivation(where, options.activation, 'relu');
  const layers: Layer[] = [];
  const features = inputShape?.reduce((a, b) => a * b, 1);
  if (!inputShape || inputShape.length > 1) layers.push(flatten());
  hidden.forEach((units, i) =>
    layers.push(
      dense({
        units,
        activation: act,
        ...(i === 0 && features !== undefined ? { inFeatures: features } : {}),
      }),
    ),
  );
  layers.push(
    dense({
      units: numClasses,
      ...(hidden.length === 0 && features !== undefined ? { inFeatures: features } : {}),
    }),
  );
  return finish(sequential(layers, options.name ?? 'mlp'), inputShape);
}

/** The lectures' LeNet (LeCun et al., 1990): 4 and 12 tanh feature maps of 5×5 stencils, average pooling. */
export function lenet1990(options: Lenet1990Options = {}): Sequential {
  const where = 'lenet1990';
  const { inputShape, numClasses } = checkCommon(where, options);
  const image = imageShape(where, inputShape);
  const padding = options.padding ?? 0;
  if (!Number.isInteger(padding) || padding < 0)
    throw new ConfigError(`${where}: padding must be a non-negative integer, got ${padding}.`);
  const model = sequential(
    [
      conv2d({
        outChannels: 4,
        kernelSize: 5,
        padding,
        activation: 'tanh',
        ...(image ? { inputShape: image } : {}),
      }),
      avgPool2d(2),
      conv2d({ outChannels: 12, kernelSize: 5, padding, activation: 'tanh' }),
      avgPool2d(2),
      flatten(),
      dense({ units: numClasses }),
    ],
    options.name ?? 'lenet1990',
  );
  return finish(model, inputShape);
}

/** LeNet-5 (LeCun et al., 1998): conv 6@5×5 → pool → conv 16@5×5 → pool → 120 → 84 → numClasses. */
export function lenet5(options: Lenet5Options = {}): Sequential {
  const where = 'lenet5';
  const { inputShape, numClasses } = checkCommon(where, options);
  const image = imageShape(where, inputShape);
  const act = checkActivation(where, options.activation, 'relu');
  const poolKind = options.pool ?? 'max';
  if (poolKind !== 'max' && poolKind !== 'avg')
    throw new ConfigError(`${where}: pool must be 'max' or 'avg', got '${String(poolKind)}'.`);
  const pool = () => (poolKind === 'max' ? maxPool2d(2) : avgPool2d(2));
  // The paper's input is 32×32; smaller images (MNIST's 28×28) are padded by 2 as in most reproductions.
  const padding = image && Math.min(image[1], image[2]) >= 32 ? 0 : 2;
  const model = sequential(
    [
      conv2d({
        outChannels: 6,
        kernelSize: 5,
        padding,
        activation: act,
        ...(image ? { inputShape: image } : {}),
      }),
      pool(),
      conv2d({ outChannels: 16, kernelSize: 5, activation: act }),
      pool(),
      flatten(),
      dense({ units: 120, activation: act }),
      dense({ units: 84, activation: act }),
      dense({ units: numClasses }),
    ],
    options.name ?? 'lenet5',
  );
  return finish(model, inputShape);
}

function dropoutRates(where: string, value: FashionCnnOptions['dropout']): [number, number] {
  if (value === undefined) return [0.25, 0.5];
  if (value === false) return [0, 0];
  const rates: [number, number] = typeof value === 'number' ? [value, value] : [value[0], value[1]];
  if (!rates.every((r) => typeof r === 'number' && r >= 0 && r < 1)) {
    throw new ConfigError(
      `${where}: dropout must be a rate in [0, 1), a pair of them, or false, got ${JSON.stringify(value)}.`,
    );
  }
  return rates;
}

/** Two conv blocks (conv 3×3 → batch norm → ReLU → max pool → dropout), then dense → out. */
export function fashionCnn(options: FashionCnnOptions = {}): Sequential {
  const where = 'fashionCnn';
  const { inputShape, numClasses } = checkCommon(where, options);
  const image = imageShape(where, inputShape);
  const [f1, f2] = options.filters ?? [32, 64];
  checkPositiveInt(where, 'filters[0]', f1);
  checkPositiveInt(where, 'filters[1]', f2);
  const hiddenUnits = checkPositiveInt(where, 'hiddenUnits', options.hiddenUnits ?? 128);
  const bn = options.batchNorm ?? true;
  const [convRate, denseRate] = dropoutRates(where, options.dropout);
  const layers: Layer[] = [];
  const block = (filters: number, first: boolean) => {
    // With batch norm right after it, a convolution's bias is redundant (β takes its place).
    layers.push(
      conv2d({
        outChannels: filters,
        kernelSize: 3,
        padding: 1,
        useBias: !bn,
        ...(first && image ? { inputShape: image } : {}),
      }),
    );
    if (bn) layers.push(batchNorm2d(filters));
    layers.push(makeActivation('relu'), maxPool2d(2));
    if (convRate > 0) layers.push(dropout(convRate));
  };
  block(f1, true);
  block(f2, false);
  layers.push(flatten(), dense({ units: hiddenUnits, useBias: !bn }));
  if (bn) layers.push(batchNorm1d(hiddenUnits));
  layers.push(makeActivation('relu'));
  if (denseRate > 0) layers.push(dropout(denseRate));
  layers.push(dense({ units: numClasses }));
  return finish(sequential(layers, options.name ?? 'fashion-cnn'), inputShape);
}

/** The zoo's names, as `buildModel` and `descent train --model` take them. */
export const modelNames = ['mlp', 'lenet1990', 'lenet5', 'fashion-cnn'] as const;
export type ModelName = (typeof modelNames)[number];

export type BuildModelOptions = MlpOptions & Lenet1990Options & Lenet5Options & FashionCnnOptions;

/**
 * A zoo model by name: `buildModel('lenet5', { inputShape: [1, 28, 28], numClasses: 10 })`.
 * Options a model does not use are ignored; an unknown name lists the valid ones.
 * 'fashionCnn' is accepted for 'fashion-cnn'.
 */
export function buildModel(name: string, options: BuildModelOptions = {}): Sequential {
  switch (name) {
    case 'mlp':
      return mlp(options);
    case 'lenet1990':
      return lenet1990(options);
    case 'lenet5':
      return lenet5(options);
    case 'fashion-cnn':
    case 'fashionCnn':
      return fashionCnn(options);
    default:
      return unknownName('model', name, modelNames);
  }
}

/** The number of trainable values of a model (built: give the zoo an inputShape). */
export function parameterCount(model: Layer): number {
  return model.parameters().reduce((sum, p) => sum + p.size, 0);
}

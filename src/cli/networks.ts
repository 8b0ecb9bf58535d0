/**
 * What `descent train` and `descent compare` share for image data and the model zoo:
 * loading Fashion-MNIST / MNIST with the CLI's flags, building a zoo network for the data
 * (images stay NCHW [1, 28, 28]; the MLP flattens them), and the flags' checks.
 */
import { ConfigError, unknownName } from '../errors.js';
import * as data from '../data/index.js';
import * as nn from '../nn/index.js';
import type { ActivationName } from '../nn/activations.js';

export const modelFlagNames = nn.modelNames;

export function isImageSet(name: string): name is data.ImageSetName {
  return (data.imageSetNames as readonly string[]).includes(name);
}

export function checkModelName(name: string): nn.ModelName {
  if (!(nn.modelNames as readonly string[]).includes(name)) unknownName('model', name, nn.modelNames);
  return name as nn.ModelName;
}

/** --limit N: a positive integer, or undefined. */
export function parseLimit(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (!Number.isInteger(v) || v <= 0)
    throw new ConfigError(`--limit must be a positive integer (training samples), got '${text}'.`);
  return v;
}

/**
 * Fashion-MNIST or MNIST from `--data-dir` (or the loader's usual places), standardised per
 * channel with the training images' statistics; `limit` keeps the first N training images.
 */
export function loadImageData(
  name: data.ImageSetName,
  options: { dir?: string; limit?: number; testLimit?: number } = {},
): data.ImageSets {
  return data.loadImageSet(name, {
    dir: options.dir,
    trainLimit: options.limit,
    testLimit: options.testLimit,
    standardize: true,
  });
}

export interface NetworkSpec {
  model: nn.ModelName;
  /** One sample's shape: [C, H, W] for images, [features] for tables. */
  sampleShape: readonly number[];
  outputs: number;
  /** For the MLP. */
  hidden: readonly number[];
  activation: ActivationName;
  /** Appended after the output layer (softmax for mse-like losses, sigmoid for binary cross-entropy). */
  outputActivation?: ActivationName;
  /** For fashion-cnn: switch its tricks off (compare). */
  batchNorm?: boolean;
  /** For fashion-cnn: false switches dropout off (compare); a pair sets its two rates. */
  dropout?: boolean | readonly [number, number];
}

/** The network for a spec (zoo networks are built for the sample shape; the MLP on its first batch). */
export function buildNetwork(spec: NetworkSpec): nn.Sequential {
  if (spec.model === 'mlp') {
    // As descent train has always built it (layer names, the output activation inside the last
    // dense layer), with a flatten in front for images.
    const layers: nn.Layer[] = spec.sampleShape.length > 1 ? [nn.flatten()] : [];
    for (const units of spec.hidden) layers.push(nn.dense({ units, activation: spec.activation }));
    layers.push(nn.dense({ units: spec.outputs, activation: spec.outputActivation }));
    const net = nn.sequential(layers, 'mlp');
    // Built now (initialisation draws the same numbers as on the first batch: nothing draws in between).
    net.buildFor([1, ...spec.sampleShape]);
    return net;
  }
  if (spec.sampleShape.length !== 3) {
    throw new ConfigError(
      `--model ${spec.model} is a convolutional network and needs image data (--data ${data.imageSetNames.join(' or ')}); ` +
        `this data set has samples of shape [${spec.sampleShape.join(', ')}]. Use --model mlp.`,
    );
  }
  const net = nn.buildModel(spec.model, {
    inputShape: spec.sampleShape,
    numClasses: spec.outputs,
    ...(spec.model === 'fashion-cnn'
      ? {
          batchNorm: spec.batchNorm ?? true,
          ...(spec.dropout === false ? { dropout: false as const } : {}),
          ...(Array.isArray(spec.dropout) ? { dropout: spec.dropout as readonly [number, number] } : {}),
        }
      : {}),
  });
  if (!spec.outputActivation) return net;
  return nn.sequential([...net.layers, nn.activation(spec.outputActivation)], net.name);
}

/** A one-line description: 'lenet5 (61,706 parameters)', 'MLP 784-64-32-10 (relu, …)'. */
export function describeNetwork(spec: NetworkSpec, net: nn.Layer): string {
  const count = nn.parameterCount(net).toLocaleString('en');
  if (spec.model === 'mlp') {
    const features = spec.sampleShape.reduce((a, b) => a * b, 1);
    return `an MLP ${[features, ...spec.hidden, spec.outputs].join('-')} (${spec.activation}, ${count} parameters)`;
  }
  return `${spec.model} (${count} parameters)`;
}

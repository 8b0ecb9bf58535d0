/**
 * Rebuilding layers from a saved topology: one small map from a layer's `kind` to how it
 * is made again from its `config()`. A new layer type registers itself with one call:
 *
 *   registerLayer('dropout', {
 *     create: (c, ctx) => new Dropout({ rate: c.number('rate'), name: ctx.name }),
 *   });
 *
 * `create` reads its config through a ConfigReader, which checks every field's type
 * and range and throws a FormatError naming the file and the JSON path
 * (`topology.config.layers[2].config.units`). A layer that builds lazily and whose
 * config does not fix its input size also gives `buildShape`: an input shape to build
 * it for, from the shapes of its saved tensors (e.g. prelu: [1, α.length]).
 *
 * Layers are made with non-random initialisers where the constructor takes one (the
 * weights are loaded right after), and the loader restores the global RNG state around
 * construction, so loading a model never changes the random stream.
 */
import { ConfigError, DescentError, FormatError } from '../errors.js';
import { Activation, PRelu, activation, activationNames } from '../nn/activations.js';
import { BatchNorm } from '../nn/batchnorm.js';
import { Conv2d } from '../nn/conv2d.js';
import { Dense } from '../nn/dense.js';
import { Dropout } from '../nn/dropout.js';
import { Flatten } from '../nn/flatten.js';
import { Layer } from '../nn/layer.js';
import { AvgPool2d, GlobalAvgPool2d, MaxPool2d } from '../nn/pool.js';
import type { Pair, Padding } from '../ops/conv.js';
import { Sequential } from '../nn/sequential.js';
import { functionalFromConfig } from '../nn/functional.js';
import { describe, isPlainObject } from './json.js';
import { onnxGraphEntry } from './onnx/entry.js';

/** Reads a layer config's fields, checking types; errors name the file and the JSON path. */
export class ConfigReader {
  constructor(
    readonly config: Record<string, unknown>,
    /** JSON path of the layer, e.g. topology.config.layers[1]. */
    readonly path: string,
    readonly source: string,
  ) {}

  fail(key: string, expected: string): never {
    throw new FormatError(
      `${this.source}: ${this.path}.config.${key}: expected ${expected}, got ${describe(this.config[key])}.`,
    );
  }

  has(key: string): boolean {
    return Object.hasOwn(this.config, key) && this.config[key] !== undefined && this.config[key] !== null;
  }

  /** A positive integer (or, with `min: 0`, a non-negative one). */
  int(key: string, options: { min?: number } = {}): number {
    const v = this.config[key];
    const min = options.min ?? 1;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min)
      this.fail(key, min === 1 ? 'a positive integer' : `an integer ≥ ${min}`);
    return v as number;
  }

  optionalInt(key: string, options: { min?: number } = {}): number | undefined {
    return this.has(key) ? this.int(key, options) : undefined;
  }

  number(key: string): number {
    const v = this.config[key];
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(key, 'a finite number');
    return v as number;
  }

  optionalNumber(key: string): number | undefined {
    return this.has(key) ? this.number(key) : undefined;
  }

  optionalBoolean(key: string): boolean | undefined {
    if (!this.has(key)) return undefined;
    const v = this.config[key];
    if (typeof v !== 'boolean') this.fail(key, 'true or false');
    return v as boolean;
  }

  oneOf<T extends string>(key: string, values: readonly T[]): T {
    const v = this.config[key];
    if (typeof v !== 'string' || !values.includes(v as T))
      this.fail(key, `one of ${values.map((x) => `'${x}'`).join(', ')}`);
    return v as T;
  }

  optionalOneOf<T extends string>(key: string, values: readonly T[]): T | undefined {
    return this.has(key) ? this.oneOf(key, values) : undefined;
  }

  /** An integer or a list of `length` integers (kernel sizes, strides, paddings). */
  intOrInts(key: string, length: number, options: { min?: number } = {}): number | number[] {
    const v = this.config[key];
    const min = options.min ?? 1;
    const ok = (x: unknown) => typeof x === 'number' && Number.isSafeInteger(x) && x >= min;
    if (ok(v)) return v as number;
    if (Array.isArray(v) && v.length === length && v.every(ok)) return [...(v as number[])];
    return this.fail(key, `an integer ≥ ${min} or ${length} of them`);
  }

  array(key: string): unknown[] {
    const v = this.config[key];
    if (!Array.isArray(v)) this.fail(key, 'an array');
    return v as unknown[];
  }
}

export interface LayerContext {
  /** The saved name ('' when the layer had none). */
  name: string;
  /** The layer's JSON path, for messages. */
  path: string;
  source: string;
  /** Builds a nested layer from its saved description (for containers). */
  build(spec: unknown, path: string): Layer;
  /**
   * Call before making a layer that allocates its parameters at once: throws a FormatError
   * when the model would hold more values than its weights file can (so a corrupt config
   * cannot make the loader allocate without bound).
   */
  reserve(values: number, what: string): void;
}

export interface LayerEntry {
  create(config: ConfigReader, context: LayerContext): Layer;
  /**
   * For layers that build lazily: the input shape to build them for, given the shapes of
   * their saved tensors by local name ('weight', 'alpha', …); null when unknown.
   */
  buildShape?(config: ConfigReader, shapes: ReadonlyMap<string, readonly number[]>): number[] | null;
  /** State that is neither config nor a tensor (e.g. a count), saved in model.json. */
  saveState?(layer: Layer): Record<string, unknown> | null;
  /** Restores what saveState returned, read through a checking ConfigReader. */
  loadState?(layer: Layer, state: ConfigReader): void;
}

const registry = new Map<string, LayerEntry>();

/** Makes a layer kind loadable. Registering a kind again replaces its entry. */
export function registerLayer(kind: string, entry: LayerEntry): void {
  if (typeof kind !== 'string' || kind === '')
    throw new ConfigError('registerLayer: kind must be a non-empty string.');
  if (!entry || typeof entry.create !== 'function')
    throw new ConfigError(`registerLayer('${kind}'): the entry needs a create(config, context) function.`);
  registry.set(kind, entry);
}

/** The kinds that can be loaded. */
export function layerKinds(): string[] {
  return [...registry.keys()];
}

export function layerEntry(kind: string): LayerEntry | undefined {
  return registry.get(kind);
}

/** Containers nest; a file nesting deeper than this is refused rather than overflowing the stack. */
export const MAX_NESTING = 64;

/** Builds a layer (and, for containers, its children) from its saved `{ kind, name, config }`. */
export interface Budget {
  /** Values (parameters and buffers) the layers may still allocate. */
  remaining: number;
}

export function layerFromSpec(
  spec: unknown,
  source: string,
  path = 'topology',
  budget: Budget = { remaining: Infinity },
): Layer {
  // Layers made before a failure further on are freed (their parameters hold memory).
  const made: Layer[] = [];
  try {
    return buildSpec(spec, source, path, budget, 0, made);
  } catch (error) {
    for (const layer of made) layer.dispose();
    throw error;
  }
}

function buildSpec(
  spec: unknown,
  source: string,
  path: string,
  budget: Budget,
  depth: number,
  made: Layer[],
): Layer {
  if (depth > MAX_NESTING)
    throw new FormatError(`${source}: ${path}: layers nest more than ${MAX_NESTING} deep.`);
  if (!isPlainObject(spec))
    throw new FormatError(
      `${source}: ${path}: expected a layer { kind, name, config }, got ${describe(spec)}.`,
    );
  const { kind, name, config } = spec;
  if (typeof kind !== 'string')
    throw new FormatError(
      `${source}: ${path}.kind: expected a layer kind (a string), got ${describe(kind)}.`,
    );
  const entry = registry.get(kind);
  if (!entry) {
    throw new FormatError(
      `${source}: ${path}.kind: unknown layer kind ${describe(kind)}. Loadable kinds: ${layerKinds().join(', ')} ` +
        '(a layer from a newer descent, or a custom one: register it with io.registerLayer).',
    );
  }
  if (name !== undefined && typeof name !== 'string')
    throw new FormatError(`${source}: ${path}.name: expected a string, got ${describe(name)}.`);
  if (config !== undefined && !isPlainObject(config))
    throw new FormatError(`${source}: ${path}.config: expected an object, got ${describe(config)}.`);
  const reader = new ConfigReader((config ?? {}) as Record<string, unknown>, path, source);
  const context: LayerContext = {
    name: name ?? '',
    path,
    source,
    build: (child, childPath) => buildSpec(child, source, childPath, budget, depth + 1, made),
    reserve(values, what) {
      if (!(values <= budget.remaining)) {
        throw new FormatError(
          `${source}: ${path} (${kind}): ${what} would hold ${values} values, more than the weights file can contain ` +
            `(${Number.isFinite(budget.remaining) ? Math.max(0, Math.floor(budget.remaining)) : '∞'} left); the config is corrupt.`,
        );
      }
      budget.remaining -= values;
    },
  };
  if (spec.trainable !== undefined && typeof spec.trainable !== 'boolean')
    throw new FormatError(
      `${source}: ${path}.trainable: expected true or false, got ${describe(spec.trainable)}.`,
    );
  try {
    const layer = entry.create(reader, context);
    made.push(layer);
    if (spec.trainable === false) layer.trainable = false;
    return layer;
  } catch (error) {
    if (error instanceof DescentError) {
      if (error instanceof FormatError) throw error;
      throw new FormatError(`${source}: ${path} (${kind}): ${error.message}`);
    }
    // A registered layer's constructor failing on a value its entry did not check.
    throw new FormatError(
      `${source}: ${path} (${kind}): cannot be rebuilt from its config (${error instanceof Error ? error.message : String(error)}).`,
    );
  }
}

// ---- the built-in layers ---------------------------------------------------------------

const plainActivations = activationNames.filter((n) => n !== 'prelu');

registerLayer('dense', {
  create(c, ctx) {
    const units = c.int('units');
    const inFeatures = c.optionalInt('inFeatures');
    const useBias = c.optionalBoolean('useBias');
    // Built at once when inFeatures is known: weight [units, inFeatures] and bias [units].
    if (inFeatures !== undefined)
      ctx.reserve(units * inFeatures + (useBias === false ? 0 : units), 'its weight and bias');
    return new Dense({
      units,
      inFeatures,
      activation: c.optionalOneOf('activation', activationNames),
      useBias,
      kernelInitializer: 'zeros',
      name: ctx.name || undefined,
    });
  },
  // Only when the saved weight agrees with `units`, so that building allocates what the file holds.
  buildShape: (c, shapes) => {
    const w = shapes.get('weight');
    return w && w.length === 2 && w[0] === c.int('units') ? [1, w[1]] : null;
  },
});

for (const kind of plainActivations) {
  registerLayer(kind, {
    create: (c, ctx) =>
      activation(kind, { alpha: c.optionalNumber('alpha'), name: ctx.name || undefined }) as Activation,
  });
}

registerLayer('prelu', {
  create: (c, ctx) =>
    new PRelu({
      alphaPer: c.optionalOneOf('alphaPer', ['channel', 'shared'] as const),
      init: c.optionalNumber('init'),
      name: ctx.name || undefined,
    }),
  buildShape: (_c, shapes) => {
    const alpha = shapes.get('alpha');
    return alpha && alpha.length === 1 ? [1, alpha[0]] : null;
  },
});

registerLayer('sequential', {
  create(c, ctx) {
    const specs = c.array('layers');
    if (specs.length === 0) c.fail('layers', 'a non-empty array of layers');
    const layers = specs.map((s, i) => ctx.build(s, `${ctx.path}.config.layers[${i}]`));
    const unnamed = layers.findIndex((l) => !l.name);
    if (unnamed >= 0)
      throw new FormatError(
        `${ctx.source}: ${ctx.path}.config.layers[${unnamed}].name: a layer inside a sequential needs its saved name.`,
      );
    return new Sequential(layers, ctx.name || undefined);
  },
});

registerLayer('functional', {
  // The graph (inputs' shapes, nodes by index, outputs) over its layers, rebuilt by applying
  // each saved layer to the saved inputs again (which builds them; the weights come after).
  create(c, ctx) {
    const layers = c.array('layers').map((s, i) => ctx.build(s, `${ctx.path}.config.layers[${i}]`));
    const graph = { inputs: c.array('inputs'), nodes: c.array('nodes'), outputs: c.array('outputs') };
    return functionalFromConfig(
      graph as Parameters<typeof functionalFromConfig>[0],
      layers,
      ctx.name || undefined,
    );
  },
});

// ---- convolutional networks ------------------------------------------------------------

/** A padding as saved: a number, [h, w], [top, left, bottom, right], 'same' or 'valid'. */
function readPadding(c: ConfigReader, key: string): Padding | undefined {
  if (!c.has(key)) return undefined;
  const v = c.config[key];
  if (v === 'same' || v === 'valid') return v;
  const ok = (x: unknown) => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
  if (ok(v)) return v as number;
  if (Array.isArray(v) && (v.length === 2 || v.length === 4) && v.every(ok))
    return [...v] as unknown as Padding;
  return c.fail(key, "'same', 'valid', an integer ≥ 0, or 2 or 4 of them");
}

function readPair(c: ConfigReader, key: string): Pair | undefined {
  return c.has(key) ? (c.intOrInts(key, 2) as Pair) : undefined;
}

registerLayer('conv2d', {
  create(c, ctx) {
    const outChannels = c.int('outChannels');
    const kernelSize = c.intOrInts('kernelSize', 2) as Pair;
    const inChannels = c.optionalInt('inChannels');
    const groups = c.optionalInt('groups') ?? 1;
    const useBias = c.optionalBoolean('useBias');
    let inputShape: [number, number, number] | undefined;
    if (c.has('inputShape')) {
      const s = c.array('inputShape');
      if (s.length !== 3 || !s.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d > 0))
        c.fail('inputShape', '[channels, height, width] (3 positive integers)');
      inputShape = s as [number, number, number];
    }
    const [kH, kW] = typeof kernelSize === 'number' ? [kernelSize, kernelSize] : kernelSize;
    // Built at once only with inputShape (the conv2d constructor builds then).
    if (inputShape)
      ctx.reserve(
        outChannels * Math.ceil(inputShape[0] / groups) * kH * kW + outChannels,
        'its weight and bias',
      );
    return new Conv2d({
      outChannels,
      kernelSize,
      inChannels,
      inputShape,
      stride: readPair(c, 'stride'),
      padding: readPadding(c, 'padding'),
      dilation: readPair(c, 'dilation'),
      groups,
      activation: c.optionalOneOf('activation', activationNames),
      useBias,
      kernelInitializer: 'zeros',
      name: ctx.name || undefined,
    });
  },
  // From the saved weight [outChannels, inChannels/groups, kH, kW], when it agrees with the config.
  buildShape: (c, shapes) => {
    const w = shapes.get('weight');
    if (!w || w.length !== 4 || w[0] !== c.int('outChannels')) return null;
    const groups = c.optionalInt('groups') ?? 1;
    return [1, w[1] * groups, w[2], w[3]];
  },
});

function poolOptions(c: ConfigReader, name: string) {
  return {
    kernelSize: c.intOrInts('kernelSize', 2) as Pair,
    stride: readPair(c, 'stride'),
    padding: readPadding(c, 'padding'),
    dilation: readPair(c, 'dilation'),
    ceilMode: c.optionalBoolean('ceilMode'),
    name: name || undefined,
  };
}

registerLayer('maxPool2d', { create: (c, ctx) => new MaxPool2d(poolOptions(c, ctx.name)) });
registerLayer('avgPool2d', {
  create: (c, ctx) =>
    new AvgPool2d({ ...poolOptions(c, ctx.name), countIncludePad: c.optionalBoolean('countIncludePad') }),
});
registerLayer('globalAvgPool2d', {
  create: (c, ctx) =>
    new GlobalAvgPool2d({ keepDims: c.optionalBoolean('keepDims'), name: ctx.name || undefined }),
});
registerLayer('flatten', { create: (_c, ctx) => new Flatten({ name: ctx.name || undefined }) });

registerLayer('dropout', {
  create(c, ctx) {
    const rate = c.number('rate');
    if (!(rate >= 0 && rate < 1)) c.fail('rate', 'a number in [0, 1)');
    return new Dropout({
      rate,
      mode: c.optionalOneOf('mode', ['inverted', 'scaleAtTest'] as const),
      name: ctx.name || undefined,
    });
  },
});

for (const kind of ['batchNorm1d', 'batchNorm2d'] as const) {
  registerLayer(kind, {
    create(c, ctx) {
      const numFeatures = c.optionalInt('numFeatures');
      const affine = c.optionalBoolean('affine');
      const eps = c.optionalNumber('eps');
      const momentum = c.optionalNumber('momentum');
      if (eps !== undefined && eps < 0) c.fail('eps', 'a number ≥ 0');
      if (momentum !== undefined && !(momentum >= 0 && momentum <= 1))
        c.fail('momentum', 'a number in [0, 1]');
      // γ and β (when affine), the running mean and variance and the two population sums.
      if (numFeatures !== undefined)
        ctx.reserve(numFeatures * (affine === false ? 4 : 6), 'its parameters and statistics');
      return new BatchNorm(kind, {
        numFeatures,
        eps,
        momentum,
        affine,
        inference: c.optionalOneOf('inference', ['running', 'population'] as const),
        name: ctx.name || undefined,
      });
    },
    buildShape: (_c, shapes) => {
      const mean = shapes.get('runningMean');
      if (!mean || mean.length !== 1) return null;
      return kind === 'batchNorm2d' ? [1, mean[0], 1, 1] : [1, mean[0]];
    },
    // The number of training batches in the population sums ('population' inference divides by it).
    saveState: (layer) => ({ populationBatches: (layer as BatchNorm).populationBatches }),
    loadState(layer, state) {
      (layer as BatchNorm).populationBatches = state.optionalInt('populationBatches', { min: 0 }) ?? 0;
    },
  });
}

// An imported ONNX graph (io/onnx): its config is the graph, its tensors the initialisers.
registerLayer('onnxGraph', onnxGraphEntry);

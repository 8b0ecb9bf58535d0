/**
 * The descent model format in memory — shared by Node (model-io.ts: a folder on disk) and
 * the browser (browser.ts: IndexedDB and downloads), so that both write and read the same
 * bytes through one code path:
 *
 *   model.json           the topology (kind, name and config of every layer, nested for
 *                        containers), the format and descent versions, the input shape
 *                        when known, the size and SHA-256 of the weights file, and
 *                        metadata (backend, seed, anything the caller adds)
 *   weights.safetensors  every parameter and buffer, keyed by its path in the model
 *                        (`dense_1.weight`; `block.dense_1.weight` inside a nested container)
 *
 *   const { json, weights } = await encodeModel(net);     // the two files' contents
 *   const { layer } = decodeModel(json, weights);         // the same predictions
 *
 * Decoding checks the weights against model.json's size and SHA-256, and every tensor's
 * name, dtype and shape against the rebuilt model, and names what is missing or extra.
 * Nothing here imports a Node module.
 */
import type { DType, TypedArray } from '../backend/contract.js';
import { getBackend } from '../backend/registry.js';
import { ConfigError, DescentError, FormatError } from '../errors.js';
import { Activation } from '../nn/activations.js';
import type { Layer } from '../nn/layer.js';
import { rng } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { describe, descentVersion, isPlainObject, parseJsonBytes } from './json.js';
import { layerEntry, layerFromSpec, ConfigReader, type Budget } from './layers.js';
import { decodeSafetensors, encodeSafetensors, type SafetensorsContents } from './safetensors-codec.js';
import { sha256Hex } from '../platform/sha256.js';

export const MODEL_FILE = 'model.json';
export const WEIGHTS_FILE = 'weights.safetensors';
export const MODEL_FORMAT = 'descent-model';
export const MODEL_FORMAT_VERSION = 1;
/** model.json is small; a larger one is refused before it is read. */
export const MAX_MODEL_JSON_BYTES = 64 * 1024 * 1024;

/** A file name that stays in its folder: no separators, no leading dot. */
export const SAFE_FILE_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

/** `dir/file` for messages (a folder, an IndexedDB key or a download's name). */
export function joinSource(dir: string, file: string): string {
  return dir.endsWith('/') ? `${dir}${file}` : `${dir}/${file}`;
}

/** A layer as saved: `{ kind, name, config }` (containers hold their children in config). */
export interface LayerSpec {
  kind: string;
  name: string;
  config: Record<string, unknown>;
  /** Present (false) only for a frozen layer (see Layer.trainable). */
  trainable?: false;
}

/** The contents of model.json. */
export interface ModelInfo {
  format: typeof MODEL_FORMAT;
  formatVersion: number;
  descentVersion: string;
  topology: LayerSpec;
  /** Input shape with a batch dimension of 1, when the model knew it. */
  inputShape?: number[];
  weights: { file: string; bytes?: number; sha256?: string };
  /** Non-tensor layer state (e.g. batch norm's batch count), by layer path. */
  state?: Record<string, Record<string, unknown>>;
  metadata: Record<string, unknown>;
}

export interface SaveModelOptions {
  /** Anything JSON can hold: the seed, the data set, a standardizer, the training flags… */
  metadata?: Record<string, unknown>;
  /** The input shape (batch dimension included, as 1) when the model cannot tell it itself. */
  inputShape?: readonly number[];
  /**
   * The weights file's name, recorded in model.json (default weights.safetensors); a plain
   * file name, found next to model.json when loading.
   */
  weightsFile?: string;
}

export interface LoadModelOptions {
  /** Check that weights.safetensors is the file model.json was saved with (default true). */
  checkIntegrity?: boolean;
}

/** A parameter or buffer with the key it is saved under. */
export interface NamedTensor {
  key: string;
  tensor: Tensor;
  layer: Layer;
  /** Its name inside its layer ('weight', 'runningMean'). */
  local: string;
  kind: 'parameter' | 'buffer';
}

interface WithBuffers {
  namedBuffers(): Array<[string, Tensor]>;
}

function hasBuffers(layer: Layer): layer is Layer & WithBuffers {
  return typeof (layer as Partial<WithBuffers>).namedBuffers === 'function';
}

/**
 * Walks the layer tree: `visit(layer, prefix)` where `prefix` is the key prefix of the
 * layer's own tensors — its label for the root, the path of labels below the root otherwise.
 */
export function walkLayers(root: Layer, visit: (layer: Layer, prefix: string) => void): void {
  const go = (layer: Layer, path: string, isRoot: boolean) => {
    const prefix = isRoot ? layer.label : path;
    visit(layer, prefix);
    for (const child of layer.children()) go(child, isRoot ? child.label : `${path}.${child.label}`, false);
  };
  go(root, '', true);
}

function stripLabel(qualified: string, label: string): string {
  return qualified.startsWith(`${label}.`) ? qualified.slice(label.length + 1) : qualified;
}

/** Every parameter and buffer of the model with its saved key, in a stable order. */
export function namedTensors(root: Layer): NamedTensor[] {
  const out: NamedTensor[] = [];
  walkLayers(root, (layer, prefix) => {
    const children = layer.children();
    const childTensors = new Set<Tensor>();
    for (const c of children) {
      for (const t of c.parameters()) childTensors.add(t);
      if (hasBuffers(c)) for (const [, t] of c.namedBuffers()) childTensors.add(t);
    }
    for (const [qualified, tensor] of layer.namedParameters()) {
      if (childTensors.has(tensor)) continue;
      const local = stripLabel(qualified, layer.label);
      out.push({ key: `${prefix}.${local}`, tensor, layer, local, kind: 'parameter' });
    }
    if (hasBuffers(layer)) {
      for (const [qualified, tensor] of layer.namedBuffers()) {
        if (childTensors.has(tensor)) continue;
        const local = stripLabel(qualified, layer.label);
        out.push({ key: `${prefix}.${local}`, tensor, layer, local, kind: 'buffer' });
      }
    }
  });
  const seen = new Set<string>();
  for (const t of out) {
    if (seen.has(t.key))
      throw new ConfigError(
        `saveModel: two tensors would be saved as '${t.key}'; give the layers distinct names.`,
      );
    seen.add(t.key);
  }
  return out;
}

/** Throws when some layer with parameters has not been built (its parameters do not exist yet). */
function checkBuilt(root: Layer, where: string): void {
  walkLayers(root, (layer) => {
    if (layer.isBuilt || layer.children().length > 0 || layer instanceof Activation) return;
    throw new ConfigError(
      `${where}: layer '${layer.label}' (${layer.kind}) is not built yet, so it has no parameters to save. ` +
        'Train or call the model once, or build it with model.buildFor([1, ...inputShape]).',
    );
  });
}

function topologyOf(layer: Layer): LayerSpec {
  return {
    kind: layer.kind,
    name: layer.name,
    config: layer.config(),
    ...(layer.trainable ? {} : { trainable: false as const }),
  };
}

function checkJsonable(where: string, value: unknown): void {
  try {
    JSON.stringify(value);
  } catch (error) {
    throw new ConfigError(
      `${where}: metadata must be JSON-serialisable (${error instanceof Error ? error.message : String(error)}).`,
    );
  }
}

/** The bytes of model.json and weights.safetensors for a model (nothing is written). */
export async function encodeModel(
  layer: Layer,
  options: SaveModelOptions = {},
): Promise<{ json: string; weights: Uint8Array; info: ModelInfo }> {
  const where = 'saveModel';
  checkBuilt(layer, where);
  if (options.metadata !== undefined && !isPlainObject(options.metadata))
    throw new ConfigError(`${where}: metadata must be a plain object.`);
  checkJsonable(where, options.metadata);
  const weightsFile = options.weightsFile ?? WEIGHTS_FILE;
  if (typeof weightsFile !== 'string' || !SAFE_FILE_NAME.test(weightsFile) || weightsFile === MODEL_FILE)
    throw new ConfigError(
      `${where}: weightsFile must be a plain file name (letters, digits, '.', '_', '-'; not ${MODEL_FILE}), got ${describe(weightsFile)}.`,
    );
  const tensors = namedTensors(layer);
  const values = await Promise.all(tensors.map((t) => t.tensor.data()));
  const weights = encodeSafetensors(
    tensors.map(
      (t, i) =>
        [t.key, { dtype: t.tensor.dtype, shape: t.tensor.shape, data: values[i] }] as [
          string,
          { dtype: DType; shape: readonly number[]; data: TypedArray },
        ],
    ),
    { format: 'descent', 'descent.version': descentVersion() },
  );
  const state: Record<string, Record<string, unknown>> = {};
  walkLayers(layer, (l, prefix) => {
    const saved = layerEntry(l.kind)?.saveState?.(l);
    if (saved && Object.keys(saved).length > 0) state[prefix] = saved;
  });
  const inputShape = options.inputShape ? [...options.inputShape] : (layer.knownInputShape() ?? undefined);
  const info: ModelInfo = {
    format: MODEL_FORMAT,
    formatVersion: MODEL_FORMAT_VERSION,
    descentVersion: descentVersion(),
    topology: topologyOf(layer),
    ...(inputShape ? { inputShape } : {}),
    weights: { file: weightsFile, bytes: weights.length, sha256: sha256Hex(weights) },
    ...(Object.keys(state).length > 0 ? { state } : {}),
    metadata: { backend: getBackend().name, ...(options.metadata ?? {}) },
  };
  return { json: JSON.stringify(info, null, 2) + '\n', weights, info };
}

// ---- reading ---------------------------------------------------------------------------

/** Parses and checks model.json's top level (the layers are checked when built). */
export function parseModelInfo(bytes: Uint8Array | string, source = MODEL_FILE): ModelInfo {
  const value =
    typeof bytes === 'string'
      ? parseJsonBytes(new TextEncoder().encode(bytes), source, 'model description')
      : parseJsonBytes(bytes, source, 'model description');
  const fail = (path: string, expected: string, got: unknown): never => {
    throw new FormatError(`${source}: ${path}: expected ${expected}, got ${describe(got)}.`);
  };
  if (!isPlainObject(value)) fail('the top level', 'a JSON object (a descent model description)', value);
  const v = value as Record<string, unknown>;
  if (v.format !== MODEL_FORMAT)
    fail('format', `"${MODEL_FORMAT}" (this is not a descent model.json)`, v.format);
  const version = v.formatVersion;
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1)
    fail('formatVersion', 'a positive integer', version);
  if ((version as number) > MODEL_FORMAT_VERSION) {
    throw new FormatError(
      `${source}: formatVersion ${version as number} was written by a newer descent (${describe(v.descentVersion)}); this one (${descentVersion()}) reads up to ${MODEL_FORMAT_VERSION}.`,
    );
  }
  if (v.descentVersion !== undefined && typeof v.descentVersion !== 'string')
    fail('descentVersion', 'a string', v.descentVersion);
  if (!isPlainObject(v.topology)) fail('topology', 'a layer { kind, name, config }', v.topology);
  if (v.inputShape !== undefined) {
    const s = v.inputShape;
    if (!Array.isArray(s) || s.length === 0 || !s.every((d) => Number.isSafeInteger(d) && d > 0))
      fail('inputShape', 'an array of positive integers', s);
  }
  const w = v.weights;
  if (!isPlainObject(w)) fail('weights', 'an object { file, bytes, sha256 }', w);
  const weights = w as Record<string, unknown>;
  if (typeof weights.file !== 'string' || !SAFE_FILE_NAME.test(weights.file))
    fail('weights.file', 'a plain file name in the model folder', weights.file);
  if (weights.bytes !== undefined && !(Number.isSafeInteger(weights.bytes) && (weights.bytes as number) >= 0))
    fail('weights.bytes', 'a non-negative integer', weights.bytes);
  if (
    weights.sha256 !== undefined &&
    !(typeof weights.sha256 === 'string' && /^[0-9a-f]{64}$/.test(weights.sha256))
  )
    fail('weights.sha256', '64 hexadecimal digits', weights.sha256);
  if (v.state !== undefined) {
    if (!isPlainObject(v.state)) fail('state', 'an object', v.state);
    for (const [k, s] of Object.entries(v.state as Record<string, unknown>))
      if (!isPlainObject(s)) fail(`state['${k}']`, 'an object', s);
  }
  if (v.metadata !== undefined && !isPlainObject(v.metadata)) fail('metadata', 'an object', v.metadata);
  return {
    format: MODEL_FORMAT,
    formatVersion: version as number,
    descentVersion: (v.descentVersion as string | undefined) ?? 'unknown',
    topology: v.topology as unknown as LayerSpec,
    ...(v.inputShape ? { inputShape: [...(v.inputShape as number[])] } : {}),
    weights: {
      file: weights.file as string,
      bytes: weights.bytes as number | undefined,
      sha256: weights.sha256 as string | undefined,
    },
    ...(v.state ? { state: v.state as Record<string, Record<string, unknown>> } : {}),
    metadata: (v.metadata as Record<string, unknown> | undefined) ?? {},
  };
}

/**
 * Rebuilds the layers described by a model.json (without weights: parameters as
 * constructed). `maxValues` bounds what the layers may allocate.
 */
export function layerFromModelJson(
  bytes: Uint8Array | string,
  source = MODEL_FILE,
  maxValues = Infinity,
): { layer: Layer; info: ModelInfo } {
  const info = parseModelInfo(bytes, source);
  const saved = rng().getState();
  try {
    return { layer: layerFromSpec(info.topology, source, 'topology', { remaining: maxValues }), info };
  } finally {
    rng().setState(saved);
  }
}

/** Copies values into a tensor's storage in place (the tensor stays the same object). */
export function assignValues(t: Tensor, values: ArrayLike<number>): void {
  const storage = t.backend.upload(t.dtype, values);
  try {
    t.backend.cast(storage, t.dtype, t.storage, t.dtype, t.size);
  } finally {
    t.backend.free(storage);
  }
}

const isFloat = (d: DType) => d !== 'int32';

/**
 * Loads saved tensors into a built model, in place. Every parameter and buffer must be in
 * the file with its shape; the file may hold nothing else.
 */
export function loadWeightsInto(layer: Layer, contents: SafetensorsContents, source: string): void {
  const expected = namedTensors(layer);
  const wanted = new Set(expected.map((t) => t.key));
  const missing = expected.filter((t) => !contents.tensors.has(t.key));
  if (missing.length > 0) {
    const m = missing[0];
    throw new FormatError(
      `${source}: no tensor '${m.key}' (the ${m.kind} ${m.local} of layer '${m.layer.label}', ${m.tensor.dtype} [${m.tensor.shape.join(', ')}])` +
        `${
          missing.length > 1
            ? ` and ${missing.length - 1} more missing (${missing
                .slice(1, 6)
                .map((t) => t.key)
                .join(', ')}${missing.length > 6 ? ', …' : ''})`
            : ''
        }. ` +
        `The file holds: ${[...contents.tensors.keys()].slice(0, 12).join(', ') || 'no tensors'}.`,
    );
  }
  const extra = [...contents.tensors.keys()].filter((k) => !wanted.has(k));
  if (extra.length > 0) {
    throw new FormatError(
      `${source}: tensor '${extra[0]}'${extra.length > 1 ? ` (and ${extra.length - 1} more)` : ''} is not part of the model, ` +
        `which has: ${expected
          .map((t) => t.key)
          .slice(0, 12)
          .join(', ')}${expected.length > 12 ? ', …' : ''}.`,
    );
  }
  for (const t of expected) {
    const saved = contents.tensors.get(t.key)!;
    const shape = t.tensor.shape;
    if (saved.shape.length !== shape.length || saved.shape.some((d, i) => d !== shape[i])) {
      throw new FormatError(
        `${source}: tensor '${t.key}' has shape [${saved.shape.join(', ')}], but layer '${t.layer.label}' (${t.layer.kind}) expects ` +
          `[${shape.join(', ')}] for its ${t.local}.`,
      );
    }
    if (isFloat(saved.dtype) !== isFloat(t.tensor.dtype)) {
      throw new FormatError(
        `${source}: tensor '${t.key}' is ${saved.dtype}, but the model's ${t.local} is ${t.tensor.dtype}.`,
      );
    }
  }
  for (const t of expected) assignValues(t.tensor, contents.tensors.get(t.key)!.data);
}

/** Builds every lazily built layer from the shapes of its saved tensors. */
function buildFromWeights(root: Layer, contents: SafetensorsContents, source: string): void {
  walkLayers(root, (layer, prefix) => {
    if (layer.isBuilt || layer.children().length > 0 || layer instanceof Activation) return;
    const entry = layerEntry(layer.kind);
    const shapes = new Map<string, number[]>();
    for (const [key, t] of contents.tensors) {
      if (key.startsWith(`${prefix}.`) && !key.slice(prefix.length + 1).includes('.'))
        shapes.set(key.slice(prefix.length + 1), t.shape);
    }
    const config = new ConfigReader(layer.config(), prefix, source);
    const shape = entry?.buildShape?.(config, shapes) ?? null;
    if (!shape) {
      throw new FormatError(
        `${source}: cannot rebuild layer '${prefix}' (${layer.kind}): its config does not fix its input size and its saved tensors ` +
          `(${[...shapes.keys()].join(', ') || 'none'}) do not determine one.`,
      );
    }
    try {
      layer.buildFor(shape);
    } catch (error) {
      if (error instanceof DescentError)
        throw new FormatError(
          `${source}: cannot rebuild layer '${prefix}' (${layer.kind}): ${error.message}`,
        );
      throw error;
    }
  });
}

/**
 * A model from the bytes of its model.json and weights file. `source` is where they came
 * from (a folder, an IndexedDB key) and `modelFile` the description's name, for messages.
 */
export function decodeModel(
  modelJson: Uint8Array | string,
  weightsBytes: Uint8Array,
  options: LoadModelOptions & { source?: string; modelFile?: string } = {},
): { layer: Layer; info: ModelInfo } {
  const source = options.source ?? '<model>';
  const jsonSource = joinSource(source, options.modelFile ?? MODEL_FILE);
  const info = parseModelInfo(modelJson, jsonSource);
  const weightsSource = joinSource(source, info.weights.file);
  if (options.checkIntegrity ?? true) {
    const { bytes, sha256: hash } = info.weights;
    if (
      (bytes !== undefined && bytes !== weightsBytes.length) ||
      (hash !== undefined && hash !== sha256Hex(weightsBytes))
    ) {
      throw new FormatError(
        `${weightsSource}: this is not the weights file that ${MODEL_FILE} was saved with ` +
          `(${weightsBytes.length} bytes${hash !== undefined ? ', different SHA-256' : ''}; expected ${bytes ?? '?'} bytes). ` +
          'A save was interrupted or one of the files was replaced; save the model again, or load with { checkIntegrity: false }.',
      );
    }
  }
  const contents = decodeSafetensors(weightsBytes, weightsSource);
  // The layers may allocate at most twice the values the file holds: room for a config that
  // disagrees a little (reported below, tensor by tensor), none for one that asks for gigabytes.
  let values = 0;
  for (const t of contents.tensors.values()) values += t.data.length;
  const budget: Budget = { remaining: 2 * values };
  const saved = rng().getState();
  let layer: Layer | null = null;
  try {
    layer = layerFromSpec(info.topology, jsonSource, 'topology', budget);
    buildFromWeights(layer, contents, jsonSource);
    loadWeightsInto(layer, contents, weightsSource);
    const built = layer;
    walkLayers(built, (l, prefix) => {
      const state = info.state?.[prefix];
      if (state)
        layerEntry(l.kind)?.loadState?.(l, new ConfigReader(state, `state['${prefix}']`, jsonSource));
    });
    return { layer: built, info };
  } catch (error) {
    layer?.dispose();
    throw error;
  } finally {
    rng().setState(saved);
  }
}

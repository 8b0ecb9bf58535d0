/**
 * Saving and loading models to and from a folder (Node): the two files of model-format.ts,
 *
 *   model.json           topology, versions, input shape, the weights' size and SHA-256, metadata
 *   weights.safetensors  every parameter and buffer, keyed by its path in the model
 *
 *   await saveModel(net, 'out/digits-mlp', { metadata: { seed: 1 } });
 *   const net2 = await loadModel('out/digits-mlp');     // the same predictions
 *
 * The folder is replaced whole (platform.writeDirAtomic): both files go into a new folder
 * next to it, fsynced, which is then renamed into place, so a kill -9 or a full disk at any
 * moment leaves the old model or the new one, never the old model.json with new weights.
 * What a crash interrupts is finished or undone by the next save or load of that folder
 * (platform.recoverDir). In the browser, browser.ts stores the same two files in
 * IndexedDB or offers them as downloads.
 */
import { platform } from '#platform';
import type { Layer } from '../nn/layer.js';
import { ConfigError, DescentError } from '../errors.js';
import {
  decodeModel,
  encodeModel,
  MAX_MODEL_JSON_BYTES,
  MODEL_FILE,
  parseModelInfo,
  type LoadModelOptions,
  type ModelInfo,
  type SaveModelOptions,
} from './model-format.js';

export * from './model-format.js';

/**
 * Saves `layer` to the folder `dir` (created if needed): model.json and weights.safetensors
 * (or the name given as `weightsFile`).
 */
export async function saveModel(
  layer: Layer,
  dir: string,
  options: SaveModelOptions = {},
): Promise<ModelInfo> {
  if (typeof dir !== 'string' || dir === '')
    throw new ConfigError('saveModel: dir must be a non-empty path.');
  const { json, weights, info } = await encodeModel(layer, options);
  platform.writeDirAtomic(dir, [
    [info.weights.file, weights],
    [MODEL_FILE, json],
  ]);
  return info;
}

/**
 * Where a model's description is: `path` is a model folder (its model.json) or a model
 * description file itself (e.g. `mlp.json`, as downloadModel names it in the browser),
 * whose weights file lies next to it.
 */
function locateModel(path: string): { folder: string; jsonPath: string; modelFile: string } {
  if (/\.json$/i.test(path) && platform.pathKind(path) === 'file')
    return { folder: platform.dirName(path), jsonPath: path, modelFile: platform.baseName(path) };
  try {
    platform.recoverDir(path); // a save that a crash interrupted
  } catch (error) {
    // Cannot tidy (a read-only folder): read what is there.
    if (!(error instanceof DescentError)) throw error;
  }
  return { folder: path, jsonPath: platform.joinPath(path, MODEL_FILE), modelFile: MODEL_FILE };
}

/** Reads the model description (only) of a model folder or file: topology, versions and metadata. */
export function readModelInfo(path: string): ModelInfo {
  const { jsonPath } = locateModel(path);
  return parseModelInfo(platform.readFile(jsonPath, 'model description', MAX_MODEL_JSON_BYTES), jsonPath);
}

/**
 * Loads a model saved by saveModel (a folder) or downloaded from the browser (the path of
 * its .json file), with its description.
 */
export function loadModelWithInfo(
  path: string,
  options: LoadModelOptions = {},
): { layer: Layer; info: ModelInfo } {
  if (typeof path !== 'string' || path === '')
    throw new ConfigError('loadModel: dir must be a non-empty path.');
  const { folder, jsonPath, modelFile } = locateModel(path);
  const json = platform.readFile(jsonPath, 'model description', MAX_MODEL_JSON_BYTES);
  const info = parseModelInfo(json, jsonPath);
  const weights = platform.readFile(
    platform.joinPath(folder, info.weights.file),
    'weights file',
    Number.MAX_SAFE_INTEGER,
  );
  return decodeModel(json, weights, { ...options, source: folder, modelFile });
}

/** Loads a model saved by saveModel (or model.save): the rebuilt network with its weights. */
export async function loadModel(path: string, options: LoadModelOptions = {}): Promise<Layer> {
  return loadModelWithInfo(path, options).layer;
}

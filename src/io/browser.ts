/**
 * Saving models in the browser: to IndexedDB (kept across page loads) and as downloads. The
 * bytes are those saveModel writes to a folder in Node (model-format.ts), so a model moves
 * freely between the two:
 *
 *   await saveModelToIndexedDB(model, 'digits-mlp');        // a Model or a network
 *   const net = await loadModelFromIndexedDB('digits-mlp');  // after a reload, too
 *   await listModelsInIndexedDB();                           // [{ key, savedAt, bytes, … }]
 *   await deleteModelFromIndexedDB('digits-mlp');
 *   await downloadModel(model, 'digits-mlp');                // digits-mlp.json + digits-mlp.safetensors
 *
 * In Node, `loadModel('Downloads/digits-mlp.json')` (or `descent evaluate` on that path)
 * loads a downloaded pair.
 *
 * IndexedDB: database 'descent', stores 'models' (model.json's text with a summary, so
 * that listing does not read any weights) and 'weights' (the safetensors bytes), both
 * written in one transaction: a save that fails leaves the previous version whole, never a
 * description without its weights. Loading checks everything that loading a folder checks
 * (the weights' size and SHA-256 against the description, every tensor's name and shape),
 * so a damaged record is a FormatError naming the key, and a missing one a NotFoundError.
 *
 * This module imports nothing from Node: a browser bundle of it needs no stubs.
 */
import { ConfigError, DescentError, FormatError, NotFoundError } from '../errors.js';
import { Layer } from '../nn/layer.js';
import { describe, isPlainObject } from './json.js';
import {
  decodeModel,
  encodeModel,
  MODEL_FILE,
  parseModelInfo,
  SAFE_FILE_NAME,
  type LoadModelOptions,
  type ModelInfo,
  type SaveModelOptions,
} from './model-format.js';

/** The database and its stores. */
export const INDEXEDDB_NAME = 'descent';
const DB_VERSION = 1;
const MODELS_STORE = 'models';
const WEIGHTS_STORE = 'weights';
const RECORD_FORMAT = 'descent-model-record';

/** A network, or anything holding one as `net` (a train.Model, whose loss and metric names are saved too). */
export type Saveable = Layer | { net: Layer; saveOptions?(options?: SaveModelOptions): SaveModelOptions };

export interface IndexedDBOptions {
  /** The database's name (default 'descent'). */
  database?: string;
}

/** A saved model as listModelsInIndexedDB lists it. */
export interface StoredModelSummary {
  key: string;
  /** When it was saved (ISO 8601). */
  savedAt: string;
  /** model.json's and the weights' sizes together, in bytes. */
  bytes: number;
  descentVersion: string;
  /** The top layer's kind and name. */
  topology: { kind: string; name: string };
}

/** The 'models' store's record: model.json's text and a summary of it. */
interface DescriptionRecord {
  format: typeof RECORD_FORMAT;
  json: string;
  savedAt: string;
  weightsBytes: number;
}

/** The network to save and the options with what a Model adds (its loss and metric names). */
function layerOf(
  where: string,
  model: unknown,
  options: SaveModelOptions,
): { layer: Layer; options: SaveModelOptions } {
  if (model instanceof Layer) return { layer: model, options };
  if (typeof model === 'object' && model !== null) {
    const holder = model as { net?: unknown; saveOptions?: unknown };
    if (holder.net instanceof Layer) {
      const withTraining =
        typeof holder.saveOptions === 'function'
          ? (holder.saveOptions as (o: SaveModelOptions) => SaveModelOptions).call(model, options)
          : options;
      return { layer: holder.net, options: withTraining };
    }
  }
  throw new ConfigError(`${where}: expected a network (a Layer) or a Model, got ${describe(model)}.`);
}

function checkKey(where: string, key: unknown): string {
  if (typeof key !== 'string' || key === '')
    throw new ConfigError(`${where}: the key must be a non-empty string, got ${describe(key)}.`);
  return key;
}

function databaseName(where: string, options: IndexedDBOptions): string {
  const name = options.database ?? INDEXEDDB_NAME;
  if (typeof name !== 'string' || name === '')
    throw new ConfigError(`${where}: database must be a non-empty string, got ${describe(name)}.`);
  return name;
}

/** What a failed request or transaction reports. */
function reason(error: DOMException | null | undefined, fallback: string): string {
  return error ? `${error.name}: ${error.message}` : fallback;
}

/** Opens (and on first use creates) the database. */
function openDatabase(where: string, name: string): Promise<IDBDatabase> {
  const factory = (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  if (!factory) {
    throw new ConfigError(
      `${where}: IndexedDB is not available here (it exists in browsers, not in Node; in Node use saveModel(dir) and loadModel(dir)).`,
    );
  }
  return new Promise((resolve, reject) => {
    let request: IDBOpenDBRequest;
    try {
      request = factory.open(name, DB_VERSION);
    } catch (error) {
      reject(new DescentError(`${where}: cannot open IndexedDB database '${name}' (${String(error)}).`));
      return;
    }
    request.onupgradeneeded = () => {
      const db = request.result;
      if (!db.objectStoreNames.contains(MODELS_STORE)) db.createObjectStore(MODELS_STORE);
      if (!db.objectStoreNames.contains(WEIGHTS_STORE)) db.createObjectStore(WEIGHTS_STORE);
    };
    request.onsuccess = () => {
      const db = request.result;
      // Another tab upgrading the database must not wait for this connection.
      db.onversionchange = () => db.close();
      if (!db.objectStoreNames.contains(MODELS_STORE) || !db.objectStoreNames.contains(WEIGHTS_STORE)) {
        db.close();
        reject(
          new FormatError(
            `${where}: IndexedDB database '${name}' exists but lacks the stores '${MODELS_STORE}' and '${WEIGHTS_STORE}' (not descent's?); pass { database } to use another.`,
          ),
        );
        return;
      }
      resolve(db);
    };
    request.onerror = () =>
      reject(
        new DescentError(
          `${where}: cannot open IndexedDB database '${name}' (${reason(request.error, 'unknown error')}).`,
        ),
      );
    request.onblocked = () =>
      reject(
        new DescentError(
          `${where}: IndexedDB database '${name}' is blocked by another tab holding an older version open.`,
        ),
      );
  });
}

/**
 * Runs `body` in one transaction over both stores and resolves with its result once the
 * transaction has committed; rejects (and nothing it wrote remains) if it aborts.
 */
async function inTransaction<T>(
  where: string,
  options: IndexedDBOptions,
  mode: IDBTransactionMode,
  body: (models: IDBObjectStore, weights: IDBObjectStore, tx: IDBTransaction) => Promise<T> | T,
): Promise<T> {
  const name = databaseName(where, options);
  const db = await openDatabase(where, name);
  try {
    const tx = db.transaction([MODELS_STORE, WEIGHTS_STORE], mode);
    const done = new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      const fail = () =>
        reject(
          new DescentError(
            `${where}: the IndexedDB transaction on '${name}' failed (${reason(tx.error, 'aborted')}); nothing was changed.`,
          ),
        );
      // A failed request aborts the transaction (its error event is not prevented): reported here, once.
      tx.onabort = fail;
    });
    let result: T;
    try {
      result = await body(tx.objectStore(MODELS_STORE), tx.objectStore(WEIGHTS_STORE), tx);
    } catch (error) {
      try {
        tx.abort();
      } catch {
        // Already finished or aborted.
      }
      await done.catch(() => undefined);
      if (error instanceof DescentError) throw error;
      throw new DescentError(
        `${where}: an IndexedDB request on '${name}' failed (${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}); nothing was changed.`,
      );
    }
    await done;
    return result;
  } finally {
    db.close();
  }
}

/** A request's result, as a promise (within a transaction). */
function requested<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new DOMException('request failed'));
  });
}

/**
 * Saves a model to IndexedDB under `key`, replacing any model saved there before (in one
 * transaction: if the write fails, the previous one stays).
 */
export async function saveModelToIndexedDB(
  model: Saveable,
  key: string,
  options: SaveModelOptions & IndexedDBOptions = {},
): Promise<ModelInfo> {
  const where = 'saveModelToIndexedDB';
  checkKey(where, key);
  databaseName(where, options);
  const { layer, options: saveOptions } = layerOf(where, model, options);
  // Encoded first, outside the transaction (which would commit while we wait for tensor data).
  const { json, weights, info } = await encodeModel(layer, saveOptions);
  const record: DescriptionRecord = {
    format: RECORD_FORMAT,
    json,
    savedAt: new Date().toISOString(),
    weightsBytes: weights.length,
  };
  await inTransaction(where, options, 'readwrite', (models, weightsStore) => {
    models.put(record, key);
    weightsStore.put(weights, key);
  });
  return info;
}

/** The record's two parts, checked, or a NotFoundError / FormatError naming the key. */
async function readRecord(
  where: string,
  key: string,
  options: IndexedDBOptions,
): Promise<{ json: string; weights: Uint8Array }> {
  const name = databaseName(where, options);
  const [description, weights] = await inTransaction(where, options, 'readonly', (models, weightsStore) =>
    Promise.all([
      requested(models.get(key) as IDBRequest<unknown>),
      requested(weightsStore.get(key) as IDBRequest<unknown>),
    ]),
  );
  const place = `IndexedDB '${name}', key '${key}'`;
  if (description === undefined && weights === undefined) {
    const keys = await storedKeys(where, options);
    throw new NotFoundError(
      `${where}: no model saved under key '${key}' in IndexedDB '${name}' ` +
        `(${keys.length ? `saved: ${keys.slice(0, 10).join(', ')}${keys.length > 10 ? ', …' : ''}` : 'it holds no models'}).`,
    );
  }
  if (
    !isPlainObject(description) ||
    description.format !== RECORD_FORMAT ||
    typeof description.json !== 'string'
  )
    throw new FormatError(
      `${place}: the model description record is damaged (expected { format: '${RECORD_FORMAT}', json: string, … }, got ${describe(description)}).`,
    );
  const bytes =
    weights instanceof Uint8Array ? weights : weights instanceof ArrayBuffer ? new Uint8Array(weights) : null;
  if (!bytes)
    throw new FormatError(
      `${place}: the weights record is ${weights === undefined ? 'missing' : `not bytes (${describe(weights)})`}; the model cannot be loaded. Save it again.`,
    );
  return { json: description.json, weights: bytes };
}

/** Loads a model saved by saveModelToIndexedDB, with its description (model.json's contents). */
export async function loadModelWithInfoFromIndexedDB(
  key: string,
  options: LoadModelOptions & IndexedDBOptions = {},
): Promise<{ layer: Layer; info: ModelInfo }> {
  const where = 'loadModelFromIndexedDB';
  checkKey(where, key);
  const { json, weights } = await readRecord(where, key, options);
  return decodeModel(json, weights, {
    checkIntegrity: options.checkIntegrity,
    source: `IndexedDB '${databaseName(where, options)}' key '${key}'`,
    modelFile: MODEL_FILE,
  });
}

/** Loads a model saved by saveModelToIndexedDB: the rebuilt network with its weights. */
export async function loadModelFromIndexedDB(
  key: string,
  options: LoadModelOptions & IndexedDBOptions = {},
): Promise<Layer> {
  return (await loadModelWithInfoFromIndexedDB(key, options)).layer;
}

/**
 * Loads a model from files a user picked or dropped (`<input type="file" multiple>`): a
 * model description (`model.json`, or `<name>.json` as downloadModel names it) and the
 * weights file it names, among `files`. Checks what loading a folder checks.
 */
export async function loadModelWithInfoFromFiles(
  files: ArrayLike<Blob> | Iterable<Blob>,
  options: LoadModelOptions = {},
): Promise<{ layer: Layer; info: ModelInfo }> {
  const where = 'loadModelFromFiles';
  const list = Array.from(files as Iterable<Blob>);
  const named = list.map((blob) => ({ blob, name: (blob as Blob & { name?: unknown }).name }));
  if (named.some((f) => typeof f.name !== 'string'))
    throw new ConfigError(`${where}: expected Files (with names), as a file input or a drop gives them.`);
  const descriptions = named.filter((f) => /\.json$/i.test(f.name as string));
  if (descriptions.length !== 1)
    throw new ConfigError(
      `${where}: expected exactly one model description (.json) among the files, got ${descriptions.length} ` +
        `(${named.map((f) => f.name).join(', ') || 'no files'}).`,
    );
  const description = descriptions[0];
  const json = new Uint8Array(await description.blob.arrayBuffer());
  const info = parseModelInfo(json, description.name as string);
  const weights = named.find((f) => f.name === info.weights.file);
  if (!weights)
    throw new NotFoundError(
      `${where}: ${description.name} names its weights file '${info.weights.file}', which is not among the files ` +
        `(${named.map((f) => f.name).join(', ')}); pick both files.`,
    );
  return decodeModel(json, new Uint8Array(await weights.blob.arrayBuffer()), {
    checkIntegrity: options.checkIntegrity,
    source: 'the chosen files',
    modelFile: description.name as string,
  });
}

/** Loads a model from picked or dropped files (see loadModelWithInfoFromFiles). */
export async function loadModelFromFiles(
  files: ArrayLike<Blob> | Iterable<Blob>,
  options: LoadModelOptions = {},
): Promise<Layer> {
  return (await loadModelWithInfoFromFiles(files, options)).layer;
}

async function storedKeys(where: string, options: IndexedDBOptions): Promise<string[]> {
  const keys = await inTransaction(where, options, 'readonly', (models) => requested(models.getAllKeys()));
  return keys.map(String).sort();
}

/** Every model saved in IndexedDB, by key (no weights are read). Damaged records are listed with what is known. */
export async function listModelsInIndexedDB(options: IndexedDBOptions = {}): Promise<StoredModelSummary[]> {
  const where = 'listModelsInIndexedDB';
  const entries = await inTransaction(where, options, 'readonly', async (models) => {
    const [keys, values] = await Promise.all([requested(models.getAllKeys()), requested(models.getAll())]);
    return keys.map((k, i) => [String(k), values[i] as unknown] as const);
  });
  return entries
    .map(([key, value]) => {
      const record = isPlainObject(value) ? value : {};
      let descentVersion = 'unknown';
      let topology = { kind: 'unknown', name: '' };
      if (typeof record.json === 'string') {
        try {
          const info = parseModelInfo(record.json, key);
          descentVersion = info.descentVersion;
          topology = { kind: String(info.topology.kind), name: String(info.topology.name) };
        } catch {
          // A damaged description: listed, so that it can be found and deleted.
        }
      }
      const jsonBytes = typeof record.json === 'string' ? new TextEncoder().encode(record.json).length : 0;
      return {
        key,
        savedAt: typeof record.savedAt === 'string' ? record.savedAt : '',
        bytes: jsonBytes + (typeof record.weightsBytes === 'number' ? record.weightsBytes : 0),
        descentVersion,
        topology,
      };
    })
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Deletes the model saved under `key` (both parts, in one transaction); false when there was none. */
export async function deleteModelFromIndexedDB(
  key: string,
  options: IndexedDBOptions = {},
): Promise<boolean> {
  const where = 'deleteModelFromIndexedDB';
  checkKey(where, key);
  return inTransaction(where, options, 'readwrite', async (models, weightsStore) => {
    // Requests run in the order they are made: the counts see the records before the deletes.
    const counts = Promise.all([requested(models.count(key)), requested(weightsStore.count(key))]);
    models.delete(key);
    weightsStore.delete(key);
    const [a, b] = await counts;
    return a + b > 0;
  });
}

/** Offers `blob` to the user as a download named `filename`. */
function offerDownload(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
  // Revoked later: revoking at once can cancel a download that has not started reading.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/**
 * Downloads a model as two files, `<name>.json` (model.json's contents, naming its weights
 * file) and `<name>.safetensors`. Put in one folder, `loadModel('<folder>/<name>.json')`
 * loads them in Node; with the default name they are model.json and model.safetensors, so
 * `loadModel('<folder>')` does too.
 */
export async function downloadModel(
  model: Saveable,
  name = 'model',
  options: SaveModelOptions = {},
): Promise<ModelInfo> {
  const where = 'downloadModel';
  if (typeof name !== 'string' || !SAFE_FILE_NAME.test(`${name}.json`) || /\.json$/i.test(name))
    throw new ConfigError(
      `${where}: name must be a plain file name without extension (letters, digits, '.', '_', '-'), got ${describe(name)}.`,
    );
  if (typeof document === 'undefined' || typeof URL.createObjectURL !== 'function')
    throw new ConfigError(
      `${where}: needs a browser page (document and URL.createObjectURL); in Node use saveModel(dir).`,
    );
  const { layer, options: saveOptions } = layerOf(where, model, options);
  const { json, weights, info } = await encodeModel(layer, {
    ...saveOptions,
    weightsFile: `${name}.safetensors`,
  });
  offerDownload(new Blob([json], { type: 'application/json' }), `${name}.json`);
  offerDownload(new Blob([weights as BlobPart], { type: 'application/octet-stream' }), `${name}.safetensors`);
  return info;
}

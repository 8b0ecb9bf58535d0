/**
 * The page script of the browser persistence test (test/io/browser.test.ts): builds a small
 * CNN (conv2d + batch norm + dense), and exposes to the harness what the test drives through
 * Playwright — saving to and loading from IndexedDB, listing, deleting, damaging records,
 * a save whose transaction fails, and downloads. Bundled without Node stubs: it and
 * src/io/browser.ts must import nothing from Node.
 */
import { setBackend } from '../../src/backend/registry.js';
import { DescentError } from '../../src/errors.js';
import {
  deleteModelFromIndexedDB,
  downloadModel,
  INDEXEDDB_NAME,
  listModelsInIndexedDB,
  loadModelWithInfoFromIndexedDB,
  saveModelToIndexedDB,
  type StoredModelSummary,
} from '../../src/io/browser.js';
import type { SaveModelOptions } from '../../src/io/model-format.js';
import { noGrad } from '../../src/autograd/tape.js';
import { activation } from '../../src/nn/activations.js';
import { batchNorm2d } from '../../src/nn/batchnorm.js';
import { conv2d } from '../../src/nn/conv2d.js';
import { dense } from '../../src/nn/dense.js';
import { flatten } from '../../src/nn/flatten.js';
import type { Layer } from '../../src/nn/layer.js';
import { maxPool2d } from '../../src/nn/pool.js';
import { sequential } from '../../src/nn/sequential.js';
import { fromArray } from '../../src/tensor/creation.js';
import { setSeed } from '../../src/tensor/random.js';
import { tidy } from '../../src/tensor/scope.js';

export interface ErrorReport {
  name: string;
  message: string;
}

export interface IoPage {
  /** Builds the CNN from a seed (batch norm's running statistics moved by a few training passes); its predictions for `input`. */
  build(seed: number, input: number[], shape: number[]): number[];
  /** Predictions of the current network. */
  predict(): number[];
  save(key: string, asModel?: boolean): Promise<{ weightsBytes: number; metadata: Record<string, unknown> }>;
  /** Loads `key` into a fresh network and returns its predictions for the input, and its metadata. */
  load(key: string): Promise<{ predictions: number[]; metadata: Record<string, unknown> }>;
  list(): Promise<StoredModelSummary[]>;
  remove(key: string): Promise<boolean>;
  /** Saves another network under `key` while every put request fails: the error, and what loading gives after. */
  failingSave(key: string, seed: number): Promise<ErrorReport | null>;
  /** Replaces a part of the record under `key` with damaged content. */
  damage(
    key: string,
    how: 'weights-bytes' | 'weights-missing' | 'weights-type' | 'description',
  ): Promise<void>;
  /** The error loading `key` gives (null if it loads). */
  loadError(key: string): Promise<ErrorReport | null>;
  download(name: string): Promise<{ weightsFile: string }>;
  /** The error downloadModel gives for a bad name. */
  downloadError(name: string): Promise<ErrorReport | null>;
}

let net: Layer | null = null;
let inputValues: number[] = [];
let inputShape: number[] = [];

function makeNet(seed: number): Layer {
  setSeed(seed);
  return sequential([
    conv2d({ inChannels: 1, outChannels: 3, kernelSize: 3, padding: 1 }),
    batchNorm2d(3),
    activation('relu'),
    maxPool2d(2),
    flatten(),
    dense({ units: 4 }),
  ]);
}

function predictWith(layer: Layer): number[] {
  return tidy(() =>
    noGrad(() => Array.from(layer.call(fromArray(inputValues, inputShape), { training: false }).dataSync())),
  );
}

function report(error: unknown): ErrorReport {
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: typeof error, message: String(error) };
}

async function caught(body: () => Promise<unknown>): Promise<ErrorReport | null> {
  try {
    await body();
    return null;
  } catch (error) {
    return report(error);
  }
}

/** A Model-like holder, as train.Model is: the network and the metadata it adds. */
function asModel(layer: Layer) {
  return {
    net: layer,
    saveOptions: (options: SaveModelOptions = {}): SaveModelOptions => ({
      ...options,
      metadata: { training: { loss: 'crossEntropy', metrics: ['accuracy'] }, ...options.metadata },
    }),
  };
}

function openRaw(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(INDEXEDDB_NAME);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function current(): Layer {
  if (!net) throw new DescentError('io-entry: call build() first.');
  return net;
}

const page: IoPage = {
  build(seed, input, shape) {
    setBackend('cpu');
    inputValues = input;
    inputShape = shape;
    net?.dispose();
    net = makeNet(seed);
    // Training-mode passes move batch norm's running statistics away from (0, 1).
    for (let i = 0; i < 3; i++)
      tidy(() => noGrad(() => net!.call(fromArray(input, shape), { training: true })));
    return predictWith(net);
  },
  predict: () => predictWith(current()),
  async save(key, model = false) {
    const layer = current();
    const info = await saveModelToIndexedDB(model ? asModel(layer) : layer, key, {
      metadata: { note: 'saved in the browser' },
    });
    return { weightsBytes: info.weights.bytes ?? -1, metadata: info.metadata };
  },
  async load(key) {
    const { layer, info } = await loadModelWithInfoFromIndexedDB(key);
    try {
      return { predictions: predictWith(layer), metadata: info.metadata };
    } finally {
      layer.dispose();
    }
  },
  list: () => listModelsInIndexedDB(),
  remove: (key) => deleteModelFromIndexedDB(key),
  async failingSave(key, seed) {
    const other = makeNet(seed);
    const put = IDBObjectStore.prototype.put;
    // The second put (the weights) fails after the first (the description) succeeded.
    let calls = 0;
    IDBObjectStore.prototype.put = function (this: IDBObjectStore, ...args: Parameters<typeof put>) {
      if (++calls === 2)
        throw new DOMException('simulated failure of the weights write', 'QuotaExceededError');
      return put.apply(this, args);
    };
    try {
      other.buildFor([1, ...inputShape.slice(1)]);
      return await caught(() => saveModelToIndexedDB(other, key));
    } finally {
      IDBObjectStore.prototype.put = put;
      other.dispose();
    }
  },
  async damage(key, how) {
    const db = await openRaw();
    try {
      await new Promise<void>((resolve, reject) => {
        const tx = db.transaction(['models', 'weights'], 'readwrite');
        tx.oncomplete = () => resolve();
        tx.onabort = () => reject(tx.error);
        const weights = tx.objectStore('weights');
        if (how === 'description') {
          tx.objectStore('models').put({ format: 'something else' }, key);
        } else if (how === 'weights-missing') {
          weights.delete(key);
        } else if (how === 'weights-type') {
          weights.put('not bytes', key);
        } else {
          const request = weights.get(key);
          request.onsuccess = () => {
            const bytes = Uint8Array.from(request.result as Uint8Array);
            bytes[bytes.length - 1] ^= 0xff; // one flipped byte in the last tensor
            weights.put(bytes, key);
          };
        }
      });
    } finally {
      db.close();
    }
  },
  loadError: (key) => caught(() => loadModelWithInfoFromIndexedDB(key)),
  async download(name) {
    const info = await downloadModel(asModel(current()), name, { metadata: { note: 'downloaded' } });
    return { weightsFile: info.weights.file };
  },
  downloadError: (name) => caught(() => downloadModel(current(), name)),
};

(globalThis as { descentIo?: IoPage }).descentIo = page;

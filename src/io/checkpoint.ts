/**
 * Checkpoints: everything needed to continue a training run as if it had never stopped.
 *
 *   <dir>/ckpt-<step>/
 *     model.json, weights.safetensors   the model, as saveModel writes it
 *     optimizer.safetensors             every tensor of the optimiser state (velocities, moments…)
 *     callbacks.safetensors             the callbacks' tensors (early stopping's best weights), when any
 *     checkpoint.json                   epoch and step, history, RNG states, the optimiser
 *                                       state's structure (numbers such as step counts, and
 *                                       which tensor goes where) and learning-rate scale, the
 *                                       callbacks' states (best values, epochs waited…),
 *                                       metadata, and the size and SHA-256 of every other file
 *
 * A checkpoint is written into a temporary folder (`.tmp-ckpt-<step>-<pid>-<random>`), every
 * file is fsynced, and the folder is renamed into place: after a crash or a kill -9 a
 * `ckpt-<step>` folder is either complete or absent. `latestCheckpoint` also verifies the
 * sizes and hashes, so a checkpoint damaged later (a disk error, a hand edit) is skipped
 * rather than loaded. Only the last `keep` (default 3) are kept; old ones are renamed away
 * before they are deleted, so no half-deleted checkpoint keeps a valid name.
 *
 * One training run per checkpoint folder: temporary folders left by dead processes are
 * removed by the next save.
 */
import { platform } from '#platform';
import { TEMP_PREFIX } from '../platform/contract.js';
import { ConfigError, DescentError, FormatError } from '../errors.js';
import type { Layer } from '../nn/layer.js';
import { Optimizer } from '../optim/optimizer.js';
import { stateTensors, type OptState } from '../optim/transform.js';
import { fromArray } from '../tensor/creation.js';
import { dispose, keep } from '../tensor/scope.js';
import { isTensor, type Tensor } from '../tensor/tensor.js';
import {
  decodeNumber,
  describe,
  descentVersion,
  encodeNumber,
  isPlainObject,
  parseJsonBytes,
} from './json.js';
import {
  decodeModel,
  encodeModel,
  loadWeightsInto,
  MODEL_FILE,
  parseModelInfo,
  walkLayers,
  WEIGHTS_FILE,
} from './model-io.js';
import { ConfigReader, layerEntry } from './layers.js';
import {
  decodeSafetensors,
  encodeSafetensors,
  type SafetensorsContents,
  type TensorRecord,
} from './safetensors.js';

export const CHECKPOINT_FILE = 'checkpoint.json';
export const OPTIMIZER_FILE = 'optimizer.safetensors';
export const CALLBACKS_FILE = 'callbacks.safetensors';
export const CHECKPOINT_FORMAT = 'descent-checkpoint';
/** 2 added the optimiser's lrScale and the callbacks' states; version 1 is still read. */
export const CHECKPOINT_FORMAT_VERSION = 2;
const CHECKPOINT_NAME = /^ckpt-(\d+)$/;

/** Per-epoch values, as Model.fit returns them. */
export interface CheckpointHistory {
  epochs: number[];
  history: Record<string, number[]>;
}

/** The generators' states (Rng.getState()): the shuffling one and the global one. */
export interface RngStates {
  shuffle?: number[];
  global?: number[];
}

/**
 * The state of one part of a run that is not the model or the optimiser (a callback's best
 * value, epochs waited, best weights), as it is handed to saveCheckpoint: JSON values
 * (NaN and ±Infinity allowed) and tensors, which are read, not kept or freed.
 */
export interface SavedState {
  values: Record<string, unknown>;
  tensors?: Record<string, Tensor>;
}

/** A SavedState as loadCheckpoint gives it back: the values, and the tensors' contents. */
export interface RestoredState {
  values: Record<string, unknown>;
  tensors: Record<string, TensorRecord>;
}

export interface SaveCheckpointOptions {
  /** The network. */
  model: Layer;
  optimizer?: Optimizer | null;
  /** Completed epochs. */
  epoch: number;
  /** Completed steps (mini-batches); names the folder, ckpt-<step>. */
  step: number;
  history?: CheckpointHistory;
  rng?: RngStates;
  /** Keep this many newest checkpoints (default 3). */
  keep?: number;
  metadata?: Record<string, unknown>;
  /** The callbacks' states, by key (see train/callbacks.ts, saveCallbackStates). */
  callbacks?: Record<string, SavedState>;
}

/** A callback's state in checkpoint.json: its values, and its tensors' indices in callbacks.safetensors. */
export interface SavedStateEntry {
  values: Record<string, unknown>;
  tensors: Record<string, number>;
}

export interface CheckpointInfo {
  descentVersion: string;
  epoch: number;
  step: number;
  history: CheckpointHistory;
  rng: RngStates;
  /** The optimiser's step count, state structure and learning-rate scale (1 in version 1 checkpoints). */
  optimizer: { steps: number; state: unknown; file: string; lrScale: number } | null;
  /** The callbacks' states by key; null in checkpoints from before they were saved (version 1). */
  callbacks: Record<string, SavedStateEntry> | null;
  files: Record<string, { bytes: number; sha256: string }>;
  metadata: Record<string, unknown>;
}

export interface LoadedCheckpoint extends CheckpointInfo {
  /** The checkpoint folder. */
  path: string;
  /** The model: the one passed in (now holding the saved weights) or one rebuilt from the checkpoint. */
  model: Layer;
  /** The callbacks' states with their tensors' contents; null when the checkpoint has none (version 1). */
  callbackStates: Record<string, RestoredState> | null;
}

function checkInt(where: string, name: string, value: unknown, min = 0): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new ConfigError(`${where}: ${name} must be an integer ≥ ${min}, got ${describe(value)}.`);
  }
  return value;
}

// ---- the optimiser state's structure -----------------------------------------------------

/** The state as JSON: tensors become { $tensor: i } (i-th tensor of optimizer.safetensors). */
function encodeState(state: OptState, tensors: Tensor[]): unknown {
  if (state === null || typeof state === 'boolean') return state;
  if (typeof state === 'number') return Number.isFinite(state) ? state : { $number: String(state) };
  if (isTensor(state)) return { $tensor: tensors.push(state) - 1 };
  if (Array.isArray(state)) return state.map((s: OptState) => encodeState(s, tensors));
  const entries = Object.entries(state as Record<string, OptState>).map(([k, v]) => [
    k,
    encodeState(v, tensors),
  ]);
  const object = Object.fromEntries(entries) as Record<string, unknown>;
  return Object.keys(object).some((k) => k.startsWith('$')) ? { $object: object } : object;
}

/**
 * The state from its JSON and tensors, checked against the optimiser's own (fresh) state:
 * the same structure, the same tensor shapes — otherwise the checkpoint was made with
 * another optimiser and loading it would silently train something else.
 */
function decodeState(
  skeleton: unknown,
  current: OptState,
  file: SafetensorsContents,
  path: string,
  source: string,
  made: Tensor[],
): OptState {
  const mismatch = (expected: string): never => {
    throw new FormatError(
      `${source}: optimizer state at ${path}: the checkpoint holds ${describe(skeleton)}, the optimiser has ${expected} ` +
        '(was the checkpoint made with a different optimiser or model?).',
    );
  };
  if (current === null) return skeleton === null ? null : mismatch('null');
  if (typeof current === 'boolean') return typeof skeleton === 'boolean' ? skeleton : mismatch('a boolean');
  if (typeof current === 'number') {
    if (typeof skeleton === 'number') return skeleton;
    if (isPlainObject(skeleton) && typeof skeleton.$number === 'string') {
      const n = decodeNumber(skeleton.$number);
      if (n !== undefined) return n;
    }
    return mismatch('a number');
  }
  if (isTensor(current)) {
    const index = isPlainObject(skeleton) ? skeleton.$tensor : undefined;
    if (typeof index !== 'number' || !Number.isSafeInteger(index) || index < 0)
      return mismatch(`a tensor [${current.shape.join(', ')}]`);
    const saved = file.tensors.get(`state.${index}`);
    if (!saved)
      throw new FormatError(
        `${source}: optimizer state at ${path} refers to tensor 'state.${index}', which ${OPTIMIZER_FILE} does not hold.`,
      );
    if (saved.shape.length !== current.shape.length || saved.shape.some((d, i) => d !== current.shape[i])) {
      throw new FormatError(
        `${source}: optimizer state at ${path}: tensor 'state.${index}' has shape [${saved.shape.join(', ')}], the optimiser expects [${current.shape.join(', ')}].`,
      );
    }
    const t = keep(fromArray(saved.data, saved.shape, { dtype: current.dtype }));
    made.push(t);
    return t;
  }
  if (Array.isArray(current)) {
    if (!Array.isArray(skeleton) || skeleton.length !== current.length)
      return mismatch(`a list of ${current.length}`);
    return current.map((c: OptState, i: number) =>
      decodeState(skeleton[i], c, file, `${path}[${i}]`, source, made),
    );
  }
  const object = current as Record<string, OptState>;
  let body = skeleton;
  if (isPlainObject(body) && Object.keys(body).length === 1 && isPlainObject(body.$object))
    body = body.$object;
  const keys = Object.keys(object);
  if (
    !isPlainObject(body) ||
    Object.keys(body).length !== keys.length ||
    !keys.every((k) => Object.hasOwn(body as object, k))
  ) {
    return mismatch(`an object with keys ${keys.join(', ') || '(none)'}`);
  }
  const out: Record<string, OptState> = {};
  for (const k of keys)
    out[k] = decodeState((body as Record<string, unknown>)[k], object[k], file, `${path}.${k}`, source, made);
  return out;
}

/** Replaces an optimiser's state (its tensors kept, the old ones freed). */
function setOptimizerState(optimizer: Optimizer, state: OptState, steps: number): void {
  const old = optimizer.state;
  const target = optimizer as unknown as { setState?: (s: OptState) => void };
  if (typeof target.setState === 'function') {
    target.setState(state);
  } else {
    // Until Optimizer has a public setter, its private field — checked, so a rename cannot fail silently.
    Reflect.set(optimizer, 'stateValue', state);
    if (optimizer.state !== state)
      throw new DescentError('loadCheckpoint: cannot set the optimiser state (Optimizer internals changed).');
    const fresh = new Set(stateTensors(state));
    dispose(stateTensors(old).filter((t) => !fresh.has(t)));
  }
  optimizer.steps = steps;
}

// ---- callback states ---------------------------------------------------------------------

/** JSON values with NaN and ±Infinity as { $number } (and objects with $-keys wrapped in { $object }). */
function encodeValue(value: unknown, path: string): unknown {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : { $number: String(value) };
  if (Array.isArray(value)) return value.map((v, i) => encodeValue(v, `${path}[${i}]`));
  if (isPlainObject(value)) {
    const object = Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, encodeValue(v, `${path}.${k}`)]),
    );
    return Object.keys(object).some((k) => k.startsWith('$')) ? { $object: object } : object;
  }
  throw new ConfigError(
    `saveCheckpoint: callback state ${path} is ${describe(value)} (${typeof value}); expected JSON values (tensors go in 'tensors').`,
  );
}

function decodeValue(value: unknown, path: string, source: string): unknown {
  if (Array.isArray(value)) return value.map((v, i) => decodeValue(v, `${path}[${i}]`, source));
  if (!isPlainObject(value)) return value;
  const keys = Object.keys(value);
  if (keys.length === 1 && keys[0] === '$number') {
    const n = decodeNumber(value.$number);
    if (n === undefined)
      throw new FormatError(
        `${source}: ${path}: expected 'NaN', 'Infinity' or '-Infinity', got ${describe(value.$number)}.`,
      );
    return n;
  }
  const body =
    keys.length === 1 && keys[0] === '$object' && isPlainObject(value.$object) ? value.$object : value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body))
    Object.defineProperty(out, k, {
      value: decodeValue(v, `${path}.${k}`, source),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  return out;
}

/** The callbacks' states as checkpoint.json holds them, and their tensors in file order. */
function encodeCallbackStates(states: Record<string, SavedState>): {
  entries: Record<string, SavedStateEntry>;
  tensors: Tensor[];
} {
  const tensors: Tensor[] = [];
  const entries: Record<string, SavedStateEntry> = {};
  for (const [key, state] of Object.entries(states)) {
    if (!isPlainObject(state) || !isPlainObject(state.values))
      throw new ConfigError(
        `saveCheckpoint: the state of callback '${key}' must be { values: {...}, tensors?: {...} }.`,
      );
    const indices: Record<string, number> = {};
    for (const [name, t] of Object.entries(state.tensors ?? {})) {
      if (!isTensor(t))
        throw new ConfigError(`saveCheckpoint: callback '${key}' tensor '${name}' is not a tensor.`);
      indices[name] = tensors.push(t) - 1;
    }
    entries[key] = {
      values: encodeValue(state.values, `callbacks['${key}'].values`) as Record<string, unknown>,
      tensors: indices,
    };
  }
  return { entries, tensors };
}

function parseCallbackEntries(value: unknown, source: string): Record<string, SavedStateEntry> {
  const fail = (path: string, expected: string, got: unknown): never => {
    throw new FormatError(`${source}: ${path}: expected ${expected}, got ${describe(got)}.`);
  };
  if (!isPlainObject(value)) return fail('callbacks', 'an object of callback states', value);
  const out: Record<string, SavedStateEntry> = {};
  for (const [key, entry] of Object.entries(value)) {
    const path = `callbacks['${key}']`;
    if (!isPlainObject(entry) || !isPlainObject(entry.values))
      fail(path, '{ values: {...}, tensors: {...} }', entry);
    const e = entry as { values: Record<string, unknown>; tensors?: unknown };
    const tensors = e.tensors ?? {};
    if (!isPlainObject(tensors)) fail(`${path}.tensors`, 'an object of tensor indices', tensors);
    for (const [name, i] of Object.entries(tensors as Record<string, unknown>))
      if (!(Number.isSafeInteger(i) && (i as number) >= 0))
        fail(`${path}.tensors['${name}']`, 'a tensor index (an integer ≥ 0)', i);
    Object.defineProperty(out, key, {
      value: { values: e.values, tensors: tensors as Record<string, number> },
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/** The callbacks' values decoded and their tensors taken from callbacks.safetensors. */
function restoreCallbackStates(
  entries: Record<string, SavedStateEntry>,
  file: Uint8Array | undefined,
  path: string,
): Record<string, RestoredState> {
  const source = platform.joinPath(path, CALLBACKS_FILE);
  const contents = file ? decodeSafetensors(file, source) : null;
  const used = new Set<string>();
  // Built with fromEntries: keys from the file ('__proto__' included) become own properties.
  const out: Array<[string, RestoredState]> = [];
  for (const [key, entry] of Object.entries(entries)) {
    const tensors: Array<[string, TensorRecord]> = [];
    for (const [name, index] of Object.entries(entry.tensors)) {
      const record = contents?.tensors.get(`state.${index}`);
      if (!record)
        throw new FormatError(
          `${platform.joinPath(path, CHECKPOINT_FILE)}: callback '${key}' refers to tensor 'state.${index}' (${name}), which ${file ? CALLBACKS_FILE : 'the checkpoint (it has no ' + CALLBACKS_FILE + ')'} does not hold.`,
        );
      used.add(`state.${index}`);
      tensors.push([name, record]);
    }
    const values = decodeValue(
      entry.values,
      `callbacks['${key}'].values`,
      platform.joinPath(path, CHECKPOINT_FILE),
    );
    out.push([key, { values: values as Record<string, unknown>, tensors: Object.fromEntries(tensors) }]);
  }
  if (contents && used.size !== contents.tensors.size)
    throw new FormatError(
      `${source}: holds ${contents.tensors.size} tensors, but the callbacks' states use ${used.size}.`,
    );
  return Object.fromEntries(out);
}

// ---- writing ----------------------------------------------------------------------------

/** Validates `keep` and the folder, before any work. */
export function checkCheckpointDir(where: string, dir: unknown): string {
  if (typeof dir !== 'string' || dir === '')
    throw new ConfigError(`${where}: the checkpoint folder must be a non-empty path, got ${describe(dir)}.`);
  const kind = platform.pathKind(dir);
  if (kind !== null && kind !== 'directory')
    throw new ConfigError(`${where}: '${dir}' exists and is not a folder.`);
  return dir;
}

/** Removes temporary folders left by processes that died while writing. */
function removeStaleTemporaries(dir: string): void {
  for (const name of platform.listDir(dir)) {
    if (!name.startsWith(TEMP_PREFIX)) continue;
    const parts = name.split('-');
    const pid = Number(parts[parts.length - 2]);
    if (Number.isInteger(pid) && pid !== platform.processId() && !platform.isProcessAlive(pid))
      platform.removeTree(platform.joinPath(dir, name));
  }
}

/** Checkpoint folders in `dir` by name (not verified), newest first. */
export function listCheckpoints(dir: string): Array<{ path: string; step: number }> {
  let names: string[];
  try {
    names = platform.listDir(dir);
  } catch {
    return [];
  }
  return names
    .map((name) => ({ name, m: CHECKPOINT_NAME.exec(name) }))
    .filter((e): e is { name: string; m: RegExpExecArray } => e.m !== null)
    .map((e) => ({ path: platform.joinPath(dir, e.name), step: Number(e.m[1]) }))
    .sort((a, b) => b.step - a.step);
}

/**
 * Saves a checkpoint to `dir/ckpt-<step>/` atomically and prunes to the newest `keep`.
 * Returns the checkpoint's path.
 */
export async function saveCheckpoint(dir: string, options: SaveCheckpointOptions): Promise<string> {
  const where = 'saveCheckpoint';
  checkCheckpointDir(where, dir);
  if (!options || !options.model) throw new ConfigError(`${where}: options.model (the network) is required.`);
  const epoch = checkInt(where, 'epoch', options.epoch);
  const step = checkInt(where, 'step', options.step);
  const keepLast = checkInt(where, 'keep', options.keep ?? 3, 1);
  if (options.optimizer != null && !(options.optimizer instanceof Optimizer))
    throw new ConfigError(`${where}: optimizer must be an Optimizer.`);

  // Everything is encoded before anything is written.
  const model = await encodeModel(options.model, { metadata: options.metadata });
  const files: Array<[string, Uint8Array]> = [
    [WEIGHTS_FILE, model.weights],
    [MODEL_FILE, Buffer.from(model.json, 'utf8')],
  ];
  let optimizer: CheckpointInfo['optimizer'] = null;
  if (options.optimizer) {
    const tensors: Tensor[] = [];
    const state = encodeState(options.optimizer.state, tensors);
    const values = await Promise.all(tensors.map((t) => t.data()));
    const bytes = encodeSafetensors(
      tensors.map((t, i) => [`state.${i}`, { dtype: t.dtype, shape: t.shape, data: values[i] }]),
      { format: 'descent' },
    );
    files.push([OPTIMIZER_FILE, bytes]);
    optimizer = {
      steps: options.optimizer.steps,
      state,
      file: OPTIMIZER_FILE,
      lrScale: options.optimizer.lrScale,
    };
  }
  const callbackStates = encodeCallbackStates(options.callbacks ?? {});
  if (callbackStates.tensors.length > 0) {
    const values = await Promise.all(callbackStates.tensors.map((t) => t.data()));
    files.push([
      CALLBACKS_FILE,
      encodeSafetensors(
        callbackStates.tensors.map((t, i) => [
          `state.${i}`,
          { dtype: t.dtype, shape: t.shape, data: values[i] },
        ]),
        { format: 'descent' },
      ),
    ]);
  }
  const encodeRng = (s: number[] | undefined) => (s ? s.map(encodeNumber) : undefined);
  const history = options.history ?? { epochs: [], history: {} };
  const info = {
    format: CHECKPOINT_FORMAT,
    formatVersion: CHECKPOINT_FORMAT_VERSION,
    descentVersion: descentVersion(),
    epoch,
    step,
    history: {
      epochs: [...history.epochs],
      history: Object.fromEntries(Object.entries(history.history).map(([k, v]) => [k, v.map(encodeNumber)])),
    },
    rng: { shuffle: encodeRng(options.rng?.shuffle), global: encodeRng(options.rng?.global) },
    optimizer,
    callbacks: callbackStates.entries,
    files: Object.fromEntries(
      files.map(([name, bytes]) => [name, { bytes: bytes.length, sha256: platform.sha256Hex(bytes) }]),
    ),
    metadata: options.metadata ?? {},
  };

  platform.makeDir(dir);
  removeStaleTemporaries(dir);
  const final = platform.joinPath(dir, `ckpt-${step}`);
  const tmp = platform.tempNameFor(final);
  platform.makeDir(tmp);
  try {
    for (const [name, bytes] of files) platform.writeNewFile(platform.joinPath(tmp, name), bytes);
    // Written last: a folder without it was never finished.
    platform.writeNewFile(platform.joinPath(tmp, CHECKPOINT_FILE), JSON.stringify(info, null, 1) + '\n');
    platform.fsyncDir(tmp);
    if (platform.pathKind(final) !== null) platform.removeDirAtomic(final);
    platform.rename(tmp, final);
  } catch (error) {
    platform.removeTree(tmp);
    throw error;
  }
  platform.fsyncDir(dir);
  for (const old of listCheckpoints(dir).slice(keepLast)) platform.removeDirAtomic(old.path);
  return final;
}

// ---- reading ----------------------------------------------------------------------------

function parseRngState(value: unknown, path: string, source: string): number[] | undefined {
  if (value === undefined || value === null) return undefined;
  const fail = (): never => {
    throw new FormatError(
      `${source}: ${path}: expected an RNG state (4 32-bit integers and a number), got ${describe(value)}.`,
    );
  };
  if (!Array.isArray(value) || value.length !== 5) fail();
  const words = (value as unknown[]).slice(0, 4);
  if (!words.every((w) => typeof w === 'number' && Number.isInteger(w) && Math.abs(w) < 2 ** 32)) fail();
  if ((words as number[]).every((w) => (w | 0) === 0)) fail();
  const spare = decodeNumber((value as unknown[])[4]);
  if (spare === undefined) fail();
  return [...(words as number[]).map((w) => w | 0), spare as number];
}

/** Parses and checks checkpoint.json. */
export function parseCheckpointInfo(bytes: Uint8Array, source: string): CheckpointInfo {
  const v = parseJsonBytes(bytes, source, 'checkpoint description');
  const fail = (path: string, expected: string, got: unknown): never => {
    throw new FormatError(`${source}: ${path}: expected ${expected}, got ${describe(got)}.`);
  };
  if (!isPlainObject(v)) return fail('the top level', 'a JSON object', v);
  if (v.format !== CHECKPOINT_FORMAT) fail('format', `"${CHECKPOINT_FORMAT}"`, v.format);
  if (!(Number.isSafeInteger(v.formatVersion) && (v.formatVersion as number) >= 1))
    fail('formatVersion', 'a positive integer', v.formatVersion);
  if ((v.formatVersion as number) > CHECKPOINT_FORMAT_VERSION) {
    throw new FormatError(
      `${source}: formatVersion ${v.formatVersion as number} was written by a newer descent; this one reads up to ${CHECKPOINT_FORMAT_VERSION}.`,
    );
  }
  for (const key of ['epoch', 'step'] as const)
    if (!(Number.isSafeInteger(v[key]) && (v[key] as number) >= 0))
      fail(key, 'a non-negative integer', v[key]);
  const h = v.history;
  if (!isPlainObject(h) || !Array.isArray(h.epochs) || !isPlainObject(h.history))
    fail('history', '{ epochs: [...], history: {...} }', h);
  const hist = h as { epochs: unknown[]; history: Record<string, unknown> };
  if (!hist.epochs.every((e) => Number.isSafeInteger(e) && (e as number) >= 0))
    fail('history.epochs', 'non-negative integers', hist.epochs);
  const history: Record<string, number[]> = {};
  for (const [k, values] of Object.entries(hist.history)) {
    if (!Array.isArray(values)) fail(`history.history.${k}`, 'an array of numbers', values);
    const decoded = (values as unknown[]).map(decodeNumber);
    if (decoded.some((x) => x === undefined)) fail(`history.history.${k}`, 'an array of numbers', values);
    Object.defineProperty(history, k, {
      value: decoded,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  const rng = v.rng ?? {};
  if (!isPlainObject(rng)) fail('rng', 'an object', rng);
  const r = rng as Record<string, unknown>;
  const o = v.optimizer;
  let optimizer: CheckpointInfo['optimizer'] = null;
  if (o !== null && o !== undefined) {
    if (!isPlainObject(o)) return fail('optimizer', 'an object or null', o);
    if (!(Number.isSafeInteger(o.steps) && (o.steps as number) >= 0))
      fail('optimizer.steps', 'a non-negative integer', o.steps);
    if (o.file !== OPTIMIZER_FILE) fail('optimizer.file', `"${OPTIMIZER_FILE}"`, o.file);
    const lrScale = o.lrScale ?? 1;
    if (!(typeof lrScale === 'number' && Number.isFinite(lrScale) && lrScale >= 0))
      fail('optimizer.lrScale', 'a finite number ≥ 0', o.lrScale);
    optimizer = {
      steps: o.steps as number,
      state: o.state ?? null,
      file: OPTIMIZER_FILE,
      lrScale: lrScale as number,
    };
  }
  const callbacks = v.callbacks === undefined ? null : parseCallbackEntries(v.callbacks, source);
  if (!isPlainObject(v.files)) fail('files', 'an object of { bytes, sha256 }', v.files);
  const files: CheckpointInfo['files'] = {};
  for (const [name, f] of Object.entries(v.files as Record<string, unknown>)) {
    if (![MODEL_FILE, WEIGHTS_FILE, OPTIMIZER_FILE, CALLBACKS_FILE].includes(name))
      fail(`files`, `only ${MODEL_FILE}, ${WEIGHTS_FILE}, ${OPTIMIZER_FILE} and ${CALLBACKS_FILE}`, name);
    if (
      !isPlainObject(f) ||
      !Number.isSafeInteger(f.bytes) ||
      (f.bytes as number) < 0 ||
      typeof f.sha256 !== 'string' ||
      !/^[0-9a-f]{64}$/.test(f.sha256)
    ) {
      fail(`files['${name}']`, '{ bytes, sha256 }', f);
    }
    files[name] = { bytes: (f as { bytes: number }).bytes, sha256: (f as { sha256: string }).sha256 };
  }
  for (const name of [MODEL_FILE, WEIGHTS_FILE, ...(optimizer ? [OPTIMIZER_FILE] : [])]) {
    if (!files[name]) fail(`files['${name}']`, '{ bytes, sha256 }', undefined);
  }
  if (v.metadata !== undefined && !isPlainObject(v.metadata)) fail('metadata', 'an object', v.metadata);
  return {
    descentVersion: typeof v.descentVersion === 'string' ? v.descentVersion : 'unknown',
    epoch: v.epoch as number,
    step: v.step as number,
    history: { epochs: [...(hist.epochs as number[])], history },
    rng: {
      shuffle: parseRngState(r.shuffle, 'rng.shuffle', source),
      global: parseRngState(r.global, 'rng.global', source),
    },
    optimizer,
    callbacks,
    files,
    metadata: (v.metadata as Record<string, unknown> | undefined) ?? {},
  };
}

/** Reads checkpoint.json and every file it lists, checking sizes and hashes. */
function readVerified(path: string): { info: CheckpointInfo; files: Map<string, Uint8Array> } {
  const jsonPath = platform.joinPath(path, CHECKPOINT_FILE);
  const info = parseCheckpointInfo(
    platform.readFile(jsonPath, 'checkpoint description', 256 * 1024 * 1024),
    jsonPath,
  );
  const files = new Map<string, Uint8Array>();
  for (const [name, expected] of Object.entries(info.files)) {
    const file = platform.joinPath(path, name);
    const bytes = platform.readFile(file, 'checkpoint file', expected.bytes);
    if (bytes.length !== expected.bytes || platform.sha256Hex(bytes) !== expected.sha256) {
      throw new FormatError(
        `${file}: does not match ${CHECKPOINT_FILE} (${bytes.length} bytes, expected ${expected.bytes}, or a different SHA-256): the checkpoint is damaged.`,
      );
    }
    files.set(name, bytes);
  }
  return { info, files };
}

/** Reads and verifies a checkpoint's description (epoch, step, history, metadata) without loading tensors. */
export function readCheckpointInfo(path: string): CheckpointInfo {
  return readVerified(path).info;
}

/**
 * The newest complete checkpoint in `dir` (its path), or null when there is none.
 * Temporary and damaged folders are skipped.
 */
export function latestCheckpoint(dir: string): string | null {
  for (const { path } of listCheckpoints(dir)) {
    try {
      readVerified(path);
      return path;
    } catch (error) {
      if (!(error instanceof DescentError)) throw error;
    }
  }
  return null;
}

/** A checkpoint folder itself, or the newest complete one in a folder of them. */
export function resolveCheckpoint(pathOrDir: string): string {
  if (typeof pathOrDir !== 'string' || pathOrDir === '')
    throw new ConfigError(`resumeFrom: expected a checkpoint folder, got ${describe(pathOrDir)}.`);
  if (platform.pathKind(platform.joinPath(pathOrDir, CHECKPOINT_FILE)) !== null) return pathOrDir;
  if (platform.pathKind(pathOrDir) === null)
    throw new ConfigError(`resumeFrom: '${pathOrDir}' does not exist.`);
  const latest = latestCheckpoint(pathOrDir);
  if (!latest)
    throw new ConfigError(
      `resumeFrom: '${pathOrDir}' holds no complete checkpoint (ckpt-<step> folder with a valid ${CHECKPOINT_FILE}).`,
    );
  return latest;
}

/**
 * Loads a checkpoint. With `into.model`, its parameters are overwritten in place (names
 * and shapes must match); otherwise the model is rebuilt from the checkpoint. With
 * `into.optimizer`, its state (all tensors and step counts) is restored; it is attached
 * to the model's parameters first if it is not yet. RNG states are returned, not applied.
 */
export async function loadCheckpoint(
  path: string,
  into: { model?: Layer; optimizer?: Optimizer | null } = {},
): Promise<LoadedCheckpoint> {
  const resolved = resolveCheckpoint(path);
  const { info, files } = readVerified(resolved);
  // Decoded before anything is changed, so that a damaged part leaves the model and optimiser as they were.
  const callbackStates = info.callbacks
    ? restoreCallbackStates(info.callbacks, files.get(CALLBACKS_FILE), resolved)
    : null;
  const weightsSource = platform.joinPath(resolved, WEIGHTS_FILE);
  let model: Layer;
  if (into.model) {
    model = into.model;
    const modelInfo = parseModelInfo(files.get(MODEL_FILE)!, platform.joinPath(resolved, MODEL_FILE));
    loadWeightsInto(model, decodeSafetensors(files.get(WEIGHTS_FILE)!, weightsSource), weightsSource);
    walkLayers(model, (l, prefix) => {
      const state = modelInfo.state?.[prefix];
      if (state)
        layerEntry(l.kind)?.loadState?.(
          l,
          new ConfigReader(state, `state['${prefix}']`, platform.joinPath(resolved, MODEL_FILE)),
        );
    });
  } else {
    model = decodeModel(files.get(MODEL_FILE)!, files.get(WEIGHTS_FILE)!, { source: resolved }).layer;
  }
  const optimizer = into.optimizer;
  if (optimizer) {
    if (!info.optimizer)
      throw new FormatError(
        `${platform.joinPath(resolved, CHECKPOINT_FILE)}: this checkpoint holds no optimiser state.`,
      );
    const params = model.parameters();
    if (optimizer.parameters.length !== params.length || optimizer.parameters.some((p, i) => p !== params[i]))
      optimizer.attach(params);
    const source = platform.joinPath(resolved, OPTIMIZER_FILE);
    const contents = decodeSafetensors(files.get(OPTIMIZER_FILE)!, source);
    const made: Tensor[] = [];
    try {
      const state = decodeState(info.optimizer.state, optimizer.state, contents, 'state', source, made);
      if (made.length !== contents.tensors.size) {
        throw new FormatError(
          `${source}: holds ${contents.tensors.size} tensors, but the optimiser state uses ${made.length}.`,
        );
      }
      setOptimizerState(optimizer, state, info.optimizer.steps);
    } catch (error) {
      dispose(made);
      throw error;
    }
    optimizer.lrScale = info.optimizer.lrScale;
  }
  return { ...info, path: resolved, model, callbackStates };
}

/** How `fit` checkpoints: after every epoch, into `dir`, keeping the newest `keep`. */
export interface CheckpointOptions {
  dir: string;
  /** When to save: 'epoch' (the default and, for now, the only choice). */
  every?: 'epoch';
  /** Keep this many newest checkpoints (default 3). */
  keep?: number;
  /** Stored with every checkpoint (e.g. the flags of the run, to check them on resume). */
  metadata?: Record<string, unknown>;
}

/** Validates fit's `checkpoint` option. */
export function checkCheckpointOptions(
  where: string,
  options: unknown,
): Required<Omit<CheckpointOptions, 'metadata'>> & CheckpointOptions {
  if (!isPlainObject(options))
    throw new ConfigError(
      `${where}: checkpoint must be an object { dir, every?, keep? }, got ${describe(options)}.`,
    );
  const dir = checkCheckpointDir(`${where}: checkpoint.dir`, options.dir);
  if (options.every !== undefined && options.every !== 'epoch')
    throw new ConfigError(`${where}: checkpoint.every must be 'epoch', got ${describe(options.every)}.`);
  const keepLast = checkInt(where, 'checkpoint.keep', options.keep ?? 3, 1);
  if (options.metadata !== undefined && !isPlainObject(options.metadata))
    throw new ConfigError(`${where}: checkpoint.metadata must be an object.`);
  return {
    dir,
    every: 'epoch',
    keep: keepLast,
    metadata: options.metadata as Record<string, unknown> | undefined,
  };
}

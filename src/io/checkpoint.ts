/**
 * Checkpoints: everything needed to continue a training run as if it had never stopped.
 *
 *   <dir>/ckpt-<step>/
 *     model.json, weights.safetensors   the model, as saveModel writes it (a checkpoint is a model)
 *     state.safetensors                 the tensors of the other parts' states, when any
 *     checkpoint.json                   epoch and step, the other parts' stateDicts (optimiser,
 *                                       generators, history, callbacks…) with their tensors as
 *                                       { $tensor: i } (see state-codec.ts), metadata, and the
 *                                       size and SHA-256 of every other file
 *
 * The parts are any objects with stateDict()/loadStateDict() (tensor/state.ts), by key; this
 * file only serialises them. A checkpoint is written into a temporary folder
 * (`.tmp-ckpt-<step>-<pid>-<random>`), every file is fsynced, and the folder is renamed into
 * place: after a crash or a kill -9 a `ckpt-<step>` folder is either complete or absent.
 * `latestCheckpoint` also verifies the sizes and hashes, so a checkpoint damaged later (a disk
 * error, a hand edit) is skipped rather than loaded. Only the last `keep` (default 3) are
 * kept; old ones are renamed away before they are deleted, so no half-deleted checkpoint keeps
 * a valid name.
 *
 * One training run per checkpoint folder: temporary folders left by dead processes are
 * removed by the next save.
 */
import { platform } from '#platform';
import type { DType, TypedArray } from '../backend/contract.js';
import { TEMP_PREFIX } from '../platform/contract.js';
import { ConfigError, DescentError, FormatError } from '../errors.js';
import type { Layer } from '../nn/layer.js';
import { dispose } from '../tensor/scope.js';
import type { StateDict, Stateful } from '../tensor/state.js';
import { describe, descentVersion, isPlainObject, parseJsonBytes } from './json.js';
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
import { decodeSafetensors, encodeSafetensors } from './safetensors.js';
import { decodeStates, encodeStates } from './state-codec.js';

export const CHECKPOINT_FILE = 'checkpoint.json';
export const STATE_FILE = 'state.safetensors';
export const CHECKPOINT_FORMAT = 'descent-checkpoint';
/** 3: every part of the run as a stateDict. Versions 1 and 2 (per-part field lists) are refused by name. */
export const CHECKPOINT_FORMAT_VERSION = 3;
const CHECKPOINT_NAME = /^ckpt-(\d+)$/;
const EMPTY_FILE = { tensors: new Map(), metadata: {} };

export interface SaveCheckpointOptions {
  /** The network. */
  model: Layer;
  /** The other parts of the run, by key: optimiser, generators, history, callbacks… */
  parts?: Record<string, Stateful>;
  /** Completed epochs. */
  epoch: number;
  /** Completed steps (mini-batches); names the folder, ckpt-<step>. */
  step: number;
  /** Keep this many newest checkpoints (default 3). */
  keep?: number;
  metadata?: Record<string, unknown>;
}

export interface CheckpointInfo {
  descentVersion: string;
  epoch: number;
  step: number;
  /** The per-epoch history, when the run saved one (its 'history' part), for showing. */
  history: { epochs: number[]; history: Record<string, number[]> };
  /** The parts' states as checkpoint.json holds them (tensors as { $tensor: i }). */
  states: Record<string, unknown>;
  files: Record<string, { bytes: number; sha256: string }>;
  metadata: Record<string, unknown>;
}

export interface LoadedCheckpoint extends CheckpointInfo {
  /** The checkpoint folder. */
  path: string;
  /** The model: the one passed in (now holding the saved weights) or one rebuilt from the checkpoint. */
  model: Layer;
}

function checkInt(where: string, name: string, value: unknown, min = 0): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new ConfigError(`${where}: ${name} must be an integer ≥ ${min}, got ${describe(value)}.`);
  }
  return value;
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
  const parts = options.parts ?? {};
  for (const [key, part] of Object.entries(parts))
    if (typeof part?.stateDict !== 'function')
      throw new ConfigError(`${where}: part '${key}' has no stateDict().`);

  // Everything is encoded before anything is written.
  const model = await encodeModel(options.model, { metadata: options.metadata });
  const files: Array<[string, Uint8Array]> = [
    [WEIGHTS_FILE, model.weights],
    [MODEL_FILE, Buffer.from(model.json, 'utf8')],
  ];
  const states = encodeStates(Object.fromEntries(Object.entries(parts).map(([k, p]) => [k, p.stateDict()])));
  if (states.tensors.length > 0) {
    const values = await Promise.all(states.tensors.map((t) => t.data()));
    const records = states.tensors.map(
      (t, i): [string, { dtype: DType; shape: readonly number[]; data: TypedArray }] => [
        `state.${i}`,
        { dtype: t.dtype, shape: t.shape, data: values[i] },
      ],
    );
    files.push([STATE_FILE, encodeSafetensors(records, { format: 'descent' })]);
  }
  const info = {
    format: CHECKPOINT_FORMAT,
    formatVersion: CHECKPOINT_FORMAT_VERSION,
    descentVersion: descentVersion(),
    epoch,
    step,
    states: states.json,
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

/** The history part's lists, for showing (NaN and ±∞ decoded); empty when the run saved none. */
function historyOf(states: Record<string, unknown>, source: string): CheckpointInfo['history'] {
  if (!Object.hasOwn(states, 'history')) return { epochs: [], history: {} };
  const decoded = decodeStates({ history: states.history }, EMPTY_FILE, source).states.history;
  const epochs = decoded.epochs;
  const history = decoded.history;
  if (!Array.isArray(epochs) || !epochs.every((e) => Number.isSafeInteger(e) && (e as number) >= 0))
    throw new FormatError(`${source}: states.history.epochs: expected a list of epochs.`);
  if (
    !isPlainObject(history) ||
    !Object.values(history).every((v) => Array.isArray(v) && v.every((x) => typeof x === 'number'))
  )
    throw new FormatError(`${source}: states.history.history: expected lists of numbers by name.`);
  return { epochs: epochs as number[], history: history as Record<string, number[]> };
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
  const version = v.formatVersion as number;
  if (version !== CHECKPOINT_FORMAT_VERSION) {
    throw new FormatError(
      version > CHECKPOINT_FORMAT_VERSION
        ? `${source}: formatVersion ${version} was written by a newer descent; this one reads ${CHECKPOINT_FORMAT_VERSION}.`
        : `${source}: formatVersion ${version} was written by an older descent, which saved the run's parts differently; ` +
            `this one reads ${CHECKPOINT_FORMAT_VERSION}. Its model still loads (loadModel on the folder); resume from a newer checkpoint or start afresh.`,
    );
  }
  for (const key of ['epoch', 'step'] as const)
    if (!(Number.isSafeInteger(v[key]) && (v[key] as number) >= 0))
      fail(key, 'a non-negative integer', v[key]);
  if (!isPlainObject(v.states)) fail('states', 'an object of stateDicts', v.states);
  const states = v.states as Record<string, unknown>;
  if (!isPlainObject(v.files)) fail('files', 'an object of { bytes, sha256 }', v.files);
  const files: CheckpointInfo['files'] = {};
  for (const [name, f] of Object.entries(v.files as Record<string, unknown>)) {
    if (![MODEL_FILE, WEIGHTS_FILE, STATE_FILE].includes(name))
      fail('files', `only ${MODEL_FILE}, ${WEIGHTS_FILE} and ${STATE_FILE}`, name);
    if (
      !isPlainObject(f) ||
      !Number.isSafeInteger(f.bytes) ||
      (f.bytes as number) < 0 ||
      typeof f.sha256 !== 'string' ||
      !/^[0-9a-f]{64}$/.test(f.sha256)
    )
      fail(`files['${name}']`, '{ bytes, sha256 }', f);
    files[name] = { bytes: (f as { bytes: number }).bytes, sha256: (f as { sha256: string }).sha256 };
  }
  for (const name of [MODEL_FILE, WEIGHTS_FILE])
    if (!files[name]) fail(`files['${name}']`, '{ bytes, sha256 }', undefined);
  if (v.metadata !== undefined && !isPlainObject(v.metadata)) fail('metadata', 'an object', v.metadata);
  return {
    descentVersion: typeof v.descentVersion === 'string' ? v.descentVersion : 'unknown',
    epoch: v.epoch as number,
    step: v.step as number,
    history: historyOf(states, source),
    states,
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
 * Loads a checkpoint. With `model`, its parameters and buffers are overwritten in place (names
 * and shapes must match); otherwise the model is rebuilt from the checkpoint. Each part of
 * `into` gets its saved state (loadStateDict); with `strict`, the parts must be exactly those
 * the checkpoint holds, and the error names the differences. Every state is decoded and
 * checked before any part is changed where the parts check their own (they all do).
 */
export async function loadCheckpoint(
  path: string,
  options: { model?: Layer; into?: Record<string, Stateful>; strict?: boolean } = {},
): Promise<LoadedCheckpoint> {
  const resolved = resolveCheckpoint(path);
  const { info, files } = readVerified(resolved);
  const jsonPath = platform.joinPath(resolved, CHECKPOINT_FILE);
  const into = options.into ?? {};
  const saved = Object.keys(info.states);
  const wanted = Object.keys(into);
  const missing = wanted.filter((k) => !Object.hasOwn(info.states, k));
  const extra = options.strict ? saved.filter((k) => !Object.hasOwn(into, k)) : [];
  if (missing.length > 0 || extra.length > 0) {
    const quoted = (keys: string[]) => keys.map((k) => `'${k}'`).join(', ');
    const parts = [
      ...(missing.length > 0
        ? [`this run has ${quoted(missing)}, whose state the checkpoint does not hold`]
        : []),
      ...(extra.length > 0
        ? [`the checkpoint holds the state of ${quoted(extra)}, which this run does not have`]
        : []),
    ];
    throw new ConfigError(
      `${jsonPath}: the run's parts differ from those the checkpoint was made with: ${parts.join('; ')} ` +
        `(saved: ${saved.join(', ') || 'none'}; now: ${wanted.join(', ') || 'none'}). Resume with the same callbacks and optimiser.`,
    );
  }
  const stateBytes = files.get(STATE_FILE);
  const stateSource = platform.joinPath(resolved, STATE_FILE);
  const { states, tensors } = decodeStates(
    info.states,
    stateBytes ? decodeSafetensors(stateBytes, stateSource) : EMPTY_FILE,
    stateBytes ? stateSource : jsonPath,
  );
  try {
    const weightsSource = platform.joinPath(resolved, WEIGHTS_FILE);
    let model: Layer;
    if (options.model) {
      model = options.model;
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
    for (const [key, part] of Object.entries(into)) part.loadStateDict(states[key] as StateDict);
    return { ...info, path: resolved, model };
  } finally {
    dispose(tensors);
  }
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

/**
 * StateDicts (tensor/state.ts) as bytes: the values as JSON, the tensors in one safetensors
 * file. A tensor becomes { $tensor: i } (the i-th tensor, saved as 'state.<i>'), a number
 * JSON cannot hold (NaN, ±∞) { $number: 'NaN' }, and an object whose own keys start with
 * '$' is wrapped as { $object: … } so that it is never read as one of those.
 *
 *   const { json, tensors } = encodeStates({ optimizer: opt.stateDict(), rng: rng.stateDict() });
 *   const states = decodeStates(json, decodeSafetensors(bytes), source);   // new tensors: dispose them
 */
import { ConfigError, FormatError } from '../errors.js';
import { fromArray } from '../tensor/creation.js';
import { dispose } from '../tensor/scope.js';
import type { StateDict, StateValue } from '../tensor/state.js';
import { isTensor, type Tensor } from '../tensor/tensor.js';
import { decodeNumber, describe, isPlainObject } from './json.js';
import type { SafetensorsContents } from './safetensors-codec.js';

function encodeValue(value: StateValue, path: string, tensors: Tensor[]): unknown {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : { $number: String(value) };
  if (isTensor(value)) return { $tensor: tensors.push(value) - 1 };
  if (Array.isArray(value)) return value.map((v: StateValue, i) => encodeValue(v, `${path}[${i}]`, tensors));
  if (isPlainObject(value)) {
    const object = Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, encodeValue(v as StateValue, `${path}.${k}`, tensors)]),
    );
    return Object.keys(object).some((k) => k.startsWith('$')) ? { $object: object } : object;
  }
  throw new ConfigError(
    `state ${path} is ${describe(value)} (${typeof value}); a state holds numbers, strings, booleans, null, tensors, arrays and objects.`,
  );
}

/** The states as JSON and their tensors in file order (the tensors are read, not kept). */
export function encodeStates(states: Record<string, StateDict>): { json: unknown; tensors: Tensor[] } {
  const tensors: Tensor[] = [];
  const json = encodeValue(states, 'states', tensors);
  return { json, tensors };
}

/** Sets a key without letting '__proto__' or 'constructor' reach the prototype. */
function define(object: Record<string, StateValue>, key: string, value: StateValue): void {
  Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
}

function decodeValue(
  value: unknown,
  path: string,
  file: SafetensorsContents,
  source: string,
  made: Tensor[],
): StateValue {
  const fail = (expected: string): never => {
    throw new FormatError(`${source}: ${path}: expected ${expected}, got ${describe(value)}.`);
  };
  if (value === null || typeof value === 'boolean' || typeof value === 'string' || typeof value === 'number')
    return value;
  if (Array.isArray(value)) return value.map((v, i) => decodeValue(v, `${path}[${i}]`, file, source, made));
  if (!isPlainObject(value)) return fail('a JSON value');
  const keys = Object.keys(value);
  if (keys.length === 1 && keys[0] === '$number') {
    const n = decodeNumber(value.$number);
    return n === undefined ? fail("{ $number: 'NaN' | 'Infinity' | '-Infinity' }") : n;
  }
  if (keys.length === 1 && keys[0] === '$tensor') {
    const i = value.$tensor;
    if (!(Number.isSafeInteger(i) && (i as number) >= 0)) return fail('{ $tensor: an index ≥ 0 }');
    const record = file.tensors.get(`state.${i as number}`);
    if (!record)
      throw new FormatError(
        `${source}: ${path} refers to tensor 'state.${i as number}', which the file does not hold.`,
      );
    const t = fromArray(record.data, record.shape, { dtype: record.dtype });
    made.push(t);
    return t;
  }
  const body =
    keys.length === 1 && keys[0] === '$object' && isPlainObject(value.$object) ? value.$object : value;
  const out: Record<string, StateValue> = {};
  for (const [k, v] of Object.entries(body))
    define(out, k, decodeValue(v, `${path}.${k}`, file, source, made));
  return out;
}

/**
 * The states from their JSON and tensors file. The tensors are new (the caller disposes
 * them once loaded); every tensor of the file must be used, so a mismatched pair is refused.
 */
export function decodeStates(
  json: unknown,
  file: SafetensorsContents,
  source: string,
): { states: Record<string, StateDict>; tensors: Tensor[] } {
  const made: Tensor[] = [];
  try {
    const states = decodeValue(json, 'states', file, source, made);
    if (!isPlainObject(states) || isTensor(states))
      throw new FormatError(`${source}: states: expected an object of states, got ${describe(json)}.`);
    for (const [key, s] of Object.entries(states))
      if (!isPlainObject(s) || isTensor(s))
        throw new FormatError(
          `${source}: states.${key}: expected an object (a stateDict), got ${describe(s)}.`,
        );
    if (made.length !== file.tensors.size)
      throw new FormatError(
        `${source}: the file holds ${file.tensors.size} tensors, but the states use ${made.length}.`,
      );
    return { states: states as Record<string, StateDict>, tensors: made };
  } catch (error) {
    dispose(made);
    throw error;
  }
}

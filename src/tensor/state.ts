/**
 * The one shape of saved state. Every stateful object of a training run — a Layer (its
 * parameters and buffers), an Optimizer, an Rng, the history, a callback such as early
 * stopping — gives its state as a StateDict and takes it back the same way:
 *
 *   const sd = thing.stateDict();   // numbers, strings, booleans, null, tensors, arrays, objects
 *   other.loadStateDict(sd);        // checks it and copies it in (tensors are copied, not kept)
 *
 * The tensors in a stateDict are the object's own (read them, do not free them), so a
 * stateDict is cheap; io/state-codec.ts turns one into JSON and safetensors and back.
 */
import { FormatError } from '../errors.js';
import { isTensor, type Tensor } from './tensor.js';

export type StateValue =
  number | string | boolean | null | Tensor | readonly StateValue[] | { readonly [key: string]: StateValue };

export type StateDict = { readonly [key: string]: StateValue };

export interface Stateful {
  stateDict(): StateDict;
  loadStateDict(state: StateDict): unknown;
}

function show(v: unknown): string {
  if (isTensor(v)) return `a tensor [${v.shape.join(', ')}]`;
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** A value of a stateDict being loaded, checked, or a FormatError naming the owner, the key and what was expected. */
export function stateValue<T>(
  where: string,
  state: StateDict,
  key: string,
  ok: (v: unknown) => boolean,
  expected: string,
): T {
  const v = state !== null && typeof state === 'object' && Object.hasOwn(state, key) ? state[key] : undefined;
  if (!ok(v))
    throw new FormatError(
      `${where}: the saved ${key} is ${v === undefined ? 'missing' : show(v)}; expected ${expected}.`,
    );
  return v as T;
}

export const isCount = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 0;
export const isNumber = (v: unknown): boolean => typeof v === 'number';
export const isStateObject = (v: unknown): boolean =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !isTensor(v);

/** Copies `src`'s values into `dst` in place (same size; the dtype converted), whatever their backends. */
export function copyValues(src: Tensor, dst: Tensor): void {
  if (src.backend === dst.backend) {
    dst.backend.cast(src.storage, src.dtype, dst.storage, dst.dtype, dst.size);
    return;
  }
  const storage = dst.backend.upload(dst.dtype, src.dataSync());
  try {
    dst.backend.cast(storage, dst.dtype, dst.storage, dst.dtype, dst.size);
  } finally {
    dst.backend.free(storage);
  }
}

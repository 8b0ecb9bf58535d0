/**
 * Memory ownership: every tensor is registered in the innermost open scope when it is
 * made. `tidy(fn)` opens a scope and, when `fn` returns, disposes every tensor made
 * inside it except those it returns and those marked with `keep`. `memory()` counts
 * live tensors and bytes per backend, so tests can prove that training does not leak.
 *
 * This lives in tensor/ (not autograd/) because every tensor creation must register,
 * including those made below autograd; autograd re-exports it.
 */
import type { Tensor } from './tensor.js';

interface Scope {
  tensors: Tensor[];
}

const scopes: Scope[] = [];
let liveCount = 0;
const liveBytes = new Map<string, number>();

export interface MemoryInfo {
  /** Tensors made and not yet disposed. */
  numTensors: number;
  /** Bytes held by live tensors, per backend name. */
  bytes: Record<string, number>;
  /** Total bytes across backends. */
  totalBytes: number;
}

export function memory(): MemoryInfo {
  const bytes: Record<string, number> = {};
  let totalBytes = 0;
  for (const [name, b] of liveBytes) {
    bytes[name] = b;
    totalBytes += b;
  }
  return { numTensors: liveCount, bytes, totalBytes };
}

/** Called by the Tensor constructor. */
export function trackTensor(t: Tensor, byteLength: number): void {
  liveCount++;
  liveBytes.set(t.backend.name, (liveBytes.get(t.backend.name) ?? 0) + byteLength);
  const scope = scopes[scopes.length - 1];
  if (scope) scope.tensors.push(t);
}

/** Called by Tensor.dispose. */
export function untrackTensor(t: Tensor, byteLength: number): void {
  liveCount--;
  liveBytes.set(t.backend.name, (liveBytes.get(t.backend.name) ?? 0) - byteLength);
}

type TensorContainer =
  Tensor | readonly TensorContainer[] | { readonly [key: string]: TensorContainer } | unknown;

function collect(value: TensorContainer, into: Set<Tensor>, isTensor: (v: unknown) => v is Tensor): void {
  if (isTensor(value)) into.add(value);
  else if (Array.isArray(value)) for (const v of value) collect(v, into, isTensor);
  else if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collect(v, into, isTensor);
  }
}

let isTensorCheck: (v: unknown) => v is Tensor = (_v: unknown): _v is Tensor => false;

/** Set once by tensor.ts to avoid an import cycle. */
export function setTensorCheck(check: (v: unknown) => v is Tensor): void {
  isTensorCheck = check;
}

/**
 * Runs `fn` and disposes every tensor it made, except those it returns (in a value,
 * an array or a plain object) and those marked with `keep`. Returned tensors belong to
 * the enclosing scope afterwards.
 */
export function tidy<T>(fn: () => T): T {
  const scope: Scope = { tensors: [] };
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (error) {
    scopes.pop();
    for (const t of scope.tensors) if (!t.kept) t.dispose();
    throw error;
  }
  scopes.pop();
  if (result instanceof Promise) {
    throw new TypeError(
      'tidy(fn): fn must be synchronous; await outside tidy and tidy the synchronous parts.',
    );
  }
  const survivors = new Set<Tensor>();
  collect(result, survivors, isTensorCheck);
  const parent = scopes[scopes.length - 1];
  for (const t of scope.tensors) {
    if (survivors.has(t)) parent?.tensors.push(t);
    else if (!t.kept) t.dispose();
  }
  return result;
}

/** Exempts `t` from every scope: it lives until disposed explicitly (parameters, state). */
export function keep<T extends Tensor>(t: T): T {
  t.kept = true;
  return t;
}

/** Disposes one tensor, or every tensor in an array or plain object. */
export function dispose(value: TensorContainer): void {
  const set = new Set<Tensor>();
  collect(value, set, isTensorCheck);
  for (const t of set) t.dispose();
}

/**
 * Which backend runs new tensors. Backends register themselves by name; the active one
 * is chosen by `setBackend`, or at start-up from the `DESCENT_BACKEND` environment variable
 * ('cpu', 'wasm', … or 'auto': the fastest backend that can start here, wasm before cpu).
 *
 * DEFAULT_BACKEND is what runs when neither is given: 'auto', the fastest available.
 */
import { ConfigError } from '../errors.js';
import type { Backend } from './contract.js';
import { CpuBackend } from './cpu/index.js';
import { createWasmBackend, wasmReady } from './wasm/index.js';

const factories = new Map<string, () => Backend>();
const instances = new Map<string, Backend>();
/** Backends tried by 'auto', fastest first. */
const preference: { name: string; available: () => boolean }[] = [];
let active: Backend | null = null;

export const DEFAULT_BACKEND: string = 'auto';

export function registerBackend(name: string, factory: () => Backend): void {
  factories.set(name, factory);
}

export function backendNames(): string[] {
  return [...factories.keys()];
}

/** The backend called `name`, created on first use; 'auto' picks the fastest that starts. */
export function findBackend(name: string): Backend {
  if (name === 'auto') return autoBackend();
  let backend = instances.get(name);
  if (backend) return backend;
  const factory = factories.get(name);
  if (!factory) {
    throw new ConfigError(
      `Unknown backend '${name}'. Available backends: auto, ${backendNames().join(', ')}.`,
    );
  }
  backend = factory();
  instances.set(name, backend);
  return backend;
}

function autoBackend(): Backend {
  for (const { name, available } of preference) {
    if (!factories.has(name) || !available()) continue;
    try {
      return findBackend(name);
    } catch {
      // This backend cannot start here (no WebAssembly, not initialised…): try the next.
    }
  }
  return findBackend('cpu');
}

/** Makes `name` the backend that new tensors are created on ('auto': the fastest available). */
export function setBackend(name: string): Backend {
  active = findBackend(name);
  return active;
}

export function getBackend(): Backend {
  if (!active) {
    const fromEnv = typeof process !== 'undefined' ? process.env?.DESCENT_BACKEND : undefined;
    active = findBackend(fromEnv || DEFAULT_BACKEND);
  }
  return active;
}

registerBackend('cpu', () => new CpuBackend());
registerBackend('wasm', createWasmBackend);
preference.push({ name: 'wasm', available: wasmReady });

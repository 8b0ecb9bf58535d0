/**
 * Which backend runs new tensors. Backends register themselves by name; the active one
 * is chosen by `setBackend`, or at start-up from the `DESCENT_BACKEND` environment variable.
 */
import { ConfigError } from '../errors.js';
import type { Backend } from './contract.js';
import { CpuBackend } from './cpu/index.js';

const factories = new Map<string, () => Backend>();
const instances = new Map<string, Backend>();
let active: Backend | null = null;

export function registerBackend(name: string, factory: () => Backend): void {
  factories.set(name, factory);
}

export function backendNames(): string[] {
  return [...factories.keys()];
}

/** The backend called `name`, created on first use. */
export function findBackend(name: string): Backend {
  let backend = instances.get(name);
  if (backend) return backend;
  const factory = factories.get(name);
  if (!factory) {
    throw new ConfigError(`Unknown backend '${name}'. Available backends: ${backendNames().join(', ')}.`);
  }
  backend = factory();
  instances.set(name, backend);
  return backend;
}

/** Makes `name` the backend that new tensors are created on. */
export function setBackend(name: string): Backend {
  active = findBackend(name);
  return active;
}

export function getBackend(): Backend {
  if (!active) {
    const fromEnv = typeof process !== 'undefined' ? process.env?.DESCENT_BACKEND : undefined;
    active = findBackend(fromEnv && fromEnv !== 'auto' ? fromEnv : 'cpu');
  }
  return active;
}

registerBackend('cpu', () => new CpuBackend());

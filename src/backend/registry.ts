/**
 * Which backend runs new tensors. Backends register themselves by name; the active one
 * is chosen by `setBackend`, or at start-up from the `DESCENT_BACKEND` environment variable
 * ('cpu', 'wasm', 'webgpu', … or 'auto': the fastest backend that can start here — webgpu once
 * initialised, then wasm, then cpu).
 *
 * DEFAULT_BACKEND is what runs when neither is given: 'auto', the fastest available.
 */
import { ConfigError } from '../errors.js';
import type { Backend } from './contract.js';
import { CpuBackend } from './cpu/index.js';
import { createWasmBackend, initWasm, WasmBackend, wasmReady } from './wasm/index.js';
import { createWebGpuBackend, initWebGpu, webgpuReady } from './webgpu/index.js';

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

/**
 * Makes `name` the active backend after the asynchronous start-up some backends need (the
 * default: DESCENT_BACKEND, else 'auto'). 'webgpu' requests a GPU device and throws a
 * ConfigError saying what it looked for when there is none; 'wasm' compiles its kernels
 * (browsers cannot do that synchronously); 'auto' tries WebGPU first and, without an adapter,
 * warns in one line and goes on with the fastest other backend. On wasm it also waits for the
 * worker threads to start (a page starts them only while it yields).
 */
export async function initBackend(name?: string): Promise<Backend> {
  const fromEnv = typeof process !== 'undefined' ? process.env?.DESCENT_BACKEND : undefined;
  const wanted = name ?? (fromEnv || DEFAULT_BACKEND);
  if (wanted === 'webgpu') await initWebGpu();
  else if (wanted === 'wasm') await initWasm();
  else if (wanted === 'auto' && !(await initWebGpu({ onUnavailable: 'warn' }))) {
    await initWasm().catch(() => undefined); // no WebAssembly: 'auto' takes cpu
  }
  const backend = setBackend(wanted);
  // In a page the wasm threads start only while the page yields: let them, before training.
  if (backend instanceof WasmBackend) await backend.workersStarted();
  return backend;
}

registerBackend('cpu', () => new CpuBackend());
registerBackend('wasm', createWasmBackend);
registerBackend('webgpu', createWebGpuBackend);
// 'auto' takes webgpu only once initWebGpu() has made a device (webgpuReady), never by itself.
preference.push({ name: 'webgpu', available: webgpuReady });
preference.push({ name: 'wasm', available: wasmReady });

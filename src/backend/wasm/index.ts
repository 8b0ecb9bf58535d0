/**
 * The 'wasm' backend: WebAssembly SIMD kernels, multi-threaded over shared memory.
 *
 *   import { initWasm } from 'descent';   // browsers: compile first (Node compiles on demand)
 *   await initWasm();
 *   setBackend('wasm');
 *
 * It registers itself in backend/registry.ts; the default backend ('auto') is 'wasm' wherever
 * it can start, else 'cpu'. Threads: `DESCENT_WASM_THREADS` (default: the hardware threads,
 * at most 8) or `setWasmThreads(n)`; relaxed SIMD: `DESCENT_WASM_RELAXED=0` turns it off.
 */
import { WasmBackend, type WasmBackendOptions, type WasmInfo } from './backend.js';
import { initWasm, wasmReady } from './loader.js';

export { WasmBackend, initWasm, wasmReady };
export type { WasmBackendOptions, WasmInfo };

let shared: WasmBackend | null = null;

/** The process's wasm backend (the instance the registry hands out), created on first use. */
export function createWasmBackend(): WasmBackend {
  if (!shared) shared = new WasmBackend();
  return shared;
}

/** Sets how many threads the wasm kernels may use (1 = no workers); returns the previous limit. */
export function setWasmThreads(n: number): number {
  return createWasmBackend().setThreads(n);
}

/** What the wasm backend is running with: relaxed SIMD, shared memory, threads, heap usage. */
export function wasmInfo(): WasmInfo {
  return createWasmBackend().info();
}

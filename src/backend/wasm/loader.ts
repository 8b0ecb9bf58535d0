/**
 * Finding, choosing and compiling the WebAssembly module of the wasm backend.
 *
 * scripts/build-wasm.mjs compiles assembly/ into four variants, embedded in
 * generated/modules.ts: plain SIMD or relaxed SIMD (fused multiply-add in GEMM), each with a
 * shared memory (threads) or an unshared one. The loader picks the best the engine accepts:
 * - shared memory needs SharedArrayBuffer (Node; cross-origin-isolated pages in browsers);
 * - relaxed SIMD is on by default in current browsers and newer Node; Node 20 has it behind
 *   `--experimental-wasm-relaxed-simd`, which the loader switches on at run time through
 *   `v8.setFlagsFromString` unless `DESCENT_WASM_RELAXED=0` (set `DESCENT_WASM_RELAXED=0`
 *   to force the plain-SIMD build).
 *
 * In Node, compiling is synchronous, so `setBackend('wasm')` works at once. Browsers refuse to
 * compile large modules synchronously on the main thread: `await initWasm()` first.
 */
import { DescentError } from '../../errors.js';
import * as modules from './generated/modules.js';
import { platform } from '#platform';

/** The exports of assembly/index.ts. Pointers are byte offsets into the memory. */
export interface WasmExports {
  dropoutMaskF32(out: number, size: number, threshold: number, scale: number, k0: number, k1: number): void;
  batchNormF32(
    x: number,
    outer: number,
    channels: number,
    inner: number,
    eps: number,
    gamma: number,
    beta: number,
    y: number,
    mean: number,
    variance: number,
    invStd: number,
  ): void;
  batchNormGradF32(
    x: number,
    dy: number,
    outer: number,
    channels: number,
    inner: number,
    gamma: number,
    mean: number,
    invStd: number,
    dx: number,
    dGamma: number,
    dBeta: number,
  ): void;
  heapBase(): number;
  relaxedSimd(): number;
  gemmScratchBytes(): number;
  gemmF32(
    a: number,
    b: number,
    c: number,
    m: number,
    n: number,
    k: number,
    transA: number,
    transB: number,
    aBatch: number,
    bBatch: number,
    t0: number,
    t1: number,
    i0: number,
    i1: number,
    j0: number,
    j1: number,
    scratch: number,
  ): void;
  gemmF32Chunks(
    a: number,
    b: number,
    c: number,
    m: number,
    n: number,
    k: number,
    transA: number,
    transB: number,
    aBatch: number,
    bBatch: number,
    batch: number,
    axis: number,
    chunks: number,
    counters: number,
    scratch: number,
  ): void;
  unaryF32(op: number, x: number, out: number, n: number, p0: number, p1: number): void;
  unaryGradF32(
    op: number,
    x: number,
    y: number,
    dy: number,
    dx: number,
    n: number,
    p0: number,
    p1: number,
  ): void;
  binaryF32(
    op: number,
    a: number,
    aso: number,
    asi: number,
    b: number,
    bso: number,
    bsi: number,
    out: number,
    outer: number,
    inner: number,
  ): void;
  fill32(out: number, n: number, bits: number): void;
  reduceF32(op: number, x: number, outer: number, axis: number, inner: number, out: number): void;
  softmaxF32(x: number, outer: number, axis: number, inner: number, out: number, log: number): void;
  softmaxGradF32(
    y: number,
    dy: number,
    outer: number,
    axis: number,
    inner: number,
    dx: number,
    log: number,
  ): void;
  im2colF32(x: number, g: number, out: number): void;
  im2colF64(x: number, g: number, out: number): void;
  col2imF32(cols: number, g: number, out: number): void;
  col2imF64(cols: number, g: number, out: number): void;
  pool2dF32(op: number, x: number, g: number, out: number, argmax: number): void;
  pool2dF64(op: number, x: number, g: number, out: number, argmax: number): void;
  pool2dGradF32(op: number, dy: number, g: number, argmax: number, dx: number): void;
  pool2dGradF64(op: number, dy: number, g: number, argmax: number, dx: number): void;
  permute32(x: number, out: number, nd: number, params: number): void;
  permute64(x: number, out: number, nd: number, params: number): void;
  fusedF32(code: number, count: number, outs: number, nOut: number, size: number, regs: number): void;
  fusedScratchBytes(count: number): number;
}

export interface LoadedWasm {
  module: WebAssembly.Module;
  /** Whether the module imports a shared memory (and so can run on several threads). */
  shared: boolean;
  relaxed: boolean;
  maximumPages: number;
}

type Variant = 'simd' | 'simdShared' | 'relaxed' | 'relaxedShared';

interface NodeProcess {
  env?: Record<string, string | undefined>;
  getBuiltinModule?: (name: string) => unknown;
}

/** `process` where it exists (Node), read without making browsers fail. */
export function nodeProcess(): NodeProcess | undefined {
  const p = (globalThis as { process?: NodeProcess }).process;
  return p && typeof p === 'object' ? p : undefined;
}

function envFlag(name: string): string | undefined {
  return nodeProcess()?.env?.[name];
}

const bytesCache = new Map<Variant, Uint8Array<ArrayBuffer>>();
function bytesOf(variant: Variant): Uint8Array<ArrayBuffer> {
  let bytes = bytesCache.get(variant);
  if (!bytes) bytesCache.set(variant, (bytes = platform.fromBase64(modules[variant])));
  return bytes;
}

/** Whether shared WebAssembly memory can be made here (SharedArrayBuffer is available). */
export function sharedMemoryAvailable(): boolean {
  if (typeof SharedArrayBuffer === 'undefined') return false;
  try {
    new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    return true;
  } catch {
    return false;
  }
}

let relaxedChecked: boolean | null = null;
/** Whether the engine accepts relaxed SIMD (switching it on in Node 20 where possible). */
export function relaxedSimdAvailable(): boolean {
  if (relaxedChecked !== null) return relaxedChecked;
  if (envFlag('DESCENT_WASM_RELAXED') === '0') return (relaxedChecked = false);
  const probe = bytesOf('relaxed');
  let ok = WebAssembly.validate(probe);
  if (!ok) {
    const v8 = nodeProcess()?.getBuiltinModule?.('node:v8') as
      { setFlagsFromString?(f: string): void } | undefined;
    if (v8?.setFlagsFromString) {
      try {
        v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
        ok = WebAssembly.validate(probe);
      } catch {
        ok = false;
      }
    }
  }
  return (relaxedChecked = ok);
}

function chooseVariant(): Variant {
  const shared = sharedMemoryAvailable();
  const relaxed = relaxedSimdAvailable();
  if (relaxed) return shared ? 'relaxedShared' : 'relaxed';
  return shared ? 'simdShared' : 'simd';
}

function describe(variant: Variant, module: WebAssembly.Module): LoadedWasm {
  return {
    module,
    shared: variant.endsWith('Shared'),
    relaxed: variant.startsWith('relaxed'),
    maximumPages: modules.maximumPages,
  };
}

let loaded: LoadedWasm | null = null;
let loading: Promise<LoadedWasm> | null = null;

/**
 * Compiles the kernels asynchronously (required in browsers before `setBackend('wasm')`;
 * optional in Node). Resolves with what was loaded; safe to call more than once.
 */
export function initWasm(): Promise<LoadedWasm> {
  if (loaded) return Promise.resolve(loaded);
  if (!loading) {
    const variant = chooseVariant();
    loading = WebAssembly.compile(bytesOf(variant)).then((module) => (loaded = describe(variant, module)));
  }
  return loading;
}

/** The compiled kernels, compiling synchronously if `initWasm()` has not run (Node). */
export function loadWasmSync(): LoadedWasm {
  if (loaded) return loaded;
  if (typeof WebAssembly === 'undefined')
    throw new DescentError('wasm backend: WebAssembly is not available here.');
  const variant = chooseVariant();
  try {
    loaded = describe(variant, new WebAssembly.Module(bytesOf(variant)));
  } catch (e) {
    throw new DescentError(
      `wasm backend: could not compile the WebAssembly kernels synchronously (${(e as Error).message}). ` +
        `In a browser, call 'await initWasm()' before setBackend('wasm').`,
    );
  }
  return loaded;
}

/** Whether the wasm backend can be created synchronously right now. */
export function wasmReady(): boolean {
  if (loaded) return true;
  if (typeof WebAssembly === 'undefined') return false;
  // Node compiles synchronously; browsers need initWasm() first.
  return (
    nodeProcess()?.getBuiltinModule !== undefined ||
    typeof (globalThis as { window?: unknown }).window === 'undefined'
  );
}

export function instantiate(module: WebAssembly.Module, memory: WebAssembly.Memory): WasmExports {
  const instance = new WebAssembly.Instance(module, {
    env: {
      memory,
      abort: () => {
        throw new DescentError('wasm backend: a kernel aborted.');
      },
    },
  });
  return instance.exports as unknown as WasmExports;
}

/**
 * The 'webgpu' backend: WGSL compute shaders on a GPUDevice, the same code in browsers
 * (navigator.gpu) and in Node (the `webgpu` npm package, Google's Dawn).
 *
 *   import { initWebGpu, setBackend } from 'descent';
 *   await initWebGpu();          // finds an adapter and a device, or throws saying what it looked for
 *   setBackend('webgpu');        // or 'auto', which now prefers webgpu
 *
 * Getting a device is asynchronous, so nothing picks this backend before `initWebGpu()` (or
 * `registerWebGpuBackend(device)` with a device of your own) has resolved: 'auto' goes on
 * choosing wasm or cpu until then, and `setBackend('webgpu')` throws a ConfigError saying so.
 * `initBackend('auto')` (backend/registry.ts) does both steps, with a one-line warning and
 * the fallback when no adapter exists.
 *
 * Tensors on this backend are read with `await t.data()`; `dataSync()` and `item()` throw.
 */
import { ConfigError } from '../../errors.js';
import { WebGpuBackend, type WebGpuBackendOptions, type WebGpuInfo, type WebGpuStorage } from './backend.js';

export { WebGpuBackend };
export type { WebGpuBackendOptions, WebGpuInfo, WebGpuStorage };

export interface InitWebGpuOptions extends WebGpuBackendOptions {
  /** Passed to requestAdapter (default 'high-performance'). */
  powerPreference?: GPUPowerPreference;
  /**
   * When no adapter is found: 'throw' (the default) a ConfigError saying what was looked for,
   * or 'warn': print that as one line (console.warn) and resolve to null.
   */
  onUnavailable?: 'throw' | 'warn';
}

let shared: WebGpuBackend | null = null;

/** Whether a webgpu backend is ready (after initWebGpu or registerWebGpuBackend). */
export function webgpuReady(): boolean {
  return shared !== null;
}

/** What an uninitialised `setBackend('webgpu')` says. */
export const NOT_INITIALISED =
  "The 'webgpu' backend is not initialised: it needs a GPUDevice, which is only obtained " +
  "asynchronously (navigator.gpu in browsers, the 'webgpu' npm package in Node). " +
  'Call `await initWebGpu()` first (or registerWebGpuBackend(device) with a device of your own).';

/** The process's webgpu backend, for the registry: throws a ConfigError until one is initialised. */
export function createWebGpuBackend(): WebGpuBackend {
  if (!shared) throw new ConfigError(NOT_INITIALISED);
  return shared;
}

/** Makes `device` the webgpu backend's device (replacing an earlier one). */
export function registerWebGpuBackend(
  device: GPUDevice,
  options: WebGpuBackendOptions = {},
  adapterDescription = '',
): WebGpuBackend {
  shared = new WebGpuBackend(device, options, adapterDescription);
  return shared;
}

interface FoundGpu {
  gpu: GPU | null;
  /** Where it came from, or what was looked for when nothing was found. */
  where: string;
}

function nodeVersion(): string | undefined {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return p?.versions?.node;
}

async function findGpu(): Promise<FoundGpu> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) return { gpu: nav.gpu, where: 'navigator.gpu' };
  if (!nodeVersion()) {
    return {
      gpu: null,
      where:
        'navigator.gpu is missing (a browser without WebGPU, or a page that is not a secure context: ' +
        'serve it over https or from localhost; Chromium on Linux may need --enable-unsafe-webgpu)',
    };
  }
  // Node: the 'webgpu' package, imported by a computed name so that bundlers leave it out.
  const specifier = 'webgpu';
  let mod: { create: (flags: string[]) => GPU };
  try {
    mod = (await import(/* @vite-ignore */ specifier)) as typeof mod;
  } catch (error) {
    return {
      gpu: null,
      where:
        "Node has no navigator.gpu, and the 'webgpu' package (Dawn) could not be loaded " +
        `(${(error as Error).message.split('\n')[0]}); install it with npm install webgpu`,
    };
  }
  return { gpu: mod.create([]), where: "the 'webgpu' package (Dawn)" };
}

/**
 * Requests an adapter and a device and makes them the webgpu backend's. Resolves to the
 * backend; when no adapter exists, throws a ConfigError saying what was looked for (or, with
 * `onUnavailable: 'warn'`, warns in one line and resolves to null). Calling it again returns
 * the backend already made.
 */
export async function initWebGpu(options: InitWebGpuOptions = {}): Promise<WebGpuBackend | null> {
  if (shared) return shared;
  const fail = (reason: string): null => {
    const message = `WebGPU unavailable: ${reason}.`;
    if (options.onUnavailable === 'warn') {
      console.warn(`descent: ${message} Using the next backend instead.`);
      return null;
    }
    throw new ConfigError(message);
  };
  const { gpu, where } = await findGpu();
  if (!gpu) return fail(`looked for ${where}`);
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' });
  } catch (error) {
    return fail(`${where}.requestAdapter() failed: ${(error as Error).message}`);
  }
  if (!adapter) {
    return fail(
      `${where} found no GPU adapter (requestAdapter() returned null)` +
        (where.includes('Dawn')
          ? ' — Dawn needs a GPU driver it accepts (Vulkan on Linux, with libvulkan1), which this machine lacks'
          : ''),
    );
  }
  const limits = adapter.limits;
  const wanted = [
    'maxStorageBufferBindingSize',
    'maxBufferSize',
    'maxComputeWorkgroupStorageSize',
    'maxComputeInvocationsPerWorkgroup',
    'maxComputeWorkgroupSizeX',
    'maxStorageBuffersPerShaderStage',
  ] as const;
  const requiredLimits: Record<string, number> = {};
  for (const name of wanted) requiredLimits[name] = limits[name];
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ requiredLimits });
  } catch (error) {
    return fail(`${where}: the adapter refused a device (${(error as Error).message})`);
  }
  const info = adapter.info;
  const description = info
    ? [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ')
    : '';
  return registerWebGpuBackend(device, options, `${description} (${where})`);
}

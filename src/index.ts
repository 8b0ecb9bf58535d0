/**
 * descent — train neural networks and see how their optimisation works.
 *
 *   import { nn, optim, data, train, ops, tensor } from 'descent';
 */
import './autograd/index.js';
import './ops/index.js';
import './train/index.js';

export * as tensor from './tensor/index.js';
export * as ops from './ops/index.js';
export * as autograd from './autograd/index.js';
export * as nn from './nn/index.js';
export * as losses from './losses/index.js';
export * as optim from './optim/index.js';
export * as train from './train/index.js';
export * as data from './data/index.js';
export * as errors from './errors.js';
export { Tensor } from './tensor/tensor.js';
export {
  fromArray,
  zeros,
  ones,
  full,
  arange,
  linspace,
  randn,
  rand,
  scalar,
  eye,
} from './tensor/creation.js';
export { setSeed, Rng } from './tensor/random.js';
export { tidy, keep, dispose, memory } from './tensor/scope.js';
export { noGrad, gradcheck } from './autograd/index.js';
export { setBackend, getBackend, backendNames, registerBackend, initBackend } from './backend/registry.js';
export type { Backend, DType } from './backend/contract.js';
export * as io from './io/index.js';
export {
  saveModel,
  loadModel,
  saveCheckpoint,
  loadCheckpoint,
  latestCheckpoint,
  registerLayer,
} from './io/index.js';
export * as lab from './lab/index.js';
export { initWasm, setWasmThreads, wasmInfo } from './backend/wasm/index.js';
export { initWebGpu, registerWebGpuBackend, webgpuReady } from './backend/webgpu/index.js';
// The pictures (Vega-Lite) are a separate entry point, 'descent/viz', so that importing
// the library does not load the charting code.

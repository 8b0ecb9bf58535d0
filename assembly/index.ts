// The WebAssembly kernels of descent's 'wasm' backend (see src/backend/wasm/). Every export
// works on raw byte offsets into the one linear memory that JavaScript allocates tensors in;
// nothing here allocates, so the module runs with the stub runtime and has no static data,
// and several instances (one per thread) can share one memory.
export { heapBase, relaxedSimd } from './simd';
export { gemmF32, gemmF32Chunks, gemmScratchBytes } from './gemm';
export { unaryF32, unaryGradF32, binaryF32, fill32 } from './elementwise';
export { reduceF32, softmaxF32, softmaxGradF32 } from './axis';
export {
  im2colF32, im2colF64, col2imF32, col2imF64, pool2dF32, pool2dF64, pool2dGradF32, pool2dGradF64,
} from './conv';
export { permute32, permute64 } from './layout';
export { fusedF32, fusedScratchBytes } from './fused';
export { batchNormF32, batchNormGradF32 } from './normalization';
export { dropoutMaskF32 } from './random';

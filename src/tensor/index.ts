export { Tensor, isTensor, type GradFn, type NestedArray } from './tensor.js';
export * from './creation.js';
export { Rng, rng, setSeed } from './random.js';
export { broadcastShapes, formatShape, sizeOf, sameShape, type Shape } from './shape.js';
export { tidy, keep, dispose, memory, type MemoryInfo } from './scope.js';

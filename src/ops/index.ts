/** ops: every differentiable operation, by family. */
export * from './arithmetic.js';
export * from './activation.js';
export * from './matmul.js';
export * from './reduce.js';
export * from './shape.js';
export { cast } from './arithmetic.js';
import './methods.js';
export { conv2d, type Conv2dOptions, type Padding, type Pair, type WindowOptions } from './conv.js';
export * from './pool.js';
export * from './normalization.js';
export * from './dropout.js';
export { fuse, Expr } from './fused.js';

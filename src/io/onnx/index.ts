/**
 * ONNX in and out: `exportOnnx(model)` writes a descent model as an ONNX file's bytes,
 * `importOnnx(bytes)` reads one as a layer that evaluates, trains and saves. Both work in
 * Node and in the browser (nothing here touches the file system).
 */
export { exportOnnx, EXPORT_OPSET, EXPORT_IR_VERSION, type ExportOnnxOptions } from './export.js';
export { importOnnx, describeOnnx, type ImportOnnxOptions } from './import.js';
export { OnnxGraph, supportedOnnxOps, type OnnxGraphOptions, type RunOptions } from './graph.js';
export { OnnxUnsupportedError, type GraphDescription, type GraphNode } from './spec.js';
export { MIN_OPSET as ONNX_MIN_OPSET, MAX_OPSET as ONNX_MAX_OPSET } from './ops.js';
export { readOnnxTensor } from './read-tensor.js';
export type { HostArray } from './tensor.js';

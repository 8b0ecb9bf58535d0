/**
 * The page script of the browser ONNX test (test/io/onnx-browser.test.ts): builds a small CNN
 * from a seed, exports it with exportOnnx and imports ONNX bytes with importOnnx — in the page,
 * bundled without Node stubs: src/io/onnx must import nothing from Node.
 */
import { setBackend } from '../../src/backend/registry.js';
import { noGrad } from '../../src/autograd/tape.js';
import { exportOnnx, importOnnx } from '../../src/io/onnx/index.js';
import type { Layer } from '../../src/nn/layer.js';
import { fromArray } from '../../src/tensor/creation.js';
import { setSeed } from '../../src/tensor/random.js';
import { tidy } from '../../src/tensor/scope.js';
import { onnxTestNetwork } from './onnx-network.js';

export interface OnnxPage {
  /** The seeded network's ONNX bytes and its predictions for `input`. */
  exportNetwork(
    seed: number,
    input: number[],
    shape: number[],
  ): Promise<{ bytes: number[]; predictions: number[] }>;
  /** Imports ONNX bytes and predicts `input`. */
  importAndPredict(bytes: number[], input: number[], shape: number[]): number[];
}

function predict(net: Layer, input: number[], shape: number[]): number[] {
  return tidy(() =>
    noGrad(() => Array.from(net.call(fromArray(input, shape), { training: false }).dataSync())),
  );
}

const page: OnnxPage = {
  async exportNetwork(seed, input, shape) {
    setBackend('cpu');
    setSeed(seed);
    const net = onnxTestNetwork(input, shape);
    const bytes = await exportOnnx(net);
    return { bytes: Array.from(bytes), predictions: predict(net, input, shape) };
  },
  importAndPredict(bytes, input, shape) {
    setBackend('cpu');
    return predict(importOnnx(Uint8Array.from(bytes)), input, shape);
  },
};

(globalThis as { descentOnnx?: OnnxPage }).descentOnnx = page;

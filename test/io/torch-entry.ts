/**
 * The page script of the browser PyTorch test (test/io/torch-browser.test.ts): exports a seeded
 * network with exportTorch and loads state_dict bytes with loadStateDictFromBytes — in the page,
 * bundled without Node stubs: src/io/torch and src/io/state-dict.ts must import nothing from Node.
 */
import { setBackend } from '../../src/backend/registry.js';
import { noGrad } from '../../src/autograd/tape.js';
import { loadStateDictFromBytes } from '../../src/io/state-dict.js';
import { exportTorch } from '../../src/io/torch/index.js';
import type { Layer } from '../../src/nn/layer.js';
import { fromArray } from '../../src/tensor/creation.js';
import { setSeed } from '../../src/tensor/random.js';
import { tidy } from '../../src/tensor/scope.js';
import { onnxTestNetwork } from '../browser/onnx-network.js';

export interface TorchPage {
  /** The seeded network's PyTorch files (model.py's text, the state_dict's bytes). */
  exportNetwork(
    seed: number,
    input: number[],
    shape: number[],
  ): Promise<{ modelPy: string; stateDict: number[] }>;
  /** Loads state_dict bytes into the network built from `seed` and predicts `input`. */
  loadAndPredict(seed: number, bytes: number[], input: number[], shape: number[]): number[];
}

function predict(net: Layer, input: number[], shape: number[]): number[] {
  return tidy(() =>
    noGrad(() => Array.from(net.call(fromArray(input, shape), { training: false }).dataSync())),
  );
}

const page: TorchPage = {
  async exportNetwork(seed, input, shape) {
    setBackend('cpu');
    setSeed(seed);
    const files = await exportTorch(onnxTestNetwork(input, shape));
    return { modelPy: files['model.py'], stateDict: Array.from(files['state_dict.safetensors']) };
  },
  loadAndPredict(seed, bytes, input, shape) {
    setBackend('cpu');
    setSeed(seed);
    const net = onnxTestNetwork(input, shape);
    loadStateDictFromBytes(net, Uint8Array.from(bytes));
    return predict(net, input, shape);
  },
};

(globalThis as { descentTorch?: TorchPage }).descentTorch = page;

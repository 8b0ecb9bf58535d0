/** The network both sides of the browser ONNX test build from the same seed (no Node imports). */
import { noGrad } from '../../src/autograd/tape.js';
import * as nn from '../../src/nn/index.js';
import type { Layer } from '../../src/nn/layer.js';
import { fromArray } from '../../src/tensor/creation.js';
import { tidy } from '../../src/tensor/scope.js';

/** A CNN with every kind of state: conv + batch norm (its statistics moved) + prelu + pool + dense + softmax. */
export function onnxTestNetwork(input: number[], shape: number[]): Layer {
  const net = nn.sequential([
    nn.conv2d({ outChannels: 3, kernelSize: 3, padding: 1, inputShape: [shape[1], shape[2], shape[3]] }),
    nn.batchNorm2d(3),
    nn.prelu(),
    nn.maxPool2d(2),
    nn.flatten(),
    nn.dense({ units: 4, activation: 'step' }),
    nn.dense({ units: 3 }),
    nn.softmax(),
  ]);
  tidy(() => noGrad(() => net.call(fromArray(input, shape), { training: true })));
  return net;
}

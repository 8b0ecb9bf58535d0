/**
 * The measurement behind the README's figure: the README's digits MLP (64-32-10 ReLU, SGD 0.1,
 * batch 32) trained for a number of steps, wherever this runs (page, worker, Node).
 */
import { data, initBackend, nn, optim, setSeed, train, wasmInfo } from 'descent';

export interface BenchResult {
  backend: string;
  threads: number;
  steps: number;
  stepsPerSecond: number;
}

export async function benchDigits(steps = 300): Promise<BenchResult> {
  const backend = await initBackend('wasm');
  setSeed(1);
  const { train: trainSet } = data.digits();
  const model = new train.Model(
    nn.sequential([
      nn.dense({ units: 64, activation: 'relu' }),
      nn.dense({ units: 32, activation: 'relu' }),
      nn.dense({ units: 10 }),
    ]),
  );
  model.compile({ optimizer: optim.sgd({ lr: 0.1 }), loss: 'crossEntropy' });
  const batchSize = 32;
  const perEpoch = Math.ceil(trainSet.length / batchSize);
  const epochs = Math.max(1, Math.round(steps / perEpoch));
  await model.fit(trainSet, { epochs: 1, batchSize }); // warm-up: JIT, buffers
  const start = performance.now();
  await model.fit(trainSet, { epochs, batchSize, logEvery: 1_000_000 });
  const seconds = (performance.now() - start) / 1000;
  model.dispose();
  trainSet.dispose();
  return {
    backend: backend.name,
    threads: backend.name === 'wasm' ? wasmInfo().threads : 0,
    steps: epochs * perEpoch,
    stepsPerSecond: (epochs * perEpoch) / seconds,
  };
}

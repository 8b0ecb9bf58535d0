/**
 * The README's digits MLP, written against the published entry ('descent', as a user imports
 * it), so the same function runs in Node, in a page and in a Web Worker and the runs can be
 * compared loss by loss. It returns what each run saw, not a verdict.
 */
import { data, initBackend, nn, optim, setSeed, train, wasmInfo } from 'descent';

export interface ReadmeRun {
  backend: string;
  /** The training loss after each epoch, as fit recorded it. */
  losses: number[];
  testAccuracy: number;
  /** Threads the wasm backend used (1 where memory cannot be shared), 0 on other backends. */
  threads: number;
  steps: number;
  /** Training steps per second over the whole fit. */
  stepsPerSecond: number;
}

export async function trainReadmeDigits(
  options: { backend?: 'wasm' | 'webgpu' | 'cpu'; epochs?: number } = {},
): Promise<ReadmeRun> {
  const backend = await initBackend(options.backend ?? 'wasm');
  setSeed(1);
  const { train: trainSet, test } = data.digits();
  const model = new train.Model(
    nn.sequential([
      nn.dense({ units: 64, activation: 'relu' }),
      nn.dense({ units: 32, activation: 'relu' }),
      nn.dense({ units: 10 }),
    ]),
  );
  model.compile({ optimizer: optim.sgd({ lr: 0.1 }), loss: 'crossEntropy', metrics: ['accuracy'] });
  const batchSize = 32;
  const start = performance.now();
  const history = await model.fit(trainSet, { epochs: options.epochs ?? 5, batchSize });
  const seconds = (performance.now() - start) / 1000;
  const evaluation = await model.evaluate(test);
  const epochs = history.history.loss.length;
  const steps = epochs * Math.ceil(trainSet.length / batchSize);
  return {
    backend: backend.name,
    losses: history.history.loss,
    testAccuracy: evaluation.accuracy,
    threads: backend.name === 'wasm' ? wasmInfo().threads : 0,
    steps,
    stepsPerSecond: steps / seconds,
  };
}

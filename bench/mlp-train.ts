/**
 * Baseline benchmark (not a test): training samples/s of an MLP 784-500-500-10
 * (ReLU, SGD η = 0.1, batch 100, cross-entropy) on random data shaped like
 * Fashion-MNIST, on the selected backend (default cpu; `--backend wasm` etc.).
 *
 *   npm run build && node dist/bench/mlp-train.js [--backend cpu] [--steps 30]
 */
import { nn, optim, losses, tidy, setSeed, setBackend, getBackend, fromArray, memory } from '../src/index.js';
import { Rng } from '../src/tensor/random.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const backend = arg('backend', 'cpu');
const steps = Number(arg('steps', '30'));
const warmup = 3;
const batch = 100;
setBackend(backend);
setSeed(1);

const rng = new Rng(2);
const xValues = new Float32Array(batch * 784);
for (let i = 0; i < xValues.length; i++) xValues[i] = rng.uniform();
const labels = new Int32Array(batch);
for (let i = 0; i < batch; i++) labels[i] = rng.int(10);
const x = fromArray(xValues, [batch, 784]);
const y = fromArray(labels, [batch], { dtype: 'int32' });

const net = nn.sequential([
  nn.dense({ units: 500, inFeatures: 784, activation: 'relu' }),
  nn.dense({ units: 500, activation: 'relu' }),
  nn.dense({ units: 10 }),
]);
const opt = new optim.Optimizer(optim.sgd({ lr: 0.1 }), net.parameters());

function step(): number {
  return tidy(() => {
    opt.zeroGrad();
    const loss = losses.crossEntropy(net.call(x, { training: true }), y);
    loss.backward();
    opt.step();
    return loss.item();
  });
}

for (let i = 0; i < warmup; i++) step();
const t0 = performance.now();
let last = 0;
for (let i = 0; i < steps; i++) last = step();
const seconds = (performance.now() - t0) / 1000;
const samplesPerSec = (steps * batch) / seconds;
const flops = 3 * 2 * batch * (784 * 500 + 500 * 500 + 500 * 10) * steps;
const result = {
  workload: 'mlp-train',
  lib: 'descent',
  backend: getBackend().name,
  samplesPerSec: Math.round(samplesPerSec),
  gflops: +(flops / seconds / 1e9).toFixed(2),
  msPerStep: +((seconds * 1000) / steps).toFixed(1),
  finalLoss: +last.toFixed(4),
  liveTensors: memory().numTensors,
};
if (process.argv.includes('--json')) console.log(JSON.stringify(result));
else
  console.log(
    `mlp-train 784-500-500-10 batch ${batch} on ${result.backend}: ${result.samplesPerSec} samples/s (${result.msPerStep} ms/step, ${result.gflops} GFLOP/s)`,
  );

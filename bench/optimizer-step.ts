/**
 * Optimiser step cost on a 1M-parameter model (a benchmark, not a test): ms per step for
 * every first-order optimiser, with the growth of live tensors and of backend memory after
 * warm-up (both must stay 0: steps reuse pooled memory, nothing is allocated per element).
 *
 *   npm run build && node dist/bench/optimizer-step.js [--backend wasm] [--steps 20]
 */
import { fromArray, setBackend, getBackend, memory, optim, tidy } from '../src/index.js';
import { Rng } from '../src/tensor/random.js';
import type { Tensor } from '../src/tensor/tensor.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}
if (process.argv.includes('--backend')) setBackend(arg('backend', 'auto'));
const steps = Number(arg('steps', '20'));
const shapes = [[1000, 784], [1000], [200, 1000], [200], [10, 200], [10]];
const rng = new Rng(1);
function random(shape: number[]): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = rng.normal() * 0.01;
  return fromArray(v, shape);
}
const count = shapes.reduce((s, sh) => s + sh.reduce((a, b) => a * b, 1), 0);
const skip = new Set(['lbfgs', 'newton', 'quickprop']);
console.log(`${count.toLocaleString('en')} parameters, backend ${getBackend().name}`);
console.log('| optimizer | ms/step | live tensors added after warm-up | backend bytes added after warm-up |');
console.log('| --- | --- | --- | --- |');
for (const name of Object.keys(optim.optimizers)) {
  if (skip.has(name)) continue;
  const params = shapes.map((s, i) => {
    const p = random(s);
    p.requiresGrad = true;
    p.name = `layer${i >> 1}.${i % 2 ? 'bias' : 'weight'}`;
    return p;
  });
  for (const p of params) p.grad = random([...p.shape]);
  const opt = new optim.Optimizer(optim.getOptimizer(optim.asOptimizerName(name), {}), params);
  for (let i = 0; i < 3; i++) tidy(() => opt.step());
  const before = memory();
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) tidy(() => opt.step());
  const ms = (performance.now() - t0) / steps;
  const after = memory();
  console.log(
    `| ${name} | ${ms.toFixed(2)} | ${after.numTensors - before.numTensors} | ${after.totalBytes - before.totalBytes} |`,
  );
  opt.dispose();
  for (const p of params) p.dispose();
}

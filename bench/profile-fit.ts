/**
 * Where `Model.fit` spends its time: wraps every kernel of the running backend with a timer
 * and trains a user-path network (bench/user-workloads.ts) for a few epochs, then prints each
 * kernel's share of the wall time (matmul split by its shape, so the convolutions' GEMMs and
 * the dense layers' can be told apart) and what is left outside the kernels (JavaScript:
 * autograd, layers, fit's loop).
 *
 *   node dist/bench/profile-fit.js [fashion-cnn|lenet5|mlp] [seconds] [threads]
 */
import { data, nn, Rng, setBackend, setSeed, setWasmThreads, train } from '../src/index.js';
import { getBackend } from '../src/backend/registry.js';
import type { MatmulArgs } from '../src/backend/contract.js';
import { WasmBackend } from '../src/backend/wasm/index.js';

const [name = 'fashion-cnn', seconds = '5', threads = '2'] = process.argv.slice(2);
setBackend('wasm');
setWasmThreads(Number(threads));
const backend = getBackend();
if (backend instanceof WasmBackend) backend.waitForWorkers();

const spent = new Map<string, { ms: number; calls: number }>();
let timing = false;
const target = backend as unknown as Record<string, unknown>;
const proto = Object.getPrototypeOf(backend) as Record<string, unknown>;
for (const key of Object.getOwnPropertyNames(proto)) {
  const f = proto[key];
  if (key === 'constructor' || typeof f !== 'function') continue;
  target[key] = function (this: unknown, ...args: unknown[]) {
    if (timing) return (f as (...a: unknown[]) => unknown).apply(backend, args);
    timing = true; // a kernel calling another (wasm falling back to cpu) counts once
    const t0 = performance.now();
    try {
      return (f as (...a: unknown[]) => unknown).apply(backend, args);
    } finally {
      const ms = performance.now() - t0;
      timing = false;
      let label = key;
      if (key === 'matmul') {
        const a = args[4] as MatmulArgs;
        label = `matmul ${a.batch > 1 ? a.batch + '×' : ''}${a.m}×${a.n}×${a.k}${a.transA ? ' Aᵀ' : ''}${a.transB ? ' Bᵀ' : ''}`;
      } else if (key === 'unary' || key === 'binary' || key === 'reduce')
        label = `${key} ${args[0] as string}`;
      else if (key === 'fused')
        label = `fused ${(args[5] as number) >= 100_000 ? 'activations' : 'small (parameters, statistics)'}`;
      const s = spent.get(label) ?? { ms: 0, calls: 0 };
      s.ms += ms;
      s.calls++;
      spent.set(label, s);
    }
  };
}

setSeed(1);
const rng = new Rng(7);
const n = 40 * 64;
const images = Float32Array.from({ length: n * 784 }, () => rng.uniform());
const labels = Int32Array.from({ length: n }, () => rng.int(10));
const set = data.Dataset.fromArrays(images, [1, 28, 28], labels, { numClasses: 10 });
const net =
  name === 'mlp'
    ? nn.mlp({ inputShape: [1, 28, 28], hidden: [500, 500] })
    : nn.buildModel(name, { inputShape: [1, 28, 28] });
const model = new train.Model(net).compile({ optimizer: 'adam', lr: 1e-3, loss: 'crossEntropy' });
await model.fit(set, { epochs: 1, batchSize: 64 });
spent.clear();
const t0 = performance.now();
let samples = 0;
while (samples === 0 || performance.now() - t0 < Number(seconds) * 1000) {
  await model.fit(set, { epochs: 1, batchSize: 64 });
  samples += n;
}
const wall = performance.now() - t0;
const rows = [...spent.entries()].sort((a, b) => b[1].ms - a[1].ms);
const inKernels = rows.reduce((s, [, v]) => s + v.ms, 0);
console.log(
  `${name}: ${((samples * 1000) / wall).toFixed(0)} samples/s over ${(wall / 1000).toFixed(1)} s, ${threads} threads`,
);
console.log(`${'kernel'.padEnd(36)} ${'share'.padStart(6)} ${'ms/step'.padStart(8)} calls/step`);
const steps = samples / 64;
for (const [label, v] of rows) {
  if (v.ms / wall < 0.002) continue;
  console.log(
    `${label.padEnd(36)} ${((100 * v.ms) / wall).toFixed(1).padStart(5)}% ${(v.ms / steps).toFixed(2).padStart(8)} ${(v.calls / steps).toFixed(1)}`,
  );
}
console.log(
  `${'outside kernels (JS)'.padEnd(36)} ${((100 * (wall - inKernels)) / wall).toFixed(1).padStart(5)}% ${((wall - inKernels) / steps).toFixed(2).padStart(8)}`,
);
process.exit(0);

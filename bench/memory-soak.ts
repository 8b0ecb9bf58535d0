/**
 * Memory soak (a benchmark, not a test): trains the digits MLP for many epochs in a fresh
 * process and prints resident memory, V8 heap and live tensors per epoch, with the largest
 * RSS deviation after a warm-up.
 *
 *   npm run build && node dist/bench/memory-soak.js [--epochs 100] [--warmup 3] [--backend wasm]
 */
import { nn, data, train, setSeed, setBackend, memory, getBackend } from '../src/index.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}
const epochs = Number(arg('epochs', '100'));
const warmup = Number(arg('warmup', '3'));
if (process.argv.includes('--backend')) setBackend(arg('backend', 'auto'));
setSeed(3);
const sets = data.digits();
const model = new train.Model(
  nn.sequential([
    nn.dense({ units: 64, activation: 'relu' }),
    nn.dense({ units: 32, activation: 'relu' }),
    nn.dense({ units: 10 }),
  ]),
).compile({ optimizer: 'adam', lr: 1e-3, loss: 'crossEntropy', metrics: ['accuracy'] });
const rss: number[] = [];
const tensors = new Set<number>();
await model.fit(sets.train, {
  epochs,
  batchSize: 64,
  validationSplit: 0.1,
  callbacks: [
    {
      onEpochEnd: ({ epoch }) => {
        (globalThis as { gc?: () => void }).gc?.();
        const m = process.memoryUsage();
        rss.push(m.rss);
        tensors.add(memory().numTensors);
        if (epoch % 10 === 0 || epoch === epochs - 1) {
          console.log(
            `epoch ${epoch}\trss ${(m.rss / 1e6).toFixed(1)} MB\theap ${(m.heapUsed / 1e6).toFixed(1)}/${(m.heapTotal / 1e6).toFixed(1)} MB\texternal ${(m.external / 1e6).toFixed(1)} MB\twasm memory ${wasmMemoryMB()}\tlive tensors ${memory().numTensors}`,
          );
        }
      },
    },
  ],
});
for (const from of [warmup, Math.floor(epochs / 2)]) {
  const ref = rss[from];
  const worst = Math.max(...rss.slice(from).map((r) => Math.abs(r - ref) / ref));
  console.log(
    `largest RSS deviation after epoch ${from}: ${(100 * worst).toFixed(1)}% (backend ${getBackend().name})`,
  );
}
console.log(`distinct live tensor counts across epochs: ${[...tensors].join(', ')}`);

/** The wasm backend's WebAssembly.Memory size (it never shrinks; growth would be a leak there). */
function wasmMemoryMB(): string {
  const info = (getBackend() as { info?: () => { heap?: { memoryBytes: number } } }).info?.();
  return info?.heap ? `${(info.heap.memoryBytes / 1e6).toFixed(1)} MB` : '—';
}

/**
 * The user-path side of `npm run bench`: networks built from `nn` layers (the zoo's
 * fashion-cnn and lenet5, an mlp) trained with `Model.fit` and run with `Model.predict`, the
 * way a user writes them — no hand-written loop, no ops. The data is random, of
 * Fashion-MNIST's shape (1×28×28 images, 10 classes); speed does not depend on the values.
 *
 *   fit:fashion-cnn      zoo fashionCnn (conv 3×3 32 → BN → ReLU → pool → dropout, conv 3×3 64 → …,
 *                        dense 128 → BN → ReLU → dropout → 10), Adam 1e-3, batch 64
 *   fit:lenet5           zoo lenet5 (ReLU, max pooling), Adam 1e-3, batch 64
 *   fit:mlp              784-500-500-10 ReLU, Adam 1e-3, batch 64
 *   predict:mlp          the same mlp, Model.predict over 10,000 images (its default batch)
 *   predict:fashion-cnn  fashion-cnn in inference mode, Model.predict over 2,000 images
 *
 * fit runs one untimed epoch (warm-up: builds the network, starts the worker threads), then
 * whole epochs of `SAMPLES_PER_EPOCH` samples until `seconds` have passed; samples/s counts
 * every sample of the timed epochs. predict reads the whole output back (`dataSync`), as a
 * user does to look at it.
 *
 *   node dist/bench/user-workloads.js <workload> [cpu|wasm] [seconds]
 *
 * prints one JSON row {workload, lib: 'descent', backend, batch, samplesPerSec, …}.
 */
import { data, nn, Rng, setBackend, setSeed, setWasmThreads, tensor, train, memory } from '../src/index.js';
import { WasmBackend } from '../src/backend/wasm/index.js';
import { getBackend } from '../src/backend/registry.js';

export const USER_WORKLOADS = [
  'fit:fashion-cnn',
  'fit:lenet5',
  'fit:mlp',
  'predict:mlp',
  'predict:fashion-cnn',
] as const;
export type UserWorkload = (typeof USER_WORKLOADS)[number];

/** Batch size of every fit workload (the issue's: batch 64, Adam). */
export const FIT_BATCH = 64;
/** Samples per fit epoch: 40 batches, so an epoch's start and end are a small share of it. */
export const SAMPLES_PER_EPOCH = 40 * FIT_BATCH;
export const PREDICT_SAMPLES: Record<string, number> = { mlp: 10_000, 'fashion-cnn': 2_000 };

const IMAGE = [1, 28, 28];

function network(name: string): nn.Sequential {
  const inputShape = IMAGE;
  if (name === 'fashion-cnn') return nn.fashionCnn({ inputShape });
  if (name === 'lenet5') return nn.lenet5({ inputShape });
  if (name === 'mlp') return nn.mlp({ inputShape, hidden: [500, 500] });
  throw new Error(`user-workloads: unknown network '${name}' (fashion-cnn, lenet5, mlp)`);
}

function randomImages(rng: Rng, n: number): Float32Array {
  const v = new Float32Array(n * 784);
  for (let i = 0; i < v.length; i++) v[i] = rng.uniform();
  return v;
}

export interface UserResult {
  workload: UserWorkload;
  batch: number;
  samplesPerSec: number;
  samples: number;
  /** The last epoch's loss (fit), a check that training ran. */
  loss?: number;
  threads?: number;
  /** Resident set size of the process at the end, MiB (the peak is in peakRssMiB where Node reports it). */
  rssMiB: number;
}

export async function runUserWorkload(
  workload: UserWorkload,
  backend = 'wasm',
  seconds = 2,
): Promise<UserResult> {
  if (!USER_WORKLOADS.includes(workload))
    throw new Error(`user-workloads: unknown workload '${workload}' (${USER_WORKLOADS.join(', ')})`);
  setBackend(backend);
  const b = getBackend();
  const threads = b instanceof WasmBackend ? 1 + b.waitForWorkers() : undefined;
  setSeed(1);
  const rng = new Rng(7);
  const [kind, net] = workload.split(':');
  const model = new train.Model(network(net));
  const rss = () => Math.round(process.memoryUsage().rss / 2 ** 20);
  if (kind === 'fit') {
    const labels = Int32Array.from({ length: SAMPLES_PER_EPOCH }, () => rng.int(10));
    const set = data.Dataset.fromArrays(randomImages(rng, SAMPLES_PER_EPOCH), IMAGE, labels, {
      numClasses: 10,
    });
    model.compile({ optimizer: 'adam', lr: 1e-3, loss: 'crossEntropy' });
    await model.fit(set, { epochs: 1, batchSize: FIT_BATCH }); // warm-up
    const t0 = performance.now();
    let samples = 0;
    let loss = NaN;
    while (samples === 0 || performance.now() - t0 < seconds * 1000) {
      const h = await model.fit(set, { epochs: 1, batchSize: FIT_BATCH });
      loss = h.history.loss.at(-1) ?? NaN;
      samples += SAMPLES_PER_EPOCH;
    }
    const samplesPerSec = (samples * 1000) / (performance.now() - t0);
    set.dispose();
    model.dispose();
    return { workload, batch: FIT_BATCH, samplesPerSec, samples, loss, threads, rssMiB: rss() };
  }
  const n = PREDICT_SAMPLES[net];
  const x = tensor.fromArray(randomImages(rng, n), [n, ...IMAGE]);
  const once = () => {
    const y = model.predict(x);
    y.dataSync();
    y.dispose();
  };
  once(); // warm-up
  const t0 = performance.now();
  let samples = 0;
  while (samples === 0 || performance.now() - t0 < seconds * 1000) {
    once();
    samples += n;
  }
  const samplesPerSec = (samples * 1000) / (performance.now() - t0);
  x.dispose();
  model.dispose();
  if (memory().numTensors > 1000)
    throw new Error(`user-workloads: ${memory().numTensors} tensors left alive`);
  return { workload, batch: n, samplesPerSec, samples, threads, rssMiB: rss() };
}

const isMain = import.meta.url === `file://${process.argv[1]}`;
if (isMain) {
  const [workload = 'fit:fashion-cnn', backend = 'wasm', seconds = '2', threads] = process.argv.slice(2);
  if (threads && backend === 'wasm') setWasmThreads(Number(threads));
  const r = await runUserWorkload(workload as UserWorkload, backend, Number(seconds));
  console.log(JSON.stringify({ ...r, lib: 'descent', backend }));
  process.exit(0); // the wasm worker threads would keep Node alive
}

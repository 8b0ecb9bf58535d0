/**
 * jax-js 0.1.25 peer of the user-path workloads (bench/user-workloads.ts), written as a JAX
 * user writes them: parameters in a tree, the loss a pure function of (params, batch, keys),
 * `jit(valueAndGrad(loss))` for the step, Adam as a jitted tree map, batches cut from a
 * shuffled order on the host, the loss read back every step (as `loss.item()`). Timed over
 * steps after three warm-up steps (not whole epochs as the others: jax-js is too slow for that).
 *
 *   node dist/bench/jaxjs.js <workload,…> [seconds]
 *
 * Workloads: fit:fashion-cnn, fit:lenet5, fit:mlp, predict:mlp, predict:fashion-cnn. Batch
 * norm normalises by the batch statistics (it keeps no running averages: a little less work
 * than the others do); dropout draws its mask with `random.bernoulli` from a fresh key per
 * step. Device: 'wasm'. Prints one JSON row per workload: {workload, lib: 'jax-js', backend:
 * 'wasm', batch, samplesPerSec} or {…, error}.
 */
import { init, defaultDevice, jit, lax, nn, numpy as np, random, tree, valueAndGrad } from '@jax-js/jax';
import type { Array as JArray } from '@jax-js/jax';
import { Rng } from '../src/tensor/random.js';

type Params = Record<string, JArray>;

const FIT_BATCH = 64;
const SAMPLES_PER_EPOCH = 40 * FIT_BATCH;
const PREDICT_SAMPLES: Record<string, number> = { mlp: 10_000, 'fashion-cnn': 2_000 };
/** Batches of 1000 as the PyTorch peer; 250 for fashion-cnn, which jax-js runs at a few images/s. */
const PREDICT_BATCH: Record<string, number> = { mlp: 1000, 'fashion-cnn': 250 };

const rng = new Rng(3);

/** PyTorch's default initialisation bound, 1/√fanIn, uniform. */
function param(shape: number[], fanIn: number): JArray {
  const n = shape.reduce((a, b) => a * b, 1);
  const b = 1 / Math.sqrt(fanIn);
  return np.array(Float32Array.from({ length: n }, () => rng.uniformIn(-b, b))).reshape(shape);
}
const ones = (n: number) => np.ones([n]);
const zeros = (n: number) => np.zeros([n]);

function initParams(name: string): Params {
  if (name === 'mlp')
    return {
      w1: param([784, 500], 784),
      b1: param([500], 784),
      w2: param([500, 500], 500),
      b2: param([500], 500),
      w3: param([500, 10], 500),
      b3: param([10], 500),
    };
  if (name === 'lenet5')
    return {
      c1: param([6, 1, 5, 5], 25),
      c1b: param([6], 25),
      c2: param([16, 6, 5, 5], 150),
      c2b: param([16], 150),
      w1: param([400, 120], 400),
      b1: param([120], 400),
      w2: param([120, 84], 120),
      b2: param([84], 120),
      w3: param([84, 10], 84),
      b3: param([10], 84),
    };
  return {
    c1: param([32, 1, 3, 3], 9),
    g1: ones(32),
    be1: zeros(32),
    c2: param([64, 32, 3, 3], 288),
    g2: ones(64),
    be2: zeros(64),
    w1: param([3136, 128], 3136),
    g3: ones(128),
    be3: zeros(128),
    w2: param([128, 10], 128),
    b2: param([10], 128),
  };
}

const dense = (h: JArray, w: JArray, b: JArray) => np.matmul(h, w).add(b);
const maxPool = (h: JArray) => lax.reduceWindow(h, (w) => w.max([-2, -1]), [2, 2], [2, 2]);
const conv = (h: JArray, w: JArray, pad: number) =>
  lax.conv(
    h,
    w,
    [1, 1],
    [
      [pad, pad],
      [pad, pad],
    ],
  );

/** Batch norm by the batch statistics over `axes`; γ, β reshaped to broadcast over the channel axis 1. */
function batchNorm(h: JArray, g: JArray, b: JArray, axes: number[], kept: number[]): JArray {
  const mu = np.mean(h.ref, axes, { keepdims: true });
  const xc = h.sub(mu);
  const v = np.mean(np.square(xc.ref), axes, { keepdims: true });
  return xc
    .mul(np.reciprocal(np.sqrt(v.add(1e-5))))
    .mul(g.reshape(kept))
    .add(b.reshape(kept));
}

function dropout(h: JArray, rate: number, key: JArray | null): JArray {
  if (!key) return h;
  const mask = random.bernoulli(key, 1 - rate, h.shape).astype(np.float32);
  return h.mul(mask).mul(1 / (1 - rate));
}

/** The network's logits; `keys` (three dropout keys) null at inference. */
function forward(name: string, p: Params, x: JArray, keys: JArray[] | null): JArray {
  const n = x.shape[0];
  if (name === 'mlp') {
    let h = x.reshape([n, 784]);
    h = nn.relu(dense(h, p.w1, p.b1));
    h = nn.relu(dense(h, p.w2, p.b2));
    return dense(h, p.w3, p.b3);
  }
  if (name === 'lenet5') {
    let h = maxPool(nn.relu(conv(x, p.c1, 2).add(p.c1b.reshape([1, 6, 1, 1]))));
    h = maxPool(nn.relu(conv(h, p.c2, 0).add(p.c2b.reshape([1, 16, 1, 1]))));
    h = h.reshape([n, 400]);
    h = nn.relu(dense(h, p.w1, p.b1));
    h = nn.relu(dense(h, p.w2, p.b2));
    return dense(h, p.w3, p.b3);
  }
  const nchw = [0, 2, 3];
  let h = conv(x, p.c1, 1);
  h = batchNorm(h, p.g1, p.be1, nchw, [1, 32, 1, 1]);
  h = dropout(maxPool(nn.relu(h)), 0.25, keys?.[0] ?? null);
  h = conv(h, p.c2, 1);
  h = batchNorm(h, p.g2, p.be2, nchw, [1, 64, 1, 1]);
  h = dropout(maxPool(nn.relu(h)), 0.25, keys?.[1] ?? null);
  h = np.matmul(h.reshape([n, 3136]), p.w1);
  h = dropout(nn.relu(batchNorm(h, p.g3, p.be3, [0], [1, 128])), 0.5, keys?.[2] ?? null);
  return dense(h, p.w2, p.b2);
}

function crossEntropy(logits: JArray, y: JArray): JArray {
  return nn.logSoftmax(logits, -1).mul(nn.oneHot(y, 10)).sum(-1).mean().mul(-1);
}

/** Adam (β 0.9, 0.999, ε 1e-8) as PyTorch writes it, with the bias corrections folded into `lrt`. */
const adam = jit((p: Params, g: Params, m: Params, v: Params, lrt: JArray) => {
  const m2 = tree.map((m: JArray, g: JArray) => m.mul(0.9).add(g.mul(0.1)), m, tree.ref(g));
  const v2 = tree.map((v: JArray, g: JArray) => v.mul(0.999).add(np.square(g).mul(0.001)), v, g);
  const p2 = tree.map(
    (p: JArray, m: JArray, v: JArray) => p.sub(m.mul(lrt.ref).div(np.sqrt(v).add(1e-8))),
    p,
    tree.ref(m2),
    tree.ref(v2),
  );
  lrt.dispose();
  return [p2, m2, v2] as [Params, Params, Params];
});

function randomImages(n: number): Float32Array {
  return Float32Array.from({ length: n * 784 }, () => rng.uniform());
}

async function fit(name: string, seconds: number): Promise<Record<string, unknown>> {
  const images = randomImages(SAMPLES_PER_EPOCH);
  const labels = Int32Array.from({ length: SAMPLES_PER_EPOCH }, () => rng.int(10));
  let params = initParams(name);
  let m = tree.map((p: JArray) => np.zerosLike(p.ref), params) as Params;
  let v = tree.map((p: JArray) => np.zerosLike(p.ref), params) as Params;
  const dropouts = name === 'fashion-cnn';
  const step = jit(
    valueAndGrad((p: Params, x: JArray, y: JArray, k0: JArray, k1: JArray, k2: JArray) =>
      crossEntropy(forward(name, p, x, dropouts ? [k0, k1, k2] : null), y),
    ),
  );
  const xb = new Float32Array(FIT_BATCH * 784);
  const yb = new Int32Array(FIT_BATCH);
  let t = 0;
  let seed = 0;
  let lastLoss = NaN;
  let order = new Int32Array(0);
  let at = 0;
  /** One step on the next batch of the shuffled order (reshuffled when an epoch ends). */
  const trainStep = () => {
    if (at + FIT_BATCH > order.length) {
      order = Int32Array.from({ length: SAMPLES_PER_EPOCH }, (_, i) => i);
      for (let i = order.length - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [order[i], order[j]] = [order[j], order[i]];
      }
      at = 0;
    }
    for (let r = 0; r < FIT_BATCH; r++) {
      const k = order[at + r];
      xb.set(images.subarray(k * 784, (k + 1) * 784), r * 784);
      yb[r] = labels[k];
    }
    at += FIT_BATCH;
    const x = np.array(xb).reshape([FIT_BATCH, 1, 28, 28]);
    const y = np.array(yb, { dtype: np.int32 });
    const keys = [random.key(seed++), random.key(seed++), random.key(seed++)];
    const [loss, grads] = step(tree.ref(params), x, y, keys[0], keys[1], keys[2]) as unknown as [
      JArray,
      Params,
    ];
    t++;
    const lrt = np.array([(1e-3 * Math.sqrt(1 - 0.999 ** t)) / (1 - 0.9 ** t)]);
    [params, m, v] = adam(params, grads, m, v, lrt);
    lastLoss = (loss.dataSync() as Float32Array)[0];
  };
  // Timed by steps, not whole epochs: jax-js's convolutions are slow enough that an epoch
  // would take minutes. Three warm-up steps compile the step.
  for (let i = 0; i < 3; i++) trainStep();
  const t0 = performance.now();
  let samples = 0;
  while (samples < 3 * FIT_BATCH || performance.now() - t0 < seconds * 1000) {
    trainStep();
    samples += FIT_BATCH;
  }
  const samplesPerSec = (samples * 1000) / (performance.now() - t0);
  tree.dispose([params, m, v]);
  return { batch: FIT_BATCH, samplesPerSec, samples, loss: lastLoss };
}

async function predict(name: string, seconds: number): Promise<Record<string, unknown>> {
  const n = PREDICT_SAMPLES[name];
  const images = randomImages(n);
  const params = initParams(name);
  const run = jit((p: Params, x: JArray) => forward(name, p, x, null));
  const batch = PREDICT_BATCH[name];
  let at = 0;
  /** The next batch of the images (from the start again after the last), read back. */
  const predictBatch = () => {
    if (at + batch > n) at = 0;
    const x = np.array(images.subarray(at * 784, (at + batch) * 784)).reshape([batch, 1, 28, 28]);
    run(tree.ref(params), x).dataSync();
    at += batch;
  };
  predictBatch(); // compiles
  const t0 = performance.now();
  let samples = 0;
  while (samples === 0 || performance.now() - t0 < seconds * 1000) {
    predictBatch();
    samples += batch;
  }
  tree.dispose(params);
  return { batch, samplesPerSec: (samples * 1000) / (performance.now() - t0), samples };
}

const [list = 'fit:mlp', seconds = '2'] = process.argv.slice(2);
await init('wasm');
defaultDevice('wasm');
for (const workload of list.split(',')) {
  const [kind, name] = workload.split(':');
  const row = { workload, lib: 'jax-js', backend: 'wasm' };
  if (!['mlp', 'lenet5', 'fashion-cnn'].includes(name) || (kind !== 'fit' && kind !== 'predict')) continue;
  try {
    const r = kind === 'fit' ? await fit(name, Number(seconds)) : await predict(name, Number(seconds));
    console.log(
      JSON.stringify({ ...row, ...r, peakRssMiB: Math.round(process.memoryUsage().rss / 2 ** 20) }),
    );
  } catch (e) {
    console.log(JSON.stringify({ ...row, samplesPerSec: null, error: (e as Error).message.split('\n')[0] }));
  }
}
process.exit(0);

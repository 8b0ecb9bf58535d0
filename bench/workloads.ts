/**
 * The descent side of `npm run bench` and of bench/gpu.ts: the workloads written with
 * ops (matmul via `linear`, add, relu, conv2d, maxPool2d, crossEntropy, backward, tidy) and
 * hand-written SGD and Adam updates, so they measure the kernels and the autograd engine, on
 * any backend.
 *
 *   mlp-train  784-500-500-10 relu, SGD 0.1, batch 100, random data of Fashion-MNIST's shape
 *   mlp-infer  the same MLP, forward only, batch 1000
 *   cnn-train  LeNet-5 (conv 5×5×6 → pool → conv 5×5×16 → pool → 120 → 84 → 10), Adam 1e-3, batch 64
 *
 * Every batch size can be overridden (`runWorkload(name, backend, seconds, batch)`).
 *
 * On webgpu, whose tensors have no synchronous read, each step is submitted as it is recorded
 * (`flush`) so that the GPU runs it while the next one is recorded, the CPU waits only for the
 * step submitted a few steps earlier (so the queue stays bounded without ever draining), and
 * the clock stops after `sync()` has waited for the last step. The loss is read once, at the
 * end (`await t.data()`), not every step. mlp-infer reads its output every step on cpu/wasm
 * (`dataSync`, as before) and only the last one on webgpu.
 *
 *   node dist/bench/workloads.js [mlp-train|mlp-infer|cnn-train] [cpu|wasm|webgpu] [seconds] [batch]
 */
import type { Tensor } from '../src/tensor/tensor.js';
import { fromArray } from '../src/tensor/creation.js';
import { Rng } from '../src/tensor/random.js';
import { keep, tidy } from '../src/tensor/scope.js';
import { backward, noGrad } from '../src/autograd/index.js';
import { getBackend, setBackend } from '../src/backend/registry.js';
import { initWebGpu, WebGpuBackend } from '../src/backend/webgpu/index.js';
import * as ops from '../src/ops/index.js';
import { crossEntropy } from '../src/losses/index.js';

export type WorkloadName = 'mlp-train' | 'mlp-infer' | 'cnn-train';

export interface WorkloadResult {
  workload: WorkloadName;
  batch: number;
  samplesPerSec: number;
  steps: number;
  /** The last loss, as a sanity check that training happened. */
  loss?: number;
}

function param(rng: Rng, shape: number[], fanIn: number): Tensor {
  const n = shape.reduce((p, d) => p * d, 1);
  const bound = 1 / Math.sqrt(fanIn); // PyTorch's default init bound
  const v = Float32Array.from({ length: n }, () => rng.uniformIn(-bound, bound));
  const t = keep(fromArray(v, shape));
  t.requiresGrad = true;
  return t;
}

function randomBatch(rng: Rng, shape: number[], classes: number): { x: Tensor; y: Tensor } {
  const n = shape.reduce((p, d) => p * d, 1);
  const x = keep(
    fromArray(
      Float32Array.from({ length: n }, () => rng.uniform()),
      shape,
    ),
  );
  const y = keep(
    fromArray(
      Int32Array.from({ length: shape[0] }, () => rng.int(classes)),
      [shape[0]],
      { dtype: 'int32' },
    ),
  );
  return { x, y };
}

/** p ← p − lr·∇p, in place, for every parameter; clears the gradients. */
function sgdStep(params: Tensor[], lr: number): void {
  noGrad(() =>
    tidy(() => {
      for (const p of params) {
        const g = p.grad!;
        const u = ops.mul(g, lr);
        p.backend.binary('sub', p.storage, p.shape, u.storage, u.shape, p.storage, p.shape, p.dtype);
        g.dispose();
        p.grad = null;
      }
    }),
  );
}

interface AdamState {
  m: Tensor[];
  v: Tensor[];
  t: number;
}

/** Adam (β1 0.9, β2 0.999, ε 1e-8), written with ops: m, v and p updated for every parameter. */
function adamStep(params: Tensor[], state: AdamState, lr: number): void {
  state.t++;
  const c1 = 1 - 0.9 ** state.t;
  const c2 = 1 - 0.999 ** state.t;
  noGrad(() =>
    tidy(() => {
      params.forEach((p, i) => {
        const g = p.grad!;
        const m = keep(ops.add(ops.mul(state.m[i], 0.9), ops.mul(g, 0.1)));
        const v = keep(ops.add(ops.mul(state.v[i], 0.999), ops.mul(ops.square(g), 0.001)));
        state.m[i].dispose();
        state.v[i].dispose();
        state.m[i] = m;
        state.v[i] = v;
        const step = ops.div(ops.mul(m, lr / c1), ops.add(ops.sqrt(ops.div(v, c2)), 1e-8));
        p.backend.binary('sub', p.storage, p.shape, step.storage, step.shape, p.storage, p.shape, p.dtype);
        g.dispose();
        p.grad = null;
      });
    }),
  );
}

function mlpParams(rng: Rng): Tensor[] {
  const sizes = [784, 500, 500, 10];
  const params: Tensor[] = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    params.push(param(rng, [sizes[l + 1], sizes[l]], sizes[l]));
    params.push(param(rng, [sizes[l + 1]], sizes[l]));
  }
  return params;
}

function mlpForward(params: Tensor[], x: Tensor): Tensor {
  let h = x;
  for (let l = 0; l < params.length; l += 2) {
    h = ops.linear(h, params[l], params[l + 1]);
    if (l + 2 < params.length) h = ops.relu(h);
  }
  return h;
}

function lenetParams(rng: Rng): Tensor[] {
  return [
    param(rng, [6, 1, 5, 5], 25),
    param(rng, [6], 25),
    param(rng, [16, 6, 5, 5], 150),
    param(rng, [16], 150),
    param(rng, [120, 256], 256),
    param(rng, [120], 256),
    param(rng, [84, 120], 120),
    param(rng, [84], 120),
    param(rng, [10, 84], 84),
    param(rng, [10], 84),
  ];
}

function lenetForward(p: Tensor[], x: Tensor): Tensor {
  let h = ops.relu(ops.conv2d(x, p[0], p[1]));
  h = ops.maxPool2d(h, 2);
  h = ops.relu(ops.conv2d(h, p[2], p[3]));
  h = ops.maxPool2d(h, 2);
  h = ops.flatten(h);
  h = ops.relu(ops.linear(h, p[4], p[5]));
  h = ops.relu(ops.linear(h, p[6], p[7]));
  return ops.linear(h, p[8], p[9]);
}

/** The webgpu backend when it is the one running, else null (cpu and wasm run synchronously). */
function asyncBackend(): WebGpuBackend | null {
  const b = getBackend();
  return b instanceof WebGpuBackend ? b : null;
}

/** Steps a webgpu run lets the CPU get ahead of the GPU before it waits for the oldest. */
const IN_FLIGHT = 3;

/**
 * Runs `step` for at least `seconds` (after `warmup` untimed steps) and returns steps/s. On
 * webgpu (`gpu`), every step is submitted as soon as it is recorded, at most IN_FLIGHT
 * submitted steps are left unfinished, and the clock stops once the GPU has run them all; on
 * cpu/wasm nothing here awaits, so the loop is the same synchronous one as before.
 */
async function timeSteps(
  step: () => void,
  seconds: number,
  gpu: WebGpuBackend | null,
  warmup = 3,
  minSteps = 5,
): Promise<{ perSec: number; steps: number }> {
  for (let i = 0; i < warmup; i++) step();
  if (gpu) await gpu.sync(); // compiles the pipelines, reports any GPU error
  const pending: Promise<unknown>[] = [];
  const t0 = performance.now();
  let steps = 0;
  while (steps < minSteps || performance.now() - t0 < seconds * 1000) {
    step();
    steps++;
    if (gpu) {
      gpu.flush();
      pending.push(gpu.device.queue.onSubmittedWorkDone().catch(() => undefined)); // sync() reports errors
      if (pending.length > IN_FLIGHT) await pending.shift();
    }
  }
  if (gpu) await gpu.sync();
  return { perSec: (steps * 1000) / (performance.now() - t0), steps };
}

/** The default batch of each workload (what `npm run bench` measures). */
export const DEFAULT_BATCH: Record<WorkloadName, number> = {
  'mlp-train': 100,
  'mlp-infer': 1000,
  'cnn-train': 64,
};

/**
 * Measures `name` on `backend` for about `seconds` at `batch` (default DEFAULT_BATCH[name]).
 * For 'webgpu', `await initWebGpu()` first. Frees what it made before it returns.
 */
export async function runWorkload(
  name: WorkloadName,
  backend: string,
  seconds = 2,
  batch = DEFAULT_BATCH[name],
): Promise<WorkloadResult> {
  if (!(name in DEFAULT_BATCH)) {
    throw new Error(`unknown workload '${name}' (one of ${Object.keys(DEFAULT_BATCH).join(', ')})`);
  }
  if (!Number.isInteger(batch) || batch < 1)
    throw new Error(`batch must be a positive integer, got ${batch}`);
  setBackend(backend);
  const gpu = asyncBackend();
  const rng = new Rng(1);
  const made: Tensor[] = [];
  /** The last step's loss, kept; read once, at the end. */
  let last: Tensor | null = null;
  const keepLoss = (l: Tensor) => {
    last?.dispose();
    last = keep(l);
  };
  const lastLoss = async () => {
    const l = last as Tensor | null;
    if (!l) return NaN;
    const v = (await l.data())[0];
    l.dispose();
    return v;
  };
  try {
    switch (name) {
      case 'mlp-train': {
        const params = mlpParams(rng);
        const { x, y } = randomBatch(rng, [batch, 784], 10);
        made.push(...params, x, y);
        const { perSec, steps } = await timeSteps(
          () => {
            tidy(() => {
              const l = crossEntropy(mlpForward(params, x), y);
              backward(l);
              keepLoss(l);
            });
            sgdStep(params, 0.1);
          },
          seconds,
          gpu,
        );
        return { workload: name, batch, samplesPerSec: perSec * batch, steps, loss: await lastLoss() };
      }
      case 'mlp-infer': {
        const params = mlpParams(rng);
        const { x, y } = randomBatch(rng, [batch, 784], 10);
        made.push(...params, x, y);
        let out: Tensor | null = null;
        const { perSec, steps } = await timeSteps(
          () =>
            noGrad(() =>
              tidy(() => {
                const o = mlpForward(params, x);
                if (gpu) {
                  out?.dispose();
                  out = keep(o);
                } else void o.dataSync();
              }),
            ),
          seconds,
          gpu,
        );
        const o = out as Tensor | null;
        if (o) {
          await o.data(); // the last output comes back, and any GPU error with it
          o.dispose();
        }
        return { workload: name, batch, samplesPerSec: perSec * batch, steps };
      }
      case 'cnn-train': {
        const params = lenetParams(rng);
        // (in a tidy: the scalar 0s would otherwise outlive the run)
        const state: AdamState = tidy(() => ({
          m: params.map((p) => keep(ops.mul(p, 0))),
          v: params.map((p) => keep(ops.mul(p, 0))),
          t: 0,
        }));
        const { x, y } = randomBatch(rng, [batch, 1, 28, 28], 10);
        made.push(...params, x, y);
        try {
          const { perSec, steps } = await timeSteps(
            () => {
              tidy(() => {
                const l = crossEntropy(lenetForward(params, x), y);
                backward(l);
                keepLoss(l);
              });
              adamStep(params, state, 1e-3);
            },
            seconds,
            gpu,
          );
          return { workload: name, batch, samplesPerSec: perSec * batch, steps, loss: await lastLoss() };
        } finally {
          for (const t of [...state.m, ...state.v]) t.dispose();
        }
      }
      default:
        throw new Error(`unknown workload '${name as string}'`);
    }
  } finally {
    (last as Tensor | null)?.dispose();
    for (const t of made) t.dispose();
  }
}

const isMain = import.meta.url === `file://${process.argv[1]}`;
if (isMain) {
  const [workload = 'mlp-train', backend = 'wasm', seconds = '2', batch] = process.argv.slice(2);
  const name = workload as WorkloadName;
  if (backend === 'webgpu') await initWebGpu();
  const result = await runWorkload(name, backend, Number(seconds), batch ? Number(batch) : undefined);
  console.log(JSON.stringify(result));
  if (backend === 'webgpu') (getBackend() as WebGpuBackend).device.destroy(); // Dawn keeps Node alive otherwise
}

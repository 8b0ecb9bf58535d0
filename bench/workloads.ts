/**
 * The descent side of `npm run bench`: the workloads written with ops (matmul via
 * `linear`, add, relu, conv2d, maxPool2d, crossEntropy, backward, tidy) and hand-written SGD
 * and Adam updates, so they measure the kernels and the autograd engine, on any backend.
 *
 *   mlp-train  784-500-500-10 relu, SGD 0.1, batch 100, random data of Fashion-MNIST's shape
 *   mlp-infer  the same MLP, forward only, batch 1000
 *   cnn-train  LeNet-5 (conv 5×5×6 → pool → conv 5×5×16 → pool → 120 → 84 → 10), Adam 1e-3, batch 64
 */
import type { Tensor } from '../src/tensor/tensor.js';
import { fromArray } from '../src/tensor/creation.js';
import { Rng } from '../src/tensor/random.js';
import { keep, tidy } from '../src/tensor/scope.js';
import { backward, noGrad } from '../src/autograd/index.js';
import { setBackend } from '../src/backend/registry.js';
import * as ops from '../src/ops/index.js';
import { crossEntropy } from '../src/losses/index.js';

export type WorkloadName = 'mlp-train' | 'mlp-infer' | 'cnn-train';

export interface WorkloadResult {
  workload: WorkloadName;
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

/** Runs `step` for at least `seconds` (after `warmup` untimed steps) and returns steps/s. */
function timeSteps(
  step: () => void,
  seconds: number,
  warmup = 3,
  minSteps = 5,
): { perSec: number; steps: number } {
  for (let i = 0; i < warmup; i++) step();
  const t0 = performance.now();
  let steps = 0;
  while (steps < minSteps || performance.now() - t0 < seconds * 1000) {
    step();
    steps++;
  }
  return { perSec: (steps * 1000) / (performance.now() - t0), steps };
}

export function runWorkload(name: WorkloadName, backend: string, seconds = 2): WorkloadResult {
  setBackend(backend);
  const rng = new Rng(1);
  switch (name) {
    case 'mlp-train': {
      const params = mlpParams(rng);
      const { x, y } = randomBatch(rng, [100, 784], 10);
      let loss = NaN;
      const { perSec, steps } = timeSteps(() => {
        tidy(() => {
          const l = crossEntropy(mlpForward(params, x), y);
          backward(l);
          loss = l.item();
        });
        sgdStep(params, 0.1);
      }, seconds);
      return { workload: name, samplesPerSec: perSec * 100, steps, loss };
    }
    case 'mlp-infer': {
      const params = mlpParams(rng);
      const { x } = randomBatch(rng, [1000, 784], 10);
      const { perSec, steps } = timeSteps(() => {
        noGrad(() => tidy(() => void mlpForward(params, x).dataSync()));
      }, seconds);
      return { workload: name, samplesPerSec: perSec * 1000, steps };
    }
    case 'cnn-train': {
      const params = lenetParams(rng);
      const state: AdamState = {
        m: params.map((p) => keep(ops.mul(p, 0))),
        v: params.map((p) => keep(ops.mul(p, 0))),
        t: 0,
      };
      const { x, y } = randomBatch(rng, [64, 1, 28, 28], 10);
      let loss = NaN;
      const { perSec, steps } = timeSteps(() => {
        tidy(() => {
          const l = crossEntropy(lenetForward(params, x), y);
          backward(l);
          loss = l.item();
        });
        adamStep(params, state, 1e-3);
      }, seconds);
      return { workload: name, samplesPerSec: perSec * 64, steps, loss };
    }
  }
}

const isMain = import.meta.url === `file://${process.argv[1]}`;
if (isMain) {
  const [workload = 'mlp-train', backend = 'wasm', seconds = '2'] = process.argv.slice(2);
  console.log(JSON.stringify(runWorkload(workload as WorkloadName, backend, Number(seconds))));
}

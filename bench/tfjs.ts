/**
 * TensorFlow.js 4.22 peer of `npm run bench`: the same workloads as bench/workloads.ts on
 * tfjs's 'cpu' (plain JavaScript) or 'wasm' (XNNPACK, SIMD) backend.
 *
 *   node dist/bench/tfjs.js <cpu|wasm> [seconds] [workloads,comma,separated]
 *
 * Prints one JSON object per line: {workload, lib: 'tfjs', backend, samplesPerSec} — or
 * {…, error} when the backend cannot run a workload (tfjs-wasm has no
 * Conv2DBackpropFilter kernel, so it cannot train a CNN).
 */
import { createRequire, register } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

/**
 * tfjs-core registers no gradients by itself (the @tensorflow/tfjs union package does, but it
 * pulls in core-js and its install script). Its gradients exist only as extensionless ES
 * modules in a CommonJS-typed package, which Node cannot load as they are; these two hooks
 * (add '.js', read them as ES modules) load them. They register into tfjs's global registry,
 * shared with the CommonJS build used above.
 */
const hooks = `
export async function resolve(specifier, context, next) {
  try { return await next(specifier, context); }
  catch (e) {
    if (specifier.startsWith('.') && (context.parentURL || '').includes('/@tensorflow/tfjs-core/dist/')) {
      return next(specifier + '.js', context);
    }
    throw e;
  }
}
export async function load(url, context, next) {
  if (url.includes('/@tensorflow/tfjs-core/dist/') && !url.endsWith('tf-core.node.js')) {
    return next(url, { ...context, format: 'module' });
  }
  return next(url, context);
}`;
register('data:text/javascript,' + encodeURIComponent(hooks));
const coreDir = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-core/package.json'));
await import(join(coreDir, 'dist/register_all_gradients.js'));

type Workload = 'gemm' | 'mlp-train' | 'mlp-infer' | 'cnn-train';

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

function dense(inputs: number, units: number): { w: tf.Variable; b: tf.Variable } {
  const bound = 1 / Math.sqrt(inputs);
  return {
    w: tf.variable(tf.randomUniform([inputs, units], -bound, bound)),
    b: tf.variable(tf.zeros([units])),
  };
}

function mlp(): { params: { w: tf.Variable; b: tf.Variable }[]; forward: (x: tf.Tensor) => tf.Tensor } {
  const params = [dense(784, 500), dense(500, 500), dense(500, 10)];
  const forward = (x: tf.Tensor): tf.Tensor => {
    let h = x as tf.Tensor2D;
    params.forEach(({ w, b }, i) => {
      h = tf.add(tf.matMul(h, w as tf.Tensor2D), b);
      if (i < params.length - 1) h = tf.relu(h);
    });
    return h;
  };
  return { params, forward };
}

function lenet(): (x: tf.Tensor4D) => tf.Tensor {
  const bound = (fanIn: number) => 1 / Math.sqrt(fanIn);
  const c1 = tf.variable(tf.randomUniform([5, 5, 1, 6], -bound(25), bound(25)));
  const c1b = tf.variable(tf.zeros([6]));
  const c2 = tf.variable(tf.randomUniform([5, 5, 6, 16], -bound(150), bound(150)));
  const c2b = tf.variable(tf.zeros([16]));
  const d = [dense(256, 120), dense(120, 84), dense(84, 10)];
  return (x) => {
    // tfjs's convolutions are NHWC; the shapes match LeNet's NCHW ones.
    let h = tf.maxPool(
      tf.relu(tf.add(tf.conv2d(x, c1 as tf.Tensor4D, 1, 'valid'), c1b)) as tf.Tensor4D,
      2,
      2,
      'valid',
    );
    h = tf.maxPool(
      tf.relu(tf.add(tf.conv2d(h, c2 as tf.Tensor4D, 1, 'valid'), c2b)) as tf.Tensor4D,
      2,
      2,
      'valid',
    );
    let f = tf.reshape(h, [x.shape[0], 256]) as tf.Tensor2D;
    d.forEach(({ w, b }, i) => {
      f = tf.add(tf.matMul(f, w as tf.Tensor2D), b);
      if (i < d.length - 1) f = tf.relu(f);
    });
    return f;
  };
}

function run(workload: Workload, seconds: number): Record<string, unknown>[] {
  switch (workload) {
    case 'mlp-train': {
      const { forward } = mlp();
      const x = tf.randomUniform([100, 784]);
      const y = tf.oneHot(tf.randomUniform([100], 0, 10, 'int32') as tf.Tensor1D, 10);
      const opt = tf.train.sgd(0.1);
      const { perSec, steps } = timeSteps(() => {
        const loss = opt.minimize(() => tf.losses.softmaxCrossEntropy(y, forward(x)) as tf.Scalar, true);
        loss?.dataSync();
        loss?.dispose();
      }, seconds);
      return [{ workload, samplesPerSec: perSec * 100, steps }];
    }
    case 'mlp-infer': {
      const { forward } = mlp();
      const x = tf.randomUniform([1000, 784]);
      const { perSec, steps } = timeSteps(() => tf.tidy(() => void forward(x).dataSync()), seconds);
      return [{ workload, samplesPerSec: perSec * 1000, steps }];
    }
    case 'cnn-train': {
      const forward = lenet();
      const x = tf.randomUniform([64, 28, 28, 1]) as tf.Tensor4D;
      const y = tf.oneHot(tf.randomUniform([64], 0, 10, 'int32') as tf.Tensor1D, 10);
      const opt = tf.train.adam(1e-3);
      const { perSec, steps } = timeSteps(() => {
        const loss = opt.minimize(() => tf.losses.softmaxCrossEntropy(y, forward(x)) as tf.Scalar, true);
        loss?.dataSync();
        loss?.dispose();
      }, seconds);
      return [{ workload, samplesPerSec: perSec * 64, steps }];
    }
    case 'gemm': {
      const rows: Record<string, unknown>[] = [];
      const shapes: [string, number, number, number, boolean, boolean][] = [
        ['128³', 128, 128, 128, false, false],
        ['512³', 512, 512, 512, false, false],
        ['1024³', 1024, 1024, 1024, false, false],
        ['mlp fwd 100×784→500', 100, 500, 784, false, true],
        ['mlp fwd 100×500→500', 100, 500, 500, false, true],
        ['mlp dx 100×500→784', 100, 784, 500, false, false],
        ['mlp dW 500×100→784', 500, 784, 100, true, false],
      ];
      for (const [shape, m, n, k, ta, tb] of shapes) {
        const a = tf.randomUniform(ta ? [k, m] : [m, k]) as tf.Tensor2D;
        const b = tf.randomUniform(tb ? [n, k] : [k, n]) as tf.Tensor2D;
        const { perSec } = timeSteps(
          () => tf.tidy(() => void tf.matMul(a, b, ta, tb).dataSync()),
          Math.min(seconds, 1),
          1,
          2,
        );
        const gflops = (perSec * 2 * m * n * k) / 1e9;
        rows.push({ workload, shape, gflops, samplesPerSec: perSec });
      }
      return rows;
    }
  }
}

async function main(): Promise<void> {
  const [backend = 'cpu', seconds = '2', list = 'gemm,mlp-train,mlp-infer,cnn-train'] = process.argv.slice(2);
  if (backend === 'wasm') {
    const require = createRequire(import.meta.url);
    const dir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
    setWasmPaths(join(dir, 'dist') + '/');
  }
  await tf.setBackend(backend);
  await tf.ready();
  for (const workload of list.split(',') as Workload[]) {
    try {
      for (const row of run(workload, Number(seconds))) {
        console.log(JSON.stringify({ lib: 'tfjs', backend, ...row }));
      }
    } catch (e) {
      console.log(
        JSON.stringify({
          workload,
          lib: 'tfjs',
          backend,
          samplesPerSec: null,
          error: (e as Error).message.split('\n')[0],
        }),
      );
    }
  }
}

await main();

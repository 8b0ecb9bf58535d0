/**
 * The training loop the experiments share: the library's own step (net, loss, backward,
 * Optimizer) written out so that an experiment can look between backward and the update —
 * gradient norms per layer, clipping — and read the loss after every step.
 *
 *   for each epoch: shuffle (seeded; or keep a fixed order); for each mini-batch:
 *     zeroGrad; C = loss(net(x), y); backward; inspect(∇); θ ← θ + update(∇)
 *
 * It is synchronous (it reads values with dataSync, which the cpu and wasm backends
 * honour), and it stops at the first non-finite loss, reporting the step.
 */
import { noGrad } from '../autograd/tape.js';
import type { Dataset } from '../data/dataset.js';
import { getLoss, type LossFn, type LossName } from '../losses/index.js';
import { getInitializer, type Initializer, type InitializerName } from '../nn/initializers.js';
import type { Layer } from '../nn/layer.js';
import { mul } from '../ops/arithmetic.js';
import { gather } from '../ops/shape.js';
import {
  getOptimizer,
  Optimizer,
  type GradientTransformation,
  type OptimizerName,
  type OptState,
} from '../optim/index.js';
import { Rng } from '../tensor/random.js';
import { keep, tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';

/** An initialiser that draws from its own generator (so an experiment does not touch the global seed). */
export function seededInitializer(init: InitializerName | Initializer, rng: Rng): Initializer {
  const base = getInitializer(init);
  return (shape, context) => base(shape, { ...context, rng });
}

export interface StepView {
  step: number;
  epoch: number;
  /** The parameters, whose `.grad` holds this step's gradient. */
  params: readonly Tensor[];
  /** This step's mini-batch loss (before the update). */
  loss: number;
}

export interface LoopOptions {
  net: Layer;
  data: Dataset;
  loss?: LossName | LossFn;
  /** A transform, an Optimizer, or a registered name (with `lr`). */
  optimizer: OptimizerName | GradientTransformation<OptState> | Optimizer;
  lr?: number;
  batchSize: number;
  epochs?: number;
  /** Stop after this many steps, even mid-epoch. */
  maxSteps?: number;
  rng?: Rng;
  /**
   * Reshuffle the samples every epoch (default true). false presents them in the dataset's
   * own order, the same every epoch (the fixed order the lectures warn about).
   */
  shuffle?: boolean;
  /** Called after backward and before the update (read or rescale gradients here); 'stop' ends training. */
  afterBackward?: (view: StepView) => void | 'stop';
  /** Called at the end of every epoch (after the last update of the epoch). */
  onEpochEnd?: (epoch: number, step: number) => void;
  /** Called after every update. */
  afterStep?: (view: StepView) => void;
}

export interface LoopResult {
  /** The mini-batch loss at every step (before that step's update). */
  losses: number[];
  /** Steps completed. */
  steps: number;
  /** The step whose loss was not finite, if training diverged. */
  divergedAt: number | null;
  /** Whether afterBackward asked to stop. */
  stopped: boolean;
  seconds: number;
}

export function makeOptimizer(spec: LoopOptions['optimizer'], lr?: number): Optimizer {
  if (spec instanceof Optimizer) return spec;
  return new Optimizer(typeof spec === 'string' ? getOptimizer(spec, { lr }) : spec);
}

/** Runs mini-batch training; see the file comment. */
export function trainLoop(options: LoopOptions): LoopResult {
  const { net, data, batchSize } = options;
  const lossFn = getLoss(options.loss ?? 'crossEntropy');
  const rng = options.rng ?? new Rng(0);
  if (!net.isBuilt) net.buildFor([1, ...data.x.shape.slice(1)]);
  const optimizer = makeOptimizer(options.optimizer, options.lr);
  const ownOptimizer = !(options.optimizer instanceof Optimizer);
  optimizer.attach(net.parameters());
  const params = optimizer.parameters;
  const epochs = options.epochs ?? 1;
  const maxSteps = options.maxSteps ?? Infinity;
  const losses: number[] = [];
  let step = 0;
  let divergedAt: number | null = null;
  let stopped = false;
  const started = performance.now();
  try {
    outer: for (let epoch = 0; epoch < epochs; epoch++) {
      const order =
        options.shuffle === false
          ? Int32Array.from({ length: data.length }, (_, i) => i)
          : rng.permutation(data.length);
      for (let start = 0; start < order.length; start += batchSize) {
        if (step >= maxSteps) break outer;
        const idx = order.subarray(start, Math.min(order.length, start + batchSize));
        const value = tidy(() => {
          optimizer.zeroGrad();
          const prediction = net.call(gather(data.x, idx), { training: true });
          const loss = lossFn(prediction, gather(data.y, idx));
          loss.backward();
          return loss.dataSync()[0];
        });
        losses.push(value);
        if (!Number.isFinite(value)) {
          divergedAt = step;
          break outer;
        }
        if (options.afterBackward?.({ step, epoch, params, loss: value }) === 'stop') {
          stopped = true;
          break outer;
        }
        optimizer.step();
        options.afterStep?.({ step, epoch, params, loss: value });
        step++;
      }
      options.onEpochEnd?.(epoch, step);
    }
  } finally {
    if (ownOptimizer) optimizer.dispose();
  }
  return { losses, steps: step, divergedAt, stopped, seconds: (performance.now() - started) / 1000 };
}

/** Mean loss (and accuracy, for integer labels) of `net` on a dataset, in inference mode. */
export function evaluateNet(
  net: Layer,
  data: Dataset,
  loss: LossName | LossFn = 'crossEntropy',
  batchSize = 512,
): { loss: number; accuracy: number } {
  const lossFn = getLoss(loss);
  let total = 0;
  let correct = 0;
  for (let start = 0; start < data.length; start += batchSize) {
    const idx = Int32Array.from({ length: Math.min(batchSize, data.length - start) }, (_, i) => start + i);
    const [l, c] = tidy(() =>
      noGrad(() => {
        const prediction = net.call(gather(data.x, idx), { training: false });
        const y = gather(data.y, idx);
        const value = lossFn(prediction, y).dataSync()[0] * idx.length;
        let hits = NaN;
        if (y.dtype === 'int32' && prediction.rank === 2) {
          const p = prediction.dataSync();
          const labels = y.dataSync();
          const k = prediction.shape[1];
          hits = 0;
          for (let i = 0; i < idx.length; i++) {
            let best = 0;
            for (let j = 1; j < k; j++) if (p[i * k + j] > p[i * k + best]) best = j;
            if (best === labels[i]) hits++;
          }
        }
        return [value, hits];
      }),
    );
    total += l;
    correct += c;
  }
  return { loss: total / data.length, accuracy: correct / data.length };
}

/** ‖t‖₂ of a tensor's values. */
export function norm(t: Tensor): number {
  let s = 0;
  for (const v of t.dataSync()) s += v * v;
  return Math.sqrt(s);
}

/** Multiplies every parameter's gradient by `factor` (for clipping without an optimiser transform). */
export function scaleGradients(params: readonly Tensor[], factor: number): void {
  for (const p of params) {
    if (!p.grad) continue;
    const scaled = keep(tidy(() => noGrad(() => mul(p.grad!, factor))));
    p.grad.dispose();
    p.grad = scaled;
  }
}

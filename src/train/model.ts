/**
 * Model: a network bound to a loss, an optimiser and metrics (Keras's compile/fit/
 * evaluate/predict). `fit` assembles the training loop from its parts and runs it:
 *
 *   fit-options.ts    the options checked, defaults filled in, the data split
 *   step.ts           one step: plain, or with a closure (L-BFGS, Newton)
 *   accumulate.ts     the epoch's mean loss and metrics
 *   callback-list.ts  events to the callbacks: history.ts first, checkpointing.ts last
 *   loop.ts           epochs of mini-batches
 *
 * Nothing here prints: progress is reported through callbacks (see callbacks.ts).
 */
import { ConfigError, DataError, checkPositiveInt } from '../errors.js';
import { noGrad } from '../autograd/tape.js';
import { Dataset, DataLoader } from '../data/dataset.js';
import { getLoss, takesWeights, type LossFn, type LossName } from '../losses/index.js';
import { mul } from '../ops/arithmetic.js';
import type { Layer } from '../nn/layer.js';
import {
  getOptimizer,
  Optimizer,
  type GradientTransformation,
  type OptimizerName,
  type OptState,
} from '../optim/index.js';
import { rng as globalRng } from '../tensor/random.js';
import { dispose, tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { gather, reshape, slice } from '../ops/shape.js';
import { zeros } from '../tensor/creation.js';
import { saveModel, type ModelInfo, type SaveModelOptions } from '../io/model-io.js';
import { EpochMeans } from './accumulate.js';
import { CallbackList, statefulCallbacks } from './callback-list.js';
import type { History, Logs, TrainingControl } from './callbacks.js';
import { checkpointing } from './checkpointing.js';
import type { Diagnostic } from './diagnose.js';
import { TrainingDiagnostics } from './diagnose.js';
import { normalizeFitOptions, type FitOptions } from './fit-options.js';
import { HistoryRecorder } from './history.js';
import { dataAndOptions, type ArrayInput } from './inputs.js';
import { LoopState, runLoop } from './loop.js';
import { getMetric, metricValue, type Metric, type MetricName } from './metrics.js';
import { makeStep } from './step.js';

export type { FitOptions } from './fit-options.js';

export interface CompileOptions {
  /** An optimiser name ('sgd', …), a gradient transformation, or an Optimizer. */
  optimizer: OptimizerName | GradientTransformation<OptState> | Optimizer;
  /**
   * Learning rate when the optimiser is given by name. With any optimiser it is also recorded
   * as `optimizer.baseLr`, for callbacks that speak of absolute rates (reduceLROnPlateau's minLr).
   */
  lr?: number;
  loss: LossName | LossFn;
  metrics?: Array<MetricName | Metric>;
}

export interface EvaluateOptions {
  batchSize?: number;
}

export class Model {
  private lossFn: LossFn | null = null;
  private lossName = '';
  private metrics: Metric[] = [];
  optimizer: Optimizer | null = null;

  constructor(readonly net: Layer) {}

  compile(options: CompileOptions): this {
    if (!options || !options.loss)
      throw new ConfigError('compile: a loss is required, e.g. { loss: "crossEntropy" }.');
    if (!options.optimizer)
      throw new ConfigError('compile: an optimizer is required, e.g. { optimizer: "sgd" }.');
    this.lossFn = getLoss(options.loss);
    this.lossName = typeof options.loss === 'string' ? options.loss : options.loss.name;
    const threshold = /logits/i.test(this.lossName) ? 0 : 0.5;
    this.metrics = (options.metrics ?? []).map((m) => getMetric(m, { threshold }));
    this.optimizer?.dispose();
    const opt = options.optimizer;
    this.optimizer =
      opt instanceof Optimizer
        ? opt
        : new Optimizer(typeof opt === 'string' ? getOptimizer(opt, { lr: options.lr }) : opt);
    if (typeof options.lr === 'number') this.optimizer.baseLr = options.lr;
    return this;
  }

  private requireCompiled(where: string): { lossFn: LossFn; optimizer: Optimizer } {
    if (!this.lossFn || !this.optimizer)
      throw new ConfigError(`${where}: call compile({ optimizer, loss }) first.`);
    return { lossFn: this.lossFn, optimizer: this.optimizer };
  }

  /** Builds the network for the dataset's sample shape and binds the optimiser to the trainable parameters. */
  private prepare(data: Dataset, optimizer: Optimizer): void {
    if (!this.net.isBuilt) this.net.buildFor([1, ...data.x.shape.slice(1)]);
    // Frozen parameters are not the optimiser's (see Layer.trainable).
    const params = this.net.trainableParameters();
    if (
      optimizer.parameters.length !== params.length ||
      optimizer.parameters.some((p, i) => p !== params[i])
    ) {
      optimizer.attach(params);
    }
  }

  /**
   * Trains for `epochs` epochs of mini-batches; returns the per-epoch history. The parts:
   * fit-options.ts (the options), step.ts (plain or closure steps), accumulate.ts (the
   * epoch's means), callback-list.ts, history.ts, checkpointing.ts, and loop.ts which runs them.
   */
  fit(data: Dataset, options?: FitOptions): Promise<History>;
  /** Keras's fit(x, y, options): x and y as tensors or plain arrays (see inputs.ts). */
  fit(x: ArrayInput, y: ArrayInput, options?: FitOptions): Promise<History>;
  async fit(...args: [Dataset | ArrayInput, (ArrayInput | FitOptions)?, FitOptions?]): Promise<History> {
    const { data, options, release } = dataAndOptions<FitOptions>('fit', args);
    try {
      return await this.fitDataset(data, options ?? {});
    } finally {
      release();
    }
  }

  private async fitDataset(data: Dataset, options: FitOptions): Promise<History> {
    const { lossFn, optimizer } = this.requireCompiled('fit');
    if ((options.classWeight !== undefined || options.sampleWeight !== undefined) && !takesWeights(lossFn))
      throw new ConfigError(
        `fit: classWeight and sampleWeight need a loss that takes weights (a built-in one, or a function (prediction, target, weights)); '${this.lossName}' takes two arguments.`,
      );
    const plan = await normalizeFitOptions(data, options);
    const { train, rng } = plan;
    const state = new LoopState();
    const recorder = new HistoryRecorder();
    const history = recorder.history;
    const sums = new EpochMeans(this.metrics);
    let diagnostics: TrainingDiagnostics | null = null;
    let callbacks: CallbackList;
    try {
      const loader = new DataLoader(train, { batchSize: plan.batchSize, shuffle: plan.shuffle, rng });
      this.prepare(train, optimizer);
      const control: TrainingControl = { stop: () => void (state.stopped = true), net: this.net, optimizer };
      diagnostics = plan.diagnose ? new TrainingDiagnostics(this.net, plan.diagnose) : null;
      if (diagnostics) history.diagnostics = [];
      // Everything a resumed run needs besides the network, by its key in the checkpoint.
      const parts = {
        loop: state,
        optimizer,
        history: recorder,
        shuffleRng: rng,
        globalRng: globalRng(),
        ...Object.fromEntries([...statefulCallbacks(plan.callbacks)].map(([k, cb]) => [`callback.${k}`, cb])),
      };
      const checkpointer =
        plan.checkpoint || plan.resumeFrom !== undefined
          ? checkpointing({
              net: this.net,
              save: plan.checkpoint,
              resumeFrom: plan.resumeFrom,
              loop: state,
              parts,
            })
          : null;
      // The history first (callbacks see the epoch recorded), checkpoints last (after every state changed).
      callbacks = new CallbackList(
        [recorder, ...plan.callbacks, ...(checkpointer ? [checkpointer] : [])],
        control,
      );
      await callbacks.trainBegin({
        epochs: plan.epochs,
        batchesPerEpoch: loader.numBatches,
        samplesPerEpoch: train.length,
        batchSize: plan.batchSize,
      });
      await runLoop({
        net: this.net,
        train,
        weights: plan.weights,
        loader,
        epochs: plan.epochs,
        batchSize: plan.batchSize,
        logEvery: plan.logEvery,
        rng,
        augment: plan.augment,
        step: makeStep({ net: this.net, lossFn, lossName: this.lossName, optimizer, diagnostics }),
        sums,
        callbacks,
        state,
        history,
        diagnostics,
        validate: plan.validation
          ? () => this.evaluateDataset(plan.validation!, { batchSize: plan.batchSize })
          : null,
        divergence: (loss, epoch, batch, step, found) =>
          this.divergenceError(loss, epoch, batch, step, optimizer, found),
      });
    } finally {
      sums.dispose();
      diagnostics?.dispose();
      for (const d of plan.owned) d.dispose();
      plan.weights?.dispose();
    }
    if (state.stopped) history.stoppedEarly = `stopped by a callback after epoch ${history.epochs.length}`;
    await callbacks.trainEnd(history);
    return history;
  }

  /**
   * Names the step and the first layer whose gradient is not finite, with advice; with
   * `diagnose`, also the first layer whose output was not finite (`found`).
   */
  private divergenceError(
    loss: number,
    epoch: number,
    batch: number,
    step: number,
    optimizer: Optimizer,
    found: Diagnostic | null = null,
  ): DataError {
    let culprit = '';
    let largest = { name: '', size: 0 };
    for (const p of optimizer.parameters) {
      const g = p.grad && p.backend.readSync ? p.backend.readSync(p.grad.storage, p.dtype, p.size) : null;
      const w = p.backend.readSync ? p.backend.readSync(p.storage, p.dtype, p.size) : null;
      const bad = (a: ArrayLike<number> | null) =>
        a !== null && Array.prototype.some.call(a, (v: number) => !Number.isFinite(v));
      if (bad(g) || bad(w)) {
        culprit = ` The first parameter with a non-finite gradient or value is ${p.name ?? 'unnamed'}.`;
        break;
      }
      for (const v of g ?? [])
        if (Math.abs(v) > largest.size) largest = { name: p.name ?? 'unnamed', size: Math.abs(v) };
    }
    // The loss can overflow while every parameter is still finite: then name the largest gradient.
    if (!culprit && largest.name) {
      culprit = ` The largest gradient is in ${largest.name} (|g| = ${largest.size.toExponential(2)}).`;
    }
    if (found) {
      culprit +=
        found.layer === 'loss'
          ? ` Every layer's output was finite at step ${found.step}: the loss itself overflowed.`
          : ` The first layer whose output held NaN or ±∞ is ${found.layer} (step ${found.step}).`;
    }
    return new DataError(
      `Training diverged: the loss became ${loss} at epoch ${epoch + 1}, batch ${batch + 1} (step ${step}).${culprit} ` +
        'Try a lower learning rate, gradient clipping (--clip-norm 5), or standardised inputs.',
    );
  }

  /** Mean loss and metrics over a dataset (or x and y as tensors or arrays), without training. */
  evaluate(data: Dataset, options?: EvaluateOptions): Promise<Logs>;
  evaluate(x: ArrayInput, y: ArrayInput, options?: EvaluateOptions): Promise<Logs>;
  async evaluate(
    ...args: [Dataset | ArrayInput, (ArrayInput | EvaluateOptions)?, EvaluateOptions?]
  ): Promise<Logs> {
    const { data, options, release } = dataAndOptions<EvaluateOptions>('evaluate', args);
    try {
      return await this.evaluateDataset(data, options ?? {});
    } finally {
      release();
    }
  }

  private async evaluateDataset(data: Dataset, options: EvaluateOptions): Promise<Logs> {
    const { lossFn } = this.requireCompiled('evaluate');
    const batchSize = checkPositiveInt('evaluate', 'batchSize', options.batchSize ?? 256);
    if (!this.net.isBuilt) this.net.buildFor([1, ...data.x.shape.slice(1)]);
    const loader = new DataLoader(data, { batchSize, shuffle: false });
    let lossTotal = 0;
    const metricTotals: number[][] = this.metrics.map(() => []);
    const order = loader.epochOrder();
    for (let start = 0; start < order.length; start += batchSize) {
      const idx = order.subarray(start, Math.min(order.length, start + batchSize));
      const sums = tidy(() =>
        noGrad(() => {
          const x = gather(data.x, idx);
          const y = gather(data.y, idx);
          const prediction = this.net.call(x, { training: false });
          return [
            mul(lossFn(prediction, y), idx.length),
            ...this.metrics.map((m) => m.batchSum(prediction, y)),
          ];
        }),
      );
      const values = await Promise.all(sums.map((t) => t.data()));
      dispose(sums);
      lossTotal += values[0][0];
      values
        .slice(1)
        .forEach((v, i) => v.forEach((x, j) => (metricTotals[i][j] = (metricTotals[i][j] ?? 0) + x)));
    }
    const logs: Logs = { loss: lossTotal / data.length };
    this.metrics.forEach((m, i) => (logs[m.name] = metricValue(m, metricTotals[i], data.length)));
    return logs;
  }

  /**
   * The network's outputs for `x` (inference mode), in batches of `batchSize` (default 1024,
   * enough rows to keep the matrix products efficient) written into one output tensor, with
   * each batch's intermediates freed as it ends and nothing read back. One sample without the
   * batch dimension (a rank one less than the network takes) gives one output without it.
   */
  predict(x: Tensor, options: EvaluateOptions = {}): Tensor {
    const batchSize = checkPositiveInt('predict', 'batchSize', options.batchSize ?? 1024);
    x.assertAlive('predict');
    const rank = this.net.expectedInputRank();
    const single = rank !== null && x.rank === rank - 1;
    const input = single ? reshape(x, [1, ...x.shape]) : x;
    try {
      if (!this.net.isBuilt) this.net.buildFor([1, ...input.shape.slice(1)]);
      const out = noGrad(() => this.predictBatches(input, batchSize));
      if (!single) return out;
      const one = reshape(out, out.shape.slice(1));
      out.dispose();
      return one;
    } finally {
      if (input !== x) input.dispose();
    }
  }

  private predictBatches(x: Tensor, batchSize: number): Tensor {
    const n = x.shape[0];
    if (n <= batchSize) return tidy(() => this.net.call(x, { training: false }));
    let out: Tensor | null = null;
    try {
      for (let start = 0; start < n; start += batchSize) {
        const rows = Math.min(batchSize, n - start);
        const part = tidy(() =>
          this.net.call(slice(x, [start, ...x.shape.slice(1).map(() => 0)], [rows, ...x.shape.slice(1)]), {
            training: false,
          }),
        );
        out ??= zeros([n, ...part.shape.slice(1)], { dtype: part.dtype });
        const inner = part.shape.slice(1).map(() => 0);
        out.backend.copyRegion(
          part.storage,
          part.shape,
          { shape: part.shape, begin: [0, ...inner] },
          out.storage,
          out.shape,
          { shape: part.shape, begin: [start, ...inner] },
          part.dtype,
        );
        part.dispose();
      }
    } catch (error) {
      out?.dispose();
      throw error;
    }
    return out!;
  }

  parameters(): Tensor[] {
    return this.net.parameters();
  }

  /**
   * Saves the network to the folder `dir` (model.json + weights.safetensors, see
   * io/model-io.ts), with the loss and metric names in its metadata; `loadModel(dir)`
   * rebuilds it.
   */
  save(dir: string, options: SaveModelOptions = {}): Promise<ModelInfo> {
    return saveModel(this.net, dir, this.saveOptions(options));
  }

  /** `options` with the loss and metric names added to the metadata (folder, IndexedDB or download alike). */
  saveOptions(options: SaveModelOptions = {}): SaveModelOptions {
    const training = this.lossFn
      ? { training: { loss: this.lossName, metrics: this.metrics.map((m) => m.name) } }
      : {};
    return { ...options, metadata: { ...training, ...options.metadata } };
  }

  dispose(): void {
    this.optimizer?.dispose();
    this.net.dispose();
  }
}

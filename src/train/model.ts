/**
 * Model: a network bound to a loss, an optimiser and metrics (Keras's compile/fit/
 * evaluate/predict). The training step is the lectures' loop:
 *
 *   for each epoch: shuffle; for each mini-batch (x, y):
 *     ŷ = net(x);  C = loss(ŷ, y);  ∇C by backpropagation;  w ← w + update(∇C)
 *
 * Each step runs inside `tidy`, so its intermediates are freed when it ends and the
 * live tensor count is the same after every epoch. Nothing here prints: progress is
 * reported through callbacks (see callbacks.ts).
 */
import { ConfigError, DataError, ShapeError, checkPositiveInt } from '../errors.js';
import { noGrad } from '../autograd/tape.js';
import { Dataset, DataLoader } from '../data/dataset.js';
import { getLoss, type LossFn, type LossName } from '../losses/index.js';
import { add, mul } from '../ops/arithmetic.js';
import type { Layer } from '../nn/layer.js';
import { BatchNorm } from '../nn/batchnorm.js';
import {
  getOptimizer,
  Optimizer,
  usesClosure,
  type GradientTransformation,
  type OptState,
  type OptimizerName,
} from '../optim/index.js';
import { rng as globalRng, type Rng } from '../tensor/random.js';
import { dispose, keep, tidy } from '../tensor/scope.js';
import { formatShape, sameShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { concat, gather } from '../ops/shape.js';
import { scalar, zeros } from '../tensor/creation.js';
import {
  checkCallbackStates,
  loadCallbackStates,
  saveCallbackStates,
  statefulCallbacks,
  type Callback,
  type History,
  type Logs,
  type TrainingControl,
} from './callbacks.js';
import type { RestoredState } from '../io/checkpoint.js';
import { getMetric, metricValue, type Metric, type MetricName } from './metrics.js';
import {
  checkDiagnoseOptions,
  TrainingDiagnostics,
  type Diagnostic,
  type DiagnoseOptions,
} from './diagnose.js';
import {
  checkCheckpointOptions,
  loadCheckpoint,
  saveCheckpoint,
  type CheckpointOptions,
} from '../io/checkpoint.js';
import { saveModel, type ModelInfo, type SaveModelOptions } from '../io/model-io.js';

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

export interface FitOptions {
  epochs?: number;
  batchSize?: number;
  shuffle?: boolean;
  /** Hold out the last fraction of the training data for validation. */
  validationSplit?: number;
  validationData?: Dataset;
  callbacks?: Callback[];
  /** Generator for shuffling (default: the global seeded RNG). */
  rng?: Rng;
  /** Read the loss back every this many steps (default 1). */
  logEvery?: number;
  /**
   * Applied to each training batch's inputs before the forward pass (never to validation or
   * evaluation data), with the run's generator (`rng`, default the global seeded one), so a
   * seed reproduces the augmented batches: `augment: (x, r) => augmenter('rotate,shift').applyTensor(x, r)`.
   * It must return a tensor of the same shape; tensors it makes are freed with the step.
   */
  augment?: (x: Tensor, rng: Rng) => Tensor;
  /**
   * Save a checkpoint (model, optimiser state, RNG states, epoch, step, history) after every
   * epoch to `dir/ckpt-<step>/`, keeping the newest `keep` (default 3). See io/checkpoint.ts.
   */
  checkpoint?: CheckpointOptions;
  /**
   * Continue from a checkpoint: a `ckpt-<step>` folder, or a folder of them (the newest
   * complete one). Training goes on from the saved epoch up to `epochs` in all, with the
   * saved history, optimiser state and learning-rate scale, RNG states and the states of
   * the callbacks (early stopping, reduce-on-plateau: the same callbacks must be given), so
   * the losses are those of an uninterrupted run with the same seed.
   */
  resumeFrom?: string;
  /**
   * Watch the training's health (see diagnose.ts): dead ReLUs, vanishing or exploding
   * gradients, and the first layer whose output became NaN. Warnings go to the callbacks'
   * `onDiagnostic` and to `history.diagnostics`; per-epoch numbers (`deadRelu/<layer>`,
   * `gradNorm/<layer>`) to the history. `true` for the default thresholds, or options.
   */
  diagnose?: boolean | DiagnoseOptions;
}

export interface EvaluateOptions {
  batchSize?: number;
}

function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}

export class Model {
  private lossFn: LossFn | null = null;
  private lossName = '';
  private metrics: Metric[] = [];
  optimizer: Optimizer | null = null;
  private stopRequested = false;

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

  /** Builds the network for the dataset's sample shape and binds the optimiser. */
  private prepare(data: Dataset, optimizer: Optimizer): void {
    if (!this.net.isBuilt) this.net.buildFor([1, ...data.x.shape.slice(1)]);
    const params = this.net.parameters();
    if (
      optimizer.parameters.length !== params.length ||
      optimizer.parameters.some((p, i) => p !== params[i])
    ) {
      optimizer.attach(params);
    }
  }

  /** Trains for `epochs` epochs of mini-batches; returns the per-epoch history. */
  async fit(data: Dataset, options: FitOptions = {}): Promise<History> {
    const { lossFn, optimizer } = this.requireCompiled('fit');
    if (!(data instanceof Dataset))
      throw new ConfigError('fit: expected a Dataset (e.g. Dataset.fromArrays(x, shape, y)).');
    const epochs = checkPositiveInt('fit', 'epochs', options.epochs ?? 1);
    const batchSize = checkPositiveInt('fit', 'batchSize', options.batchSize ?? 32);
    const logEvery = checkPositiveInt('fit', 'logEvery', options.logEvery ?? 1);
    const augment = options.augment;
    if (augment !== undefined && typeof augment !== 'function') {
      throw new ConfigError(`fit: augment must be a function (x, rng) => tensor, got ${typeof augment}.`);
    }
    const checkpoint =
      options.checkpoint === undefined ? null : checkCheckpointOptions('fit', options.checkpoint);
    const diagnoseThresholds = checkDiagnoseOptions('fit', options.diagnose);
    if (
      options.resumeFrom !== undefined &&
      (typeof options.resumeFrom !== 'string' || options.resumeFrom === '')
    ) {
      throw new ConfigError(
        `fit: resumeFrom must be a checkpoint folder (a non-empty path), got ${String(options.resumeFrom)}.`,
      );
    }
    let train = data;
    let validation = options.validationData;
    let ownSplit = false;
    if (options.validationSplit !== undefined && options.validationSplit > 0) {
      if (validation) throw new ConfigError('fit: give validationSplit or validationData, not both.');
      [train, validation] = data.splitTail(options.validationSplit);
      ownSplit = true;
    }
    const shuffleRng = options.rng ?? globalRng();
    const loader = new DataLoader(train, { batchSize, shuffle: options.shuffle ?? true, rng: shuffleRng });
    this.prepare(train, optimizer);
    const callbacks = options.callbacks ?? [];
    // Callbacks whose state (best value, epochs waited…) goes into checkpoints, by key.
    const stateful = statefulCallbacks(callbacks);
    this.stopRequested = false;
    const control: TrainingControl = {
      stop: () => void (this.stopRequested = true),
      net: this.net,
      optimizer,
    };
    // Batch norm with 'population' inference averages the statistics of one epoch's batches.
    const populationNorms: BatchNorm[] = [];
    const findNorms = (layer: Layer) => {
      if (layer instanceof BatchNorm) populationNorms.push(layer);
      layer.children().forEach(findNorms);
    };
    findNorms(this.net);
    const history: History = { epochs: [], history: {} };
    const diagnostics = diagnoseThresholds ? new TrainingDiagnostics(this.net, diagnoseThresholds) : null;
    if (diagnostics) history.diagnostics = [];
    const report = async (found: Diagnostic[]) => {
      history.diagnostics?.push(...found);
      for (const d of found) for (const cb of callbacks) await cb.onDiagnostic?.(d, control);
    };
    const record = (logs: Logs) => {
      for (const [k, v] of Object.entries(logs)) (history.history[k] ??= []).push(v);
    };
    let firstEpoch = 0;
    let resumed: { callbacks: Record<string, RestoredState>; lrScale: number } | null = null;
    let step = 0;
    if (options.resumeFrom !== undefined) {
      try {
        // Parameters and optimiser state in place, then the history and the generators' states.
        const restored = await loadCheckpoint(options.resumeFrom, { model: this.net, optimizer });
        firstEpoch = restored.epoch;
        step = restored.step;
        history.epochs.push(...restored.history.epochs);
        for (const [k, v] of Object.entries(restored.history.history)) history.history[k] = [...v];
        if (restored.rng.global) globalRng().setState(restored.rng.global);
        if (restored.rng.shuffle) shuffleRng.setState(restored.rng.shuffle);
        checkCallbackStates(`resumeFrom: ${restored.path}`, restored.callbackStates, stateful);
        resumed = { callbacks: restored.callbackStates ?? {}, lrScale: optimizer.lrScale };
      } catch (error) {
        if (ownSplit) {
          train.dispose();
          validation?.dispose();
        }
        throw error;
      }
    }

    const begin = { epochs, batchesPerEpoch: loader.numBatches, samplesPerEpoch: train.length, batchSize };
    for (const cb of callbacks) await cb.onTrainBegin?.(begin, control);
    try {
      if (resumed) {
        // After onTrainBegin, which resets them: the callbacks' and the learning rate's saved states.
        loadCallbackStates(resumed.callbacks, stateful, control);
        optimizer.lrScale = resumed.lrScale;
      }
      for (let epoch = firstEpoch; epoch < epochs && !this.stopRequested; epoch++) {
        for (const cb of callbacks) await cb.onEpochBegin?.(epoch, control);
        for (const bn of populationNorms) if (bn.inference === 'population') bn.resetPopulationStatistics();
        const started = now();
        // Running sums over the epoch, kept on the backend and read back only when needed.
        let lossSum: Tensor = keep(zeros([1]));
        let metricSums: Tensor[] = this.metrics.map(() => keep(zeros([1])));
        let samples = 0;
        let batchIndex = 0;
        let lastLoss = NaN;
        const order = loader.epochOrder();
        try {
          for (let start = 0; start < order.length; start += batchSize) {
            const idx = order.subarray(start, Math.min(order.length, start + batchSize));
            diagnostics?.beginStep(epoch, step + 1, start + batchSize >= order.length);
            const result = tidy(() => {
              const batch = { x: gather(train.x, idx), y: gather(train.y, idx) };
              if (augment) {
                const x = augment(batch.x, shuffleRng);
                if (!(x instanceof Tensor) || !sameShape(x.shape, batch.x.shape)) {
                  throw new ShapeError(
                    `fit: augment must return a tensor shaped like its input ${formatShape(batch.x.shape)}, got ` +
                      `${x instanceof Tensor ? formatShape(x.shape) : typeof x}.`,
                  );
                }
                batch.x = x;
              }
              const evaluate = (training: boolean) => {
                // With diagnose, layer by layer, recording each output (not inside a closure's repeated evaluations).
                const prediction =
                  diagnostics && !usesClosure(optimizer.transform)
                    ? diagnostics.forward(batch.x, { training })
                    : this.net.call(batch.x, { training });
                const loss = lossFn(prediction, batch.y);
                if (loss.size !== 1)
                  throw new ShapeError(
                    `loss '${this.lossName}' returned shape ${formatShape(loss.shape)}; a loss must be a scalar.`,
                  );
                return { prediction, loss };
              };
              let prediction: Tensor;
              let loss: Tensor;
              if (usesClosure(optimizer.transform)) {
                // L-BFGS's line search and Newton evaluate the loss several times per step: give them a
                // closure (as torch.optim.LBFGS). The metrics then come from the weights after the step.
                const value = optimizer.step(() => {
                  optimizer.zeroGrad();
                  const { loss } = evaluate(true);
                  loss.backward();
                  return loss;
                });
                diagnostics?.afterBackward();
                prediction = noGrad(() =>
                  diagnostics
                    ? diagnostics.forward(batch.x, { training: false })
                    : this.net.call(batch.x, { training: false }),
                );
                loss = scalar(value ?? NaN);
              } else {
                optimizer.zeroGrad();
                ({ prediction, loss } = evaluate(true));
                loss.backward();
                diagnostics?.afterBackward();
                optimizer.step();
              }
              const weighted = noGrad(() => mul(loss, idx.length));
              const nextLoss = add(lossSum, weighted);
              const nextMetrics = noGrad(() =>
                this.metrics.map((m, i) => add(metricSums[i], m.batchSum(prediction, batch.y))),
              );
              return { nextLoss, nextMetrics, loss };
            });
            lossSum.dispose();
            lossSum = keep(result.nextLoss);
            metricSums.forEach((t) => t.dispose());
            metricSums = result.nextMetrics.map((t) => keep(t));
            samples += idx.length;
            step++;
            if (step % logEvery === 0 || samples === order.length) {
              lastLoss = (await result.loss.data())[0];
              if (!Number.isFinite(lastLoss)) {
                result.loss.dispose();
                const found = diagnostics ? await diagnostics.findNonFinite(lastLoss) : null;
                if (found) await report([found]);
                throw this.divergenceError(lastLoss, epoch, batchIndex, step, optimizer, found);
              }
              diagnostics?.lossIsFinite();
            }
            result.loss.dispose();
            const seconds = (now() - started) / 1000;
            const info = {
              epoch,
              batch: batchIndex,
              step,
              batchesPerEpoch: loader.numBatches,
              samples,
              loss: lastLoss,
              samplesPerSec: seconds > 0 ? samples / seconds : 0,
            };
            for (const cb of callbacks) await cb.onBatchEnd?.(info, control);
            batchIndex++;
          }
        } catch (error) {
          // A failed step (divergence, a shape error) must not leak the epoch's running sums.
          lossSum.dispose();
          metricSums.forEach((t) => t.dispose());
          throw error;
        }
        const logs: Logs = { loss: (await lossSum.data())[0] / samples };
        for (const [i, m] of this.metrics.entries())
          logs[m.name] = metricValue(m, await metricSums[i].data(), samples);
        lossSum.dispose();
        metricSums.forEach((t) => t.dispose());
        if (validation) {
          const v = await this.evaluate(validation, { batchSize });
          for (const [k, value] of Object.entries(v)) logs[`val${k[0].toUpperCase()}${k.slice(1)}`] = value;
        }
        const seconds = (now() - started) / 1000;
        logs.samplesPerSec = samples / Math.max(seconds, 1e-9);
        const health = diagnostics ? await diagnostics.endEpoch(epoch, step) : null;
        if (health) Object.assign(logs, health.logs);
        history.epochs.push(epoch);
        record(logs);
        for (const cb of callbacks) await cb.onEpochEnd?.({ epoch, logs, seconds }, control);
        if (health) await report(health.diagnostics);
        if (checkpoint) {
          await saveCheckpoint(checkpoint.dir, {
            model: this.net,
            optimizer,
            epoch: epoch + 1,
            step,
            history,
            keep: checkpoint.keep,
            metadata: checkpoint.metadata,
            callbacks: saveCallbackStates(stateful),
            rng: { shuffle: shuffleRng.getState(), global: globalRng().getState() },
          });
        }
      }
    } finally {
      diagnostics?.dispose();
      if (ownSplit) {
        train.dispose();
        validation?.dispose();
      }
    }
    if (this.stopRequested)
      history.stoppedEarly = `stopped by a callback after epoch ${history.epochs.length}`;
    for (const cb of callbacks) await cb.onTrainEnd?.(history);
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

  /** Mean loss and metrics over a dataset, without training. */
  async evaluate(data: Dataset, options: EvaluateOptions = {}): Promise<Logs> {
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

  /** The network's outputs for `x` (inference mode), computed in batches. */
  predict(x: Tensor, options: EvaluateOptions = {}): Tensor {
    const batchSize = checkPositiveInt('predict', 'batchSize', options.batchSize ?? 256);
    if (!this.net.isBuilt) this.net.buildFor([1, ...x.shape.slice(1)]);
    return tidy(() =>
      noGrad(() => {
        const n = x.shape[0];
        const parts: Tensor[] = [];
        for (let start = 0; start < n; start += batchSize) {
          const idx = Int32Array.from({ length: Math.min(batchSize, n - start) }, (_, i) => start + i);
          parts.push(this.net.call(n <= batchSize ? x : gather(x, idx, 0), { training: false }));
        }
        return parts.length === 1 ? parts[0] : concat(parts, 0);
      }),
    );
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

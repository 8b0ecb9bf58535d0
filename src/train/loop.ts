/**
 * The training loop: epochs of mini-batches, the lectures' loop with its events.
 *
 *   for each epoch: shuffle; for each mini-batch (x, y):
 *     step(x, y[, w])  (forward, loss, backward, update: step.ts);  add to the epoch's sums
 *   then the epoch's means, validation, and the callbacks' onEpochEnd (history,
 *   early stopping, checkpoints …)
 *
 * Each step runs inside `tidy`, so its intermediates are freed when it ends and the live
 * tensor count is the same after every epoch. The loss is read back only every `logEvery`
 * steps. The loop's own state (epochs and steps done) is a LoopState, saved in checkpoints
 * with everything else, so a resumed run continues where it was.
 */
import type { Dataset, DataLoader } from '../data/dataset.js';
import { DescentError, ShapeError } from '../errors.js';
import { BatchNorm } from '../nn/batchnorm.js';
import type { Layer } from '../nn/layer.js';
import { gather } from '../ops/shape.js';
import type { Rng } from '../tensor/random.js';
import { tidy } from '../tensor/scope.js';
import { formatShape, sameShape } from '../tensor/shape.js';
import { isCount, stateValue, type StateDict } from '../tensor/state.js';
import { Tensor } from '../tensor/tensor.js';
import type { Accumulator } from './accumulate.js';
import type { CallbackList } from './callback-list.js';
import type { History, Logs } from './callbacks.js';
import type { Diagnostic, TrainingDiagnostics } from './diagnose.js';
import type { StepFn } from './step.js';

/**
 * Where a run is: completed epochs and steps (saved), and whether a callback asked it to stop
 * (not saved: a stop is the callback's decision, and one that decides it from its own state,
 * as early stopping does, makes it again when that state is loaded).
 */
export class LoopState {
  epoch = 0;
  step = 0;
  stopped = false;

  stateDict(): StateDict {
    return { epoch: this.epoch, step: this.step };
  }

  loadStateDict(state: StateDict): void {
    const where = 'training loop (resuming)';
    this.epoch = stateValue<number>(where, state, 'epoch', isCount, 'an integer ≥ 0');
    this.step = stateValue<number>(where, state, 'step', isCount, 'an integer ≥ 0');
  }
}

export interface LoopParts {
  net: Layer;
  train: Dataset;
  /** Per-sample weights [N] aligned with `train` (gathered with its batches), or null. */
  weights: Tensor | null;
  loader: DataLoader;
  epochs: number;
  batchSize: number;
  logEvery: number;
  /** The generator for shuffling, also handed to `augment`. */
  rng: Rng;
  augment?: (x: Tensor, rng: Rng) => Tensor;
  step: StepFn;
  sums: Accumulator;
  callbacks: CallbackList;
  state: LoopState;
  history: History;
  diagnostics: TrainingDiagnostics | null;
  /** The validation logs of an epoch (loss, metrics), or null without validation data. */
  validate: (() => Promise<Logs>) | null;
  /** The error to throw when the loss is not finite. */
  divergence(
    loss: number,
    epoch: number,
    batch: number,
    step: number,
    found: Diagnostic | null,
  ): DescentError;
}

function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}

function batchNorms(layer: Layer, out: BatchNorm[] = []): BatchNorm[] {
  if (layer instanceof BatchNorm) out.push(layer);
  for (const child of layer.children()) batchNorms(child, out);
  return out;
}

function augmented(augment: (x: Tensor, rng: Rng) => Tensor, x: Tensor, rng: Rng): Tensor {
  const out = augment(x, rng);
  if (!(out instanceof Tensor) || !sameShape(out.shape, x.shape))
    throw new ShapeError(
      `fit: augment must return a tensor shaped like its input ${formatShape(x.shape)}, got ` +
        `${out instanceof Tensor ? formatShape(out.shape) : typeof out}.`,
    );
  return out;
}

/** Runs epochs from `state.epoch` until `epochs` or a stop. */
export async function runLoop(p: LoopParts): Promise<void> {
  // Batch norm with 'population' inference averages the statistics of one epoch's batches.
  const norms = batchNorms(p.net);
  const report = async (found: Diagnostic[]) => {
    p.history.diagnostics?.push(...found);
    await p.callbacks.diagnostic(found);
  };
  while (p.state.epoch < p.epochs && !p.state.stopped) {
    const epoch = p.state.epoch;
    await p.callbacks.epochBegin(epoch);
    for (const bn of norms) if (bn.inference === 'population') bn.resetPopulationStatistics();
    const started = now();
    p.sums.reset();
    let samples = 0;
    let lastLoss = NaN;
    const order = p.loader.epochOrder();
    for (let start = 0, batch = 0; start < order.length; start += p.batchSize, batch++) {
      const idx = order.subarray(start, Math.min(order.length, start + p.batchSize));
      p.diagnostics?.beginStep(epoch, p.state.step + 1, start + p.batchSize >= order.length);
      const loss = tidy(() => {
        const raw = gather(p.train.x, idx);
        const x = p.augment ? augmented(p.augment, raw, p.rng) : raw;
        const y = gather(p.train.y, idx);
        const result = p.weights ? p.step(x, y, gather(p.weights, idx)) : p.step(x, y);
        p.sums.update(result.prediction, y, result.loss, idx.length);
        return result.loss;
      });
      samples += idx.length;
      p.state.step++;
      try {
        if (p.state.step % p.logEvery === 0 || samples === order.length) {
          lastLoss = (await loss.data())[0];
          if (!Number.isFinite(lastLoss)) {
            const found = p.diagnostics ? await p.diagnostics.findNonFinite(lastLoss) : null;
            if (found) await report([found]);
            throw p.divergence(lastLoss, epoch, batch, p.state.step, found);
          }
          p.diagnostics?.lossIsFinite();
        }
      } finally {
        loss.dispose();
      }
      const seconds = (now() - started) / 1000;
      await p.callbacks.batchEnd({
        epoch,
        batch,
        step: p.state.step,
        batchesPerEpoch: p.loader.numBatches,
        samples,
        loss: lastLoss,
        samplesPerSec: seconds > 0 ? samples / seconds : 0,
      });
    }
    const logs = await p.sums.result();
    if (p.validate) {
      const v = await p.validate();
      for (const [k, value] of Object.entries(v)) logs[`val${k[0].toUpperCase()}${k.slice(1)}`] = value;
    }
    const seconds = (now() - started) / 1000;
    logs.samplesPerSec = samples / Math.max(seconds, 1e-9);
    const health = p.diagnostics ? await p.diagnostics.endEpoch(epoch, p.state.step) : null;
    if (health) Object.assign(logs, health.logs);
    p.state.epoch = epoch + 1;
    await p.callbacks.epochEnd({ epoch, logs, seconds });
    if (health) await report(health.diagnostics);
  }
}

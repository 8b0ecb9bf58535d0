/**
 * Training events and callbacks. `fit` emits events; it never prints. The CLI turns
 * them into a progress bar, the browser into live charts, and callbacks into
 * decisions (stop early, change the learning rate, save a checkpoint).
 */
import { ConfigError } from '../errors.js';
import type { Layer } from '../nn/layer.js';
import { isCount, isNumber, isStateObject, stateValue, type StateDict } from '../tensor/state.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { Diagnostic } from './diagnose.js';
import { ReduceLROnPlateau } from '../optim/schedules.js';
import { saveModel } from '../io/model-io.js';
import { WeightsSnapshot } from './weights.js';

export type Logs = Record<string, number>;

export interface TrainBegin {
  epochs: number;
  batchesPerEpoch: number;
  samplesPerEpoch: number;
  batchSize: number;
}

export interface BatchEnd {
  epoch: number;
  batch: number;
  /** Global step count (batches since training began). */
  step: number;
  batchesPerEpoch: number;
  /** Samples seen so far in this epoch. */
  samples: number;
  /** Mean loss over the epoch so far (read back every `logEvery` steps; NaN between). */
  loss: number;
  samplesPerSec: number;
}

export interface EpochEnd {
  epoch: number;
  logs: Logs;
  seconds: number;
}

/** Control that callbacks have over the run, and what they may act on. */
export interface TrainingControl {
  /** Ask fit to stop after the current epoch. */
  stop(): void;
  /** The network being trained (its parameters and buffers: to copy or restore them). */
  readonly net: Layer;
  /** Its optimiser: setting `optimizer.lrScale` changes the learning rate from the next step on. */
  readonly optimizer: Optimizer;
}

export interface Callback {
  onTrainBegin?(info: TrainBegin, control: TrainingControl): void | Promise<void>;
  onEpochBegin?(epoch: number, control: TrainingControl): void | Promise<void>;
  onBatchEnd?(info: BatchEnd, control: TrainingControl): void | Promise<void>;
  onEpochEnd?(info: EpochEnd, control: TrainingControl): void | Promise<void>;
  onTrainEnd?(history: History): void | Promise<void>;
  /**
   * A training-health warning, with `fit({ diagnose })` (see diagnose.ts): an epoch's warnings
   * after its onEpochEnd; a non-finite output as soon as it is found, before fit throws.
   */
  onDiagnostic?(diagnostic: Diagnostic, control: TrainingControl): void | Promise<void>;
  /**
   * The key of the callback's state in a checkpoint ('earlyStopping'); a second callback
   * of the same name in one run is saved as 'name#2'.
   */
  readonly name?: string;
  /**
   * What decides the callback's next moves (best value, epochs waited, best weights), saved
   * in every checkpoint of fit, so that a resumed run continues exactly as an uninterrupted one.
   */
  stateDict?(): StateDict;
  /** Restores stateDict's state when fit resumes from a checkpoint (called after onTrainBegin). */
  loadStateDict?(state: StateDict): void;
}

const isEpochOrNull = (v: unknown) => v === null || isCount(v);

/** Per-epoch values of every logged quantity, as in Keras. */
export interface History {
  epochs: number[];
  history: Record<string, number[]>;
  /** Why training stopped early, if it did. */
  stoppedEarly?: string;
  /** With `fit({ diagnose })`: the training-health warnings, in the order they were given. */
  diagnostics?: Diagnostic[];
}

export interface EarlyStoppingOptions {
  /** What to watch (default 'valLoss', falling back to 'loss' without validation data). */
  monitor?: string;
  /** Epochs without improvement to tolerate. */
  patience?: number;
  /** Smallest change that counts as an improvement. */
  minDelta?: number;
  /** 'min' for losses, 'max' for accuracies (default: from the monitor's name). */
  mode?: 'min' | 'max';
  /**
   * Keep a copy of the parameters and buffers from the best epoch and put it back when
   * training ends (default false: the model is left as the last epoch made it).
   */
  restoreBestWeights?: boolean;
}

/** The monitored value of an epoch: the named log, else 'valLoss' when there is one, else 'loss'. */
function monitored(where: string, monitor: string | undefined, logs: Logs): { name: string; value: number } {
  const name = monitor ?? ('valLoss' in logs ? 'valLoss' : 'loss');
  const value = logs[name];
  if (value === undefined)
    throw new ConfigError(`${where}: no '${name}' in the logs (have ${Object.keys(logs).join(', ')}).`);
  return { name, value };
}

const modeFor = (mode: 'min' | 'max' | undefined, monitor: string): 'min' | 'max' =>
  mode ?? (/acc/i.test(monitor) ? 'max' : 'min');

function checkMode(where: string, mode: unknown): void {
  if (mode !== undefined && mode !== 'min' && mode !== 'max')
    throw new ConfigError(`${where}: mode must be 'min' or 'max', got '${String(mode)}'.`);
}

export interface EarlyStopping extends Callback {
  /** The epoch (0-based) after which training was stopped, or null. */
  stoppedEpoch: number | null;
  /** The epoch (0-based) with the best monitored value, or null before any. */
  bestEpoch: number | null;
  /** The best monitored value (NaN before any). */
  best: number;
  /** Whether the best epoch's weights were put back at the end of training. */
  restored: boolean;
}

/**
 * Stops training when the monitored value has not improved by more than `minDelta` for
 * more than `patience` epochs in a row: with patience 2, training ends after the third
 * epoch without improvement (PyTorch's ReduceLROnPlateau counts the same way). With
 * `restoreBestWeights`, the parameters and buffers of the best epoch are copied aside when
 * it ends and put back when training ends.
 */
export function earlyStopping(options: EarlyStoppingOptions = {}): EarlyStopping {
  const patience = options.patience ?? 3;
  const minDelta = options.minDelta ?? 0;
  if (!Number.isInteger(patience) || patience < 0)
    throw new ConfigError(`earlyStopping: patience must be a non-negative integer, got ${patience}.`);
  if (!(Number.isFinite(minDelta) && minDelta >= 0))
    throw new ConfigError(`earlyStopping: minDelta must be a number ≥ 0, got ${minDelta}.`);
  checkMode('earlyStopping', options.mode);
  let wait = 0;
  let snapshot: WeightsSnapshot | null = null;
  let control: TrainingControl | null = null;
  const release = () => {
    snapshot?.dispose();
    snapshot = null;
  };
  const state: EarlyStopping = {
    name: 'earlyStopping',
    stoppedEpoch: null,
    bestEpoch: null,
    best: NaN,
    restored: false,
    stateDict() {
      return {
        best: state.best,
        bestEpoch: state.bestEpoch,
        wait,
        stoppedEpoch: state.stoppedEpoch,
        bestWeights: snapshot ? snapshot.stateDict() : null,
      };
    },
    loadStateDict(saved) {
      const where = 'earlyStopping (resuming)';
      state.best = stateValue<number>(where, saved, 'best', isNumber, 'a number');
      state.bestEpoch = stateValue<number | null>(
        where,
        saved,
        'bestEpoch',
        isEpochOrNull,
        'an epoch or null',
      );
      wait = stateValue<number>(where, saved, 'wait', isCount, 'an integer ≥ 0');
      state.stoppedEpoch = stateValue<number | null>(
        where,
        saved,
        'stoppedEpoch',
        isEpochOrNull,
        'an epoch or null',
      );
      const weights = stateValue<StateDict | null>(
        where,
        saved,
        'bestWeights',
        (v) => v === null || isStateObject(v),
        'the best weights or null',
      );
      release();
      // A run that had stopped stays stopped (and the best weights go back at the end, below).
      if (state.stoppedEpoch !== null) control?.stop();
      if (!options.restoreBestWeights) return;
      if (weights === null) {
        if (state.bestEpoch === null) return;
        throw new ConfigError(
          `${where}: restoreBestWeights is set, but the checkpoint holds no best weights (it was made without restoreBestWeights).`,
        );
      }
      if (!control) throw new ConfigError(`${where}: loadStateDict is called by fit after onTrainBegin.`);
      const restored = new WeightsSnapshot(control.net);
      try {
        restored.loadStateDict(weights, where);
      } catch (error) {
        restored.dispose();
        throw error;
      }
      snapshot = restored;
    },
    onTrainBegin(_info: TrainBegin, training: TrainingControl) {
      control = training;
      release();
      state.best = NaN;
      state.bestEpoch = null;
      wait = 0;
      state.stoppedEpoch = null;
      state.restored = false;
    },
    onEpochEnd(info: EpochEnd, control: TrainingControl) {
      const { name, value } = monitored('earlyStopping', options.monitor, info.logs);
      const mode = modeFor(options.mode, name);
      const best = state.best;
      const improved =
        Number.isNaN(best) || (mode === 'min' ? value < best - minDelta : value > best + minDelta);
      if (improved) {
        state.best = value;
        state.bestEpoch = info.epoch;
        wait = 0;
        if (options.restoreBestWeights) {
          if (snapshot && snapshot.net === control.net) snapshot.capture();
          else {
            release();
            snapshot = new WeightsSnapshot(control.net);
          }
        }
      } else if (++wait > patience) {
        state.stoppedEpoch = info.epoch;
        control.stop();
      }
    },
    onTrainEnd() {
      if (snapshot) {
        snapshot.restore();
        state.restored = true;
      }
      release();
    },
  };
  return state;
}

export interface ReduceLROnPlateauOptions {
  /** What to watch (default 'valLoss', falling back to 'loss' without validation data). */
  monitor?: string;
  /** Multiply the learning rate by this when the value stalls (default 0.1). */
  factor?: number;
  /** Epochs without improvement tolerated before reducing (default 10, as PyTorch). */
  patience?: number;
  /** 'min' for losses, 'max' for accuracies (default: from the monitor's name). */
  mode?: 'min' | 'max';
  /** What counts as an improvement (default 1e-4, relative to the best: PyTorch's threshold). */
  threshold?: number;
  thresholdMode?: 'rel' | 'abs';
  /** Epochs to wait after a reduction before counting again (default 0). */
  cooldown?: number;
  /**
   * The learning rate never goes below this (default 0). It is an absolute rate, so the
   * base rate must be known: from `lr`, or from the optimiser (`optimizer.baseLr`, set by
   * compile when it is given an `lr`).
   */
  minLr?: number;
  /** The base learning rate η₀ (default: the optimiser's `baseLr`). */
  lr?: number;
}

export interface ReduceLROnPlateauCallback extends Callback {
  /** The learning-rate factor in effect (1 until the first reduction). */
  readonly scale: number;
  /** The learning rate in effect, when the base rate is known. */
  readonly lr: number | undefined;
  /** (epoch, factor in effect after it) for every reduction. */
  readonly reductions: Array<{ epoch: number; scale: number }>;
}

/**
 * Divides the learning rate by 1/factor when the monitored value has not improved for more
 * than `patience` epochs (torch.optim.lr_scheduler.ReduceLROnPlateau, whose rules it
 * reuses: optim/schedules.ts). It acts through the optimiser's `lrScale`, so it works with
 * any optimiser and any schedule (the schedule's rate is multiplied). Training starts at
 * scale 1; the scale stays on the optimiser after training.
 */
export function reduceLROnPlateau(options: ReduceLROnPlateauOptions = {}): ReduceLROnPlateauCallback {
  const where = 'reduceLROnPlateau';
  checkMode(where, options.mode);
  if (options.lr !== undefined && !(Number.isFinite(options.lr) && options.lr > 0)) {
    throw new ConfigError(`${where}: lr must be a positive number, got ${options.lr}.`);
  }
  const minLr = options.minLr ?? 0;
  if (!(Number.isFinite(minLr) && minLr >= 0))
    throw new ConfigError(`${where}: minLr must be a number ≥ 0, got ${minLr}.`);
  const make = (mode: 'min' | 'max', minScale: number) =>
    new ReduceLROnPlateau(1, {
      factor: options.factor ?? 0.1,
      patience: options.patience ?? 10,
      mode,
      threshold: options.threshold,
      thresholdMode: options.thresholdMode,
      cooldown: options.cooldown,
      minLr: minScale,
      eps: 0,
    });
  make('min', 0); // checks the options now
  let plateau: ReduceLROnPlateau | null = null;
  let plateauMode: 'min' | 'max' = 'min';
  let baseLr: number | undefined;
  let optimizer: Optimizer | null = null;
  const reductions: Array<{ epoch: number; scale: number }> = [];
  return {
    name: 'reduceLROnPlateau',
    get scale() {
      return optimizer?.lrScale ?? 1;
    },
    stateDict() {
      const p = plateau as ReduceLROnPlateau | null;
      return {
        plateau: p
          ? {
              mode: plateauMode,
              lr: p.lr,
              best: p.best,
              badEpochs: p.badEpochs,
              cooldownLeft: p.cooldownLeft,
              epochs: p.epochs,
            }
          : null,
        reductions: reductions.map((r) => ({ ...r })),
      };
    },
    loadStateDict(saved) {
      const where = 'reduceLROnPlateau (resuming)';
      const list = stateValue<Array<{ epoch: number; scale: number }>>(
        where,
        saved,
        'reductions',
        (v) =>
          Array.isArray(v) &&
          v.every(
            (r) => isStateObject(r) && isCount((r as StateDict).epoch) && isNumber((r as StateDict).scale),
          ),
        'a list of { epoch, scale }',
      );
      const p = stateValue<StateDict | null>(
        where,
        saved,
        'plateau',
        (v) => v === null || isStateObject(v),
        'the plateau state or null',
      );
      reductions.splice(0, reductions.length, ...list.map((r) => ({ epoch: r.epoch, scale: r.scale })));
      if (p === null) {
        plateau = null;
        return;
      }
      plateauMode = stateValue<'min' | 'max'>(
        where,
        p,
        'mode',
        (v) => v === 'min' || v === 'max',
        "'min' or 'max'",
      );
      plateau = make(plateauMode, baseLr === undefined ? 0 : Math.min(1, minLr / baseLr));
      plateau.lr = stateValue<number>(
        where,
        p,
        'lr',
        (v) => isNumber(v) && (v as number) >= 0,
        'a number ≥ 0',
      );
      plateau.best = stateValue<number>(where, p, 'best', isNumber, 'a number');
      plateau.badEpochs = stateValue<number>(where, p, 'badEpochs', isCount, 'an integer ≥ 0');
      plateau.cooldownLeft = stateValue<number>(where, p, 'cooldownLeft', isCount, 'an integer ≥ 0');
      plateau.epochs = stateValue<number>(where, p, 'epochs', isCount, 'an integer ≥ 0');
    },
    get lr() {
      return baseLr === undefined ? undefined : baseLr * (optimizer?.lrScale ?? 1);
    },
    reductions,
    onTrainBegin(_info: TrainBegin, control: TrainingControl) {
      optimizer = control.optimizer;
      baseLr = options.lr ?? control.optimizer.baseLr;
      if (minLr > 0 && baseLr === undefined) {
        throw new ConfigError(
          `${where}: minLr ${minLr} is an absolute learning rate, but the base rate is not known; ` +
            'give reduceLROnPlateau({ lr }) or compile({ optimizer, lr }).',
        );
      }
      plateau = null;
      reductions.length = 0;
      control.optimizer.lrScale = 1;
    },
    onEpochEnd(info: EpochEnd, control: TrainingControl) {
      const { name, value } = monitored(where, options.monitor, info.logs);
      if (!plateau) {
        plateauMode = modeFor(options.mode, name);
        plateau = make(plateauMode, baseLr === undefined ? 0 : Math.min(1, minLr / baseLr));
      }
      const before = plateau.lr;
      const scale = plateau.step(value);
      if (scale !== before) {
        control.optimizer.lrScale = scale;
        reductions.push({ epoch: info.epoch, scale });
      }
    },
  };
}

export interface ModelCheckpointOptions {
  /** The folder to save the model to (model.json + weights.safetensors, see io/model-io.ts). */
  dir: string;
  /** What to watch when `saveBestOnly` (default 'valLoss', falling back to 'loss'). */
  monitor?: string;
  mode?: 'min' | 'max';
  /** Save only when the monitored value improves (default true); false: after every epoch. */
  saveBestOnly?: boolean;
  /** Added to model.json's metadata (with the epoch and the monitored value). */
  metadata?: Record<string, unknown>;
}

/**
 * Saves the model (for `loadModel`, `descent evaluate`) after every epoch that improves the
 * monitored value (Keras's ModelCheckpoint with save_best_only). Saves are atomic, so the
 * folder always holds a whole model. For resumable training (optimiser state, RNG states,
 * history), use fit's `checkpoint` option instead.
 */
export function modelCheckpoint(
  options: ModelCheckpointOptions,
): Callback & { saves: number; bestEpoch: number | null } {
  const where = 'modelCheckpoint';
  if (!options || typeof options.dir !== 'string' || options.dir === '')
    throw new ConfigError(`${where}: dir must be a folder path.`);
  checkMode(where, options.mode);
  const bestOnly = options.saveBestOnly ?? true;
  let best = NaN;
  const state = {
    name: 'modelCheckpoint',
    saves: 0,
    bestEpoch: null as number | null,
    stateDict(): StateDict {
      return { best, saves: state.saves, bestEpoch: state.bestEpoch };
    },
    loadStateDict(saved: StateDict) {
      const where = 'modelCheckpoint (resuming)';
      best = stateValue<number>(where, saved, 'best', isNumber, 'a number');
      state.saves = stateValue<number>(where, saved, 'saves', isCount, 'an integer ≥ 0');
      state.bestEpoch = stateValue<number | null>(
        where,
        saved,
        'bestEpoch',
        isEpochOrNull,
        'an epoch or null',
      );
    },
    onTrainBegin() {
      best = NaN;
      state.saves = 0;
      state.bestEpoch = null;
    },
    async onEpochEnd(info: EpochEnd, control: TrainingControl) {
      const { name, value } = monitored(where, options.monitor, info.logs);
      const mode = modeFor(options.mode, name);
      const improved = Number.isNaN(best) || (mode === 'min' ? value < best : value > best);
      if (improved) {
        best = value;
        state.bestEpoch = info.epoch;
      }
      if (bestOnly && !improved) return;
      await saveModel(control.net, options.dir, {
        metadata: { ...options.metadata, epoch: info.epoch + 1, [name]: value, logs: info.logs },
      });
      state.saves++;
    },
  };
  return state;
}

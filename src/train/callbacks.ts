/**
 * Training events and callbacks. `fit` emits events; it never prints. The CLI turns
 * them into a progress bar, the browser into live charts, and callbacks into
 * decisions (stop early, change the learning rate, save a checkpoint).
 */
import { ConfigError } from '../errors.js';

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

/** Control that callbacks have over the run. */
export interface TrainingControl {
  /** Ask fit to stop after the current epoch. */
  stop(): void;
}

export interface Callback {
  onTrainBegin?(info: TrainBegin, control: TrainingControl): void | Promise<void>;
  onEpochBegin?(epoch: number, control: TrainingControl): void | Promise<void>;
  onBatchEnd?(info: BatchEnd, control: TrainingControl): void | Promise<void>;
  onEpochEnd?(info: EpochEnd, control: TrainingControl): void | Promise<void>;
  onTrainEnd?(history: History): void | Promise<void>;
}

/** Per-epoch values of every logged quantity, as in Keras. */
export interface History {
  epochs: number[];
  history: Record<string, number[]>;
  /** Why training stopped early, if it did. */
  stoppedEarly?: string;
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
}

/** Stops training when the monitored value has not improved for `patience` epochs. */
export function earlyStopping(options: EarlyStoppingOptions = {}): Callback & { stoppedEpoch: number | null } {
  const patience = options.patience ?? 3;
  const minDelta = options.minDelta ?? 0;
  if (!Number.isInteger(patience) || patience < 0) throw new ConfigError(`earlyStopping: patience must be a non-negative integer, got ${patience}.`);
  let best = NaN;
  let wait = 0;
  const state = {
    stoppedEpoch: null as number | null,
    onTrainBegin() {
      best = NaN;
      wait = 0;
      state.stoppedEpoch = null;
    },
    onEpochEnd(info: EpochEnd, control: TrainingControl) {
      const monitor = options.monitor ?? ('valLoss' in info.logs ? 'valLoss' : 'loss');
      const value = info.logs[monitor];
      if (value === undefined) throw new ConfigError(`earlyStopping: no '${monitor}' in the logs (have ${Object.keys(info.logs).join(', ')}).`);
      const mode = options.mode ?? (/acc/i.test(monitor) ? 'max' : 'min');
      const improved = Number.isNaN(best) || (mode === 'min' ? value < best - minDelta : value > best + minDelta);
      if (improved) {
        best = value;
        wait = 0;
      } else if (++wait > patience) {
        state.stoppedEpoch = info.epoch;
        control.stop();
      }
    },
  };
  return state;
}

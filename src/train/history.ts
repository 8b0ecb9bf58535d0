/**
 * The history of a run (Keras's History callback): every epoch's logs, by name. Its state
 * goes into checkpoints, so a resumed run returns the whole history.
 */
import { FormatError } from '../errors.js';
import { isCount, isStateObject, stateValue, type StateDict } from '../tensor/state.js';
import type { Callback, EpochEnd, History } from './callbacks.js';

export class HistoryRecorder implements Callback {
  readonly history: History = { epochs: [], history: {} };

  onEpochEnd({ epoch, logs }: EpochEnd): void {
    this.history.epochs.push(epoch);
    for (const [k, v] of Object.entries(logs)) (this.history.history[k] ??= []).push(v);
  }

  stateDict(): StateDict {
    const { epochs, history } = this.history;
    return {
      epochs: [...epochs],
      history: Object.fromEntries(Object.entries(history).map(([k, v]) => [k, [...v]])),
    };
  }

  loadStateDict(state: StateDict): void {
    const where = 'history (resuming)';
    const epochs = stateValue<number[]>(
      where,
      state,
      'epochs',
      (v) => Array.isArray(v) && v.every(isCount),
      'a list of epochs',
    );
    const saved = stateValue<Record<string, unknown>>(
      where,
      state,
      'history',
      isStateObject,
      'an object of lists',
    );
    const history: Record<string, number[]> = {};
    for (const [k, v] of Object.entries(saved)) {
      if (!Array.isArray(v) || !v.every((x) => typeof x === 'number'))
        throw new FormatError(`${where}: the saved history.${k} must be a list of numbers.`);
      Object.defineProperty(history, k, {
        value: [...v],
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    this.history.epochs = [...epochs];
    this.history.history = history;
  }
}

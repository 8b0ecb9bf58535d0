/**
 * The run's callbacks behind one object: each event is dispatched to every callback in
 * order (awaiting each), and the stateful ones (those with stateDict) are listed by the key
 * their state is saved under in a checkpoint: their name, 'name#2' for a second one.
 */
import type { StateDict } from '../tensor/state.js';
import type { Diagnostic } from './diagnose.js';
import type { BatchEnd, Callback, EpochEnd, History, TrainBegin, TrainingControl } from './callbacks.js';

export type StatefulCallback = Callback & { stateDict(): StateDict; loadStateDict(state: StateDict): void };

export class CallbackList {
  constructor(
    readonly callbacks: readonly Callback[],
    private readonly control: TrainingControl,
  ) {}

  async trainBegin(info: TrainBegin): Promise<void> {
    for (const cb of this.callbacks) await cb.onTrainBegin?.(info, this.control);
  }

  async epochBegin(epoch: number): Promise<void> {
    for (const cb of this.callbacks) await cb.onEpochBegin?.(epoch, this.control);
  }

  async batchEnd(info: BatchEnd): Promise<void> {
    for (const cb of this.callbacks) await cb.onBatchEnd?.(info, this.control);
  }

  async epochEnd(info: EpochEnd): Promise<void> {
    for (const cb of this.callbacks) await cb.onEpochEnd?.(info, this.control);
  }

  async trainEnd(history: History): Promise<void> {
    for (const cb of this.callbacks) await cb.onTrainEnd?.(history);
  }

  async diagnostic(found: readonly Diagnostic[]): Promise<void> {
    for (const d of found) for (const cb of this.callbacks) await cb.onDiagnostic?.(d, this.control);
  }

  /** The callbacks with a state, by the key it is saved under ('earlyStopping', 'earlyStopping#2'). */
  stateful(): Map<string, StatefulCallback> {
    const out = new Map<string, StatefulCallback>();
    const seen = new Map<string, number>();
    for (const cb of this.callbacks) {
      if (typeof cb.stateDict !== 'function' || typeof cb.loadStateDict !== 'function') continue;
      const name = cb.name ?? 'callback';
      const n = (seen.get(name) ?? 0) + 1;
      seen.set(name, n);
      out.set(n === 1 ? name : `${name}#${n}`, cb as StatefulCallback);
    }
    return out;
  }
}

/**
 * Checkpointing as a callback: after every epoch it saves the model and every other part of
 * the run (their stateDicts: the loop's position, optimiser, generators, history, stateful
 * callbacks) with io/checkpoint.ts; with `resumeFrom`, it puts them all back when training
 * begins — after the other callbacks' onTrainBegin, which reset them — so the run continues
 * exactly where it was, or stays stopped if a callback had stopped it.
 */
import { loadCheckpoint, saveCheckpoint, type CheckpointOptions } from '../io/checkpoint.js';
import type { Layer } from '../nn/layer.js';
import type { Stateful } from '../tensor/state.js';
import type { Callback } from './callbacks.js';
import type { LoopState } from './loop.js';

export interface CheckpointingOptions {
  net: Layer;
  /** Where and how to save; null to only resume. */
  save: (CheckpointOptions & { keep: number }) | null;
  /** A checkpoint folder (or a folder of them) to continue from. */
  resumeFrom?: string;
  loop: LoopState;
  /** Every part of the run besides the network, by key (the loop state among them). */
  parts: Record<string, Stateful>;
}

export function checkpointing(options: CheckpointingOptions): Callback {
  const { net, save, resumeFrom, loop, parts } = options;
  return {
    async onTrainBegin() {
      if (resumeFrom !== undefined)
        await loadCheckpoint(resumeFrom, { model: net, into: parts, strict: true });
    },
    async onEpochEnd() {
      if (!save) return;
      await saveCheckpoint(save.dir, {
        model: net,
        parts,
        epoch: loop.epoch,
        step: loop.step,
        keep: save.keep,
        metadata: save.metadata,
      });
    },
  };
}

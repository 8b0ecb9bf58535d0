/**
 * A model's trained state in memory: the values of every parameter and buffer (batch
 * norm's running and population statistics, with its batch count), copied aside and put
 * back later — for early stopping's "restore the best weights" and for experiments that
 * start several runs from the same initialisation.
 *
 *   const best = new WeightsSnapshot(net);   // copies now
 *   … training …
 *   best.capture();                          // copies again, into the same buffers
 *   best.restore();                          // the network is as it was at the last capture
 *   best.dispose();
 */
import { DescentError, FormatError } from '../errors.js';
import { BatchNorm } from '../nn/batchnorm.js';
import type { Layer } from '../nn/layer.js';
import { zerosLike } from '../tensor/creation.js';
import { keep } from '../tensor/scope.js';
import { formatShape, sameShape } from '../tensor/shape.js';
import { copyValues, isCount, stateValue, type StateDict } from '../tensor/state.js';
import { isTensor, type Tensor } from '../tensor/tensor.js';

interface WithBuffers {
  namedBuffers(): Array<[string, Tensor]>;
}

function eachLayer(root: Layer, visit: (layer: Layer) => void): void {
  visit(root);
  for (const child of root.children()) eachLayer(child, visit);
}

/** Every parameter and buffer of a network, parameters first, each once. */
export function trainedTensors(net: Layer): Tensor[] {
  const seen = new Set<Tensor>(net.parameters());
  const out = [...seen];
  eachLayer(net, (layer) => {
    const buffers = (layer as Partial<WithBuffers>).namedBuffers;
    if (typeof buffers !== 'function') return;
    for (const [, t] of buffers.call(layer)) {
      if (!seen.has(t)) {
        seen.add(t);
        out.push(t);
      }
    }
  });
  return out;
}

function copyInto(from: Tensor, to: Tensor): void {
  from.backend.cast(from.storage, from.dtype, to.storage, to.dtype, from.size);
}

export class WeightsSnapshot {
  private readonly tensors: Tensor[];
  private readonly copies: Tensor[];
  private readonly batchNorms: BatchNorm[] = [];
  private counts: number[] = [];
  private disposed = false;

  constructor(readonly net: Layer) {
    this.tensors = trainedTensors(net);
    this.copies = this.tensors.map((t) => keep(zerosLike(t)));
    eachLayer(net, (layer) => {
      if (layer instanceof BatchNorm) this.batchNorms.push(layer);
    });
    this.capture();
  }

  /** Copies the network's current values into the snapshot (no allocation). */
  capture(): void {
    this.check('capture');
    this.tensors.forEach((t, i) => copyInto(t, this.copies[i]));
    this.counts = this.batchNorms.map((b) => b.populationBatches);
  }

  /** Puts the captured values back into the network, in place (the tensors stay the same objects). */
  restore(): void {
    this.check('restore');
    this.tensors.forEach((t, i) => copyInto(this.copies[i], t));
    this.batchNorms.forEach((b, i) => (b.populationBatches = this.counts[i]));
  }

  /** The captured values, in the order of trainedTensors(net) (to save them: read, never modify or free). */
  get values(): readonly Tensor[] {
    this.check('values');
    return this.copies;
  }

  /** Batch norms' population batch counts at the capture, in layer order. */
  get batchCounts(): readonly number[] {
    return this.counts;
  }

  /** The captured values (the snapshot's own copies, in trainedTensors order) and batch counts. */
  stateDict(): StateDict {
    this.check('stateDict');
    return { tensors: [...this.copies], batchCounts: [...this.counts] };
  }

  /** Sets the captured values from a stateDict (a checkpoint's) instead of capturing them. */
  loadStateDict(state: StateDict, where = 'WeightsSnapshot.loadStateDict'): void {
    this.check('loadStateDict');
    const tensors = stateValue<Tensor[]>(
      where,
      state,
      'tensors',
      (v) => Array.isArray(v) && v.length === this.copies.length && v.every(isTensor),
      `${this.copies.length} tensors (the network's parameters and buffers)`,
    );
    const counts = stateValue<number[]>(
      where,
      state,
      'batchCounts',
      (v) => Array.isArray(v) && v.length === this.batchNorms.length && v.every(isCount),
      `${this.batchNorms.length} batch counts`,
    );
    tensors.forEach((t, i) => {
      if (!sameShape(t.shape, this.copies[i].shape))
        throw new FormatError(
          `${where}: tensor ${i} is ${formatShape(t.shape)}; the network's ${this.tensors[i].name ?? `tensor ${i}`} is ${formatShape(this.copies[i].shape)}.`,
        );
    });
    tensors.forEach((t, i) => copyValues(t, this.copies[i]));
    this.counts = [...counts];
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const c of this.copies) c.dispose();
  }

  private check(where: string): void {
    if (this.disposed) throw new DescentError(`WeightsSnapshot.${where}: the snapshot was disposed.`);
  }
}

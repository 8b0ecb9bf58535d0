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
import { DescentError } from '../errors.js';
import { BatchNorm } from '../nn/batchnorm.js';
import type { Layer } from '../nn/layer.js';
import { zerosLike } from '../tensor/creation.js';
import { keep } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';

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

  /**
   * Sets the captured values (a checkpoint's) instead of capturing them: one array per
   * tensor of trainedTensors(net), each of its size, and the batch counts.
   */
  load(
    values: ReadonlyArray<ArrayLike<number>>,
    batchCounts: readonly number[],
    source = 'WeightsSnapshot.load',
  ): void {
    this.check('load');
    if (values.length !== this.copies.length || batchCounts.length !== this.batchNorms.length) {
      throw new DescentError(
        `${source}: ${values.length} tensors and ${batchCounts.length} batch counts for a network with ${this.copies.length} and ${this.batchNorms.length}.`,
      );
    }
    values.forEach((v, i) => {
      if (v.length !== this.copies[i].size)
        throw new DescentError(
          `${source}: tensor ${i} has ${v.length} values; the network's ${this.tensors[i].name ?? `tensor ${i}`} has ${this.copies[i].size}.`,
        );
    });
    values.forEach((v, i) => {
      const c = this.copies[i];
      const storage = c.backend.upload(c.dtype, v);
      try {
        c.backend.cast(storage, c.dtype, c.storage, c.dtype, c.size);
      } finally {
        c.backend.free(storage);
      }
    });
    this.counts = [...batchCounts];
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

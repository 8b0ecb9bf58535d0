/**
 * The Tensor: a shape, a dtype and a handle to storage on one backend — plus the two
 * fields autograd needs (`requiresGrad`, `gradFn`) and the gradient it accumulates.
 *
 * Operations live in ops/ (and are also available as methods, see ops/methods.ts);
 * `backward()` comes from autograd/.
 */
import type { Backend, DType, Storage, TypedArray } from '../backend/contract.js';
import { DescentError } from '../errors.js';
import { formatShape, sizeOf, type Shape } from './shape.js';
import { setTensorCheck, trackTensor, untrackTensor } from './scope.js';

/** How a tensor was computed, recorded by ops for the backward pass. */
export interface GradFn {
  /** The op's name, for error messages and graph dumps. */
  readonly op: string;
  readonly inputs: readonly Tensor[];
  /** Given ∂L/∂output, returns ∂L/∂input for each input (null where none is needed). */
  backward(dy: Tensor): readonly (Tensor | null)[];
}

export type NestedArray = number | NestedArray[];

let nextId = 0;

export const BYTES_PER_ELEMENT: Record<DType, number> = { float32: 4, float64: 8, int32: 4 };

export class Tensor {
  readonly id = nextId++;
  readonly shape: Shape;
  readonly size: number;
  /** Whether gradients flow to this tensor. Leaves with it set accumulate `.grad`. */
  requiresGrad = false;
  /** ∂L/∂this, accumulated by backward() on leaves that require a gradient. */
  grad: Tensor | null = null;
  /** The op that produced this tensor, when it is part of a recorded graph. */
  gradFn: GradFn | null = null;
  /** Set by keep(): survives every tidy scope. */
  kept = false;
  /** A name for error messages (parameters get `dense_1.weight` and the like). */
  name?: string;
  private disposedFlag = false;

  constructor(
    readonly storage: Storage,
    shape: Shape,
    readonly dtype: DType,
    readonly backend: Backend,
  ) {
    this.shape = Object.freeze([...shape]);
    this.size = sizeOf(shape);
    trackTensor(this, this.size * BYTES_PER_ELEMENT[dtype]);
  }

  get rank(): number {
    return this.shape.length;
  }

  get isDisposed(): boolean {
    return this.disposedFlag;
  }

  /** Throws a clear error if this tensor's memory has been released. */
  assertAlive(where: string): void {
    if (this.disposedFlag) {
      throw new DescentError(
        `${where}: tensor ${this.name ?? `#${this.id}`} ${formatShape(this.shape)} was disposed ` +
          `(made inside a tidy() that has ended?). Return it from tidy() or keep() it to use it later.`,
      );
    }
  }

  /** The values, copied out of the backend. Works on every backend. */
  async data(): Promise<TypedArray> {
    this.assertAlive('data()');
    return this.backend.read(this.storage, this.dtype, this.size);
  }

  /** The values, synchronously, where the backend allows it (cpu, wasm). */
  dataSync(): TypedArray {
    this.assertAlive('dataSync()');
    if (!this.backend.readSync) {
      throw new DescentError(
        `dataSync(): the ${this.backend.name} backend reads asynchronously; use await t.data().`,
      );
    }
    return this.backend.readSync(this.storage, this.dtype, this.size);
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.size !== 1)
      throw new DescentError(
        `item(): expected a tensor with one element, got shape ${formatShape(this.shape)}.`,
      );
    return this.dataSync()[0];
  }

  /** The values as nested arrays, synchronously. */
  toArray(): NestedArray {
    const flat = this.dataSync();
    const build = (dim: number, offset: number): NestedArray => {
      if (dim === this.shape.length) return flat[offset];
      const stride = sizeOf(this.shape.slice(dim + 1));
      return Array.from({ length: this.shape[dim] }, (_, i) => build(dim + 1, offset + i * stride));
    };
    return build(0, 0);
  }

  /** Releases the storage. Safe to call twice. Disposes the accumulated gradient too. */
  dispose(): void {
    if (this.disposedFlag) return;
    this.disposedFlag = true;
    untrackTensor(this, this.size * BYTES_PER_ELEMENT[this.dtype]);
    this.backend.free(this.storage);
    this.gradFn = null;
    if (this.grad) {
      this.grad.dispose();
      this.grad = null;
    }
  }

  toString(): string {
    const values = this.disposedFlag
      ? '<disposed>'
      : this.backend.readSync
        ? JSON.stringify(this.toArray())
        : '<on device>';
    return `Tensor(${formatShape(this.shape)}, ${this.dtype}${this.requiresGrad ? ', requiresGrad' : ''}) ${values}`;
  }
}

export function isTensor(v: unknown): v is Tensor {
  return v instanceof Tensor;
}

setTensorCheck(isTensor);

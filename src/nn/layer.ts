/**
 * The Layer: parameters, a forward function, and a lazy build from the first input's
 * shape (so `dense({ units: 10 })` need not be told its input size).
 *
 *   layer.call(x, { training })   builds on first use, checks the input, runs forward
 *   layer.parameters()            own parameters then children's, in a stable order
 *
 * Parameters are tensors with `requiresGrad`, kept alive outside every tidy scope and
 * named `<layer>.<param>` (e.g. `dense_1.weight`) for error messages and saving.
 *
 * A layer's parameters share one floating-point type, `dtype`: that of the first input it is
 * built on (float64 inputs give a float64 model, for exact gradient checks), or the one
 * given to `buildFor(shape, dtype)`; containers build their children in their own type.
 */
import type { DType } from '../backend/contract.js';
import { cast } from '../ops/arithmetic.js';
import { keep } from '../tensor/scope.js';
import type { Shape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { ShapeError } from '../errors.js';

export interface ForwardOptions {
  /** Training mode (dropout active, batch statistics in batch norm). Default false. */
  training?: boolean;
}

export type FloatDType = 'float32' | 'float64';

/** The parameter type for an input: float64 stays float64, everything else trains in float32. */
export function floatTypeOf(dtype: DType): FloatDType {
  return dtype === 'float64' ? 'float64' : 'float32';
}

export abstract class Layer {
  /** The layer's kind, e.g. 'dense' — used for default names and saved topologies. */
  abstract readonly kind: string;
  protected built = false;
  /** The parameters' type, fixed when the layer is built (default float32). */
  dtype: FloatDType = 'float32';
  private readonly own = new Map<string, Tensor>();
  private layerName: string;

  constructor(name?: string) {
    this.layerName = name ?? '';
  }

  /** Unique within its model; set by the user or by `sequential` (renaming renames the parameters). */
  get name(): string {
    return this.layerName;
  }

  set name(value: string) {
    this.layerName = value;
    for (const [k, t] of this.own) t.name = `${this.label}.${k}`;
  }

  /** The input shape (batch dimension included, as 1) when known before any data is seen. */
  knownInputShape(): number[] | null {
    return null;
  }

  /** Creates parameters once the input shape is known. Called by `call` on first use. */
  protected build(_inputShape: Shape): void {}

  /** The computation. `x` is already checked by `checkInput`. */
  abstract forward(x: Tensor, options: ForwardOptions): Tensor;

  /** Throws a ShapeError naming this layer if `x` does not fit. */
  protected checkInput(_x: Tensor): void {}

  /** The hyper-parameters that recreate this layer (for saving and summaries). */
  abstract config(): Record<string, unknown>;

  get isBuilt(): boolean {
    return this.built;
  }

  /** The label used in messages: the name, or the kind before a name is assigned. */
  get label(): string {
    return this.name || this.kind;
  }

  call(x: Tensor, options: ForwardOptions = {}): Tensor {
    x.assertAlive(`${this.label}.call`);
    if (!this.built) {
      this.dtype = floatTypeOf(x.dtype);
      this.build(x.shape);
      this.built = true;
    }
    if (this.own.size > 0 && x.dtype !== 'int32' && x.dtype !== this.dtype) {
      throw this.shapeError(
        `its parameters are ${this.dtype} but the input is ${x.dtype}; build the model for ${x.dtype} ` +
          `(net.buildFor(shape, '${x.dtype}'), or let the first ${x.dtype} input build it) or cast the input.`,
      );
    }
    this.checkInput(x);
    return this.forward(x, options);
  }

  /** Builds without data, for a given input shape (batch dimension included) and parameter type. */
  buildFor(inputShape: Shape, dtype: FloatDType = this.dtype): void {
    if (!this.built) {
      this.dtype = dtype;
      this.build(inputShape);
      this.built = true;
    }
  }

  /** Registers a parameter: it requires a gradient and outlives tidy scopes. */
  protected addParameter(name: string, value: Tensor): Tensor {
    // An initialiser that made another type (a custom one) is cast to the layer's.
    if (value.dtype !== this.dtype) {
      const converted = cast(value, this.dtype);
      value.dispose();
      value = converted;
    }
    value.requiresGrad = true;
    value.name = `${this.label}.${name}`;
    keep(value);
    this.own.set(name, value);
    return value;
  }

  /** Sub-layers (for containers). */
  children(): Layer[] {
    return [];
  }

  /** [qualified name, tensor] for every parameter, own first, then children's. */
  namedParameters(): Array<[string, Tensor]> {
    const list: Array<[string, Tensor]> = [...this.own].map(([k, v]) => [`${this.label}.${k}`, v]);
    for (const child of this.children()) list.push(...child.namedParameters());
    return list;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  /** The shape of the output for an input shape, computed by running on zeros is avoided: layers override. */
  outputShape(inputShape: Shape): number[] {
    return [...inputShape];
  }

  /** Frees the parameters. */
  dispose(): void {
    for (const t of this.own.values()) t.dispose();
    for (const child of this.children()) child.dispose();
  }

  protected shapeError(message: string): ShapeError {
    return new ShapeError(`${this.label} (${this.kind}): ${message}`);
  }
}

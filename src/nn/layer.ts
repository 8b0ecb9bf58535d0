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
 *
 * The weights by name, as PyTorch's `state_dict` (same keys, same layouts):
 *
 *   layer.stateDict()               { '0.weight': W, '0.bias': b, '2.running_mean': μ, … }
 *   layer.loadStateDict(sd)         copies values in; strict: exactly the same keys and shapes
 *   layer.getWeights() / setWeights([...])   the same tensors as a list (Keras's get_weights)
 *
 * A layer's own entries come from `ownState()` (its parameters, under their state names,
 * then its buffers); a container's children add theirs under `childStates()`'s prefixes
 * (a sequential numbers them 0, 1, 2 …, by position, as nn.Sequential does).
 */
import type { DType } from '../backend/contract.js';
import { cast } from '../ops/arithmetic.js';
import { zeros } from '../tensor/creation.js';
import { keep } from '../tensor/scope.js';
import { copyValues } from '../tensor/state.js';
import { formatShape, sameShape, type Shape } from '../tensor/shape.js';
import { isTensor, type Tensor } from '../tensor/tensor.js';
import { ConfigError, ShapeError } from '../errors.js';

export interface ForwardOptions {
  /** Training mode (dropout active, batch statistics in batch norm). Default false. */
  training?: boolean;
}

export type FloatDType = 'float32' | 'float64';

/** The parameter type for an input: float64 stays float64, everything else trains in float32. */
export function floatTypeOf(dtype: DType): FloatDType {
  return dtype === 'float64' ? 'float64' : 'float32';
}

export interface LoadStateDictOptions {
  /** Require exactly the layer's keys (default true, as PyTorch). Shapes must match either way. */
  strict?: boolean;
}

/** What a non-strict load skipped (both empty after a strict load). */
export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
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

  /**
   * The rank of the input this layer takes, batch dimension included (dense 2, conv2d 4),
   * or null when it takes several or any; predict uses it to accept one sample without
   * the batch dimension.
   */
  expectedInputRank(): number | null {
    return this.knownInputShape()?.length ?? null;
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

  private trainableFlag = true;

  /**
   * Whether training changes this layer's weights (Keras's `trainable`, default true).
   * Setting it sets `requiresGrad` on every parameter of the layer and of its children, so an
   * optimiser, in `fit` or in a hand loop, leaves them as they are and keeps no state for
   * them (one made before the change: re-attach it, or compile again, to drop their state).
   * A frozen batch norm also runs in inference mode, with its running statistics fixed, as
   * in Keras (PyTorch's `requires_grad_(False)` alone would still update them in train mode).
   */
  get trainable(): boolean {
    return this.trainableFlag;
  }

  set trainable(value: boolean) {
    if (typeof value !== 'boolean')
      throw new ConfigError(`${this.label}.trainable must be true or false, got ${String(value)}.`);
    this.trainableFlag = value;
    for (const t of this.own.values()) t.requiresGrad = value;
    for (const child of this.children()) child.trainable = value;
  }

  /** The parameters that training changes: those with `requiresGrad` (see `trainable`). */
  trainableParameters(): Tensor[] {
    return this.parameters().filter((p) => p.requiresGrad);
  }

  /** Parameters made while the layer is frozen are frozen too (and children built with it). */
  private afterBuild(): void {
    this.built = true;
    if (!this.trainableFlag) this.trainable = false;
  }

  call(x: Tensor, options: ForwardOptions = {}): Tensor {
    x.assertAlive(`${this.label}.call`);
    if (!this.built) {
      this.dtype = floatTypeOf(x.dtype);
      this.build(x.shape);
      this.afterBuild();
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
      this.afterBuild();
    }
  }

  /**
   * Registers a parameter: it requires a gradient and outlives tidy scopes. `stateName` is
   * its key in stateDict when it differs from PyTorch's (batch norm's gamma is 'weight').
   */
  protected addParameter(name: string, value: Tensor, stateName = name): Tensor {
    // An initialiser that made another type (a custom one) is cast to the layer's.
    if (value.dtype !== this.dtype) {
      const converted = cast(value, this.dtype);
      value.dispose();
      value = converted;
    }
    value.requiresGrad = this.trainableFlag;
    value.name = `${this.label}.${name}`;
    keep(value);
    this.own.set(name, value);
    this.stateNames.set(name, stateName);
    return value;
  }

  private readonly stateNames = new Map<string, string>();

  /** This layer's own stateDict entries: its parameters under their state names (layers with buffers add them). */
  protected ownState(): Array<[string, Tensor]> {
    return [...this.own].map(([k, t]) => [this.stateNames.get(k) ?? k, t]);
  }

  /** The children whose entries stateDict holds, with their key prefixes (default: their names). */
  protected childStates(): Array<[string, Layer]> {
    return this.children().map((c) => [c.name || c.kind, c]);
  }

  /**
   * Every parameter and buffer by its PyTorch state_dict key ('0.weight', '2.running_var').
   * The tensors are the layer's own (not copies): read them, do not free them.
   */
  stateDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const [key, t] of this.stateEntries()) out[key] = t;
    return out;
  }

  /** [key, tensor] in stateDict order; throws, naming the layer, when some layer is not built yet. */
  private stateEntries(prefix = ''): Array<[string, Tensor]> {
    if (!this.built && this.needsBuild())
      throw new ConfigError(
        `${this.label} (${this.kind}): not built yet, so it has no weights; call the model once or build it ` +
          'with model.buildFor([1, ...inputShape]) first.',
      );
    const list: Array<[string, Tensor]> = this.ownState().map(([k, t]) => [prefix + k, t]);
    for (const [p, child] of this.childStates()) list.push(...child.stateEntries(`${prefix}${p}.`));
    return list;
  }

  /** Whether the layer makes tensors when built (false for those without weights: activations, pooling). */
  protected needsBuild(): boolean {
    return false;
  }

  /**
   * Copies the values of `sd` (keys as stateDict's) into the layer's tensors, in place.
   * Strict (the default): the keys must be exactly the layer's; the error lists the missing,
   * unexpected and mis-shaped keys, as PyTorch's does. Non-strict: only the keys both have
   * are loaded, and the others are returned. A shape mismatch is an error either way, and
   * nothing is changed when the load fails.
   */
  loadStateDict(sd: Record<string, Tensor>, options: LoadStateDictOptions = {}): LoadStateDictResult {
    const strict = options.strict ?? true;
    if (sd === null || typeof sd !== 'object')
      throw new ConfigError(
        `${this.label}.loadStateDict: expected an object of tensors by key, got ${String(sd)}.`,
      );
    const own = new Map(this.stateEntries());
    const given = Object.keys(sd);
    const missingKeys = [...own.keys()].filter((k) => !Object.hasOwn(sd, k));
    const unexpectedKeys = given.filter((k) => !own.has(k));
    const problems: string[] = [];
    if (strict && missingKeys.length > 0)
      problems.push(`Missing key(s) in state_dict: ${missingKeys.map((k) => `"${k}"`).join(', ')}.`);
    if (strict && unexpectedKeys.length > 0)
      problems.push(`Unexpected key(s) in state_dict: ${unexpectedKeys.map((k) => `"${k}"`).join(', ')}.`);
    for (const k of given) {
      const t = sd[k];
      const mine = own.get(k);
      if (!isTensor(t)) problems.push(`value for ${k} is not a tensor (got ${typeof t}).`);
      else if (mine && !sameShape(t.shape, mine.shape))
        problems.push(
          `size mismatch for ${k}: copying a tensor with shape ${formatShape(t.shape)}, the shape in the current model is ${formatShape(mine.shape)}.`,
        );
    }
    if (problems.length > 0)
      throw new ConfigError(
        `Error(s) in loading state_dict for ${this.label} (${this.kind}):\n\t${problems.join('\n\t')}`,
      );
    for (const [k, mine] of own) if (Object.hasOwn(sd, k)) copyValues(sd[k], mine);
    this.afterLoad();
    return { missingKeys, unexpectedKeys };
  }

  /** Called after loadStateDict changed this layer's tensors (batch norm re-reads its batch count). */
  protected afterLoad(): void {
    for (const child of this.children()) child.afterLoad();
  }

  /** Copies of the weights, in stateDict's order (Keras's get_weights); the caller frees them. */
  getWeights(): Tensor[] {
    return this.stateEntries().map(([, t]) => {
      const copy = zeros(t.shape, { dtype: t.dtype });
      copyValues(t, copy);
      return copy;
    });
  }

  /** Sets the weights from a list in getWeights' order: tensors, or flat arrays of the right size. */
  setWeights(weights: ReadonlyArray<Tensor | ArrayLike<number>>): void {
    const entries = this.stateEntries();
    if (!Array.isArray(weights) || weights.length !== entries.length)
      throw new ConfigError(
        `${this.label}.setWeights: expected ${entries.length} weights (${entries.map(([k]) => k).join(', ')}), got ${
          Array.isArray(weights) ? weights.length : String(weights)
        }.`,
      );
    entries.forEach(([key, mine], i) => {
      const w = weights[i];
      const ok = isTensor(w) ? sameShape(w.shape, mine.shape) : w != null && w.length === mine.size;
      if (!ok)
        throw new ShapeError(
          `${this.label}.setWeights: weight ${i} (${key}) must be shaped ${formatShape(mine.shape)}, got ${
            isTensor(w) ? formatShape(w.shape) : `${String(w?.length)} values`
          }.`,
        );
    });
    entries.forEach(([, mine], i) => {
      const w = weights[i];
      if (isTensor(w)) copyValues(w, mine);
      else {
        const storage = mine.backend.upload(mine.dtype, w as ArrayLike<number>);
        try {
          mine.backend.cast(storage, mine.dtype, mine.storage, mine.dtype, mine.size);
        } finally {
          mine.backend.free(storage);
        }
      }
    });
    this.afterLoad();
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

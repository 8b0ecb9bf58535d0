/**
 * Batch normalisation layers: `batchNorm1d` for [N, C] (or [N, C, L]) and `batchNorm2d`
 * for [N, C, H, W], normalising each channel (feature) c:
 *
 *   training:   y = γ (x − μ_B) / √(σ²_B + ε) + β        μ_B, σ²_B: the mini-batch's mean and variance
 *   inference:  y = γ (x − μ) / √(σ² + ε) + β            μ, σ²: estimates of the population's
 *
 * with learned γ (init 1) and β (init 0); the gradient flows through μ_B and σ²_B (see
 * ops/normalization.ts). Two estimates of the population statistics are kept, and
 * `inference` chooses which one is used:
 *
 * - 'running' (default, as PyTorch and Keras): exponential moving averages updated at
 *   every training step, r ← (1 − momentum)·r + momentum·batch (unbiased variance);
 * - 'population' (the lectures', after Ioffe & Szegedy's Algorithm 2): the average over
 *   all training mini-batches since the last `resetPopulationStatistics()`,
 *   E[x] = mean_B μ_B and Var[x] = mean_B (m/(m − 1))·σ²_B, m being the values per channel
 *   in a batch (the batch size B for [N, C]). Reset at the start of an epoch to average the
 *   last epoch only (parameters change during training, so early batches go stale).
 *
 * Before any training step, both estimates are the initial μ = 0, σ² = 1.
 *
 * In stateDict the names are PyTorch's: γ and β are 'weight' and 'bias', the running
 * averages 'running_mean' and 'running_var', and 'num_batches_tracked' counts the training
 * batches seen (int32 here, int64 in PyTorch). The population sums are descent's own and
 * are saved with the model (model.json), not in stateDict.
 */
import { noGrad } from '../autograd/tape.js';
import { ConfigError, checkPositiveInt } from '../errors.js';
import { add, div, mul } from '../ops/arithmetic.js';
import { batchNorm as batchNormOp } from '../ops/normalization.js';
import { getBackend } from '../backend/registry.js';
import { ones, zeros } from '../tensor/creation.js';
import { keep, tidy } from '../tensor/scope.js';
import { formatShape, type Shape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { Layer, type FloatDType, type ForwardOptions } from './layer.js';

export type BatchNormInference = 'running' | 'population';

export interface BatchNormLayerOptions {
  /** Channels (features); inferred from the first input when omitted. */
  numFeatures?: number;
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /** Weight of each new batch in the running averages (default 0.1, PyTorch's convention; Keras's 0.99 is 0.01 here). */
  momentum?: number;
  /** Learn γ and β (default true). */
  affine?: boolean;
  /** Which population estimate inference uses (default 'running'). */
  inference?: BatchNormInference;
  /** The type of γ, β and the statistics when numFeatures builds the layer at once (else the input's). */
  dtype?: FloatDType;
  name?: string;
}

/** Copies `src` into `dst`'s storage (an in-place update of a buffer). */
function assign(dst: Tensor, src: Tensor): void {
  dst.backend.cast(src.storage, src.dtype, dst.storage, dst.dtype, dst.size);
}

export class BatchNorm extends Layer {
  numFeatures?: number;
  readonly eps: number;
  readonly momentum: number;
  readonly affine: boolean;
  /** Which estimate inference uses; may be switched at any time. */
  inference: BatchNormInference;
  gamma: Tensor | null = null;
  beta: Tensor | null = null;
  /** Exponential moving averages of the batch mean and (unbiased) variance, [C]. */
  runningMean!: Tensor;
  runningVar!: Tensor;
  /** Sums over the training batches since the last reset of μ_B and (m/(m − 1))·σ²_B, [C]. */
  private meanSum!: Tensor;
  private varSum!: Tensor;
  /** Training batches summed in meanSum/varSum. */
  populationBatches = 0;
  /** Training batches seen since creation (PyTorch's num_batches_tracked), a one-element tensor. */
  numBatchesTracked!: Tensor;
  private one!: Tensor;

  constructor(
    readonly kind: 'batchNorm1d' | 'batchNorm2d',
    options: BatchNormLayerOptions = {},
  ) {
    super(options.name);
    this.eps = options.eps ?? 1e-5;
    this.momentum = options.momentum ?? 0.1;
    this.affine = options.affine ?? true;
    this.inference = options.inference ?? 'running';
    if (!(this.eps >= 0)) throw new ConfigError(`${kind}: eps must be non-negative, got ${this.eps}.`);
    if (!(this.momentum >= 0 && this.momentum <= 1))
      throw new ConfigError(`${kind}: momentum must be in [0, 1], got ${this.momentum}.`);
    if (this.inference !== 'running' && this.inference !== 'population') {
      throw new ConfigError(
        `${kind}: inference must be 'running' or 'population', got '${String(this.inference)}'.`,
      );
    }
    if (options.dtype !== undefined) {
      if (options.dtype !== 'float32' && options.dtype !== 'float64')
        throw new ConfigError(
          `${kind}: dtype must be 'float32' or 'float64', got '${String(options.dtype)}'.`,
        );
      this.dtype = options.dtype;
    }
    if (options.numFeatures !== undefined) {
      this.numFeatures = checkPositiveInt(kind, 'numFeatures', options.numFeatures);
      this.create(this.numFeatures);
      this.built = true;
    }
  }

  /** γ, β and the statistics in the layer's type (float64 in a float64 model). */
  private create(c: number): void {
    const like = { dtype: this.dtype };
    if (this.affine) {
      this.gamma = this.addParameter('gamma', ones([c], like), 'weight');
      this.beta = this.addParameter('beta', zeros([c], like), 'bias');
    }
    const countType = getBackend().supports('int32') ? 'int32' : 'float32';
    this.numBatchesTracked = keep(zeros([], { dtype: countType }));
    this.one = keep(ones([], { dtype: countType }));
    this.runningMean = keep(zeros([c], like));
    this.runningVar = keep(ones([c], like));
    this.meanSum = keep(zeros([c], like));
    this.varSum = keep(zeros([c], like));
  }

  override knownInputShape(): number[] | null {
    if (this.numFeatures === undefined) return null;
    return this.kind === 'batchNorm1d' ? [1, this.numFeatures] : null;
  }

  protected override build(inputShape: Shape): void {
    this.checkShape(inputShape);
    this.numFeatures = inputShape[1];
    this.create(this.numFeatures);
  }

  private checkShape(shape: Shape): void {
    const ok = this.kind === 'batchNorm2d' ? shape.length === 4 : shape.length === 2 || shape.length === 3;
    const want =
      this.kind === 'batchNorm2d'
        ? '[batch, channels, height, width]'
        : '[batch, features] or [batch, channels, length]';
    if (!ok || (this.numFeatures !== undefined && shape[1] !== this.numFeatures)) {
      const count = this.numFeatures === undefined ? '' : ` with ${this.numFeatures} channels on axis 1`;
      throw this.shapeError(`expected input shaped ${want}${count}, got ${formatShape(shape)}.`);
    }
  }

  protected override checkInput(x: Tensor): void {
    this.checkShape(x.shape);
  }

  forward(x: Tensor, options: ForwardOptions): Tensor {
    const where = `${this.label} (${this.kind})`;
    // Frozen (trainable = false): inference mode even in training, as Keras does.
    if (options.training && this.trainable) {
      const r = batchNormOp(x, this.gamma, this.beta, {
        training: true,
        eps: this.eps,
        momentum: this.momentum,
        runningMean: this.runningMean,
        runningVar: this.runningVar,
        name: where,
      });
      const correction = r.count / (r.count - 1);
      noGrad(() =>
        tidy(() => {
          assign(this.meanSum, add(this.meanSum, r.mean!));
          assign(this.varSum, add(this.varSum, mul(r.variance!, correction)));
        }),
      );
      this.populationBatches++;
      const n = this.numBatchesTracked;
      n.backend.binary('add', n.storage, n.shape, this.one.storage, n.shape, n.storage, n.shape, n.dtype);
      return r.output;
    }
    if (this.inference === 'population' && this.populationBatches > 0) {
      const [mean, variance] = noGrad(() => [
        div(this.meanSum, this.populationBatches),
        div(this.varSum, this.populationBatches),
      ]);
      return batchNormOp(x, this.gamma, this.beta, {
        eps: this.eps,
        runningMean: mean,
        runningVar: variance,
        name: where,
      }).output;
    }
    return batchNormOp(x, this.gamma, this.beta, {
      eps: this.eps,
      runningMean: this.runningMean,
      runningVar: this.runningVar,
      name: where,
    }).output;
  }

  /** The population estimate that 'population' inference uses now (mean and variance, [C] each). */
  populationStatistics(): { mean: Tensor; variance: Tensor } | null {
    if (this.populationBatches === 0) return null;
    return noGrad(() => ({
      mean: div(this.meanSum, this.populationBatches),
      variance: div(this.varSum, this.populationBatches),
    }));
  }

  /** Starts a new average over training batches (e.g. at the start of each epoch). */
  resetPopulationStatistics(): void {
    if (!this.built) return;
    this.meanSum.backend.fill(this.meanSum.storage, this.meanSum.dtype, this.meanSum.size, 0);
    this.varSum.backend.fill(this.varSum.storage, this.varSum.dtype, this.varSum.size, 0);
    this.populationBatches = 0;
  }

  /** The non-trained state to save with the parameters: running averages and population sums. */
  namedBuffers(): Array<[string, Tensor]> {
    if (!this.built) return [];
    return [
      [`${this.label}.runningMean`, this.runningMean],
      [`${this.label}.runningVar`, this.runningVar],
      [`${this.label}.populationMeanSum`, this.meanSum],
      [`${this.label}.populationVarSum`, this.varSum],
    ];
  }

  protected override needsBuild(): boolean {
    return true;
  }

  protected override ownState(): Array<[string, Tensor]> {
    if (!this.built) return [];
    return [
      ...super.ownState(),
      ['running_mean', this.runningMean],
      ['running_var', this.runningVar],
      ['num_batches_tracked', this.numBatchesTracked],
    ];
  }

  override dispose(): void {
    super.dispose();
    if (this.built)
      for (const t of [
        this.runningMean,
        this.runningVar,
        this.meanSum,
        this.varSum,
        this.numBatchesTracked,
        this.one,
      ])
        t.dispose();
  }

  config(): Record<string, unknown> {
    return {
      numFeatures: this.numFeatures,
      eps: this.eps,
      momentum: this.momentum,
      affine: this.affine,
      inference: this.inference,
    };
  }
}

/** Batch norm over the features of [N, C] (or the channels of [N, C, L]). */
export function batchNorm1d(options: number | BatchNormLayerOptions = {}): BatchNorm {
  return new BatchNorm('batchNorm1d', typeof options === 'number' ? { numFeatures: options } : options);
}

/** Batch norm over the channels of [N, C, H, W]. */
export function batchNorm2d(options: number | BatchNormLayerOptions = {}): BatchNorm {
  return new BatchNorm('batchNorm2d', typeof options === 'number' ? { numFeatures: options } : options);
}

/**
 * Training health: what `fit({ diagnose: true })` (`descent train --diagnose`) watches while
 * a network trains, and the advice it gives.
 *
 *   dead ReLUs   a ReLU unit whose input is negative for every sample outputs 0 and gets no
 *                gradient (relu′(z) = 0 for z < 0), so it never recovers: the share of units
 *                (channels, for convolutions) that stayed at 0 on every sampled batch of an epoch.
 *   vanishing    backpropagation multiplies one factor per layer (σ′ ≤ ¼ for the sigmoid), so
 *                ‖∂C/∂Wˡ‖ can shrink by orders of magnitude towards the input and the first
 *                layers barely learn: measured as ‖∂C/∂Wˡ‖ / ‖∂C/∂W^L‖, against the output layer L
 *                (the per-layer norms of lab/gradients.ts, taken inside fit).
 *   exploding    the same ratio far above one, or a gradient norm beyond a bound: one step
 *                throws the weights far away, and the loss soon becomes NaN.
 *   non-finite   the first layer, in forward order, whose output held a NaN or ±∞, at the
 *                first step where one did, found when the loss stops being finite.
 *
 * Two parts. `analyzeEpoch` turns per-layer statistics into diagnostics (pure: numbers in,
 * warnings out). `TrainingDiagnostics` collects those statistics inside fit's step, cheaply:
 * on a sampled step (every `every` steps, and the last batch of each epoch) each ReLU layer's
 * "ever active" mask and each weight's gradient norm are reduced and summed on the backend,
 * and read back once per epoch. The non-finite probe, Σ 0·y per layer (NaN exactly when y
 * holds a NaN or ±∞), is made every step and read only when the loss is not finite.
 */
import { noGrad } from '../autograd/tape.js';
import { ConfigError } from '../errors.js';
import { Activation } from '../nn/activations.js';
import { Conv2d } from '../nn/conv2d.js';
import { Dense } from '../nn/dense.js';
import type { ForwardOptions, Layer } from '../nn/layer.js';
import { Sequential } from '../nn/sequential.js';
import { WithActivation } from '../nn/with-activation.js';
import { add, cast, greater, maximum, mul } from '../ops/arithmetic.js';
import { max, sum } from '../ops/reduce.js';
import { concat, reshape } from '../ops/shape.js';
import { globalNorm } from '../optim/clipping.js';
import { scalar } from '../tensor/creation.js';
import { keep } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';

export type DiagnosticKind = 'deadRelu' | 'vanishing' | 'exploding' | 'nonFinite';

/** One warning about the health of training. */
export interface Diagnostic {
  kind: DiagnosticKind;
  /** The layer it concerns ('dense_1'); 'loss' when every layer's output was finite but the loss was not. */
  layer: string;
  /** The epoch (0-based) and the global step (1-based) it was seen at. */
  epoch: number;
  step: number;
  /** deadRelu: the fraction of dead units; vanishing/exploding: the gradient-norm ratio or norm; nonFinite: the loss (NaN or ±∞). */
  value: number;
  message: string;
  advice: string;
}

export interface DiagnoseOptions {
  /** Sample the activations and gradients every this many steps, and on each epoch's last batch (default 20). */
  every?: number;
  /** Warn when more than this fraction of a ReLU layer's units never fired (default 0.5). */
  deadReluFraction?: number;
  /** Warn when a layer's ‖∂C/∂W‖ is below this fraction of the output layer's (default 1e-2). */
  vanishingRatio?: number;
  /** Warn when a layer's ‖∂C/∂W‖ is above this multiple of the output layer's (default 1e2). */
  explodingRatio?: number;
  /** Warn when a layer's ‖∂C/∂W‖ (mean over the sampled steps) exceeds this (default 1e3). */
  explodingNorm?: number;
}

export type DiagnoseThresholds = Required<DiagnoseOptions>;

export const defaultDiagnoseOptions: Readonly<DiagnoseThresholds> = {
  every: 20,
  deadReluFraction: 0.5,
  vanishingRatio: 1e-2,
  explodingRatio: 1e2,
  explodingNorm: 1e3,
};

/** The thresholds for `diagnose` (true, or options), checked; null when diagnosis is off. */
export function checkDiagnoseOptions(where: string, value: unknown): DiagnoseThresholds | null {
  if (value === undefined || value === false) return null;
  if (value === true) return { ...defaultDiagnoseOptions };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(
      `${where}: diagnose must be true, false or an options object ({ every, deadReluFraction, vanishingRatio, ` +
        `explodingRatio, explodingNorm }), got ${JSON.stringify(value) ?? typeof value}.`,
    );
  }
  const options = value as Record<string, unknown>;
  const known = Object.keys(defaultDiagnoseOptions);
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new ConfigError(
        `${where}: unknown diagnose option '${key}'. Valid options: ${known.join(', ')}.`,
      );
    }
  }
  const checked = { ...defaultDiagnoseOptions };
  const check = (key: keyof DiagnoseThresholds, ok: (v: number) => boolean, expected: string) => {
    const v = options[key];
    if (v === undefined) return;
    if (typeof v !== 'number' || !ok(v)) {
      throw new ConfigError(
        `${where}: diagnose.${key} must be ${expected}, got ${JSON.stringify(v) ?? typeof v}.`,
      );
    }
    checked[key] = v;
  };
  check('every', (v) => Number.isInteger(v) && v > 0, 'a positive integer (steps)');
  check('deadReluFraction', (v) => v >= 0 && v < 1, 'a fraction in [0, 1)');
  check('vanishingRatio', (v) => v > 0 && v < 1, 'a ratio in (0, 1)');
  check('explodingRatio', (v) => Number.isFinite(v) && v > 1, 'a finite ratio > 1');
  check('explodingNorm', (v) => Number.isFinite(v) && v > 0, 'a positive finite number');
  return checked;
}

/** What one epoch's sampled steps showed of one layer. */
export interface LayerHealth {
  layer: string;
  /** For ReLU layers: the fraction of units (channels) that were 0 for every sampled sample. */
  deadFraction?: number;
  /** For ReLU layers: the number of units (or channels). */
  units?: number;
  /** For ReLU layers: whether a unit is a channel (convolutions) rather than a feature. */
  perChannel?: boolean;
  /** For layers with weights: ‖∂C/∂W‖ (Frobenius), the mean over the sampled steps. */
  gradNorm?: number;
}

export interface EpochHealth {
  epoch: number;
  /** The global step at the end of the epoch. */
  step: number;
  /** In forward order. */
  layers: LayerHealth[];
}

const ADVICE: Record<DiagnosticKind, string> = {
  deadRelu:
    'lower the learning rate, use He initialisation (heNormal), a leaky ReLU or PReLU (--activation leakyRelu or prelu), ' +
    'or batch normalisation before the ReLU',
  vanishing:
    'use ReLU-family activations instead of sigmoid or tanh, He or Glorot initialisation, batch normalisation, ' +
    'or fewer layers',
  exploding:
    'clip the gradients (--clip-norm 5, or clipByGlobalNorm), lower the learning rate, or add batch normalisation',
  nonFinite:
    'lower the learning rate, clip the gradients (--clip-norm 5), and check the inputs for NaN or huge values ' +
    '(standardise them)',
};

const sci = (v: number) => v.toExponential(1);

/** The warnings that one epoch's statistics call for (see the file comment for the rules). */
export function analyzeEpoch(health: EpochHealth, thresholds: DiagnoseOptions = {}): Diagnostic[] {
  const t = { ...defaultDiagnoseOptions, ...thresholds };
  const { epoch, step } = health;
  const out: Diagnostic[] = [];
  const warn = (kind: DiagnosticKind, layer: string, value: number, message: string) =>
    out.push({ kind, layer, epoch, step, value, message, advice: ADVICE[kind] });

  for (const l of health.layers) {
    if (l.deadFraction === undefined || !(l.deadFraction > t.deadReluFraction)) continue;
    const what = l.perChannel ? 'channels' : 'units';
    const count = l.units === undefined ? '' : ` (${Math.round(l.deadFraction * l.units)} of ${l.units})`;
    warn(
      'deadRelu',
      l.layer,
      l.deadFraction,
      `${l.layer}: ${(100 * l.deadFraction).toFixed(0)}% of its ReLU ${what}${count} never fired on the sampled ` +
        `batches of epoch ${epoch + 1} (dead ReLUs: they get no gradient and do not recover)`,
    );
  }

  const weighted = health.layers.filter((l) => l.gradNorm !== undefined && Number.isFinite(l.gradNorm));
  const output = weighted.at(-1);
  if (output && weighted.length >= 2 && output.gradNorm! > 0) {
    const ratios = weighted
      .slice(0, -1)
      .map((l) => ({ layer: l.layer, ratio: l.gradNorm! / output.gradNorm! }));
    const smallest = ratios.reduce((a, b) => (b.ratio < a.ratio ? b : a));
    const largest = ratios.reduce((a, b) => (b.ratio > a.ratio ? b : a));
    if (smallest.ratio < t.vanishingRatio) {
      warn(
        'vanishing',
        smallest.layer,
        smallest.ratio,
        `${smallest.layer}: vanishing gradients: ‖∂C/∂W‖ is ${sci(smallest.ratio)} × that of the output layer ` +
          `${output.layer} in epoch ${epoch + 1}, so it barely learns`,
      );
    }
    if (largest.ratio > t.explodingRatio) {
      warn(
        'exploding',
        largest.layer,
        largest.ratio,
        `${largest.layer}: exploding gradients: ‖∂C/∂W‖ is ${sci(largest.ratio)} × that of the output layer ` +
          `${output.layer} in epoch ${epoch + 1}`,
      );
    }
  }
  const flagged = new Set(out.filter((d) => d.kind === 'exploding').map((d) => d.layer));
  const biggest = weighted.reduce<LayerHealth | null>(
    (a, b) => (a === null || b.gradNorm! > a.gradNorm! ? b : a),
    null,
  );
  if (biggest && biggest.gradNorm! > t.explodingNorm && !flagged.has(biggest.layer)) {
    warn(
      'exploding',
      biggest.layer,
      biggest.gradNorm!,
      `${biggest.layer}: exploding gradients: ‖∂C/∂W‖ = ${sci(biggest.gradNorm!)} in epoch ${epoch + 1} ` +
        `(above ${sci(t.explodingNorm)})`,
    );
  }
  return out;
}

/** The warning for a loss that became `loss` (NaN or ±∞), naming the first layer whose output did (null: none did). */
export function nonFiniteDiagnostic(
  layer: string | null,
  epoch: number,
  step: number,
  loss: number,
): Diagnostic {
  const message =
    layer === null
      ? `the loss became ${loss} at step ${step} (epoch ${epoch + 1}) while every layer's output was finite: ` +
        'the loss itself overflowed (a log of 0, targets out of range?)'
      : `${layer}: the first layer whose output held NaN or ±∞, at step ${step} (epoch ${epoch + 1}); ` +
        `the loss became ${loss}`;
  return {
    kind: 'nonFinite',
    layer: layer ?? 'loss',
    epoch,
    step,
    value: loss,
    message,
    advice: ADVICE.nonFinite,
  };
}

/** The layers a forward pass runs through, in order: sequentials are opened, other layers are leaves. */
function leaves(layer: Layer): Layer[] {
  return layer instanceof Sequential ? layer.layers.flatMap(leaves) : [layer];
}

function isRelu(layer: Layer): boolean {
  if (layer instanceof Activation) return layer.kind === 'relu';
  return layer instanceof WithActivation && layer.config().activation === 'relu';
}

interface ReluLayer {
  index: number;
  /** 1 for each unit (channel) that was positive for some sampled sample, summed over steps by `maximum`. */
  active: Tensor | null;
  perChannel: boolean;
}

interface PendingProbe {
  epoch: number;
  step: number;
  /** [layers]: 0 where the layer's output was finite, NaN where it was not. */
  probe: Tensor | null;
}

/**
 * Collects the statistics of `analyzeEpoch` inside fit's training step. For each step:
 * `beginStep` (outside tidy), then `forward` in place of `net.call`, then `afterBackward`
 * once the gradients are there; `endEpoch` at the end of each epoch; `lossIsFinite` or
 * `findNonFinite` when fit reads the loss; `dispose` when training ends.
 */
export class TrainingDiagnostics {
  private readonly layers: Layer[];
  private readonly relus: ReluLayer[];
  private readonly weighted: Array<{ index: number; layer: Dense | Conv2d }>;
  private sampling = false;
  private current: PendingProbe | null = null;
  private pending: PendingProbe[] = [];
  private gradSum: Tensor | null = null;
  private sampledSteps = 0;
  /** (kind, layer) pairs already warned about: each is reported once per run. */
  private readonly reported = new Set<string>();

  constructor(
    readonly net: Layer,
    readonly thresholds: DiagnoseThresholds = { ...defaultDiagnoseOptions },
  ) {
    this.layers = leaves(net);
    this.relus = this.layers.flatMap((l, index) =>
      isRelu(l) ? [{ index, active: null, perChannel: false }] : [],
    );
    this.weighted = this.layers.flatMap((layer, index) =>
      layer instanceof Dense || layer instanceof Conv2d ? [{ index, layer }] : [],
    );
  }

  /** Announces step `step` (1-based); `lastOfEpoch` makes it a sampled step whatever `every` says. */
  beginStep(epoch: number, step: number, lastOfEpoch: boolean): void {
    this.sampling = lastOfEpoch || step % this.thresholds.every === 0;
    this.current = { epoch, step, probe: null };
    this.pending.push(this.current);
  }

  /** The network's forward pass, layer by layer, recording each output's statistics. Call inside tidy. */
  forward(x: Tensor, options: ForwardOptions): Tensor {
    const outputs: Tensor[] = [];
    let y = x;
    for (const layer of this.layers) {
      y = layer.call(y, options);
      outputs.push(y);
    }
    noGrad(() => {
      // Σ 0·y is 0 for a finite y and NaN as soon as one element is NaN or ±∞.
      const probes = outputs.map((o) => reshape(cast(sum(mul(o, 0)), 'float32'), [1]));
      if (this.current) {
        this.current.probe?.dispose();
        this.current.probe = keep(concat(probes));
      }
      if (!this.sampling) return;
      for (const relu of this.relus) {
        const o = outputs[relu.index];
        if (o.rank < 2) continue;
        const axes = [0, ...Array.from({ length: o.rank - 2 }, (_, i) => i + 2)];
        const fired = cast(max(greater(o, 0), axes), 'float32');
        const previous = relu.active;
        relu.active = keep(previous ? maximum(previous, fired) : fired);
        previous?.dispose();
        relu.perChannel = o.rank > 2;
      }
    });
    return y;
  }

  /** Adds this step's ‖∂C/∂W‖ per layer to the epoch's sums, on a sampled step. Call inside tidy. */
  afterBackward(): void {
    if (!this.sampling || this.weighted.length === 0) return;
    noGrad(() => {
      const norms = this.weighted.map(({ layer }) =>
        reshape(cast(layer.weight.grad ? globalNorm([layer.weight.grad]) : scalar(0), 'float32'), [1]),
      );
      const previous = this.gradSum;
      this.gradSum = keep(previous ? add(previous, concat(norms)) : concat(norms));
      previous?.dispose();
    });
    this.sampledSteps++;
  }

  /** The loss read back was finite: the probes of the steps up to it are not needed. */
  lossIsFinite(): void {
    this.dropProbes();
  }

  /**
   * The loss read back was `loss` (not finite): the first layer, in forward order, of the
   * first step since the last reading, whose output was not finite.
   */
  async findNonFinite(loss: number): Promise<Diagnostic> {
    try {
      for (const p of this.pending) {
        if (!p.probe) continue;
        const values = await p.probe.data();
        const bad = Array.prototype.findIndex.call(values, (v: number) => !Number.isFinite(v));
        if (bad >= 0) return nonFiniteDiagnostic(this.layers[bad].label, p.epoch, p.step, loss);
      }
      const last = this.pending.at(-1) ?? { epoch: 0, step: 0 };
      return nonFiniteDiagnostic(null, last.epoch, last.step, loss);
    } finally {
      this.dropProbes();
    }
  }

  /**
   * The epoch's statistics (`deadRelu/<layer>`, the fraction of dead units, and
   * `gradNorm/<layer>`, the mean ‖∂C/∂W‖, for the history) and the warnings not given before.
   */
  async endEpoch(
    epoch: number,
    step: number,
  ): Promise<{ logs: Record<string, number>; diagnostics: Diagnostic[] }> {
    const health = new Map<number, LayerHealth>();
    const entry = (index: number) => {
      let h = health.get(index);
      if (!h) health.set(index, (h = { layer: this.layers[index].label }));
      return h;
    };
    const logs: Record<string, number> = {};
    for (const relu of this.relus) {
      if (!relu.active) continue;
      const fired = await relu.active.data();
      let dead = 0;
      for (const v of fired) if (v === 0) dead++;
      const h = entry(relu.index);
      Object.assign(h, {
        deadFraction: dead / fired.length,
        units: fired.length,
        perChannel: relu.perChannel,
      });
      logs[`deadRelu/${h.layer}`] = h.deadFraction!;
      relu.active.dispose();
      relu.active = null;
    }
    if (this.gradSum && this.sampledSteps > 0) {
      const sums = await this.gradSum.data();
      this.weighted.forEach(({ index }, i) => {
        const h = entry(index);
        h.gradNorm = sums[i] / this.sampledSteps;
        logs[`gradNorm/${h.layer}`] = h.gradNorm;
      });
    }
    this.gradSum?.dispose();
    this.gradSum = null;
    this.sampledSteps = 0;
    const layers = [...health.keys()].sort((a, b) => a - b).map((i) => health.get(i)!);
    const found = analyzeEpoch({ epoch, step, layers }, this.thresholds);
    return { logs, diagnostics: found.filter((d) => this.once(d) !== null) };
  }

  /** Frees every tensor the collector holds. */
  dispose(): void {
    this.dropProbes();
    for (const relu of this.relus) {
      relu.active?.dispose();
      relu.active = null;
    }
    this.gradSum?.dispose();
    this.gradSum = null;
  }

  private dropProbes(): void {
    for (const p of this.pending) p.probe?.dispose();
    this.pending = [];
    this.current = null;
  }

  /** `d` the first time its (kind, layer) is seen, else null. */
  private once(d: Diagnostic): Diagnostic | null {
    const key = `${d.kind}:${d.layer}`;
    if (this.reported.has(key)) return null;
    this.reported.add(key);
    return d;
  }
}

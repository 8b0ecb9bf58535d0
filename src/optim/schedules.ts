/**
 * Learning-rate schedules: plain functions of the step count t = 0, 1, 2, … (the number of
 * updates applied so far; scaleByLearningRate counts them in its state).
 *
 *   constant          η(t) = η₀
 *   inverseTimeDecay  η(t) = η₀ / (1 + k t)                          (1/t decay)
 *   inverseSqrtDecay  η(t) = η₀ / √(t + 1)
 *   powerDecay        η(t) = η₀ (1 + k t)^(−p)                       (both of the above)
 *   stepDecay         η(t) = η₀ γ^⌊t / s⌋                            (torch StepLR)
 *   multiStepDecay    η(t) = η₀ γ^(number of milestones ≤ t)         (torch MultiStepLR)
 *   exponentialDecay  η(t) = η₀ γ^t                                  (torch ExponentialLR)
 *   cosineDecay       linear warm-up over W steps from f·η₀ to η₀, then
 *                     η(t) = η_min + (η₀ − η_min)(1 + cos(π (t − W)/(T − W)))/2  for W ≤ t ≤ T,
 *                     η_min after T                                  (torch LinearLR then
 *                                                                     CosineAnnealingLR, T_max = T − W)
 *   ReduceLROnPlateau η ← max(η·factor, η_min) when the validation loss has not improved
 *                     for `patience` epochs                          (torch ReduceLROnPlateau)
 *
 * Robbins–Monro: stochastic gradient descent converges (under the usual conditions) when
 * Σₖ ηₖ = ∞ (the steps can reach any distance) and Σₖ ηₖ² < ∞ (the noise they inject is
 * finite). `robbinsMonro(schedule)` says which of these a schedule meets: analytically for
 * the schedules made here, numerically for any other function.
 *
 * The unit of t. Each schedule says what it counts, `per: 'step'` (optimiser updates, the
 * default, as optax) or `per: 'epoch'` (passes over the data, as torch's schedulers stepped once
 * an epoch), given with the steps in an epoch: `stepDecay(0.1, 10, 0.5, { per: 'epoch',
 * stepsPerEpoch: 50 })` halves the rate every 10 epochs, whatever the batch size; in between it
 * holds, t_epoch = ⌊t / stepsPerEpoch⌋. `describeSchedule(s).per` tells which. On the command
 * line `--schedule` counts epochs (`--schedule-per step` for steps).
 *
 * PyTorch differences: torch's CosineAnnealingLR keeps going past T_max as a periodic cosine
 * (back up towards η₀); ours stays at η_min after T, as optax's.
 */
import { ConfigError } from '../errors.js';
import type { Schedule } from './transform.js';
import {
  checkInRange,
  checkNonNegativeNumber,
  checkOptionKeys,
  checkPositiveInteger,
  checkPositiveNumber,
} from './util.js';

/** What a schedule counts: optimiser steps, or epochs of `stepsPerEpoch` steps each. */
export interface ScheduleUnit {
  /** 'step' (default) or 'epoch'. */
  per?: 'step' | 'epoch';
  /** Optimiser steps in one epoch; required with per: 'epoch'. */
  stepsPerEpoch?: number;
}

/** What a schedule made here is, for robbinsMonro and for display; counts are in `per` units. */
export type ScheduleInfo = ScheduleKind & { per: 'step' | 'epoch'; stepsPerEpoch?: number };

type ScheduleKind =
  | { kind: 'constant'; lr: number }
  | { kind: 'power'; lr: number; k: number; power: number }
  | { kind: 'step'; lr: number; stepSize: number; gamma: number }
  | { kind: 'multiStep'; lr: number; milestones: number[]; gamma: number }
  | { kind: 'exponential'; lr: number; gamma: number }
  | {
      kind: 'cosine';
      lr: number;
      totalSteps: number;
      warmupSteps: number;
      warmupStartFactor: number;
      minLr: number;
    }
  | { kind: 'plateau'; lr: number; minLr: number };

const infos = new WeakMap<Schedule, ScheduleInfo>();

/** Registers what `fn` is and, for a schedule per epoch, makes it read the epoch from the step. */
function tagged(where: string, kind: ScheduleKind, fn: Schedule, unit: ScheduleUnit = {}): Schedule {
  const per = unit.per ?? 'step';
  if (per !== 'step' && per !== 'epoch')
    throw new ConfigError(`${where}: per must be 'step' or 'epoch', got '${String(per)}'.`);
  if (per === 'step') {
    if (unit.stepsPerEpoch !== undefined)
      throw new ConfigError(`${where}: stepsPerEpoch applies to per: 'epoch' only.`);
    infos.set(fn, { ...kind, per });
    return fn;
  }
  const k = unit.stepsPerEpoch;
  if (!(typeof k === 'number' && Number.isInteger(k) && k > 0)) {
    throw new ConfigError(
      `${where}: per: 'epoch' needs stepsPerEpoch, the optimiser steps in one epoch (a positive integer), got ${String(k)}.`,
    );
  }
  const byEpoch: Schedule = (t) => {
    checkStep(where, t);
    return fn(Math.floor(t / k));
  };
  infos.set(byEpoch, { ...kind, per, stepsPerEpoch: k });
  return byEpoch;
}

/** The description of a schedule made by this module (undefined for any other function). */
export function describeSchedule(schedule: Schedule): ScheduleInfo | undefined {
  return infos.get(schedule);
}

function checkStep(where: string, t: number): void {
  if (!(Number.isInteger(t) && t >= 0))
    throw new ConfigError(`${where}: the step count must be a non-negative integer, got ${String(t)}.`);
}

/** η(t) = η₀. */
export function constant(lr: number): Schedule {
  checkPositiveNumber('constant', 'learning rate', lr);
  return tagged('constant', { kind: 'constant', lr }, () => lr);
}

/** η(t) = η₀ (1 + k t)^(−p). */
export function powerDecay(lr: number, k: number, power: number, unit: ScheduleUnit = {}): Schedule {
  const where = 'powerDecay';
  checkPositiveNumber(where, 'learning rate', lr);
  checkNonNegativeNumber(where, 'k', k);
  checkNonNegativeNumber(where, 'power', power);
  return tagged(
    where,
    { kind: 'power', lr, k, power },
    (t) => {
      checkStep(where, t);
      return power === 1
        ? lr / (1 + k * t)
        : power === 0.5
          ? lr / Math.sqrt(1 + k * t)
          : lr * (1 + k * t) ** -power;
    },
    unit,
  );
}

/** η(t) = η₀ / (1 + k t): the 1/t decay that meets Robbins–Monro. */
export function inverseTimeDecay(lr: number, k: number, unit: ScheduleUnit = {}): Schedule {
  checkPositiveNumber('inverseTimeDecay', 'learning rate', lr);
  checkNonNegativeNumber('inverseTimeDecay', 'k', k);
  return powerDecay(lr, k, 1, unit);
}

/** η(t) = η₀ / √(t + 1). */
export function inverseSqrtDecay(lr: number, unit: ScheduleUnit = {}): Schedule {
  checkPositiveNumber('inverseSqrtDecay', 'learning rate', lr);
  return powerDecay(lr, 1, 0.5, unit);
}

/** η(t) = η₀ γ^⌊t/s⌋ (torch StepLR(step_size = s, gamma = γ)). */
export function stepDecay(lr: number, stepSize: number, gamma = 0.1, unit: ScheduleUnit = {}): Schedule {
  const where = 'stepDecay';
  checkPositiveNumber(where, 'learning rate', lr);
  checkPositiveInteger(where, 'step size', stepSize);
  checkInRange(where, 'gamma', gamma, 0, 1, { lo: 'open', hi: 'closed' });
  return tagged(
    where,
    { kind: 'step', lr, stepSize, gamma },
    (t) => {
      checkStep(where, t);
      return lr * gamma ** Math.floor(t / stepSize);
    },
    unit,
  );
}

/** η(t) = η₀ γ^(milestones passed) (torch MultiStepLR). */
export function multiStepDecay(
  lr: number,
  milestones: readonly number[],
  gamma = 0.1,
  unit: ScheduleUnit = {},
): Schedule {
  const where = 'multiStepDecay';
  checkPositiveNumber(where, 'learning rate', lr);
  if (!Array.isArray(milestones) || milestones.some((m) => !(Number.isInteger(m) && m > 0))) {
    throw new ConfigError(
      `${where}: milestones must be positive integers, got ${JSON.stringify(milestones)}.`,
    );
  }
  const sorted = [...milestones].sort((a, b) => a - b);
  checkInRange(where, 'gamma', gamma, 0, 1, { lo: 'open', hi: 'closed' });
  return tagged(
    where,
    { kind: 'multiStep', lr, milestones: sorted, gamma },
    (t) => {
      checkStep(where, t);
      let passed = 0;
      for (const m of sorted) if (t >= m) passed++;
      return lr * gamma ** passed;
    },
    unit,
  );
}

/** η(t) = η₀ γ^t (torch ExponentialLR). */
export function exponentialDecay(lr: number, gamma: number, unit: ScheduleUnit = {}): Schedule {
  const where = 'exponentialDecay';
  checkPositiveNumber(where, 'learning rate', lr);
  checkInRange(where, 'gamma', gamma, 0, 1, { lo: 'open', hi: 'closed' });
  return tagged(
    where,
    { kind: 'exponential', lr, gamma },
    (t) => {
      checkStep(where, t);
      return lr * gamma ** t;
    },
    unit,
  );
}

export interface CosineOptions extends ScheduleUnit {
  /** η_min reached at T (default 0). */
  minLr?: number;
  /** W, steps of linear warm-up at the start (default 0). */
  warmupSteps?: number;
  /** The warm-up starts at f·η₀ (default 1/3, torch LinearLR's start_factor). */
  warmupStartFactor?: number;
}

/**
 * Cosine annealing from η₀ to η_min over `totalSteps` T, after an optional linear warm-up
 * of W steps (counted within T): η(t) = η₀(f + (1 − f) t/W) for t < W.
 */
export function cosineDecay(lr: number, totalSteps: number, options: CosineOptions = {}): Schedule {
  const where = 'cosineDecay';
  checkOptionKeys(where, options, ['minLr', 'warmupSteps', 'warmupStartFactor', 'per', 'stepsPerEpoch']);
  checkPositiveNumber(where, 'learning rate', lr);
  checkPositiveInteger(where, 'total steps', totalSteps);
  const minLr = checkNonNegativeNumber(where, 'minLr', options.minLr ?? 0);
  if (minLr > lr)
    throw new ConfigError(`${where}: minLr (${minLr}) must not exceed the learning rate (${lr}).`);
  const warmupSteps = options.warmupSteps ?? 0;
  if (!(Number.isInteger(warmupSteps) && warmupSteps >= 0 && warmupSteps < totalSteps)) {
    throw new ConfigError(
      `${where}: warmupSteps must be an integer in [0, ${totalSteps}) (less than the total steps), got ${String(warmupSteps)}.`,
    );
  }
  const f = checkInRange(where, 'warmupStartFactor', options.warmupStartFactor ?? 1 / 3, 0, 1, {
    lo: 'open',
    hi: 'closed',
  });
  const span = totalSteps - warmupSteps;
  return tagged(
    where,
    { kind: 'cosine', lr, totalSteps, warmupSteps, warmupStartFactor: f, minLr },
    (t) => {
      checkStep(where, t);
      if (t < warmupSteps) return lr * (f + ((1 - f) * t) / warmupSteps);
      if (t >= totalSteps) return minLr;
      return minLr + ((lr - minLr) * (1 + Math.cos((Math.PI * (t - warmupSteps)) / span))) / 2;
    },
    { per: options.per, stepsPerEpoch: options.stepsPerEpoch },
  );
}

// ---- reduce on plateau -------------------------------------------------------------------

export interface PlateauOptions {
  /** Multiply η by this when the metric stalls (default 0.1: divide by 10). */
  factor?: number;
  /** Epochs without improvement tolerated before reducing (default 10). */
  patience?: number;
  /** 'min' for a loss (default), 'max' for an accuracy. */
  mode?: 'min' | 'max';
  /** What counts as an improvement (default 1e-4)… */
  threshold?: number;
  /** …relative to the best ('rel', default) or absolute ('abs'). */
  thresholdMode?: 'rel' | 'abs';
  /** Epochs to wait after a reduction before counting again (default 0). */
  cooldown?: number;
  /** η never goes below this (default 0). */
  minLr?: number;
  /** Reductions smaller than this are skipped (default 1e-8). */
  eps?: number;
}

/**
 * torch.optim.lr_scheduler.ReduceLROnPlateau as a small stateful object: feed it the
 * validation loss once per epoch with `step(loss)`; `schedule` is a Schedule that reads
 * the current rate, to hand to any optimiser: adam({ lr: plateau.schedule }).
 */
export class ReduceLROnPlateau {
  lr: number;
  best: number;
  badEpochs = 0;
  cooldownLeft = 0;
  /** step() calls so far. */
  epochs = 0;
  readonly schedule: Schedule;
  private readonly factor: number;
  private readonly patience: number;
  private readonly mode: 'min' | 'max';
  private readonly threshold: number;
  private readonly thresholdMode: 'rel' | 'abs';
  private readonly cooldown: number;
  private readonly minLr: number;
  private readonly eps: number;

  constructor(lr: number, options: PlateauOptions = {}) {
    const where = 'ReduceLROnPlateau';
    checkOptionKeys(where, options, [
      'factor',
      'patience',
      'mode',
      'threshold',
      'thresholdMode',
      'cooldown',
      'minLr',
      'eps',
    ]);
    this.lr = checkPositiveNumber(where, 'learning rate', lr);
    this.factor = checkInRange(where, 'factor', options.factor ?? 0.1, 0, 1, { lo: 'open' });
    this.patience = options.patience ?? 10;
    if (!(Number.isInteger(this.patience) && this.patience >= 0)) {
      throw new ConfigError(
        `${where}: patience must be a non-negative integer, got ${String(this.patience)}.`,
      );
    }
    this.mode = options.mode ?? 'min';
    if (this.mode !== 'min' && this.mode !== 'max')
      throw new ConfigError(`${where}: mode must be 'min' or 'max', got ${String(this.mode)}.`);
    this.threshold = checkNonNegativeNumber(where, 'threshold', options.threshold ?? 1e-4);
    this.thresholdMode = options.thresholdMode ?? 'rel';
    if (this.thresholdMode !== 'rel' && this.thresholdMode !== 'abs') {
      throw new ConfigError(
        `${where}: thresholdMode must be 'rel' or 'abs', got ${String(this.thresholdMode)}.`,
      );
    }
    this.cooldown = options.cooldown ?? 0;
    if (!(Number.isInteger(this.cooldown) && this.cooldown >= 0)) {
      throw new ConfigError(
        `${where}: cooldown must be a non-negative integer, got ${String(this.cooldown)}.`,
      );
    }
    this.minLr = checkNonNegativeNumber(where, 'minLr', options.minLr ?? 0);
    this.eps = checkNonNegativeNumber(where, 'eps', options.eps ?? 1e-8);
    this.best = this.mode === 'min' ? Infinity : -Infinity;
    this.schedule = tagged('reduceOnPlateau', { kind: 'plateau', lr, minLr: this.minLr }, () => this.lr);
  }

  private isBetter(value: number): boolean {
    const { best, threshold } = this;
    if (this.mode === 'min')
      return this.thresholdMode === 'rel' ? value < best * (1 - threshold) : value < best - threshold;
    return this.thresholdMode === 'rel' ? value > best * (1 + threshold) : value > best + threshold;
  }

  /** Records one epoch's metric; returns the learning rate for the next epoch. */
  step(metric: number): number {
    if (typeof metric !== 'number' || Number.isNaN(metric)) {
      throw new ConfigError(`ReduceLROnPlateau.step: the metric must be a number, got ${String(metric)}.`);
    }
    this.epochs++;
    if (this.isBetter(metric)) {
      this.best = metric;
      this.badEpochs = 0;
    } else {
      this.badEpochs++;
    }
    if (this.cooldownLeft > 0) {
      this.cooldownLeft--;
      this.badEpochs = 0;
    }
    if (this.badEpochs > this.patience) {
      const reduced = Math.max(this.lr * this.factor, this.minLr);
      if (this.lr - reduced > this.eps) this.lr = reduced;
      this.cooldownLeft = this.cooldown;
      this.badEpochs = 0;
    }
    return this.lr;
  }
}

export function reduceOnPlateau(lr: number, options: PlateauOptions = {}): ReduceLROnPlateau {
  return new ReduceLROnPlateau(lr, options);
}

// ---- Robbins–Monro -----------------------------------------------------------------------

export interface RobbinsMonroVerdict {
  /** Σ ηₖ = ∞ (null: cannot be known in advance). */
  sumDiverges: boolean | null;
  /** Σ ηₖ² < ∞ (null: cannot be known in advance). */
  sumOfSquaresConverges: boolean | null;
  /** Both hold. */
  satisfied: boolean | null;
  /** 'analytic' for the schedules made here, 'numeric' for other functions. */
  method: 'analytic' | 'numeric';
  /** For numeric verdicts: false when the tail sits too close to a boundary (p ≈ 1 or ½) to tell. */
  certain: boolean;
  /** One sentence saying why. */
  reason: string;
}

function verdict(
  sumDiverges: boolean | null,
  squaresConverge: boolean | null,
  method: 'analytic' | 'numeric',
  certain: boolean,
  reason: string,
): RobbinsMonroVerdict {
  const satisfied = sumDiverges === null || squaresConverge === null ? null : sumDiverges && squaresConverge;
  return { sumDiverges, sumOfSquaresConverges: squaresConverge, satisfied, method, certain, reason };
}

function analytic(info: ScheduleKind): RobbinsMonroVerdict {
  const a = (d: boolean, c: boolean, reason: string) => verdict(d, c, 'analytic', true, reason);
  switch (info.kind) {
    case 'constant':
      return a(true, false, 'a constant rate: Σηₖ = ∞ but Σηₖ² = ∞ too (the noise never dies down).');
    case 'power': {
      const { k, power: p } = info;
      if (k === 0 || p === 0) return a(true, false, 'a constant rate: Σηₖ = ∞ but Σηₖ² = ∞.');
      return a(
        p <= 1,
        p > 0.5,
        `ηₖ ~ k^(−${p}): Σηₖ ${p <= 1 ? '= ∞ (p ≤ 1)' : '< ∞ (p > 1)'} and Σηₖ² ${p > 0.5 ? '< ∞ (2p > 1)' : '= ∞ (2p ≤ 1)'}.`,
      );
    }
    case 'step':
    case 'exponential':
      if (info.gamma === 1) return a(true, false, 'γ = 1 leaves the rate constant: Σηₖ² = ∞.');
      return a(
        false,
        true,
        `a geometric decay (γ = ${info.gamma} < 1): Σηₖ < ∞, so the steps cannot travel arbitrarily far.`,
      );
    case 'multiStep':
      return a(true, false, 'the rate is constant after the last milestone: Σηₖ = ∞ and Σηₖ² = ∞.');
    case 'cosine':
      if (info.minLr > 0)
        return a(true, false, `the rate stays at η_min = ${info.minLr} after T: Σηₖ = ∞ and Σηₖ² = ∞.`);
      return a(false, true, 'the rate is 0 after T steps: both sums are finite.');
    case 'plateau':
      if (info.minLr > 0)
        return a(true, false, `the rate never falls below minLr = ${info.minLr}: Σηₖ = ∞ and Σηₖ² = ∞.`);
      return verdict(
        null,
        null,
        'analytic',
        false,
        'the reductions depend on the validation losses, so the sums cannot be known in advance.',
      );
  }
}

/** Octaves sampled by the numeric check: t up to 2^OCTAVES. */
const OCTAVES = 40;
const SAMPLES_PER_OCTAVE = 64;

/**
 * The numeric check for a schedule given as an arbitrary function. For each octave
 * [2ʲ, 2ʲ⁺¹) it estimates Sⱼ = Σ ηₖ and Qⱼ = Σ ηₖ² from evenly spaced samples; for
 * ηₖ ~ k^(−p), Sⱼ grows by 2^(1−p) per octave and Qⱼ by 2^(1−2p), so Σηₖ = ∞ exactly when
 * the Sⱼ stop shrinking (p ≤ 1) and Σηₖ² < ∞ when the Qⱼ shrink geometrically (p > ½).
 * The growth rates are fitted over the last ten octaves (t ≈ 10⁹ … 10¹²).
 */
function numeric(schedule: Schedule): RobbinsMonroVerdict {
  const octaveSums: number[] = [];
  const octaveSquares: number[] = [];
  for (let j = 0; j <= OCTAVES; j++) {
    const start = 2 ** j;
    const width = start;
    const samples = Math.min(SAMPLES_PER_OCTAVE, width);
    let s = 0;
    let q = 0;
    for (let i = 0; i < samples; i++) {
      const t = start + Math.floor(((i + 0.5) * width) / samples);
      const eta = schedule(t);
      if (typeof eta !== 'number' || Number.isNaN(eta) || eta < 0) {
        throw new ConfigError(
          `robbinsMonro: the schedule gave ${String(eta)} at step ${t}; learning rates must be non-negative numbers.`,
        );
      }
      s += eta;
      q += eta * eta;
    }
    octaveSums.push((s * width) / samples);
    octaveSquares.push((q * width) / samples);
  }
  const last = OCTAVES;
  const first = OCTAVES - 10;
  const rate = (values: number[]): number => {
    if (values[last] === 0) return -Infinity;
    if (values[first] === 0) return Infinity;
    return Math.log2(values[last] / values[first]) / (last - first);
  };
  const r1 = rate(octaveSums); // ≈ 1 − p
  const r2 = rate(octaveSquares); // ≈ 1 − 2p
  // A log factor shifts the fitted exponent by about 1/ln k ≈ 0.04 at k ≈ 2³⁵: within this margin of a
  // boundary the verdict is reported but flagged uncertain.
  const margin = 0.05;
  const certain = Math.abs(r1) > margin && Math.abs(r2) > margin;
  const p = 1 - r1;
  const described = Number.isFinite(p)
    ? `the tail decays like k^(−${p.toFixed(3)})`
    : r1 === -Infinity
      ? 'the rate reaches 0'
      : 'the rate grows';
  return verdict(
    r1 > -margin,
    r2 < -margin,
    'numeric',
    certain,
    `${described} (fitted over steps 2^${first}…2^${last + 1}): Σηₖ ${r1 > -margin ? '= ∞' : '< ∞'}, Σηₖ² ${r2 < -margin ? '< ∞' : '= ∞'}` +
      (certain
        ? '.'
        : ' — close to the boundary, where slowly varying factors (log k) decide; treat as uncertain.'),
  );
}

/**
 * Whether a schedule meets the Robbins–Monro conditions Σηₖ = ∞ and Σηₖ² < ∞:
 * analytically for the schedules made in this module, numerically for any other.
 */
export function robbinsMonro(schedule: Schedule | number): RobbinsMonroVerdict {
  if (typeof schedule === 'number') return analytic({ kind: 'constant', lr: schedule });
  if (typeof schedule !== 'function')
    throw new ConfigError(
      `robbinsMonro: expected a schedule (a function of the step) or a number, got ${typeof schedule}.`,
    );
  const info = infos.get(schedule);
  return info ? analytic(info) : numeric(schedule);
}

// ---- the CLI's --schedule ----------------------------------------------------------------

export const SCHEDULE_FORMS =
  'constant | step:<every>[:<gamma>] | multistep:<m1>,<m2>,…[:<gamma>] | exp:<gamma> | inv:<k> | sqrt | power:<k>:<p> | cosine:<total>[:<warmup>[:<minLr>]]';

/** The forms of SCHEDULE_FORMS as a type, so that a misspelled schedule does not compile. */
export type ScheduleSpec =
  | 'constant'
  | 'sqrt'
  | `step:${number}`
  | `step:${number}:${number}`
  | `multistep:${string}`
  | `exp:${number}`
  | `inv:${number}`
  | `power:${number}:${number}`
  | `cosine:${number}`
  | `cosine:${number}:${number}`
  | `cosine:${number}:${number}:${number}`;

/**
 * Reads a schedule written on the command line, with `baseLr` as η₀:
 * 'constant', 'step:10:0.5', 'multistep:30,60:0.1', 'exp:0.96', 'inv:0.01', 'sqrt',
 * 'power:0.1:0.75', 'cosine:1000', 'cosine:1000:100', 'cosine:1000:100:1e-5'. The counts
 * are in `unit.per` units: optimiser steps by default, epochs with
 * `{ per: 'epoch', stepsPerEpoch }` (the command line's default).
 */
export function parseSchedule(text: ScheduleSpec, baseLr: number, unit: ScheduleUnit = {}): Schedule {
  const where = `--schedule '${String(text)}'`;
  const fail = (why: string): never => {
    throw new ConfigError(`${where}: ${why}. Forms: ${SCHEDULE_FORMS}.`);
  };
  if (typeof text !== 'string' || text.trim() === '') fail('expected a schedule');
  if (!(typeof baseLr === 'number' && Number.isFinite(baseLr) && baseLr > 0))
    fail(`the learning rate must be a positive number, got ${String(baseLr)}`);
  const [kind, ...args] = text.trim().split(':');
  const number = (value: string | undefined, what: string): number => {
    if (value === undefined || value.trim() === '') return fail(`missing ${what}`);
    const n = Number(value);
    if (!Number.isFinite(n)) return fail(`${what} must be a number, got '${value}'`);
    return n;
  };
  const arity = (min: number, max: number) => {
    if (args.length < min || args.length > max) {
      fail(
        `'${kind}' takes ${min === max ? min : `${min} to ${max}`} argument${max === 1 ? '' : 's'}, got ${args.length}`,
      );
    }
  };
  // The schedule constructors validate the ranges; their messages are prefixed with the flag.
  const build = (make: () => Schedule): Schedule => {
    try {
      return make();
    } catch (error) {
      if (error instanceof ConfigError) fail(error.message.replace(/^[^:]*: /, ''));
      throw error;
    }
  };
  switch (kind.toLowerCase()) {
    case 'constant':
      arity(0, 0);
      return build(() => tagged('constant', { kind: 'constant', lr: baseLr }, () => baseLr, unit));
    case 'step': {
      arity(1, 2);
      const every = number(args[0], 'the step interval');
      const gamma = args[1] === undefined ? 0.1 : number(args[1], 'the decay factor gamma');
      return build(() => stepDecay(baseLr, every, gamma, unit));
    }
    case 'multistep': {
      arity(1, 2);
      const milestones = (args[0] ?? '').split(',').map((m) => number(m, 'a milestone'));
      const gamma = args[1] === undefined ? 0.1 : number(args[1], 'the decay factor gamma');
      return build(() => multiStepDecay(baseLr, milestones, gamma, unit));
    }
    case 'exp':
      arity(1, 1);
      return build(() => exponentialDecay(baseLr, number(args[0], 'the decay factor gamma'), unit));
    case 'inv':
      arity(1, 1);
      return build(() => inverseTimeDecay(baseLr, number(args[0], 'the decay rate k'), unit));
    case 'sqrt':
      arity(0, 0);
      return build(() => inverseSqrtDecay(baseLr, unit));
    case 'power':
      arity(2, 2);
      return build(() =>
        powerDecay(baseLr, number(args[0], 'the rate k'), number(args[1], 'the power p'), unit),
      );
    case 'cosine': {
      arity(1, 3);
      const total = number(args[0], `the total number of ${unit.per ?? 'step'}s`);
      const warmupSteps = args[1] === undefined ? 0 : number(args[1], `the warm-up ${unit.per ?? 'step'}s`);
      const minLr = args[2] === undefined ? 0 : number(args[2], 'the final learning rate');
      return build(() => cosineDecay(baseLr, total, { warmupSteps, minLr, ...unit }));
    }
    default:
      return fail(`unknown schedule '${kind}'`);
  }
}

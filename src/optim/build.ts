/**
 * Assembling an optimiser from the command line's flags:
 *
 *   --optimizer adam --lr 1e-3 --schedule cosine:5000:500 --clip-norm 1 --l2 1e-4
 *
 * becomes chain(l1Penalty, l2Penalty, clipByValue, clipByGlobalNorm, adam(lr = schedule)),
 * each block present only when its flag is. The penalties come first so that clipping sees
 * the gradient of the penalised cost (as when the penalty is part of the loss); weight decay
 * goes to the optimiser's own option where it has one (AdamW's is decoupled, the others add
 * λw to the gradient, PyTorch's weight_decay) and is otherwise chained in front.
 */
import { ConfigError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { clipByGlobalNorm, clipByValue } from './clipping.js';
import { asOptimizerName, defaultLearningRate, getOptimizer, optimizerOptions } from './registry.js';
import { addDecayedWeights, l1Penalty, l2Penalty } from './regularizers.js';
import { parseSchedule, type ScheduleSpec } from './schedules.js';
import { chain, erase, type GradientTransformation, type OptState, type ScheduleLike } from './transform.js';
import { isBias } from './util.js';

export interface BuildOptions {
  /** A registered optimiser name (sgd, adam, …). */
  name: string;
  /** The base learning rate η₀ (the optimiser's default when omitted). */
  lr?: number;
  /** --momentum: for sgd, momentum, nesterov and rmsprop. */
  momentum?: number;
  /** --schedule, in parseSchedule's syntax ('cosine:1000:100'), from lr or the optimiser's default rate. */
  schedule?: string;
  /** What the schedule's counts are (--schedule-per): 'step' (default here) or 'epoch'. */
  schedulePer?: 'step' | 'epoch';
  /** Optimiser steps in one epoch, for schedulePer 'epoch'. */
  stepsPerEpoch?: number;
  /** --clip-value θ: clamp every gradient component to [−θ, θ]. */
  clipValue?: number;
  /** --clip-norm c: rescale the gradients so their global norm is at most c. */
  clipNorm?: number;
  /** --l1 λ and --l2 λ: penalties on the weights, biases excluded. */
  l1?: number;
  l2?: number;
  /** --weight-decay λ: on every parameter, as PyTorch's weight_decay. */
  weightDecay?: number;
  /** --damping λ: Newton's H + λI (Levenberg–Marquardt). */
  damping?: number;
  /** L-BFGS's line search ('strongWolfe' or 'none', torch's default). */
  lineSearch?: 'none' | 'strongWolfe';
  /** Parameter names in order, to tell biases ('*.bias') when the tensors carry no names. */
  paramNames?: readonly string[];
}

const BUILD_KEYS = [
  'name',
  'lr',
  'momentum',
  'schedule',
  'schedulePer',
  'stepsPerEpoch',
  'clipValue',
  'clipNorm',
  'l1',
  'l2',
  'weightDecay',
  'damping',
  'lineSearch',
  'paramNames',
];

export function buildOptimizer(options: BuildOptions): GradientTransformation<OptState> {
  const where = 'buildOptimizer';
  for (const key of Object.keys(options)) {
    if (!BUILD_KEYS.includes(key))
      throw new ConfigError(`${where}: unknown option '${key}'. Valid options: ${BUILD_KEYS.join(', ')}.`);
  }
  const {
    name,
    lr,
    momentum,
    schedule,
    schedulePer,
    stepsPerEpoch,
    clipValue,
    clipNorm,
    l1,
    l2,
    weightDecay,
    damping,
    lineSearch,
    paramNames,
  } = options;
  const accepted = optimizerOptions(asOptimizerName(name));
  const optimizerLabel = `--optimizer ${name}`;
  let rate: ScheduleLike | undefined = lr;
  if (schedule !== undefined) {
    if (!accepted.includes('lr'))
      throw new ConfigError(`${where}: ${optimizerLabel} takes no learning-rate schedule.`);
    // A string from the command line: parseSchedule checks its form at run time.
    rate = parseSchedule(schedule as ScheduleSpec, lr ?? defaultLearningRate(asOptimizerName(name)), {
      per: schedulePer,
      stepsPerEpoch,
    });
  }
  if (momentum !== undefined && !accepted.includes('momentum')) {
    const takers = ['sgd', 'momentum', 'nesterov', 'rmsprop'].join(', ');
    throw new ConfigError(
      `${where}: --momentum applies to ${takers}; ${optimizerLabel} has no momentum option (Adam's is beta1).`,
    );
  }
  const ownDecay = weightDecay !== undefined && weightDecay !== 0 && accepted.includes('weightDecay');
  if (damping !== undefined && !accepted.includes('damping')) {
    throw new ConfigError(`${where}: --damping applies to newton; ${optimizerLabel} has no damping.`);
  }
  if (lineSearch !== undefined && !accepted.includes('lineSearch')) {
    throw new ConfigError(`${where}: a line search applies to lbfgs; ${optimizerLabel} has none.`);
  }
  const base = getOptimizer(asOptimizerName(name), {
    lr: rate,
    momentum,
    damping,
    lineSearch,
    ...(ownDecay ? { weightDecay } : {}),
  });

  // Biases by the given names when there are any, else by the tensors' own names and ranks.
  const weightsOnly = (p: Tensor, i: number) => !(paramNames?.[i]?.endsWith('.bias') === true || isBias(p));
  const blocks: GradientTransformation<OptState>[] = [];
  if (l1 !== undefined && l1 !== 0) blocks.push(erase(l1Penalty(l1, { mask: weightsOnly })));
  if (l2 !== undefined && l2 !== 0) blocks.push(erase(l2Penalty(l2, { mask: weightsOnly })));
  if (weightDecay !== undefined && weightDecay !== 0 && !ownDecay)
    blocks.push(erase(addDecayedWeights(weightDecay)));
  if (clipValue !== undefined) blocks.push(erase(clipByValue(clipValue)));
  if (clipNorm !== undefined) blocks.push(erase(clipByGlobalNorm(clipNorm)));
  if (blocks.length === 0) return base;
  return erase(chain(...blocks, base));
}

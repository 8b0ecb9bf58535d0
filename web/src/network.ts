/**
 * The trainer's network and optimiser, built from the state with the library's own parts:
 * per hidden layer a dense layer (units, activation, initialiser), then batch norm and
 * dropout when asked; the optimiser is the named one with the sliders' hyper-parameters,
 * behind L1/L2 penalties (weights only) and global-norm clipping.
 */
import { nn, optim } from 'descent';

/** A schedule typed in the page: parseSchedule checks its form at run time. */
type ScheduleText = Parameters<typeof optim.parseSchedule>[0];
import type { TrainerState } from './state.js';

export interface Network {
  net: nn.Sequential;
  /** The dense layers in order (hidden ones, then the output). */
  dense: nn.Dense[];
  /** For each dense layer, the index in net.layers whose output is that layer's neurons. */
  taps: number[];
}

export function buildNetwork(state: TrainerState, inputs: number, outputs: number): Network {
  const layers: nn.Layer[] = [];
  const dense: nn.Dense[] = [];
  const taps: number[] = [];
  let width = inputs;
  for (const [i, spec] of state.layers.entries()) {
    const layer = nn.dense({
      units: spec.units,
      inFeatures: width,
      activation: spec.activation as nn.DenseOptions['activation'],
      kernelInitializer: spec.init as nn.InitializerName,
      name: `hidden${i + 1}`,
    });
    layers.push(layer);
    dense.push(layer);
    if (state.batchNorm) layers.push(nn.batchNorm1d(spec.units));
    taps.push(layers.length - 1);
    if (state.dropout > 0) layers.push(nn.dropout(state.dropout));
    width = spec.units;
  }
  const output = nn.dense({ units: outputs, inFeatures: width, name: 'output' });
  layers.push(output);
  dense.push(output);
  taps.push(layers.length - 1);
  return { net: nn.sequential(layers), dense, taps };
}

/** Which of the sliders' hyper-parameters each optimiser takes. */
function hyperParameters(state: TrainerState, accepted: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (accepted.includes('momentum') && (state.optimizer === 'momentum' || state.optimizer === 'nesterov'))
    out.momentum = state.momentum;
  if (accepted.includes('beta1')) out.beta1 = state.beta1;
  if (accepted.includes('beta2')) out.beta2 = state.beta2;
  if (accepted.includes('eps')) out.eps = state.eps;
  if (state.optimizer === 'lbfgs') Object.assign(out, { maxIter: 1, lineSearch: 'strongWolfe' });
  return out;
}

export interface BuiltOptimizer {
  transform: optim.GradientTransformation<optim.OptState>;
  /** η at a step (before any lrScale). */
  schedule: (step: number) => number;
}

export function buildTrainerOptimizer(state: TrainerState): BuiltOptimizer {
  const schedule = optim.parseSchedule((state.schedule || 'constant') as ScheduleText, state.lr);
  const accepted = optim.optimizerOptions(optim.asOptimizerName(state.optimizer));
  const base = optim.getOptimizer(optim.asOptimizerName(state.optimizer), {
    lr: schedule,
    ...hyperParameters(state, accepted),
  });
  const blocks: optim.GradientTransformation<optim.OptState>[] = [];
  if (state.l1 > 0) blocks.push(optim.erase(optim.l1Penalty(state.l1, { mask: 'no-bias' })));
  if (state.l2 > 0) blocks.push(optim.erase(optim.l2Penalty(state.l2, { mask: 'no-bias' })));
  if (state.clipNorm > 0) blocks.push(optim.erase(optim.clipByGlobalNorm(state.clipNorm)));
  const transform = blocks.length === 0 ? base : optim.erase(optim.chain(...blocks, base));
  return { transform, schedule };
}

/**
 * Gradient health: the per-layer gradient norms ‖∂C/∂Wˡ‖ of a deep net, step by step —
 * the vanishing and exploding gradients of the lectures.
 *
 * Backpropagation multiplies one factor per layer: for a chain of sigmoid units,
 *
 *   ∂C/∂b¹ = σ′(z¹) w² σ′(z²) w³ ⋯ σ′(z^L) ∂C/∂a^L,       σ′ ≤ ¼,
 *
 * so with weights of order one the first layers' gradients are smaller than the last's by
 * about 4^(L−1): they barely learn. ReLU's derivative is 0 or 1, and with He initialisation
 * the product neither shrinks nor grows. Too large weights make every factor exceed one:
 * the gradient explodes towards the input, one step throws the weights far away and the loss
 * becomes NaN. Clipping the global gradient norm (g ← g · min(1, c/‖g‖)) bounds every step,
 * and batch normalisation keeps each layer's input at unit scale whatever the weights.
 *
 * The result is a matrix layer × step per configuration, ready for a heatmap.
 */
import type { Dataset } from '../data/dataset.js';
import { digits } from '../data/sets.js';
import { batchNorm1d } from '../nn/batchnorm.js';
import { Dense, dense } from '../nn/dense.js';
import { activation as activationLayer } from '../nn/activations.js';
import { randomNormal, type Initializer, type InitializerName } from '../nn/initializers.js';
import type { Layer } from '../nn/layer.js';
import { sequential } from '../nn/sequential.js';
import { Rng } from '../tensor/random.js';
import { asOptimizerName } from '../optim/registry.js';
import { norm, scaleGradients, seededInitializer, trainLoop } from './loop.js';

export interface GradientConfig {
  name: string;
  label: string;
  activation: 'sigmoid' | 'relu' | 'tanh';
  init: InitializerName | Initializer;
  /** Batch normalisation between each dense layer and its activation. */
  batchNorm?: boolean;
  /** Clip the global gradient norm to this value before each update. */
  clipNorm?: number;
}

/** N(0, (c·√(2/fan_in))²): He's scale times c, so every ReLU layer multiplies the signal by about c. */
export function scaledHe(c: number): Initializer {
  return (shape, context) => randomNormal({ std: c * Math.sqrt(2 / context.fanIn) })(shape, context);
}

/** Sigmoid (vanishing), ReLU, ReLU + batch norm, and ReLU with too large weights, without and with clipping. */
export const defaultGradientConfigs: readonly GradientConfig[] = [
  { name: 'sigmoid', label: 'sigmoid, Glorot init', activation: 'sigmoid', init: 'glorotUniform' },
  { name: 'relu', label: 'ReLU, He init', activation: 'relu', init: 'heNormal' },
  { name: 'relu-bn', label: 'ReLU + batch norm', activation: 'relu', init: 'heNormal', batchNorm: true },
  { name: 'relu-large', label: 'ReLU, 2 × He init', activation: 'relu', init: scaledHe(2) },
  {
    name: 'relu-large-clip',
    label: 'ReLU, 2 × He init, clip ‖g‖ ≤ 1',
    activation: 'relu',
    init: scaledHe(2),
    clipNorm: 1,
  },
];

export interface GradientStudy {
  name: string;
  label: string;
  /** Dense layer names, input side first. */
  layers: string[];
  /** norms[l][k] = ‖∂C/∂Wˡ‖ (Frobenius) at step k, before any clipping. */
  weightNorms: number[][];
  /** biasNorms[l][k] = ‖∂C/∂bˡ‖ at step k (the lecture's ∂C/∂bˡ), before any clipping. */
  biasNorms: number[][];
  /** The mini-batch loss per step. */
  losses: number[];
  /** The step at which the loss became non-finite (exploding), if it did. */
  divergedAt: number | null;
  /** Steps at which clipping rescaled the gradient. */
  clippedSteps: number;
}

export interface GradientOptions {
  configs?: readonly GradientConfig[];
  /** Hidden layers (default 8). */
  depth?: number;
  /** Units per hidden layer (default 32). */
  width?: number;
  steps?: number;
  batchSize?: number;
  lr?: number;
  optimizer?: string;
  seed?: number;
  /** Training data (default: the bundled digits' training split). */
  data?: { train: Dataset; numClasses: number };
}

function buildNet(
  config: GradientConfig,
  inputs: number,
  depth: number,
  width: number,
  outputs: number,
  rng: Rng,
): Layer {
  const layers: Layer[] = [];
  let fanIn = inputs;
  for (let l = 0; l < depth; l++) {
    layers.push(
      dense({
        units: width,
        inFeatures: fanIn,
        kernelInitializer: seededInitializer(config.init, rng),
        useBias: !config.batchNorm,
      }),
    );
    if (config.batchNorm) layers.push(batchNorm1d(width));
    layers.push(activationLayer(config.activation));
    fanIn = width;
  }
  layers.push(
    dense({ units: outputs, inFeatures: fanIn, kernelInitializer: seededInitializer(config.init, rng) }),
  );
  return sequential(layers);
}

/** Per-layer gradient norms while training each configuration on the same data from the same seed. */
export function gradientNorms(options: GradientOptions = {}): GradientStudy[] {
  const seed = options.seed ?? 1;
  const depth = options.depth ?? 8;
  const width = options.width ?? 32;
  const steps = options.steps ?? 60;
  const configs = options.configs ?? defaultGradientConfigs;
  const owned = options.data ? null : digits({ rng: new Rng(seed) });
  const sets = options.data ?? owned!;
  try {
    return configs.map((config) => {
      const net = buildNet(config, sets.train.x.shape[1], depth, width, sets.numClasses, new Rng(seed));
      const denseLayers = collectDense(net);
      const weightNorms = denseLayers.map(() => [] as number[]);
      const biasNorms = denseLayers.map(() => [] as number[]);
      let clippedSteps = 0;
      const result = trainLoop({
        net,
        data: sets.train,
        optimizer: asOptimizerName(options.optimizer ?? 'sgd'),
        lr: options.lr ?? 0.1,
        batchSize: options.batchSize ?? 64,
        epochs: Math.ceil((steps * (options.batchSize ?? 64)) / sets.train.length) + 1,
        maxSteps: steps,
        rng: new Rng(seed + 1),
        afterBackward: ({ params }) => {
          denseLayers.forEach((layer, l) => {
            weightNorms[l].push(layer.weight.grad ? norm(layer.weight.grad) : 0);
            biasNorms[l].push(layer.bias?.grad ? norm(layer.bias.grad) : NaN);
          });
          if (config.clipNorm !== undefined) {
            let total = 0;
            for (const p of params) if (p.grad) total += norm(p.grad) ** 2;
            const g = Math.sqrt(total);
            if (g > config.clipNorm) {
              scaleGradients(params, config.clipNorm / g);
              clippedSteps++;
            }
          }
        },
      });
      net.dispose();
      return {
        name: config.name,
        label: config.label,
        layers: denseLayers.map((l) => l.name),
        weightNorms,
        biasNorms,
        losses: result.losses,
        divergedAt: result.divergedAt,
        clippedSteps,
      };
    });
  } finally {
    owned?.train.dispose();
    owned?.test.dispose();
  }
}

function collectDense(layer: Layer): Dense[] {
  if (layer instanceof Dense) return [layer];
  return layer.children().flatMap(collectDense);
}

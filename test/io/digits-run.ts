// One fixed training run on the bundled digits, shared by the kill -9 test and its child
// process (kill-child.ts), so that both compute bit-identical losses: seed 7, a 64-32-10
// MLP, heavy-ball momentum (tensor state) with a decaying learning rate (a schedule whose
// position is in the state), batch 64, shuffled by the global RNG.
import '../../src/autograd/index.js';
import * as nn from '../../src/nn/index.js';
import * as data from '../../src/data/index.js';
import { Model } from '../../src/train/index.js';
import type { Callback, History } from '../../src/train/callbacks.js';
import {
  chain,
  scaleByLearningRate,
  type GradientTransformation,
  type OptState,
} from '../../src/optim/index.js';
import { add, mul } from '../../src/ops/arithmetic.js';
import { zerosLike } from '../../src/tensor/creation.js';
import { setSeed } from '../../src/tensor/random.js';
import type { Tensor } from '../../src/tensor/tensor.js';

/** v ← μv + g, u = v (state: one velocity tensor per parameter). */
export function heavyBall(mu: number): GradientTransformation<OptState> {
  return {
    init: (params) => ({ velocity: params.map((p) => zerosLike(p)) }),
    update(grads, state) {
      const velocity = grads.map((g, i) => add(mul((state as { velocity: Tensor[] }).velocity[i], mu), g));
      return { updates: velocity.map((v) => mul(v, 1)), state: { velocity } };
    },
  };
}

export interface DigitsRunOptions {
  epochs: number;
  checkpointDir?: string;
  resumeFrom?: string;
  callbacks?: Callback[];
}

export async function digitsRun(options: DigitsRunOptions): Promise<History> {
  setSeed(7);
  const sets = data.digits({ testFraction: 0.2 });
  const net = nn.sequential([
    nn.dense({ units: 32, inFeatures: 64, activation: 'relu' }),
    nn.dense({ units: 10 }),
  ]);
  const model = new Model(net).compile({
    optimizer: chain(
      heavyBall(0.9),
      scaleByLearningRate((t) => 0.02 / (1 + 0.001 * t)),
    ),
    loss: 'crossEntropy',
  });
  try {
    return await model.fit(sets.train, {
      epochs: options.epochs,
      batchSize: 64,
      callbacks: options.callbacks,
      resumeFrom: options.resumeFrom,
      checkpoint: options.checkpointDir ? { dir: options.checkpointDir, keep: 3 } : undefined,
    });
  } finally {
    model.dispose();
    sets.train.dispose();
    sets.test.dispose();
  }
}

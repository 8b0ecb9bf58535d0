// Seeded training runs whose every loss bit is recorded in test/fixtures/train/fit-bits.json
// (written by scripts/record-fit-bits.mjs from the fit of before the loop was split into
// parts) and checked by fit-bits.test.ts: the refactored fit must give the same bits.
import '../../src/autograd/index.js';
import * as nn from '../../src/nn/index.js';
import * as data from '../../src/data/index.js';
import { Dataset } from '../../src/data/dataset.js';
import { Model, earlyStopping, type Callback } from '../../src/train/index.js';
import { Optimizer, optimizers } from '../../src/optim/index.js';
import { Rng, setSeed } from '../../src/tensor/random.js';

export interface Recording {
  /** Every batch's loss, as the float64 bits in hex (exact). */
  batchLosses: string[];
  /** The per-epoch history, each value's bits in hex. */
  history: Record<string, string[]>;
  epochs: number[];
  stoppedEarly: string | null;
  /** The trained parameters' values, bits in hex, concatenated per tensor. */
  parameters: string[];
}

const bits = (x: number): string => {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  return view.getBigUint64(0).toString(16).padStart(16, '0');
};

function moons(count: number, seed: number): Dataset {
  const t = data.raw.moons({ count, noise: 0.15, rng: new Rng(seed) });
  return Dataset.fromArrays(t.features, [2], t.labels, { numClasses: 2, name: 'moons' });
}

interface Scenario {
  net: () => nn.Layer;
  optimizer: () => Optimizer;
  epochs: number;
  batchSize: number;
  callbacks?: () => Callback[];
  validationSplit?: number;
}

const mlp = () =>
  nn.sequential([nn.dense({ units: 8, inFeatures: 2, activation: 'tanh' }), nn.dense({ units: 2 })]);

export const scenarios: Record<string, Scenario> = {
  sgd: { net: mlp, optimizer: () => new Optimizer(optimizers.sgd({ lr: 0.2 })), epochs: 3, batchSize: 16 },
  adam: { net: mlp, optimizer: () => new Optimizer(optimizers.adam({ lr: 0.01 })), epochs: 3, batchSize: 16 },
  lbfgs: {
    net: mlp,
    optimizer: () => new Optimizer(optimizers.lbfgs({ lineSearch: 'strongWolfe' })),
    epochs: 2,
    batchSize: 64,
  },
  batchNormDropout: {
    net: () =>
      nn.sequential([
        nn.dense({ units: 12, inFeatures: 2 }),
        nn.batchNorm1d(),
        nn.relu(),
        nn.dropout(0.3),
        nn.dense({ units: 2 }),
      ]),
    optimizer: () => new Optimizer(optimizers.momentum({ lr: 0.05, momentum: 0.9 })),
    epochs: 3,
    batchSize: 16,
  },
  earlyStopping: {
    net: mlp,
    optimizer: () => new Optimizer(optimizers.sgd({ lr: 0.3 })),
    epochs: 12,
    batchSize: 16,
    validationSplit: 0.25,
    // A large minDelta: "no improvement" soon, so the stop and the restore both happen.
    callbacks: () => [earlyStopping({ patience: 1, minDelta: 0.05, restoreBestWeights: true })],
  },
  schedule: {
    net: mlp,
    optimizer: () => new Optimizer(optimizers.sgd({ lr: (t: number) => 0.4 / (1 + 0.1 * t) })),
    epochs: 3,
    batchSize: 16,
  },
};

export async function runScenario(name: string): Promise<Recording> {
  const s = scenarios[name];
  setSeed(1234);
  const train = moons(96, 7);
  const net = s.net();
  const model = new Model(net).compile({
    optimizer: s.optimizer(),
    loss: 'crossEntropy',
    metrics: ['accuracy'],
  });
  const batchLosses: string[] = [];
  const recorder: Callback = { onBatchEnd: (info) => void batchLosses.push(bits(info.loss)) };
  const history = await model.fit(train, {
    epochs: s.epochs,
    batchSize: s.batchSize,
    validationSplit: s.validationSplit,
    callbacks: [...(s.callbacks?.() ?? []), recorder],
  });
  const parameters = await Promise.all(
    net.parameters().map(async (p) => Array.from(await p.data(), bits).join('')),
  );
  const recording: Recording = {
    batchLosses,
    history: Object.fromEntries(
      Object.entries(history.history)
        .filter(([k]) => k !== 'samplesPerSec')
        .map(([k, v]) => [k, v.map(bits)]),
    ),
    epochs: history.epochs,
    stoppedEarly: history.stoppedEarly ?? null,
    parameters,
  };
  model.dispose();
  train.dispose();
  return recording;
}

// fit() gives optimisers that evaluate the loss several times per step (L-BFGS's line
// search, Newton) a closure, as torch.optim.LBFGS expects.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/autograd/index.js';
import * as nn from '../../src/nn/index.js';
import { Model } from '../../src/train/index.js';
import { synthetic } from '../../src/data/sets.js';
import { buildOptimizer } from '../../src/optim/index.js';
import { setSeed } from '../../src/tensor/random.js';
import { memory } from '../../src/tensor/scope.js';

for (const [name, options, hidden] of [
  ['lbfgs', { lineSearch: 'strongWolfe' }, [6]],
  // Newton solves ∇C = 0, so it belongs on convex problems: logistic regression here.
  ['newton', { damping: 0.1 }, []],
] as const) {
  test(`fit drives ${name} through a closure and the loss falls`, async () => {
    setSeed(4);
    const sets = synthetic('moons', { count: 200 });
    const before = memory().numTensors;
    const layers = [
      ...hidden.map((units) => nn.dense({ units, activation: 'tanh' })),
      nn.dense({ units: 2 }),
    ];
    layers[0] = hidden.length
      ? nn.dense({ units: hidden[0], inFeatures: 2, activation: 'tanh' })
      : nn.dense({ units: 2, inFeatures: 2 });
    const model = new Model(nn.sequential(layers));
    model.compile({
      optimizer: buildOptimizer({ name, ...options }),
      loss: 'crossEntropy',
      metrics: ['accuracy'],
    });
    const history = await model.fit(sets.train, { epochs: 8, batchSize: sets.train.length, shuffle: false });
    const losses = history.history.loss;
    assert.ok(losses.at(-1)! < 0.6 * losses[0], `${name}: loss ${losses[0]} → ${losses.at(-1)}`);
    assert.ok(
      history.history.accuracy.at(-1)! > 0.85,
      `${name}: accuracy ${history.history.accuracy.at(-1)}`,
    );
    model.dispose();
    assert.equal(memory().numTensors, before, 'no tensors left behind by the closure steps');
    sets.train.dispose();
    sets.test.dispose();
  });
}

// A frozen model (issue 17 items 4–5) saves, loads and resumes exactly: its trainable flags
// come back with it, and a run interrupted and resumed gives the losses and weights of an
// uninterrupted one, bit for bit, with the frozen weights untouched throughout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '../../src/autograd/index.js';
import * as nn from '../../src/nn/index.js';
import * as io from '../../src/io/index.js';
import * as data from '../../src/data/index.js';
import { Dataset } from '../../src/data/dataset.js';
import { Model, type Callback } from '../../src/train/index.js';
import { Rng, setSeed } from '../../src/tensor/random.js';

function moons(): Dataset {
  const t = data.raw.moons({ count: 96, noise: 0.2, rng: new Rng(4) });
  return Dataset.fromArrays(t.features, [2], t.labels, { numClasses: 2 });
}

/** A network with a frozen first block (dense + batch norm) and a trainable head behind dropout. */
function frozenNet(seed: number): nn.Sequential {
  setSeed(seed);
  const block = nn.sequential([nn.dense({ units: 12, inFeatures: 2, activation: 'tanh' }), nn.batchNorm1d()]);
  block.trainable = false;
  return nn.sequential([
    block,
    nn.dropout(0.2),
    nn.dense({ units: 8, activation: 'relu' }),
    nn.dense({ units: 2 }),
  ]);
}

const compile = (net: nn.Layer) =>
  new Model(net).compile({ optimizer: 'adam', lr: 0.02, loss: 'crossEntropy', metrics: ['accuracy'] });
const values = (net: nn.Layer) =>
  net.getWeights().map((t) => {
    const v = Array.from(t.dataSync());
    t.dispose();
    return v;
  });

const stopAfter = (epochs: number): Callback => ({
  onEpochEnd: (info, control) => void (info.epoch === epochs - 1 && control.stop()),
});

test('a frozen model: saved and loaded with its trainable flags and the same predictions', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'descent-frozen-'));
  try {
    const net = frozenNet(1);
    const model = compile(net);
    const set = moons();
    await model.fit(set, { epochs: 2, batchSize: 16 });
    await model.save(dir);
    const loaded = (await io.loadModel(dir)) as nn.Sequential;
    assert.deepEqual(
      loaded.layers.map((l) => l.trainable),
      [false, true, true, true],
    );
    assert.deepEqual(
      loaded.parameters().map((p) => p.requiresGrad),
      net.parameters().map((p) => p.requiresGrad),
    );
    const a = model.predict(set.x);
    const b = compile(loaded).predict(set.x);
    assert.deepEqual(Array.from(b.dataSync()), Array.from(a.dataSync()));
    // A strict stateDict round trip between two frozen networks.
    const other = frozenNet(9);
    other.loadStateDict(net.stateDict());
    assert.deepEqual(values(other), values(net));
    [a, b].forEach((t) => t.dispose());
    [net, loaded, other].forEach((n) => n.dispose());
    set.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a frozen model resumes exactly: the same losses and weights as one run, the frozen block untouched', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'descent-frozen-ckpt-'));
  const set = moons();
  try {
    const fit = { epochs: 5, batchSize: 16, validationSplit: 0.25 };
    const reference = frozenNet(1);
    const frozenAtStart = values(reference).slice(0, 7); // dense weight, bias; bn weight, bias, running stats, count
    const full = await compile(reference).fit(set, fit);
    assert.deepEqual(values(reference).slice(0, 7), frozenAtStart, 'the frozen block never changed');

    const first = frozenNet(1);
    const part = await compile(first).fit(set, { ...fit, callbacks: [stopAfter(2)], checkpoint: { dir } });
    assert.deepEqual(part.history.loss, full.history.loss.slice(0, 2));
    first.dispose();

    const second = frozenNet(77); // other initial weights: the checkpoint's replace them
    const resumed = await compile(second).fit(set, { ...fit, resumeFrom: dir });
    assert.deepEqual(resumed.history.loss, full.history.loss, 'training losses');
    assert.deepEqual(resumed.history.valLoss, full.history.valLoss, 'validation losses');
    assert.deepEqual(values(second), values(reference), 'final weights');
    reference.dispose();
    second.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
    set.dispose();
  }
});

// Issue 15 item 6: resuming a run that early stopping had ended honours the stop — no
// further epoch — and puts back the best weights it chose, as the finished run did.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '../../src/autograd/index.js';
import * as nn from '../../src/nn/index.js';
import * as data from '../../src/data/index.js';
import { Dataset } from '../../src/data/dataset.js';
import { Model, earlyStopping } from '../../src/train/index.js';
import { Rng, setSeed } from '../../src/tensor/random.js';
import { memory } from '../../src/tensor/scope.js';
import { runTrain, type TrainFlags } from '../../src/cli/train.js';
import { captured } from '../helpers/stdout.js';

function moons(): Dataset {
  const t = data.raw.moons({ count: 120, noise: 0.3, rng: new Rng(3) });
  return Dataset.fromArrays(t.features, [2], t.labels, { numClasses: 2 });
}

function makeModel(seed: number): Model {
  setSeed(seed);
  return new Model(
    nn.sequential([nn.dense({ units: 16, inFeatures: 2, activation: 'relu' }), nn.dense({ units: 2 })]),
  ).compile({ optimizer: 'adam', lr: 0.05, loss: 'crossEntropy' });
}

const weights = (m: Model) => m.parameters().map((p) => Array.from(p.dataSync()));
const options = { epochs: 60, batchSize: 16, validationSplit: 0.3 };

test('resuming a run that early stopping ended adds no epoch and restores the best weights', async () => {
  const set = moons();
  const dir = mkdtempSync(join(tmpdir(), 'descent-ckpt-stop-'));
  try {
    const first = makeModel(1);
    const stop = earlyStopping({ patience: 2, restoreBestWeights: true });
    const done = await first.fit(set, { ...options, callbacks: [stop], checkpoint: { dir } });
    assert.ok(stop.stoppedEpoch !== null && stop.stoppedEpoch < options.epochs - 1, 'the run stops early');
    assert.ok(stop.restored && stop.bestEpoch! < stop.stoppedEpoch!, 'the best epoch is an earlier one');
    const best = weights(first);
    first.dispose();

    const live = memory().numTensors;
    const second = makeModel(2);
    const again = earlyStopping({ patience: 2, restoreBestWeights: true });
    let epochsRun = 0;
    const resumed = await second.fit(set, {
      ...options,
      callbacks: [again, { onEpochBegin: () => void epochsRun++ }],
      checkpoint: { dir },
      resumeFrom: dir,
    });
    assert.equal(epochsRun, 0, 'no further epoch');
    assert.deepEqual(resumed.epochs, done.epochs);
    assert.deepEqual(resumed.history.valLoss, done.history.valLoss);
    assert.match(resumed.stoppedEarly ?? '', /stopped by a callback after epoch/);
    assert.equal(again.stoppedEpoch, stop.stoppedEpoch);
    assert.equal(again.bestEpoch, stop.bestEpoch);
    assert.ok(again.restored);
    assert.deepEqual(weights(second), best, 'the best weights, as the finished run left them');
    second.dispose();
    assert.equal(memory().numTensors, live, 'nothing leaks');
  } finally {
    rmSync(dir, { recursive: true, force: true });
    set.dispose();
  }
});

test('descent train --early-stopping --checkpoint-dir, rerun with --resume: no further epoch, the same test loss', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'descent-cli-stop-'));
  const flags = (extra: Partial<TrainFlags>): TrainFlags => ({
    data: 'moons',
    hidden: '32',
    activation: 'relu',
    optimizer: 'adam',
    lr: '0.05',
    batchSize: '16',
    epochs: '60',
    seed: '5',
    testFraction: '0.3',
    earlyStopping: '2',
    checkpointDir: dir,
    json: true,
    ...extra,
  });
  const train = async (extra: Partial<TrainFlags>) =>
    JSON.parse((await captured(() => runTrain(flags(extra)))).out) as { losses: number[]; testLoss: number };
  try {
    const first = await train({});
    assert.ok(first.losses.length < 60, `early stopping ends the run (${first.losses.length} epochs)`);
    const again = await train({ resume: true });
    assert.deepEqual(again.losses, first.losses, 'no epoch added');
    assert.equal(again.testLoss, first.testLoss, 'the best weights, as the finished run left them');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

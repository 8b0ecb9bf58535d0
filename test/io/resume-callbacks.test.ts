// Resuming with callbacks: a checkpoint holds the optimiser's learning-rate scale and the
// state of every stateful callback (early stopping's best value, epochs waited and best
// weights; reduce-on-plateau's best value, bad epochs, cooldown and reductions), so a run
// interrupted and resumed gives the losses, learning rates and stopping epoch of an
// uninterrupted one. Resuming with other callbacks than those saved is refused, naming them.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '../../src/autograd/index.js';
import * as nn from '../../src/nn/index.js';
import * as io from '../../src/io/index.js';
import * as data from '../../src/data/index.js';
import { Dataset } from '../../src/data/dataset.js';
import { Model } from '../../src/train/index.js';
import {
  earlyStopping,
  modelCheckpoint,
  reduceLROnPlateau,
  type Callback,
  type EarlyStoppingOptions,
  type ReduceLROnPlateauOptions,
} from '../../src/train/callbacks.js';
import { Rng, rng, setSeed } from '../../src/tensor/random.js';
import { memory } from '../../src/tensor/scope.js';
import { ConfigError, FormatError } from '../../src/errors.js';

function moons(count = 160, seed = 5): Dataset {
  const t = data.raw.moons({ count, noise: 0.3, rng: new Rng(seed) });
  return Dataset.fromArrays(t.features, [2], t.labels, { numClasses: 2, name: 'moons' });
}

// Another draw for validation (the tail of the training set would hold one class only).
const validationData = moons(80, 6);
after(() => validationData.dispose());

function makeModel(seed: number): Model {
  setSeed(seed);
  const net = nn.sequential([
    nn.dense({ units: 16, inFeatures: 2 }),
    nn.batchNorm1d(16),
    nn.activation('relu'),
    nn.dense({ units: 2 }),
  ]);
  return new Model(net).compile({ optimizer: 'sgd', lr: 0.1, loss: 'crossEntropy', metrics: ['accuracy'] });
}

const EPOCHS = 40;
const fitOptions = { batchSize: 16, validationData, epochs: EPOCHS };
const stopOptions: EarlyStoppingOptions = { patience: 5, minDelta: 0.002, restoreBestWeights: true };
const plateauOptions: ReduceLROnPlateauOptions = { patience: 1, factor: 0.5, threshold: 0.01, cooldown: 1 };

/** Records the learning-rate scale each epoch trains with. */
function lrLog(): Callback & { scales: number[] } {
  const scales: number[] = [];
  return {
    scales,
    onEpochBegin(_epoch, control) {
      scales.push(control.optimizer.lrScale);
    },
  };
}

/** Interrupts the run after `epochs` epochs (as a kill would, but at an epoch's end). */
function stopAfter(epochs: number): Callback {
  return {
    onEpochEnd(info, control) {
      if (info.epoch === epochs - 1) control.stop();
    },
  };
}

const weights = (m: Model) => m.parameters().map((p) => Array.from(p.dataSync()));

test('resume with earlyStopping and reduceLROnPlateau: the same losses, learning rates and stopping epoch as one run', async () => {
  const set = moons();
  const dir = mkdtempSync(join(tmpdir(), 'descent-resume-cb-'));
  try {
    // The uninterrupted run.
    const reference = makeModel(4);
    const refLog = lrLog();
    const refStop = earlyStopping(stopOptions);
    const refPlateau = reduceLROnPlateau(plateauOptions);
    const full = await reference.fit(set, { ...fitOptions, callbacks: [refLog, refStop, refPlateau] });
    const stopped = refStop.stoppedEpoch;
    assert.ok(
      stopped !== null && stopped < EPOCHS - 1,
      `early stopping must end the reference run (stopped ${stopped})`,
    );
    assert.ok(refPlateau.reductions.length >= 2, `reductions: ${JSON.stringify(refPlateau.reductions)}`);
    // Interrupt between reductions and before the stop, while early stopping is counting.
    const k = refPlateau.reductions[1].epoch + 2;
    assert.ok(k <= stopped!, `interruption at ${k} must come before the stop at ${stopped}`);
    assert.ok(refLog.scales[k] < 1, 'the learning rate is reduced when the run is interrupted');

    const first = makeModel(4);
    const part = await first.fit(set, {
      ...fitOptions,
      callbacks: [lrLog(), stopAfter(k), earlyStopping(stopOptions), reduceLROnPlateau(plateauOptions)],
      checkpoint: { dir },
    });
    assert.deepEqual(part.history.loss, full.history.loss.slice(0, k));
    first.dispose();
    const latest = io.latestCheckpoint(dir)!;
    assert.ok(readdirSync(latest).includes(io.STATE_FILE), 'the best weights are saved');
    const info = io.readCheckpointInfo(latest);
    const states = info.states as Record<string, Record<string, unknown>>;
    assert.equal(info.epoch, k);
    assert.equal(states.optimizer.lrScale, refLog.scales[k]);
    assert.deepEqual(
      Object.keys(states).filter((key) => key.startsWith('callback.')),
      ['callback.earlyStopping', 'callback.reduceLROnPlateau'],
    );
    const waited = states['callback.earlyStopping'].wait as number;
    assert.ok(waited > 0, `early stopping has waited ${waited} epochs when the run is interrupted`);

    // Resumed in a "new process": other weights, the RNG moved on, fresh callbacks.
    const second = makeModel(999);
    rng().uniform();
    const log = lrLog();
    const stop = earlyStopping(stopOptions);
    const plateau = reduceLROnPlateau(plateauOptions);
    const resumed = await second.fit(set, {
      ...fitOptions,
      callbacks: [log, stop, plateau],
      resumeFrom: dir,
    });
    assert.deepEqual(resumed.history.loss, full.history.loss, 'training losses');
    assert.deepEqual(resumed.history.valLoss, full.history.valLoss, 'validation losses');
    assert.deepEqual(log.scales, refLog.scales.slice(k), 'learning-rate scale per epoch');
    assert.equal(stop.stoppedEpoch, stopped, 'stopping epoch');
    assert.equal(stop.bestEpoch, refStop.bestEpoch);
    assert.equal(stop.best, refStop.best);
    assert.deepEqual(plateau.reductions, refPlateau.reductions);
    assert.equal(resumed.stoppedEarly, full.stoppedEarly);
    assert.ok(stop.restored && refStop.restored);
    assert.deepEqual(weights(second), weights(reference), 'the best weights, restored at the end');
    second.dispose();
    reference.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
    set.dispose();
  }
});

test('resume refuses callbacks other than those saved, naming them; old checkpoints and damaged states are clear errors', async () => {
  const set = moons();
  const dir = mkdtempSync(join(tmpdir(), 'descent-resume-cb-'));
  const options = { ...fitOptions, epochs: 4 };
  try {
    const first = makeModel(1);
    await first.fit(set, {
      ...options,
      epochs: 2,
      callbacks: [earlyStopping(stopOptions), reduceLROnPlateau(plateauOptions)],
      checkpoint: { dir },
    });
    first.dispose();
    // The folder itself, not `dir`: resuming from `dir` would skip a damaged checkpoint for an older one.
    const latest = io.latestCheckpoint(dir)!;

    const live = memory().numTensors;
    const attempt = async (
      callbacks: Callback[],
      pattern: RegExp,
      type: typeof ConfigError | typeof FormatError = ConfigError,
    ) => {
      const m = makeModel(2);
      await assert.rejects(m.fit(set, { ...options, callbacks, resumeFrom: latest }), (e: unknown) => {
        assert.ok(e instanceof type, `${String(e)}`);
        assert.match((e as Error).message, pattern);
        return true;
      });
      m.dispose();
    };
    await attempt(
      [earlyStopping(stopOptions)],
      /ckpt-\d+.checkpoint\.json: the run's parts differ .*holds the state of 'callback\.reduceLROnPlateau', which this run does not have/,
    );
    await attempt(
      [
        earlyStopping(stopOptions),
        reduceLROnPlateau(plateauOptions),
        modelCheckpoint({ dir: join(dir, 'best') }),
      ],
      /this run has 'callback\.modelCheckpoint', whose state the checkpoint does not hold/,
    );
    await attempt(
      [earlyStopping(stopOptions), earlyStopping(stopOptions), reduceLROnPlateau(plateauOptions)],
      /this run has 'callback\.earlyStopping#2'/,
    );
    assert.equal(memory().numTensors, live, 'failed resumes leak no tensors');

    // A damaged state names the callback and the value.
    const jsonPath = join(latest, io.CHECKPOINT_FILE);
    const original = readFileSync(jsonPath, 'utf8');
    const edit = (change: (info: Record<string, unknown>) => void) => {
      const info = JSON.parse(original) as Record<string, unknown>;
      change(info);
      writeFileSync(jsonPath, JSON.stringify(info));
    };
    const states = (info: Record<string, unknown>) => info.states as Record<string, Record<string, unknown>>;
    edit((info) => (states(info)['callback.earlyStopping'].wait = -1));
    await attempt(
      [earlyStopping(stopOptions), reduceLROnPlateau(plateauOptions)],
      /earlyStopping \(resuming\): the saved wait is -1; expected an integer ≥ 0/,
      FormatError,
    );
    edit((info) => (states(info).optimizer.lrScale = -2));
    await attempt(
      [earlyStopping(stopOptions), reduceLROnPlateau(plateauOptions)],
      /Optimizer\.loadStateDict: the saved lrScale is -2; expected a finite number ≥ 0/,
      FormatError,
    );

    // A checkpoint from before the stateDicts (format version 2): refused by name; its model still loads.
    edit((info) => (info.formatVersion = 2));
    await attempt([], /formatVersion 2 was written by an older descent.*Its model still loads/, FormatError);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    set.dispose();
  }
});

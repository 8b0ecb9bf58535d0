// Checkpoints: a resumed run gives bit-identical losses to an uninterrupted one (parameters,
// optimiser tensors and step counts, schedule position, shuffle and global RNG states and
// history all restored); keep-last-N; temporary, partial and damaged folders are never
// taken for a good checkpoint; clear errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '../../src/autograd/index.js';
import * as nn from '../../src/nn/index.js';
import * as io from '../../src/io/index.js';
import * as data from '../../src/data/index.js';
import { Dataset } from '../../src/data/dataset.js';
import { Model } from '../../src/train/index.js';
import {
  chain,
  scaleByLearningRate,
  type GradientTransformation,
  type OptState,
} from '../../src/optim/index.js';
import { Optimizer } from '../../src/optim/optimizer.js';
import { add, mul } from '../../src/ops/arithmetic.js';
import { zerosLike } from '../../src/tensor/creation.js';
import { Rng, rng, setSeed } from '../../src/tensor/random.js';
import { memory } from '../../src/tensor/scope.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { ConfigError, FormatError } from '../../src/errors.js';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'descent-ckpt-'));
}

/** Heavy-ball momentum as a transform with tensor state: v ← μv + g, u = v. */
function trace(mu: number): GradientTransformation<OptState> {
  return {
    init: (params) => ({ velocity: params.map((p) => zerosLike(p)), calls: 0 }),
    update(grads, state) {
      const s = state as { velocity: Tensor[]; calls: number };
      const velocity = grads.map((g, i) => add(mul(s.velocity[i], mu), g));
      return { updates: velocity, state: { velocity, calls: s.calls + 1 } };
    },
  };
}

/** Momentum with a decaying learning rate: the schedule's position lives in the state's count. */
const optimizer = () =>
  chain(
    trace(0.9),
    scaleByLearningRate((t) => 0.05 / (1 + 0.01 * t)),
  );

function moons(): Dataset {
  const t = data.raw.moons({ count: 120, noise: 0.15, rng: new Rng(42) });
  return Dataset.fromArrays(t.features, [2], t.labels, { numClasses: 2, name: 'moons' });
}

const makeNoisyModel = (seed: number, withNoise: boolean) => makeModel(seed, withNoise);

function makeModel(seed: number, withNoise = false): Model {
  setSeed(seed);
  const layers: nn.Layer[] = [
    nn.dense({ units: 8, inFeatures: 2, activation: 'tanh' }),
    nn.prelu(),
    nn.dense({ units: 2 }),
  ];
  if (withNoise) layers.splice(1, 0, new Noise(0.1));
  return new Model(nn.sequential(layers)).compile({
    optimizer: optimizer(),
    loss: 'crossEntropy',
    metrics: ['accuracy'],
  });
}

/** Adds one normal draw from the global RNG in training (as dropout masks and augmentation do). */
class Noise extends nn.Layer {
  readonly kind = 'testNoise';
  constructor(
    readonly std: number,
    name?: string,
  ) {
    super(name);
  }
  forward(x: Tensor, options: { training?: boolean }): Tensor {
    return options.training ? add(x, rng().normal() * this.std) : x;
  }
  config() {
    return { std: this.std };
  }
}
io.registerLayer('testNoise', { create: (c, ctx) => new Noise(c.number('std'), ctx.name) });

const fitOptions = { batchSize: 16, validationSplit: 0.25 };

test('a resumed run produces exactly the losses of an uninterrupted one (global RNG shuffling)', async () => {
  const set = moons();
  const reference = makeModel(7);
  const full = await reference.fit(set, { ...fitOptions, epochs: 6 });
  const referenceWeights = reference.parameters().map((p) => Array.from(p.dataSync()));

  const dir = tempDir();
  try {
    const first = makeModel(7);
    const part = await first.fit(set, { ...fitOptions, epochs: 3, checkpoint: { dir } });
    assert.deepEqual(part.history.loss, full.history.loss.slice(0, 3));
    first.dispose();

    // A different process state: another seed, other initial weights, RNG moved on.
    const second = makeModel(12345);
    rng().uniform();
    const resumed = await second.fit(set, { ...fitOptions, epochs: 6, resumeFrom: dir });
    assert.deepEqual(resumed.history.loss, full.history.loss, 'training losses');
    assert.deepEqual(resumed.history.valLoss, full.history.valLoss, 'validation losses');
    assert.deepEqual(resumed.epochs, [0, 1, 2, 3, 4, 5]);
    assert.deepEqual(
      second.parameters().map((p) => Array.from(p.dataSync())),
      referenceWeights,
    );
    assert.equal(second.optimizer!.steps, reference.optimizer!.steps);
    second.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
    reference.dispose();
    set.dispose();
  }
});

test('resume with a separate shuffling Rng and global-RNG noise, from a specific ckpt folder, twice in a row', async () => {
  const set = moons();
  const makeModel = (seed: number) => makeNoisyModel(seed, true);
  const reference = makeModel(3);
  const full = await reference.fit(set, { batchSize: 10, epochs: 5, rng: new Rng(99) });
  reference.dispose();
  const dir = tempDir();
  try {
    const a = makeModel(3);
    await a.fit(set, { batchSize: 10, epochs: 2, rng: new Rng(99), checkpoint: { dir, keep: 5 } });
    a.dispose();
    const b = makeModel(4);
    await b.fit(set, {
      batchSize: 10,
      epochs: 4,
      rng: new Rng(1),
      checkpoint: { dir, keep: 5 },
      resumeFrom: io.latestCheckpoint(dir)!,
    });
    b.dispose();
    const ckpts = io.listCheckpoints(dir);
    assert.equal(ckpts.length, 4);
    const c = makeModel(5);
    const resumed = await c.fit(set, {
      batchSize: 10,
      epochs: 5,
      rng: new Rng(2),
      resumeFrom: ckpts[0].path,
    });
    assert.deepEqual(resumed.history.loss, full.history.loss);
    // Resuming from an older checkpoint replays from there, identically.
    const d = makeModel(6);
    const replay = await d.fit(set, { batchSize: 10, epochs: 5, rng: new Rng(3), resumeFrom: ckpts[3].path });
    assert.deepEqual(replay.history.loss, full.history.loss);
    c.dispose();
    d.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
    set.dispose();
  }
});

test('a checkpoint holds the model, optimiser tensors, RNG states, epoch, step and history; loads without a model', async () => {
  const set = moons();
  const dir = tempDir();
  const model = makeModel(1);
  try {
    await model.fit(set, { batchSize: 30, epochs: 2, checkpoint: { dir } });
    const latest = io.latestCheckpoint(dir)!;
    assert.match(latest, /ckpt-8$/);
    assert.deepEqual(readdirSync(latest).sort(), [
      'checkpoint.json',
      'model.json',
      'state.safetensors',
      'weights.safetensors',
    ]);
    const info = io.readCheckpointInfo(latest);
    assert.equal(info.epoch, 2);
    assert.equal(info.step, 8);
    assert.deepEqual(Object.keys(info.states), ['loop', 'optimizer', 'history', 'shuffleRng', 'globalRng']);
    const saved = info.states as Record<string, Record<string, unknown>>;
    assert.deepEqual(saved.loop, { epoch: 2, step: 8 });
    assert.equal(saved.optimizer.steps, 8);
    assert.deepEqual(saved.optimizer.state, [
      {
        velocity: [{ $tensor: 0 }, { $tensor: 1 }, { $tensor: 2 }, { $tensor: 3 }, { $tensor: 4 }],
        calls: 8,
      },
      { count: 8 },
    ]);
    const [s0, s1, s2, s3, spare] = rng().getState();
    assert.deepEqual(saved.globalRng, {
      words: [s0, s1, s2, s3],
      spareNormal: Number.isNaN(spare) ? { $number: 'NaN' } : spare,
    });
    assert.equal(info.history.history.loss.length, 2);
    const live = memory().numTensors;
    const loaded = await io.loadCheckpoint(dir);
    assert.deepEqual(
      loaded.model.parameters().map((p) => Array.from(p.dataSync())),
      model.parameters().map((p) => Array.from(p.dataSync())),
    );
    loaded.model.dispose();
    // Into a fresh optimiser: its state tensors equal the trained one's.
    const fresh = makeModel(2);
    const opt = new Optimizer(optimizer(), fresh.net.parameters());
    await io.loadCheckpoint(latest, { model: fresh.net, into: { optimizer: opt } });
    const velocity = (s: OptState) =>
      ((s as OptState[])[0] as { velocity: Tensor[] }).velocity.map((t) => Array.from(t.dataSync()));
    assert.deepEqual(velocity(opt.state), velocity(model.optimizer!.state));
    assert.deepEqual((opt.state as OptState[])[1], { count: 8 });
    assert.equal(opt.steps, 8);
    opt.dispose();
    fresh.dispose();
    assert.equal(memory().numTensors, live);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    model.dispose();
    set.dispose();
  }
});

test('keeps the last N checkpoints, and leaves no temporary folder behind', async () => {
  const set = moons();
  const dir = tempDir();
  const model = makeModel(1);
  try {
    await model.fit(set, { batchSize: 40, epochs: 5, checkpoint: { dir, keep: 2 } });
    assert.deepEqual(readdirSync(dir).sort(), ['ckpt-12', 'ckpt-15']);
    await model.fit(set, { batchSize: 40, epochs: 1, checkpoint: { dir } });
    // A new run restarts the step count: ckpt-3 is newer by time but older by step — keep counts by step.
    assert.deepEqual(readdirSync(dir).sort(), ['ckpt-12', 'ckpt-15', 'ckpt-3']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    model.dispose();
    set.dispose();
  }
});

test('latestCheckpoint skips temporary, unfinished and damaged folders', async () => {
  const set = moons();
  const dir = tempDir();
  const model = makeModel(1);
  try {
    await model.fit(set, { batchSize: 40, epochs: 2, checkpoint: { dir, keep: 5 } });
    assert.match(io.latestCheckpoint(dir)!, /ckpt-6$/);
    // A temporary folder of a write in progress (or killed), with a higher step.
    mkdirSync(join(dir, '.tmp-ckpt-900-1-abcd'));
    writeFileSync(join(dir, '.tmp-ckpt-900-1-abcd', 'model.json'), '{');
    // A folder renamed into place without its description (cannot happen with saveCheckpoint; skipped anyway).
    mkdirSync(join(dir, 'ckpt-1000'));
    // A complete checkpoint damaged afterwards: one flipped byte in the weights.
    const damaged = join(dir, 'ckpt-2000');
    mkdirSync(damaged);
    for (const f of readdirSync(join(dir, 'ckpt-6')))
      writeFileSync(join(damaged, f), readFileSync(join(dir, 'ckpt-6', f)));
    const w = readFileSync(join(damaged, 'weights.safetensors'));
    w[w.length - 3] ^= 0x10;
    writeFileSync(join(damaged, 'weights.safetensors'), w);
    assert.match(io.latestCheckpoint(dir)!, /ckpt-6$/);
    await assert.rejects(
      io.loadCheckpoint(damaged),
      (e: unknown) =>
        e instanceof FormatError &&
        /weights\.safetensors: does not match checkpoint\.json.*damaged/.test(e.message),
    );
    await assert.rejects(io.loadCheckpoint(join(dir, 'ckpt-1000')), ConfigError);
    // A truncated checkpoint.json.
    const text = readFileSync(join(damaged, 'checkpoint.json'));
    writeFileSync(join(damaged, 'checkpoint.json'), text.subarray(0, 40));
    assert.match(io.latestCheckpoint(dir)!, /ckpt-6$/);
    assert.throws(
      () => io.readCheckpointInfo(damaged),
      /checkpoint\.json: the checkpoint description is not valid JSON at byte/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
    model.dispose();
    set.dispose();
  }
});

test('a save removes temporary folders left by dead processes, not those of live ones', async () => {
  const dir = tempDir();
  const dead = spawnSync(process.execPath, [
    '-e',
    'process.stdout.write(String(process.pid))',
  ]).stdout.toString();
  mkdirSync(join(dir, `.tmp-ckpt-5-${dead}-0000`));
  mkdirSync(join(dir, `.tmp-ckpt-6-${process.ppid}-0000`));
  const net = nn.sequential([nn.dense({ units: 2, inFeatures: 2 })]);
  try {
    await io.saveCheckpoint(dir, { model: net, epoch: 1, step: 1 });
    assert.deepEqual(readdirSync(dir).sort(), [`.tmp-ckpt-6-${process.ppid}-0000`, 'ckpt-1']);
    // Saving the same step again replaces it.
    await io.saveCheckpoint(dir, { model: net, epoch: 1, step: 1, metadata: { again: true } });
    assert.equal(io.readCheckpointInfo(join(dir, 'ckpt-1')).metadata.again, true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    net.dispose();
  }
});

test('clear errors: bad options, nothing to resume, another optimiser, another model', async () => {
  const set = moons();
  const dir = tempDir();
  const model = makeModel(1);
  try {
    await assert.rejects(
      model.fit(set, { epochs: 1, checkpoint: { dir, keep: 0 } }),
      /checkpoint\.keep must be an integer ≥ 1/,
    );
    await assert.rejects(
      model.fit(set, { epochs: 1, checkpoint: { dir, every: 'batch' as 'epoch' } }),
      /checkpoint\.every must be 'epoch'/,
    );
    await assert.rejects(model.fit(set, { epochs: 1, checkpoint: { dir: '' } }), ConfigError);
    await assert.rejects(
      model.fit(set, { epochs: 1, resumeFrom: join(dir, 'nothing') }),
      /resumeFrom: '.*nothing' does not exist/,
    );
    await assert.rejects(model.fit(set, { epochs: 1, resumeFrom: dir }), /holds no complete checkpoint/);
    await model.fit(set, { batchSize: 60, epochs: 1, checkpoint: { dir } });

    const plainSgd = new Model(
      nn.sequential([
        nn.dense({ units: 8, inFeatures: 2, activation: 'tanh' }),
        nn.prelu(),
        nn.dense({ units: 2 }),
      ]),
    );
    plainSgd.compile({ optimizer: 'sgd', loss: 'crossEntropy' });
    await assert.rejects(
      plainSgd.fit(set, { epochs: 2, resumeFrom: dir }),
      (e: unknown) =>
        e instanceof FormatError && /Optimizer\.loadStateDict: state: .*different optimiser/.test(e.message),
    );
    plainSgd.dispose();

    const wider = new Model(
      nn.sequential([nn.dense({ units: 9, inFeatures: 2 }), nn.prelu(), nn.dense({ units: 2 })]),
    );
    wider.compile({ optimizer: optimizer(), loss: 'crossEntropy' });
    await assert.rejects(
      wider.fit(set, { epochs: 2, resumeFrom: dir }),
      /dense_1\.weight' has shape \[8, 2\], but layer 'dense_1' \(dense\) expects \[9, 2\]/,
    );
    wider.dispose();
    assert.ok(existsSync(join(dir, 'ckpt-2')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
    model.dispose();
    set.dispose();
  }
});

/* eslint-disable @typescript-eslint/no-explicit-any -- tests edit model.json as loose JSON */
// saveModel / loadModel: identical predictions after a round trip for every layer type,
// the files' contents, and clear errors for every way a model folder can be wrong.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '../../src/autograd/index.js';
import * as nn from '../../src/nn/index.js';
import * as io from '../../src/io/index.js';
import { Model } from '../../src/train/index.js';
import { ConfigError, DescentError, FormatError } from '../../src/errors.js';
import { getBackend } from '../../src/backend/registry.js';
import { noGrad } from '../../src/autograd/index.js';
import { fromArray } from '../../src/tensor/creation.js';
import { Rng, rng, setSeed } from '../../src/tensor/random.js';
import { memory, tidy } from '../../src/tensor/scope.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { activationNames, type ActivationName } from '../../src/nn/activations.js';
import { assignValues } from '../../src/io/model-io.js';
import { readSafetensors } from '../../src/io/safetensors.js';
import { mul } from '../../src/ops/arithmetic.js';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'descent-model-'));
}

/** Gives every parameter random values (so zero biases and α = 0.25 do not hide a lost tensor). */
function randomize(layer: nn.Layer, seed: number): void {
  const r = new Rng(seed);
  for (const p of layer.parameters())
    assignValues(
      p,
      Float64Array.from({ length: p.size }, () => r.uniformIn(-1, 1)),
    );
}

function input(shape: number[], seed: number): Tensor {
  const r = new Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return fromArray(
    Float32Array.from({ length: n }, () => r.uniformIn(-2, 2)),
    shape,
  );
}

function outputs(layer: nn.Layer, x: Tensor): number[] {
  return tidy(() => noGrad(() => Array.from(layer.call(x).dataSync())));
}

async function roundTrip(layer: nn.Layer, x: Tensor): Promise<nn.Layer> {
  const dir = tempDir();
  try {
    const before = outputs(layer, x);
    await io.saveModel(layer, dir);
    const loaded = await io.loadModel(dir);
    assert.deepEqual(outputs(loaded, x), before, `${layer.kind} predictions differ after loading`);
    assert.deepEqual(
      io.namedTensors(loaded).map((t) => [t.key, t.tensor.shape, t.tensor.dtype]),
      io.namedTensors(layer).map((t) => [t.key, t.tensor.shape, t.tensor.dtype]),
    );
    assert.deepEqual(loaded.config(), layer.config());
    assert.equal(loaded.kind, layer.kind);
    assert.equal(loaded.name, layer.name);
    return loaded;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('dense with and without bias, with every activation: identical predictions after save → load', async () => {
  setSeed(3);
  const x = input([5, 4], 1);
  for (const useBias of [true, false]) {
    for (const activation of [undefined, ...activationNames.filter((a) => a !== 'prelu')] as Array<
      ActivationName | undefined
    >) {
      const layer = nn.dense({ units: 3, inFeatures: 4, useBias, activation, name: 'd' });
      randomize(layer, 7);
      const loaded = await roundTrip(layer, x);
      assert.equal(loaded.parameters().length, useBias ? 2 : 1);
      loaded.dispose();
      layer.dispose();
    }
  }
  x.dispose();
});

test('every activation layer, standalone and in a sequential, including alpha parameters', async () => {
  const x = input([6, 3], 2);
  for (const name of activationNames.filter((a) => a !== 'prelu')) {
    const layer = nn.activation(name, name === 'leakyRelu' || name === 'elu' ? { alpha: 0.3 } : {});
    (await roundTrip(layer, x)).dispose();
  }
  const net = nn.sequential([
    nn.dense({ units: 4, inFeatures: 3 }),
    nn.leakyRelu(0.2),
    nn.dense({ units: 2 }),
    nn.elu(0.5),
    nn.softmax(),
  ]);
  randomize(net, 1);
  (await roundTrip(net, x)).dispose();
  net.dispose();
  x.dispose();
});

test('prelu: per channel and shared, lazily built, standalone and after a dense', async () => {
  const x = input([4, 3], 5);
  for (const alphaPer of ['channel', 'shared'] as const) {
    const p = nn.prelu({ alphaPer, init: 0.1 });
    p.buildFor([1, 3]);
    randomize(p, 2);
    (await roundTrip(p, x)).dispose();
    p.dispose();
    const net = nn.sequential([
      nn.dense({ units: 5, inFeatures: 3 }),
      nn.prelu({ alphaPer }),
      nn.dense({ units: 2 }),
    ]);
    randomize(net, 3);
    const loaded = await roundTrip(net, x);
    assert.deepEqual(
      loaded.parameters().map((t) => t.shape),
      net.parameters().map((t) => t.shape),
    );
    loaded.dispose();
    net.dispose();
  }
  x.dispose();
});

test('nested sequentials: keys carry the path, predictions are identical', async () => {
  const inner = nn.sequential([nn.dense({ units: 4 }), nn.tanh(), nn.prelu()], 'block');
  const net = nn.sequential(
    [
      nn.dense({ units: 6, inFeatures: 3 }),
      nn.relu(),
      inner,
      nn.sequential([nn.dense({ units: 2 })], 'head'),
    ],
    'net',
  );
  randomize(net, 4);
  const keys = io.namedTensors(net).map((t) => t.key);
  assert.deepEqual(keys, [
    'dense_1.weight',
    'dense_1.bias',
    'block.dense_1.weight',
    'block.dense_1.bias',
    'block.prelu_1.alpha',
    'head.dense_1.weight',
    'head.dense_1.bias',
  ]);
  const x = input([3, 3], 9);
  (await roundTrip(net, x)).dispose();
  net.dispose();
  x.dispose();
});

test('a lazily built sequential (first layer without inFeatures) loads from its weight shapes', async () => {
  const net = nn.sequential([
    nn.relu(),
    nn.dense({ units: 3 }),
    nn.prelu(),
    nn.dense({ units: 2, useBias: false }),
  ]);
  const x = input([2, 7], 1);
  outputs(net, x); // builds
  randomize(net, 8);
  (await roundTrip(net, x)).dispose();
  net.dispose();
  x.dispose();
});

test('model.json holds topology, versions, input shape, integrity and metadata; weights open as plain safetensors', async () => {
  const dir = tempDir();
  try {
    setSeed(1);
    const net = nn.sequential(
      [nn.dense({ units: 3, inFeatures: 2 }), nn.relu(), nn.dense({ units: 1 })],
      'mlp',
    );
    const model = new Model(net).compile({ optimizer: 'sgd', loss: 'mse' });
    await model.save(dir, { metadata: { seed: 1, standardizer: { mean: [0, 1], std: [1, 2] } } });
    assert.deepEqual(readdirSync(dir).sort(), ['model.json', 'weights.safetensors']);
    const info = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    assert.equal(info.format, 'descent-model');
    assert.equal(info.formatVersion, 1);
    assert.equal(info.descentVersion, JSON.parse(readFileSync('package.json', 'utf8')).version);
    assert.deepEqual(info.inputShape, [1, 2]);
    assert.equal(info.topology.kind, 'sequential');
    assert.equal(info.topology.name, 'mlp');
    assert.deepEqual(
      info.topology.config.layers.map((l: { kind: string; name: string }) => `${l.kind}:${l.name}`),
      ['dense:dense_1', 'relu:relu_1', 'dense:dense_2'],
    );
    assert.equal(info.metadata.backend, getBackend().name);
    assert.equal(info.metadata.seed, 1);
    assert.deepEqual(info.metadata.training, { loss: 'mse', metrics: [] });
    assert.equal(info.weights.file, 'weights.safetensors');
    assert.match(info.weights.sha256, /^[0-9a-f]{64}$/);
    const st = readSafetensors(join(dir, 'weights.safetensors'));
    assert.deepEqual(
      [...st.tensors.keys()],
      ['dense_1.weight', 'dense_1.bias', 'dense_2.weight', 'dense_2.bias'],
    );
    assert.equal(st.metadata.format, 'descent');
    const { layer, info: read } = io.loadModelWithInfo(dir);
    assert.deepEqual(read.metadata.standardizer, { mean: [0, 1], std: [1, 2] });
    layer.dispose();
    // Layer.save (from io) writes the same thing.
    const dir2 = join(dir, 'again');
    await net.save(dir2);
    assert.ok(existsSync(join(dir2, 'model.json')));
    model.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('loading does not touch the global RNG and leaks no tensors', async () => {
  const dir = tempDir();
  try {
    const net = nn.sequential([nn.dense({ units: 8, inFeatures: 4 }), nn.prelu(), nn.dense({ units: 2 })]);
    await io.saveModel(net, dir);
    setSeed(11);
    const before = rng().getState();
    const live = memory().numTensors;
    const loaded = await io.loadModel(dir);
    assert.deepEqual(rng().getState(), before);
    loaded.dispose();
    // Failed loads free what they made.
    const info = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    info.topology.config.layers[2].config.units = 3;
    writeFileSync(join(dir, 'model.json'), JSON.stringify(info));
    await assert.rejects(io.loadModel(dir), FormatError);
    assert.equal(memory().numTensors, live);
    // …also when the failure comes while the layers are being made (after dense_1 exists).
    info.topology.config.layers[2].config.units = 1e9;
    writeFileSync(join(dir, 'model.json'), JSON.stringify(info));
    await assert.rejects(io.loadModel(dir), /layers\[2\] \(dense\): its weight and bias would hold/);
    assert.equal(memory().numTensors, live);
    net.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('saving an unbuilt model is a ConfigError that says how to build it', async () => {
  const net = nn.sequential([nn.relu(), nn.dense({ units: 2 })]);
  const dir = join(tmpdir(), `descent-unbuilt-${process.pid}`);
  await assert.rejects(
    io.saveModel(net, dir),
    (e: unknown) => e instanceof ConfigError && /dense_1.*not built yet.*buildFor/.test(e.message),
  );
  assert.equal(existsSync(dir), false, 'nothing is written when the model cannot be saved');
  await assert.rejects(io.saveModel(net, ''), ConfigError);
});

/** A saved model's folder, with a function to rewrite model.json. */
async function savedModel(): Promise<{
  dir: string;
  edit(fn: (info: Record<string, any>) => void): void;
  restore(): void;
}> {
  const dir = tempDir();
  const net = nn.sequential(
    [nn.dense({ units: 3, inFeatures: 2 }), nn.relu(), nn.dense({ units: 2 })],
    'mlp',
  );
  await io.saveModel(net, dir);
  net.dispose();
  const original = readFileSync(join(dir, 'model.json'), 'utf8');
  return {
    dir,
    edit(fn) {
      const info = JSON.parse(original);
      fn(info);
      writeFileSync(join(dir, 'model.json'), JSON.stringify(info));
    },
    restore() {
      writeFileSync(join(dir, 'model.json'), original);
    },
  };
}

test('model.json errors name the file, the JSON path and what was expected', async () => {
  const m = await savedModel();
  const expectError = async (edit: (info: Record<string, any>) => void, pattern: RegExp) => {
    m.edit(edit);
    await assert.rejects(io.loadModel(m.dir), (e: unknown) => {
      assert.ok(e instanceof FormatError, String(e));
      assert.match(e.message, pattern);
      return true;
    });
  };
  try {
    await expectError((i) => (i.format = 'keras'), /model\.json: format: expected "descent-model"/);
    await expectError((i) => (i.formatVersion = 99), /formatVersion 99 was written by a newer descent/);
    await expectError(
      (i) => (i.topology.kind = 'transformer'),
      /topology\.kind: unknown layer kind "transformer"\. Loadable kinds: dense, linear, step/,
    );
    await expectError(
      (i) => (i.topology.config.layers[0].config.units = 'three'),
      /topology\.config\.layers\[0\]\.config\.units: expected a positive integer, got "three"/,
    );
    await expectError(
      (i) => (i.topology.config.layers[1].config = { alpha: 'x' }),
      /layers\[1\]\.config\.alpha: expected a finite number/,
    );
    await expectError(
      (i) => (i.topology.config.layers[0].config.units = 1e12),
      /would hold \d+ values, more than the weights file can contain/,
    );
    await expectError(
      (i) => (i.topology.config.layers[2].config.units = 5),
      /dense_2\.weight' has shape \[2, 3\], but layer 'dense_2' \(dense\) expects \[5, 3\]/,
    );
    await expectError((i) => (i.topology.config.layers[2].name = 'out'), /no tensor 'out\.weight'/);
    await expectError(
      (i) => (i.topology.config.layers[0].config.useBias = false),
      /tensor 'dense_1\.bias' is not part of the model/,
    );
    await expectError((i) => (i.weights.file = '../etc/passwd'), /weights\.file: expected a plain file name/);
    await expectError(
      (i) => (i.weights.sha256 = '0'.repeat(64)),
      /not the weights file that model\.json was saved with/,
    );
    await expectError((i) => (i.topology.config.layers = []), /layers: expected a non-empty array of layers/);
    await expectError((i) => (i.topology.config.layers[1].name = 'dense_1'), /layer names must be unique/);
    let nested: Record<string, any> = { kind: 'relu', name: 'r', config: {} };
    for (let d = 0; d < 100; d++)
      nested = { kind: 'sequential', name: `s${d}`, config: { layers: [nested] } };
    await expectError((i) => (i.topology = nested), /nest more than 64 deep/);
    m.restore();
    writeFileSync(join(m.dir, 'model.json'), '{"format": "descent-model", ');
    await assert.rejects(
      io.loadModel(m.dir),
      /model\.json: the model description is not valid JSON at byte 28/,
    );
    await assert.rejects(
      io.loadModel(join(m.dir, 'nope')),
      /nope\/model\.json: cannot open the model description \(no such file\)/,
    );
  } finally {
    rmSync(m.dir, { recursive: true, force: true });
  }
});

test('every truncation of model.json and of weights.safetensors is a DescentError', async () => {
  const m = await savedModel();
  try {
    const json = readFileSync(join(m.dir, 'model.json'));
    const weights = readFileSync(join(m.dir, 'weights.safetensors'));
    for (let cut = 0; cut < json.length; cut++) {
      // Cutting only the final newline leaves the same JSON: that one loads.
      if (json.subarray(0, cut).toString().trim() === json.toString().trim()) {
        io.decodeModel(json.subarray(0, cut), weights, { source: m.dir }).layer.dispose();
        continue;
      }
      assert.throws(
        () => io.decodeModel(json.subarray(0, cut), weights, { source: m.dir }),
        (e: unknown) => e instanceof FormatError,
        `model.json cut at ${cut}`,
      );
    }
    for (let cut = 0; cut < weights.length; cut++) {
      for (const checkIntegrity of [true, false]) {
        assert.throws(
          () => io.decodeModel(json, weights.subarray(0, cut), { source: m.dir, checkIntegrity }),
          (e: unknown) => e instanceof FormatError && /weights\.safetensors/.test(e.message),
          `weights cut at ${cut}`,
        );
      }
    }
    // A flipped byte in the data is caught by the integrity check.
    const flipped = Uint8Array.from(weights);
    flipped[flipped.length - 1] ^= 1;
    assert.throws(() => io.decodeModel(json, flipped, { source: m.dir }), /not the weights file/);
  } finally {
    rmSync(m.dir, { recursive: true, force: true });
  }
});

test('registerLayer: a custom layer kind saves and loads', async () => {
  class Scale extends nn.Layer {
    readonly kind = 'testScale';
    constructor(
      readonly factor: number,
      name?: string,
    ) {
      super(name);
    }
    forward(x: Tensor): Tensor {
      return mul(x, this.factor);
    }
    config() {
      return { factor: this.factor };
    }
  }
  const net = nn.sequential([nn.dense({ units: 2, inFeatures: 2 }), new Scale(3)]);
  const dir = tempDir();
  try {
    await io.saveModel(net, dir);
    await assert.rejects(
      io.loadModel(dir),
      /unknown layer kind "testScale".*register it with io\.registerLayer/,
    );
    io.registerLayer('testScale', { create: (c, ctx) => new Scale(c.number('factor'), ctx.name) });
    assert.ok(io.layerKinds().includes('testScale'));
    const x = input([2, 2], 3);
    (await roundTrip(net, x)).dispose();
    x.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
    net.dispose();
  }
  assert.throws(() => io.registerLayer('', { create: () => net }), DescentError);
});

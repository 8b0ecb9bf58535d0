// io.exportOnnx: every zoo model and 40 seeded random layer mixes (every layer kind and
// option descent has: conv strides, paddings incl. 'same', dilations, groups; max/avg pooling
// with ceil mode and countIncludePad; batch norm in both inference modes; dropout in both
// modes; every activation incl. prelu and step; softmax/logSoftmax outputs) are exported and
// run in onnxruntime-node, whose outputs must equal descent's within 1e-5, at several batch
// sizes (the batch dimension is symbolic). ONNX's checker (Debian python3-onnx) must accept
// every file. Importing the file back gives descent's predictions again, and the imported
// graph saves and loads, and exports once more, to the same numbers.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setBackend } from '../../src/backend/registry.js';
import { noGrad } from '../../src/autograd/tape.js';
import { ConfigError } from '../../src/errors.js';
import { exportOnnx, importOnnx, OnnxGraph } from '../../src/io/onnx/index.js';
import { decodeOnnxModel } from '../../src/io/onnx/proto.js';
import { loadModel, saveModel } from '../../src/io/model-io.js';
import * as nn from '../../src/nn/index.js';
import type { Layer } from '../../src/nn/layer.js';
import type { Padding } from '../../src/ops/conv.js';
import { fromArray } from '../../src/tensor/creation.js';
import { Rng, setSeed } from '../../src/tensor/random.js';
import { tidy } from '../../src/tensor/scope.js';
import {
  checkerMissing,
  checkModels,
  maxError,
  ortRun,
  ortSession,
  predict,
  randomizeWeights,
  uniformInput,
} from './onnx-helpers.js';

const TOL = 1e-5;
const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

interface Case {
  name: string;
  net: Layer;
  sample: number[];
}

/** A few training passes (no gradient) move batch norm's running and population statistics off their start. */
function warmStatistics(net: Layer, sample: readonly number[], rng: Rng): void {
  for (let i = 0; i < 3; i++) {
    const x = uniformInput(rng, 4 * size(sample));
    tidy(() => noGrad(() => net.call(fromArray(x, [4, ...sample]), { training: true })));
  }
}

function zooCases(): Case[] {
  const rng = new Rng(7);
  return (['mlp', 'lenet1990', 'lenet5', 'fashion-cnn'] as const).map((name) => {
    setSeed(11);
    const sample = [1, 28, 28];
    const net = nn.buildModel(name, { inputShape: sample });
    warmStatistics(net, sample, rng);
    return { name, net, sample };
  });
}

// ---- random mixes ---------------------------------------------------------------------------

const pick = <T>(rng: Rng, items: readonly T[]): T => items[rng.int(items.length)];

function randomActivation(rng: Rng, convolutional: boolean): Layer {
  const kind = pick(rng, [
    'relu',
    'sigmoid',
    'tanh',
    'leakyRelu',
    'elu',
    'softplus',
    'step',
    'linear',
    'prelu',
  ]);
  if (kind === 'prelu')
    return nn.prelu({ alphaPer: rng.uniform() < 0.5 || !convolutional ? 'channel' : 'shared' });
  if (kind === 'leakyRelu' || kind === 'elu')
    return nn.activation(kind, { alpha: Math.round(rng.uniformIn(0.05, 1.5) * 100) / 100 });
  return nn.activation(kind);
}

function divisors(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1).filter((d) => n % d === 0);
}

/** A layer that fits `shape` ([1, C, H, W]), or null when the draw does not fit. */
function randomImageLayer(rng: Rng, shape: number[]): Layer | null {
  const [, c, h, w] = shape;
  const choice = rng.int(6);
  if (choice <= 1) {
    const out = 1 + rng.int(6);
    const groups = pick(
      rng,
      divisors(c).filter((g) => out % g === 0),
    );
    const k: [number, number] = [1 + rng.int(3), 1 + rng.int(3)];
    const paddings: Padding[] = [0, 1, 'same', 'valid', [rng.int(2), rng.int(2), rng.int(3), rng.int(2)]];
    const layer = nn.conv2d({
      outChannels: out,
      kernelSize: rng.uniform() < 0.5 ? k[0] : k,
      stride: pick(rng, [1, 1, 2, [1, 2]] as const),
      padding: pick(rng, paddings),
      dilation: pick(rng, [1, 1, 2] as const),
      groups,
      useBias: rng.uniform() < 0.8,
      activation:
        rng.uniform() < 0.5
          ? pick(rng, ['relu', 'tanh', 'elu', 'leakyRelu', 'prelu', 'sigmoid'] as const)
          : undefined,
    });
    return layer;
  }
  if (choice === 2) {
    const k = 1 + rng.int(3);
    const options = {
      kernelSize: k,
      stride: 1 + rng.int(3),
      padding: rng.int(Math.floor(k / 2) + 1),
      ceilMode: rng.uniform() < 0.3,
    };
    if (rng.uniform() < 0.5) return nn.maxPool2d({ ...options, dilation: pick(rng, [1, 1, 2] as const) });
    return nn.avgPool2d({ ...options, countIncludePad: rng.uniform() < 0.5 });
  }
  if (choice === 3)
    return nn.batchNorm2d({
      numFeatures: c,
      affine: rng.uniform() < 0.7,
      inference: rng.uniform() < 0.7 ? 'running' : 'population',
      eps: pick(rng, [1e-5, 1e-3]),
      momentum: pick(rng, [0.1, 0.3]),
    });
  if (choice === 4) return nn.dropout({ rate: 0.3, mode: rng.uniform() < 0.5 ? 'inverted' : 'scaleAtTest' });
  return h * w > 0 ? randomActivation(rng, true) : null;
}

function randomTableLayer(rng: Rng, features: number): Layer {
  const choice = rng.int(5);
  if (choice <= 1)
    return nn.dense({
      units: 1 + rng.int(12),
      useBias: rng.uniform() < 0.8,
      activation:
        rng.uniform() < 0.5
          ? pick(rng, ['relu', 'tanh', 'elu', 'softplus', 'step', 'prelu'] as const)
          : undefined,
    });
  if (choice === 2)
    return nn.batchNorm1d({
      numFeatures: features,
      inference: rng.uniform() < 0.7 ? 'running' : 'population',
    });
  if (choice === 3) return nn.dropout({ rate: 0.2, mode: rng.uniform() < 0.5 ? 'inverted' : 'scaleAtTest' });
  return randomActivation(rng, false);
}

/** Output shape of `layer` for `shape`, or null when it does not fit. */
function fits(layer: Layer, shape: number[]): number[] | null {
  try {
    const out = layer.outputShape(shape);
    return out.every((d) => d >= 1) ? out : null;
  } catch {
    return null;
  }
}

function randomCase(rng: Rng, index: number): Case {
  for (;;) {
    const layers: Layer[] = [];
    const image = rng.uniform() < 0.7;
    const sample = image ? [1 + rng.int(3), 5 + rng.int(8), 5 + rng.int(8)] : [2 + rng.int(16)];
    let shape = [1, ...sample];
    if (image) {
      const blocks = 1 + rng.int(5);
      for (let tries = 0; layers.length < blocks && tries < 50; tries++) {
        const layer = randomImageLayer(rng, shape);
        const out = layer && fits(layer, shape);
        if (!layer || !out) continue;
        layers.push(layer);
        shape = out;
      }
      const head = rng.uniform() < 0.3 ? nn.globalAvgPool2d() : nn.flatten();
      layers.push(head);
      shape = head.outputShape(shape);
    }
    const dense = 1 + rng.int(4);
    for (let i = 0; i < dense; i++) {
      const layer = randomTableLayer(rng, shape[1]);
      layers.push(layer);
      shape = layer.outputShape(shape);
      if (layer instanceof nn.Dense) shape = [1, layer.units];
    }
    layers.push(nn.dense({ units: 1 + rng.int(6) }));
    const end = rng.int(4);
    if (end === 1) layers.push(nn.softmax());
    if (end === 2) layers.push(nn.activation('logSoftmax'));
    try {
      const net = nn.sequential(layers, `mix_${index}`);
      net.buildFor([1, ...sample]);
      randomizeWeights(net, rng);
      warmStatistics(net, sample, rng);
      return { name: `mix ${index}: ${layers.map((l) => l.kind).join(' → ')}`, net, sample };
    } catch {
      for (const l of layers) l.dispose();
    }
  }
}

function randomCases(): Case[] {
  const rng = new Rng(20241203);
  setSeed(5);
  return Array.from({ length: 40 }, (_, i) => randomCase(rng, i));
}

// ---- the tests -------------------------------------------------------------------------------

async function checkAgainstOrt(c: Case, bytes: Uint8Array, rng: Rng): Promise<void> {
  const session = await ortSession(bytes).catch((e: unknown) => {
    throw new Error(`${c.name}: onnxruntime refuses the file: ${String(e)}`);
  });
  assert.deepEqual(session.inputNames, ['input']);
  assert.deepEqual(session.outputNames, ['output']);
  for (const batch of [1, 3]) {
    const x = uniformInput(rng, batch * size(c.sample));
    const want = predict(c.net, x, [batch, ...c.sample]);
    const got = await ortRun(session, x, [batch, ...c.sample]);
    const err = maxError(got, want);
    assert.ok(err <= TOL, `${c.name}: batch ${batch}: onnxruntime differs from descent by ${err} (> ${TOL})`);
  }
}

async function checkRoundTrip(c: Case, bytes: Uint8Array, rng: Rng): Promise<void> {
  const x = uniformInput(rng, 2 * size(c.sample));
  const shape = [2, ...c.sample];
  const want = predict(c.net, x, shape);
  const imported = importOnnx(bytes, { name: 'imported' });
  assert.ok(imported instanceof OnnxGraph);
  const back = predict(imported, x, shape);
  assert.ok(maxError(back, want) <= 1e-6, `${c.name}: imported ≠ descent (${maxError(back, want)})`);
  // The imported graph saves and loads as a descent model, and exports again.
  const dir = mkdtempSync(join(tmpdir(), 'descent-onnx-'));
  try {
    await saveModel(imported, dir);
    const loaded = await loadModel(dir);
    assert.deepEqual(predict(loaded, x, shape), back, `${c.name}: save/load changed the predictions`);
    const again = await exportOnnx(loaded);
    const session = await ortSession(again);
    const got = await ortRun(session, x, shape);
    assert.ok(maxError(got, want) <= TOL, `${c.name}: re-exported graph differs by ${maxError(got, want)}`);
    loaded.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
    imported.dispose();
  }
}

describe('exportOnnx', () => {
  setBackend('cpu');
  const exported: Array<{ name: string; bytes: Uint8Array }> = [];
  const zoo = zooCases();
  const mixes = randomCases();

  for (const c of zoo) {
    test(`zoo ${c.name}: onnxruntime gives descent's outputs, import gives them back`, async () => {
      setBackend('cpu');
      const bytes = await exportOnnx(c.net, { inputShape: c.sample });
      exported.push({ name: c.name, bytes });
      const rng = new Rng(3);
      await checkAgainstOrt(c, bytes, rng);
      await checkRoundTrip(c, bytes, rng);
    });
  }

  test("40 seeded random layer mixes: onnxruntime and the re-import give descent's outputs", async () => {
    setBackend('cpu');
    const rng = new Rng(4);
    const kinds = new Set<string>();
    for (const c of mixes) {
      const bytes = await exportOnnx(c.net, { inputShape: c.sample });
      exported.push({ name: c.name, bytes });
      await checkAgainstOrt(c, bytes, rng);
      await checkRoundTrip(c, bytes, rng);
      for (const node of decodeOnnxModel(bytes, c.name).graph!.node) kinds.add(node.opType);
    }
    // The mixes reach every operator the exporter writes.
    for (const op of [
      'Conv',
      'Gemm',
      'MaxPool',
      'AveragePool',
      'GlobalAveragePool',
      'BatchNormalization',
      'Dropout',
      'Mul',
      'Flatten',
      'Relu',
      'Sigmoid',
      'Tanh',
      'LeakyRelu',
      'Elu',
      'Softplus',
      'PRelu',
      'GreaterOrEqual',
      'Cast',
      'Softmax',
      'LogSoftmax',
    ])
      assert.ok(kinds.has(op), `no random mix exports ${op}`);
  });

  const missing = checkerMissing();
  test("ONNX's checker accepts every exported file", { skip: missing ?? false }, () => {
    assert.ok(exported.length >= 4, 'the export tests ran first');
    const results = checkModels(exported.map((e) => e.bytes));
    results.forEach((r, i) => assert.equal(r, '', `${exported[i].name}: ${r}`));
  });
});

describe('exportOnnx: the file', () => {
  test('named input and output, a symbolic batch dimension, opset 17, initialisers named by weight keys', async () => {
    setBackend('cpu');
    setSeed(1);
    const net = nn.sequential([
      nn.dense({ units: 4, inFeatures: 3, activation: 'relu' }),
      nn.dense({ units: 2 }),
    ]);
    const bytes = await exportOnnx(net, { inputName: 'features', outputName: 'logits', batchName: 'n' });
    const model = decodeOnnxModel(bytes, 'x');
    assert.deepEqual(
      model.opsetImport.map((o) => [o.domain, o.version]),
      [['', 17]],
    );
    const g = model.graph!;
    assert.equal(g.input[0].name, 'features');
    assert.equal(g.output[0].name, 'logits');
    assert.deepEqual(
      g.input[0].type!.tensorType!.shape!.dim.map((d) => d.dimParam || d.dimValue),
      ['n', 3],
    );
    assert.deepEqual(
      g.output[0].type!.tensorType!.shape!.dim.map((d) => d.dimParam || d.dimValue),
      ['n', 2],
    );
    assert.deepEqual(
      g.initializer.map((t) => t.name),
      ['dense_1.weight', 'dense_1.bias', 'dense_2.weight', 'dense_2.bias'],
    );
    assert.deepEqual(
      g.node.map((n) => `${n.name}:${n.opType}`),
      ['dense_1/Gemm:Gemm', 'dense_1/Relu:Relu', 'dense_2/Gemm:Gemm'],
    );
    const session = await ortSession(bytes);
    const x = Float32Array.from([0.5, -1, 2, 1, 1, 1]);
    const got = await ortRun(session, x, [2, 3], { input: 'features', output: 'logits' });
    assert.ok(maxError(got, predict(net, x, [2, 3])) <= TOL);
  });

  test('a model that does not know its input shape, or a layer ONNX cannot express, is a ConfigError naming it', async () => {
    setBackend('cpu');
    await assert.rejects(
      exportOnnx(nn.sequential([nn.flatten(), nn.dense({ units: 2 })])),
      (e: unknown) =>
        e instanceof ConfigError &&
        /input shape of 'sequential' is not known; pass \{ inputShape/.test(e.message),
    );
    const dilated = nn.sequential([nn.avgPool2d({ kernelSize: 2, dilation: 2 }), nn.flatten()]);
    await assert.rejects(
      exportOnnx(dilated, { inputShape: [1, 6, 6] }),
      (e: unknown) =>
        e instanceof ConfigError &&
        /layer 'avgPool2d_1' \(avgPool2d\): a dilated average pooling needs opset 19/.test(e.message),
    );
    await assert.rejects(exportOnnx({} as Layer), /expected a network \(a Layer\) or a Model/);
  });
});

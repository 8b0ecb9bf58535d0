// io.exportTorch and the state_dict round trip against real PyTorch (Debian's python3-torch):
// every zoo model, three models covering every layer option, and 24 seeded random layer mixes are written as model.py + state_dict.safetensors;
// one Python process builds each nn.Module, loads the state_dict strictly, and predicts — the
// same outputs as descent within 1e-5; it saves net.state_dict() back, which loaded into a copy
// of the descent model with other weights gives the original weights bit for bit (and the same
// predictions). Without torch these tests are skipped, saying why.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '../../src/autograd/index.js';
import { noGrad } from '../../src/autograd/tape.js';
import { setBackend } from '../../src/backend/registry.js';
import { decodeModel, encodeModel } from '../../src/io/model-format.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors-codec.js';
import { loadStateDict, stateDictTensors } from '../../src/io/state-dict.js';
import { exportTorch } from '../../src/io/torch/index.js';
import * as nn from '../../src/nn/index.js';
import type { Layer } from '../../src/nn/layer.js';
import type { Padding } from '../../src/ops/conv.js';
import { fromArray } from '../../src/tensor/creation.js';
import { Rng, setSeed } from '../../src/tensor/random.js';
import { tidy } from '../../src/tensor/scope.js';
import { maxError, predict, randomizeWeights, uniformInput } from './onnx-helpers.js';
import { python, torchMissing } from './torch-helpers.js';

const TOL = 1e-5;
const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const pick = <T>(rng: Rng, items: readonly T[]): T => items[rng.int(items.length)];

interface Case {
  name: string;
  net: Layer;
  sample: number[];
}

/** A few training passes move batch norm's running and population statistics off their start. */
function warm(net: Layer, sample: readonly number[], rng: Rng): void {
  for (let i = 0; i < 3; i++) {
    const x = uniformInput(rng, 4 * size(sample));
    tidy(() => noGrad(() => net.call(fromArray(x, [4, ...sample]), { training: true })));
  }
}

function activation(rng: Rng): Layer {
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
  if (kind === 'prelu') return nn.prelu({ alphaPer: rng.uniform() < 0.5 ? 'channel' : 'shared', init: 0.1 });
  if (kind === 'leakyRelu' || kind === 'elu')
    return nn.activation(kind, { alpha: pick(rng, [0.05, 0.3, 1.5]) });
  return nn.activation(kind);
}

function imageLayer(rng: Rng, c: number): Layer {
  const choice = rng.int(6);
  if (choice <= 1) {
    const out = 1 + rng.int(5);
    const paddings: Padding[] = [0, 1, 'same', 'valid', [0, 1, 1, 0]];
    return nn.conv2d({
      outChannels: out,
      kernelSize: pick(rng, [1, 2, 3, [2, 3]] as const),
      stride: pick(rng, [1, 1, 2] as const),
      padding: pick(rng, paddings),
      dilation: pick(rng, [1, 1, 2] as const),
      groups: out % c === 0 && rng.uniform() < 0.3 ? c : 1,
      useBias: rng.uniform() < 0.8,
      activation:
        rng.uniform() < 0.5 ? pick(rng, ['relu', 'elu', 'prelu', 'sigmoid', 'step'] as const) : undefined,
    });
  }
  if (choice === 2) {
    const k = 1 + rng.int(3);
    const options = {
      kernelSize: k,
      stride: 1 + rng.int(2),
      padding: rng.int(Math.floor(k / 2) + 1),
      ceilMode: rng.uniform() < 0.3,
    };
    if (rng.uniform() < 0.5) return nn.maxPool2d({ ...options, dilation: pick(rng, [1, 2] as const) });
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
  return activation(rng);
}

function tableLayer(rng: Rng, features: number): Layer {
  const choice = rng.int(5);
  if (choice <= 1)
    return nn.dense({
      units: 1 + rng.int(10),
      useBias: rng.uniform() < 0.8,
      activation:
        rng.uniform() < 0.5 ? pick(rng, ['relu', 'tanh', 'softplus', 'step', 'prelu'] as const) : undefined,
    });
  if (choice === 2)
    return nn.batchNorm1d({
      numFeatures: features,
      inference: rng.uniform() < 0.7 ? 'running' : 'population',
    });
  if (choice === 3) return nn.dropout({ rate: 0.2, mode: rng.uniform() < 0.5 ? 'inverted' : 'scaleAtTest' });
  return activation(rng);
}

function randomCase(rng: Rng, index: number): Case {
  for (;;) {
    const layers: Layer[] = [];
    const image = rng.uniform() < 0.7;
    const sample = image ? [1 + rng.int(3), 6 + rng.int(6), 6 + rng.int(6)] : [2 + rng.int(12)];
    try {
      let shape = [1, ...sample];
      if (image) {
        for (let i = 0, n = 1 + rng.int(4); i < n; i++) {
          const layer = imageLayer(rng, shape[1]);
          layers.push(layer);
          layer.buildFor(shape);
          shape = layer.outputShape(shape);
          if (!shape.every((d) => d >= 1)) throw new Error('too small');
        }
        const head = rng.uniform() < 0.3 ? nn.globalAvgPool2d() : nn.flatten();
        layers.push(head);
        shape = head.outputShape(shape);
      }
      for (let i = 0, n = 1 + rng.int(3); i < n; i++) {
        const layer = tableLayer(rng, shape[1]);
        layers.push(layer);
        layer.buildFor(shape);
        shape = layer.outputShape(shape);
      }
      layers.push(nn.dense({ units: 1 + rng.int(6) }));
      const end = rng.int(4);
      if (end === 1) layers.push(nn.softmax());
      if (end === 2) layers.push(nn.activation('logSoftmax'));
      // Sometimes a nested sequential: its keys are '<i>.<j>.weight'.
      const body =
        layers.length > 3 && rng.uniform() < 0.3
          ? [nn.sequential(layers.slice(0, 2), 'block'), ...layers.slice(2)]
          : layers;
      const net = nn.sequential(body, `mix_${index}`);
      net.buildFor([1, ...sample]);
      randomizeWeights(net, rng);
      warm(net, sample, rng);
      return { name: `mix ${index}: ${body.map((l) => l.kind).join(' → ')}`, net, sample };
    } catch {
      for (const l of layers) l.dispose();
    }
  }
}

/** One model per feature the random draws might miss: each option of each layer model.py spells. */
function featureCases(rng: Rng): Case[] {
  const build = (name: string, sample: number[], layers: Layer[]): Case => {
    const net = nn.sequential(layers, name);
    net.buildFor([1, ...sample]);
    randomizeWeights(net, rng);
    warm(net, sample, rng);
    return { name: `feature ${name}`, net, sample };
  };
  return [
    build(
      'pool-options',
      [2, 7, 7],
      [
        nn.avgPool2d({ kernelSize: 3, stride: 2, padding: 1, countIncludePad: false }),
        nn.avgPool2d({ kernelSize: 2, stride: 1, padding: 1, countIncludePad: true, ceilMode: true }),
        nn.maxPool2d({ kernelSize: 2, stride: 2, padding: 1, ceilMode: true }),
        nn.maxPool2d({ kernelSize: 2, stride: 1, dilation: 2 }),
        nn.flatten(),
        nn.dense({ units: 3 }),
      ],
    ),
    build(
      'uneven-same',
      [1, 8, 9],
      [
        nn.conv2d({ outChannels: 2, kernelSize: [2, 4], stride: 2, padding: 'same', activation: 'prelu' }),
        nn.conv2d({ outChannels: 4, kernelSize: 3, padding: [0, 1, 2, 0], groups: 2 }),
        nn.globalAvgPool2d({ keepDims: true }),
        nn.flatten(),
        nn.dense({ units: 2, activation: 'softmax' }),
      ],
    ),
    build(
      'units',
      [6],
      [
        nn.dense({ units: 8, activation: 'relu' }),
        nn.step(),
        nn.dense({ units: 8 }),
        nn.activation('leakyRelu', { alpha: 0.2 }),
        nn.activation('elu', { alpha: 0.3 }),
        nn.dropout({ rate: 0.4, mode: 'scaleAtTest' }),
        nn.batchNorm1d({ numFeatures: 8, inference: 'population' }),
        nn.prelu({ alphaPer: 'shared', init: 0.2 }),
        nn.dense({ units: 4, activation: 'logSoftmax' }),
      ],
    ),
  ];
}

function cases(): Case[] {
  const rng = new Rng(20261203);
  const zoo = (['mlp', 'lenet1990', 'lenet5', 'fashion-cnn'] as const).map((name) => {
    setSeed(3);
    const sample = [1, 28, 28];
    const net = nn.buildModel(name, { inputShape: sample });
    warm(net, sample, rng);
    return { name: `zoo ${name}`, net, sample };
  });
  setSeed(9);
  return [...zoo, ...featureCases(rng), ...Array.from({ length: 24 }, (_, i) => randomCase(rng, i))];
}

// One Python process for every model: build, load strictly, predict, save the state_dict back.
const RUN_ALL = `
import importlib.util, sys, torch
for i, d in enumerate(sys.argv[1:]):
    spec = importlib.util.spec_from_file_location(f"model_{i}", f"{d}/model.py")
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    net = m.build_model()
    net.load_state_dict(m.load_safetensors(f"{d}/state_dict.safetensors"))
    net.eval()
    with torch.no_grad():
        y = net(m.load_safetensors(f"{d}/x.safetensors")["x"])
    m.save_safetensors({"y": y}, f"{d}/y.safetensors")
    m.save_safetensors(net.state_dict(), f"{d}/back.safetensors")
`;

const missing = torchMissing();

describe('exportTorch against PyTorch', { skip: missing ?? false }, () => {
  test("every zoo model, 3 models of every layer option and 24 random mixes: PyTorch's outputs are descent's (1e-5); the state_dict comes back bit-exact", async () => {
    setBackend('cpu');
    const all = cases();
    const root = mkdtempSync(join(tmpdir(), 'descent-torch-'));
    const rng = new Rng(5);
    try {
      const inputs: Float32Array[] = [];
      const dirs = await Promise.all(
        all.map(async (c, i) => {
          const dir = join(root, `m${i}`);
          mkdirSync(dir);
          const files = await exportTorch(c.net, { inputShape: c.sample });
          writeFileSync(join(dir, 'model.py'), files['model.py']);
          writeFileSync(join(dir, 'state_dict.safetensors'), files['state_dict.safetensors']);
          const x = uniformInput(rng, 3 * size(c.sample));
          inputs[i] = x;
          writeFileSync(
            join(dir, 'x.safetensors'),
            encodeSafetensors([['x', { shape: [3, ...c.sample], data: x }]]),
          );
          return dir;
        }),
      );
      python(['-c', RUN_ALL, ...dirs]);
      for (const [i, c] of all.entries()) {
        const shape = [3, ...c.sample];
        const want = predict(c.net, inputs[i], shape);
        const y = decodeSafetensors(new Uint8Array(readFileSync(join(dirs[i], 'y.safetensors')))).tensors.get(
          'y',
        )!;
        assert.deepEqual(
          y.shape,
          [3, ...c.net.outputShape([1, ...c.sample]).slice(1)],
          `${c.name}: output shape`,
        );
        const err = maxError(y.data, want);
        assert.ok(err <= TOL, `${c.name}: PyTorch differs from descent by ${err} (> ${TOL})`);

        // descent → PyTorch → descent: into a copy with other weights, the original's come back exactly.
        const { json, weights } = await encodeModel(c.net);
        const copy = decodeModel(json, weights).layer;
        randomizeWeights(copy, new Rng(99 + i));
        const result = loadStateDict(copy, join(dirs[i], 'back.safetensors'));
        assert.deepEqual(result, { missingKeys: [], unexpectedKeys: [] });
        const before = await stateDictTensors(c.net);
        const after = await stateDictTensors(copy);
        assert.deepEqual([...after.keys()], [...before.keys()]);
        for (const [key, t] of before) {
          if (key.endsWith('num_batches_tracked')) continue;
          assert.deepEqual(after.get(key)!.data, t.data, `${c.name}: ${key} changed in the round trip`);
        }
        assert.deepEqual(
          predict(copy, inputs[i], shape),
          want,
          `${c.name}: the round trip changed the predictions`,
        );
        copy.dispose();
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
      for (const c of all) c.net.dispose();
    }
  });
});

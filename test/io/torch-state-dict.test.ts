// io.loadStateDict / saveStateDict without running Python: state_dicts saved by PyTorch
// (scripts/make-torch-state-dict-fixtures.py: an MLP and a CNN with batch norm, PReLU and both
// poolings, trained a few steps, num_batches_tracked as I64) load into the matching descent
// models and predict PyTorch's outputs within 1e-5; the keys are PyTorch's, in its order;
// strict loading lists missing, unexpected and mis-shaped keys as PyTorch does and copies
// nothing when it refuses; non-strict loading reports what it skipped.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '../../src/autograd/index.js';
import { setBackend } from '../../src/backend/registry.js';
import { ConfigError, FormatError } from '../../src/errors.js';
import { decodeSafetensors, encodeSafetensors, type TensorRecord } from '../../src/io/safetensors-codec.js';
import {
  encodeStateDict,
  loadStateDict,
  loadStateDictFromBytes,
  saveStateDict,
  stateDictTensors,
} from '../../src/io/state-dict.js';
import { exportTorch } from '../../src/io/torch/index.js';
import { importOnnx } from '../../src/io/onnx/index.js';
import { exportOnnx } from '../../src/io/onnx/index.js';
import * as io from '../../src/io/index.js';
import * as nn from '../../src/nn/index.js';
import type { Layer } from '../../src/nn/layer.js';
import { setSeed } from '../../src/tensor/random.js';
import { maxError, predict } from './onnx-helpers.js';

interface Fixture {
  keys: string[];
  input: { shape: number[]; data: number[] };
  output: { shape: number[]; data: number[] };
}

const dir = new URL('../../../test/fixtures/torch/', import.meta.url);
const fixture = (name: string) => ({
  path: new URL(`${name}.safetensors`, dir).pathname,
  bytes: new Uint8Array(readFileSync(new URL(`${name}.safetensors`, dir))),
  json: JSON.parse(readFileSync(new URL(`${name}.json`, dir), 'utf8')) as Fixture,
});

/** The descent models whose module trees are the fixtures' (an activation layer is an index, as in torch). */
function mlp(): Layer {
  const net = nn.sequential([
    nn.dense({ units: 16 }),
    nn.relu(),
    nn.dense({ units: 8 }),
    nn.tanh(),
    nn.dense({ units: 3 }),
  ]);
  net.buildFor([1, 12]);
  return net;
}

function cnn(): Layer {
  const net = nn.sequential([
    nn.conv2d({ inChannels: 1, outChannels: 4, kernelSize: 3, padding: 1 }),
    nn.batchNorm2d(4),
    nn.prelu(),
    nn.maxPool2d(2),
    nn.conv2d({ outChannels: 6, kernelSize: 3 }),
    nn.relu(),
    nn.avgPool2d(2),
    nn.flatten(),
    nn.dense({ units: 5 }),
    nn.batchNorm1d(5),
    nn.elu(),
    nn.dense({ units: 3 }),
    nn.softmax(),
  ]);
  net.buildFor([1, 1, 8, 8]);
  return net;
}

const models: Record<string, () => Layer> = { mlp, cnn };

/** A copy of a state_dict file with some tensors replaced, added or removed. */
function edited(bytes: Uint8Array, edit: (tensors: Map<string, TensorRecord>) => void): Uint8Array {
  const { tensors } = decodeSafetensors(bytes);
  edit(tensors);
  return encodeSafetensors(tensors);
}

describe('PyTorch state_dicts', () => {
  for (const name of ['mlp', 'cnn']) {
    test(`${name}: saved by PyTorch, it loads into descent and predicts PyTorch's outputs (1e-5)`, async () => {
      setBackend('cpu');
      setSeed(1);
      const { path, json } = fixture(name);
      const net = models[name]();
      assert.deepEqual(
        Object.keys(net.stateDict()),
        json.keys,
        "descent's PyTorch names are PyTorch's, in its order",
      );
      assert.deepEqual(loadStateDict(net, path), { missingKeys: [], unexpectedKeys: [] });
      const got = predict(net, Float32Array.from(json.input.data), json.input.shape);
      const err = maxError(got, json.output.data);
      assert.ok(err <= 1e-5, `descent differs from PyTorch by ${err}`);
      // And saved again by descent, the file holds PyTorch's values under PyTorch's keys.
      const again = decodeSafetensors(await encodeStateDict(net)).tensors;
      const original = decodeSafetensors(fixture(name).bytes).tensors;
      assert.deepEqual([...again.keys()], json.keys);
      for (const [key, t] of original) {
        if (key.endsWith('num_batches_tracked')) continue;
        assert.deepEqual(again.get(key)!.data, t.data, key);
      }
      net.dispose();
    });
  }

  test('strict: missing, unexpected and mis-shaped keys are all listed, and nothing is copied', async () => {
    setBackend('cpu');
    setSeed(2);
    const { bytes } = fixture('cnn');
    const net = cnn();
    const before = await stateDictTensors(net);
    const bad = edited(bytes, (t) => {
      t.delete('4.bias');
      t.delete('9.running_var');
      t.set('13.weight', { dtype: 'float32', shape: [2], data: Float32Array.of(1, 2) });
      t.set('8.weight', { dtype: 'float32', shape: [5, 7], data: new Float32Array(35) });
    });
    assert.throws(
      () => loadStateDictFromBytes(net, bad, { source: 'bad.safetensors' }),
      (e: Error) => {
        assert.ok(e instanceof FormatError);
        assert.match(
          e.message,
          /^bad\.safetensors: Error\(s\) in loading state_dict for sequential \(sequential\):/,
        );
        assert.match(e.message, /Missing key\(s\) in state_dict: "4\.bias", "9\.running_var"\./);
        assert.match(e.message, /Unexpected key\(s\) in state_dict: "13\.weight"\./);
        assert.match(
          e.message,
          /size mismatch for 8\.weight: copying a tensor with shape \[5, 7\], the shape in the current model is \[5, 6\]/,
        );
        return true;
      },
    );
    const after = await stateDictTensors(net);
    for (const [key, t] of before)
      assert.deepEqual(after.get(key)!.data, t.data, `${key} was changed by a refused load`);
    net.dispose();
  });

  test('not strict: extra and absent keys are reported and skipped; a mis-shaped tensor is still an error', async () => {
    setBackend('cpu');
    setSeed(3);
    const { bytes } = fixture('mlp');
    const net = mlp();
    const own = (await stateDictTensors(net)).get('4.bias')!.data;
    const partial = edited(bytes, (t) => {
      t.delete('4.bias');
      t.set('classifier.weight', { dtype: 'float32', shape: [1], data: Float32Array.of(0) });
    });
    assert.throws(() => loadStateDictFromBytes(net, partial), /Missing key\(s\) in state_dict: "4\.bias"/);
    const result = loadStateDictFromBytes(net, partial, { strict: false });
    assert.deepEqual(result, { missingKeys: ['4.bias'], unexpectedKeys: ['classifier.weight'] });
    const loaded = await stateDictTensors(net);
    assert.deepEqual(loaded.get('4.bias')!.data, own, 'a key the file lacks keeps the model its value');
    assert.deepEqual(loaded.get('0.weight')!.data, decodeSafetensors(bytes).tensors.get('0.weight')!.data);
    const misshaped = edited(bytes, (t) =>
      t.set('2.bias', { dtype: 'float32', shape: [9], data: new Float32Array(9) }),
    );
    assert.throws(
      () => loadStateDictFromBytes(net, misshaped, { strict: false }),
      /size mismatch for 2\.bias: copying a tensor with shape \[9\], the shape in the current model is \[8\]/,
    );
    net.dispose();
  });

  test('a dense or conv2d with a built-in activation is one index; its PReLU is <i>.activation.weight', () => {
    setBackend('cpu');
    const net = nn.sequential([
      nn.conv2d({ inChannels: 2, outChannels: 3, kernelSize: 3, activation: 'prelu' }),
      nn.flatten(),
      nn.sequential([nn.dense({ units: 4, activation: 'relu' }), nn.batchNorm1d({ affine: false })], 'block'),
      nn.dropout(0.5),
      nn.dense({ units: 2, useBias: false, activation: 'softmax' }),
    ]);
    net.buildFor([1, 2, 5, 5]);
    assert.deepEqual(
      Object.entries(net.stateDict()).map(([key, t]) => `${key} [${t.shape.join(', ')}]`),
      [
        '0.weight [3, 2, 3, 3]',
        '0.bias [3]',
        '0.activation.weight [3]',
        '2.0.weight [4, 27]',
        '2.0.bias [4]',
        '2.1.running_mean [4]',
        '2.1.running_var [4]',
        '2.1.num_batches_tracked []',
        '4.weight [2, 4]',
      ],
    );
    net.dispose();
  });

  test('saveStateDict writes the file; a layer model.py has no module for, or an unbuilt model, is a ConfigError naming it', async () => {
    setBackend('cpu');
    const tmp = mkdtempSync(join(tmpdir(), 'descent-state-dict-'));
    try {
      const net = mlp();
      const file = join(tmp, 'sd.safetensors');
      const bytes = await saveStateDict(net, file);
      assert.deepEqual(new Uint8Array(readFileSync(file)), bytes);
      assert.equal(decodeSafetensors(bytes).metadata.format, 'pt');
      net.dispose();
      const graph = importOnnx(await exportOnnx(mlp(), { inputShape: [12] }), { name: 'graph' });
      await assert.rejects(
        exportTorch(nn.sequential([graph]), { inputShape: [12] }),
        (e: Error) =>
          e instanceof ConfigError && /layer '0' \(onnxGraph\) has no PyTorch counterpart/.test(e.message),
      );
      await assert.rejects(
        stateDictTensors(nn.sequential([nn.dense({ units: 3 })])),
        (e: Error) =>
          e instanceof ConfigError && /dense_1 \(dense\): not built yet.*buildFor/.test(e.message),
      );
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  test('an I64 value beyond int32 (a num_batches_tracked descent cannot hold) is a FormatError naming the tensor', () => {
    const { bytes } = fixture('cnn');
    const { tensors } = decodeSafetensors(bytes);
    // Re-encode with one I64 tensor by hand: descent writes no I64, so patch the header's dtype.
    const data = BigInt64Array.of(2n ** 40n);
    const header = JSON.stringify({ n: { dtype: 'I64', shape: [], data_offsets: [0, 8] } });
    const padded = header + ' '.repeat((8 - (header.length % 8)) % 8);
    const file = new Uint8Array(8 + padded.length + 8);
    new DataView(file.buffer).setBigUint64(0, BigInt(padded.length), true);
    file.set(new TextEncoder().encode(padded), 8);
    file.set(new Uint8Array(data.buffer), 8 + padded.length);
    assert.throws(
      () => decodeSafetensors(file, 'big.safetensors'),
      /big\.safetensors: .*tensor 'n'.*I64 value 1099511627776 at element 0 does not fit descent's int32/,
    );
    assert.equal(tensors.get('1.num_batches_tracked')!.dtype, 'int32');
    assert.deepEqual([...tensors.get('1.num_batches_tracked')!.data], [5]);
  });
});

test("the README's lines (Past one machine) run as written, and the file loads back", async () => {
  setBackend('cpu');
  const tmp = mkdtempSync(join(tmpdir(), 'descent-readme-torch-'));
  const cwd = process.cwd();
  try {
    process.chdir(tmp);
    const net = nn.sequential([
      nn.dense({ units: 32, activation: 'relu', inFeatures: 64 }),
      nn.dense({ units: 10 }),
    ]);
    await io.saveStateDict(net, 'state_dict.safetensors'); // PyTorch's names: 0.weight [out, in], 1.running_mean…
    copyFileSync('state_dict.safetensors', 'trained.safetensors');
    io.loadStateDict(net, 'trained.safetensors'); // strict: missing, unexpected, mis-shaped keys listed
    const files = await io.exportTorch(net, { inputShape: [64] }); // model.py, state_dict.safetensors, train_ddp.py
    assert.deepEqual(Object.keys(files), ['model.py', 'state_dict.safetensors', 'train_ddp.py']);
    assert.deepEqual(
      decodeSafetensors(files['state_dict.safetensors']).tensors,
      decodeSafetensors(new Uint8Array(readFileSync('state_dict.safetensors'))).tensors,
    );
    assert.match(
      files['model.py'],
      /Dense\(64, 32, bias=True, activation=nn\.ReLU\(\)\),\s+# 0: dense_1 \(dense\)/,
    );
    net.dispose();
  } finally {
    process.chdir(cwd);
    rmSync(tmp, { recursive: true, force: true });
  }
});

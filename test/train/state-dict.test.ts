// Layer.stateDict / loadStateDict / getWeights / setWeights: PyTorch's keys and layouts,
// strict and non-strict loads with PyTorch-like errors, and round trips that give the
// same predictions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/autograd/index.js';
import * as nn from '../../src/nn/index.js';
import { fromArray, zeros } from '../../src/tensor/creation.js';
import { setSeed } from '../../src/tensor/random.js';
import { ConfigError } from '../../src/errors.js';
import type { Tensor } from '../../src/tensor/tensor.js';

function shapes(sd: Record<string, Tensor>): Record<string, number[]> {
  return Object.fromEntries(Object.entries(sd).map(([k, t]) => [k, [...t.shape]]));
}

function cnn(): nn.Sequential {
  return nn.sequential([
    nn.conv2d({ outChannels: 4, kernelSize: 3, inputShape: [1, 6, 6] }),
    nn.relu(),
    nn.batchNorm2d(),
    nn.flatten(),
    nn.dense({ units: 5, activation: 'relu' }),
    nn.prelu(),
    nn.dense({ units: 3 }),
  ]);
}

test('stateDict uses PyTorch keys and layouts: numbered children, [out, in] dense, OIHW conv, batch norm buffers, PReLU weight', () => {
  setSeed(1);
  const net = cnn();
  assert.deepEqual(shapes(net.stateDict()), {
    '0.weight': [4, 1, 3, 3],
    '0.bias': [4],
    '2.weight': [4],
    '2.bias': [4],
    '2.running_mean': [4],
    '2.running_var': [4],
    '2.num_batches_tracked': [],
    '4.weight': [5, 64],
    '4.bias': [5],
    '5.weight': [5],
    '6.weight': [3, 5],
    '6.bias': [3],
  });
  // The tensors are the layer's own (a view, as in PyTorch).
  const sd = net.stateDict();
  assert.equal(sd['0.weight'], (net.layers[0] as nn.Conv2d).weight);
  net.dispose();
});

test('a dense with a learned activation keeps it under its index; nested sequentials nest their numbers', () => {
  const net = nn.sequential([
    nn.dense({ units: 3, inFeatures: 2, activation: 'prelu' }),
    nn.sequential([nn.dense({ units: 2, inFeatures: 3 }), nn.tanh()]),
  ]);
  assert.deepEqual(Object.keys(net.stateDict()), [
    '0.weight',
    '0.bias',
    '0.activation.weight',
    '1.0.weight',
    '1.0.bias',
  ]);
  net.dispose();
});

test('num_batches_tracked counts training batches; loadStateDict copies it with the rest', async () => {
  setSeed(2);
  const a = nn.sequential([nn.dense({ units: 3, inFeatures: 2 }), nn.batchNorm1d()]);
  const x = fromArray([1, 2, 3, 4, 5, 7, -1, 0], [4, 2]);
  for (let i = 0; i < 3; i++) a.call(x, { training: true }).dispose();
  a.call(x, { training: false }).dispose();
  assert.equal(a.stateDict()['1.num_batches_tracked'].item(), 3);
  setSeed(3);
  const b = nn.sequential([nn.dense({ units: 3, inFeatures: 2 }), nn.batchNorm1d(3)]);
  assert.deepEqual(b.loadStateDict(a.stateDict()), { missingKeys: [], unexpectedKeys: [] });
  assert.equal(b.stateDict()['1.num_batches_tracked'].item(), 3);
  const ya = a.call(x).toArray();
  const yb = b.call(x).toArray();
  assert.deepEqual(yb, ya);
  x.dispose();
  a.dispose();
  b.dispose();
});

test('strict load lists the missing, unexpected and mis-shaped keys and changes nothing', () => {
  setSeed(4);
  const net = nn.sequential([nn.dense({ units: 3, inFeatures: 2 }), nn.dense({ units: 1 })]);
  const before = net.stateDict()['0.weight'].toArray();
  const sd = {
    '0.weight': zeros([3, 2]),
    '1.weight': zeros([1, 4]),
    '2.weight': zeros([1]),
  };
  assert.throws(
    () => net.loadStateDict(sd),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      const m = e.message;
      assert.match(m, /Error\(s\) in loading state_dict for sequential/);
      assert.match(m, /Missing key\(s\) in state_dict: "0\.bias", "1\.bias"\./);
      assert.match(m, /Unexpected key\(s\) in state_dict: "2\.weight"\./);
      assert.match(
        m,
        /size mismatch for 1\.weight: copying a tensor with shape \[1, 4\].*current model is \[1, 3\]/,
      );
      return true;
    },
  );
  assert.deepEqual(net.stateDict()['0.weight'].toArray(), before, 'a failed load changes nothing');
  Object.values(sd).forEach((t) => t.dispose());
  net.dispose();
});

test('non-strict load takes the keys both have and reports the rest; a shape mismatch still fails', () => {
  setSeed(5);
  const net = nn.sequential([nn.dense({ units: 3, inFeatures: 2 }), nn.dense({ units: 1 })]);
  const w = fromArray([1, 2, 3, 4, 5, 6], [3, 2]);
  const extra = zeros([7]);
  const result = net.loadStateDict({ '0.weight': w, 'head.weight': extra }, { strict: false });
  assert.deepEqual(result, {
    missingKeys: ['0.bias', '1.weight', '1.bias'],
    unexpectedKeys: ['head.weight'],
  });
  assert.deepEqual(net.stateDict()['0.weight'].toArray(), [
    [1, 2],
    [3, 4],
    [5, 6],
  ]);
  const bad = zeros([2, 3]);
  assert.throws(
    () => net.loadStateDict({ '0.weight': bad }, { strict: false }),
    /size mismatch for 0\.weight/,
  );
  [w, extra, bad].forEach((t) => t.dispose());
  net.dispose();
});

test('stateDict of a lazily built layer before it is built names the layer', () => {
  const net = nn.sequential([nn.dense({ units: 3 }), nn.dense({ units: 1 })]);
  assert.throws(() => net.stateDict(), /dense_1 \(dense\): not built yet.*buildFor/);
  net.buildFor([1, 4]);
  assert.deepEqual(Object.keys(net.stateDict()), ['0.weight', '0.bias', '1.weight', '1.bias']);
  net.dispose();
});

test('getWeights returns copies in stateDict order; setWeights takes tensors or flat arrays and checks them', () => {
  setSeed(6);
  const a = nn.sequential([nn.dense({ units: 2, inFeatures: 2 }), nn.dense({ units: 1 })]);
  setSeed(7);
  const b = nn.sequential([nn.dense({ units: 2, inFeatures: 2 }), nn.dense({ units: 1 })]);
  const weights = a.getWeights();
  assert.deepEqual(
    weights.map((t) => t.shape),
    [[2, 2], [2], [1, 2], [1]],
  );
  assert.notEqual(weights[0], (a.layers[0] as nn.Dense).weight, 'a copy, not the parameter');
  b.setWeights(weights);
  const x = fromArray([0.5, -1, 2, 0.25], [2, 2]);
  assert.deepEqual(b.call(x).toArray(), a.call(x).toArray());
  b.setWeights([[1, 0, 0, 1], [0, 0], [1, 1], [0.5]]);
  assert.deepEqual(b.call(x).toArray(), [[0], [2.75]]);
  assert.throws(
    () => b.setWeights(weights.slice(0, 3)),
    /expected 4 weights \(0\.weight, 0\.bias, 1\.weight, 1\.bias\), got 3/,
  );
  assert.throws(
    () => b.setWeights([weights[1], weights[0], weights[2], weights[3]]),
    /weight 0 \(0\.weight\) must be shaped \[2, 2\], got \[2\]/,
  );
  weights.forEach((t) => t.dispose());
  x.dispose();
  a.dispose();
  b.dispose();
});

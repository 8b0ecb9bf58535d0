// The one state shape (tensor/state.ts) and its codec (io/state-codec.ts): stateDicts of the
// optimiser, the generator and the history round-trip through JSON + safetensors exactly;
// damaged or mismatched states are refused by name and change nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/autograd/index.js';
import * as nn from '../../src/nn/index.js';
import { decodeStates, encodeStates } from '../../src/io/state-codec.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors.js';
import { Optimizer, optimizers } from '../../src/optim/index.js';
import { HistoryRecorder } from '../../src/train/index.js';
import { crossEntropy } from '../../src/losses/index.js';
import { fromArray } from '../../src/tensor/creation.js';
import { Rng, setSeed } from '../../src/tensor/random.js';
import { dispose, tidy } from '../../src/tensor/scope.js';
import type { StateDict } from '../../src/tensor/state.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { FormatError } from '../../src/errors.js';

/** encodeStates → bytes → decodeStates, as a checkpoint does. */
async function roundTrip(
  states: Record<string, StateDict>,
): Promise<{ states: Record<string, StateDict>; tensors: Tensor[] }> {
  const { json, tensors } = encodeStates(states);
  const values = await Promise.all(tensors.map((t) => t.data()));
  const bytes = encodeSafetensors(
    tensors.map((t, i): [string, { dtype: 'float32'; shape: readonly number[]; data: Float32Array }] => [
      `state.${i}`,
      { dtype: 'float32', shape: t.shape, data: values[i] as Float32Array },
    ]),
  );
  const text = JSON.stringify(json);
  return decodeStates(JSON.parse(text), decodeSafetensors(bytes), 'test');
}

test('values, NaN, ±∞, $-keys and tensors anywhere in a state come back as they were', async () => {
  const t = fromArray([1, 2, 3, 4], [2, 2]);
  const state = {
    a: { n: 1.5, nan: NaN, inf: -Infinity, s: 'text', b: true, z: null, list: [t, { $tensor: 'not one' }] },
  };
  const { states, tensors } = await roundTrip(state as unknown as Record<string, StateDict>);
  const a = states.a as Record<string, unknown>;
  assert.equal(a.n, 1.5);
  assert.ok(Number.isNaN(a.nan));
  assert.equal(a.inf, -Infinity);
  assert.deepEqual([a.s, a.b, a.z], ['text', true, null]);
  const list = a.list as [Tensor, Record<string, unknown>];
  assert.deepEqual(list[0].toArray(), [
    [1, 2],
    [3, 4],
  ]);
  assert.deepEqual(list[1], { $tensor: 'not one' }, 'an object with $-keys is not taken for a tensor');
  dispose(tensors);
  t.dispose();
});

test('an optimiser, a generator and a history continue exactly after a round trip', async () => {
  setSeed(1);
  const net = nn.sequential([
    nn.dense({ units: 4, inFeatures: 2, activation: 'tanh' }),
    nn.dense({ units: 2 }),
  ]);
  const opt = new Optimizer(optimizers.adam({ lr: 0.01 }), net.parameters());
  const x = fromArray([0, 1, 1, 0, 1, 1, 0, 0], [4, 2]);
  const y = fromArray([1, 1, 0, 0], [4], { dtype: 'int32' });
  const step = () =>
    tidy(() => {
      opt.zeroGrad();
      crossEntropy(net.call(x, { training: true }), y).backward();
      opt.step();
    });
  step();
  step();
  opt.lrScale = 0.5;
  const rng = new Rng(9);
  rng.normal();
  const history = new HistoryRecorder();
  history.onEpochEnd({ epoch: 0, logs: { loss: 0.5, accuracy: NaN }, seconds: 1 });
  const { states, tensors } = await roundTrip({
    optimizer: opt.stateDict(),
    rng: rng.stateDict(),
    history: history.stateDict(),
  });
  const opt2 = new Optimizer(optimizers.adam({ lr: 0.01 }), net.parameters());
  opt2.loadStateDict(states.optimizer);
  assert.equal(opt2.steps, 2);
  assert.equal(opt2.lrScale, 0.5);
  const rng2 = new Rng(0);
  rng2.loadStateDict(states.rng);
  assert.deepEqual([rng2.normal(), rng2.uniform()], [rng.normal(), rng.uniform()]);
  const history2 = new HistoryRecorder();
  history2.loadStateDict(states.history);
  assert.deepEqual(history2.history.epochs, [0]);
  assert.ok(Number.isNaN(history2.history.history.accuracy[0]));
  dispose(tensors); // the loaded states are copies: the decoded tensors can go
  const a = opt.parameterState();
  const b = opt2.parameterState();
  for (const [name, s] of Object.entries(a))
    for (const [k, t] of Object.entries(s))
      assert.deepEqual(Array.from(b[name][k].dataSync()), Array.from(t.dataSync()));
  opt2.dispose();
  opt.dispose();
  [x, y].forEach((t) => t.dispose());
  net.dispose();
});

test('mismatched or damaged states are refused by name and change nothing', async () => {
  setSeed(2);
  const net = nn.sequential([nn.dense({ units: 3, inFeatures: 2 })]);
  const sgd = new Optimizer(optimizers.momentum({ lr: 0.1 }), net.parameters());
  const adam = new Optimizer(optimizers.adam({}), net.parameters());
  assert.throws(
    () => adam.loadStateDict(sgd.stateDict()),
    /Optimizer\.loadStateDict: state.*different optimiser or model/,
  );
  assert.equal(adam.steps, 0);
  assert.throws(
    () => adam.loadStateDict({ ...adam.stateDict(), steps: -1 }),
    /saved steps is -1; expected an integer ≥ 0/,
  );
  const fresh = new Optimizer(optimizers.sgd({ lr: 0.1 }));
  assert.throws(() => fresh.loadStateDict(sgd.stateDict()), /attach the optimiser/);
  assert.throws(
    () => new Rng(1).loadStateDict({ words: [0, 0, 0, 0], spareNormal: 0 }),
    /four 32-bit integers, not all zero/,
  );
  assert.throws(
    () => new HistoryRecorder().loadStateDict({ epochs: [0], history: { loss: ['x'] } }),
    /history\.loss/,
  );
  const empty = { tensors: new Map(), metadata: {} };
  assert.throws(
    () => decodeStates({ a: { t: { $tensor: 3 } } }, empty, 'f'),
    (e: unknown) =>
      e instanceof FormatError && /states\.a\.t refers to tensor 'state\.3'/.test((e as Error).message),
  );
  assert.throws(() => decodeStates({ a: 5 }, empty, 'f'), /states\.a: expected an object/);
  assert.throws(() => decodeStates({ a: { n: { $number: 'lots' } } }, empty, 'f'), /states\.a\.n: expected/);
  [sgd, adam].forEach((o) => o.dispose());
  net.dispose();
});

// Logits or probabilities, said explicitly, and softmax never applied twice: a softmax output
// given to either cross-entropy is scored through the fused log-softmax of its input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/autograd/index.js';
import * as nn from '../../src/nn/index.js';
import { Dataset } from '../../src/data/dataset.js';
import { Model } from '../../src/train/index.js';
import {
  binaryCrossEntropy,
  binaryCrossEntropyFromLogits,
  binaryCrossEntropyLoss,
  categoricalCrossEntropy,
  crossEntropy,
  crossEntropyLoss,
  getLoss,
} from '../../src/losses/index.js';
import { softmax } from '../../src/ops/activation.js';
import { fromArray, randn } from '../../src/tensor/creation.js';
import { setSeed } from '../../src/tensor/random.js';
import { ConfigError } from '../../src/errors.js';

const labels = () => fromArray(Int32Array.from([2, 0, 1]), [3], { dtype: 'int32' });

test('crossEntropy of a softmax output is that of its logits (value and gradient): no second softmax', () => {
  const z = fromArray([1, 2, 3, 0.5, -1, 0, 2, 2, -3], [3, 3]);
  z.requiresGrad = true;
  const direct = crossEntropy(z, labels());
  direct.backward();
  const gDirect = Array.from(z.grad!.dataSync());
  z.grad = null;
  const viaSoftmax = crossEntropy(softmax(z), labels());
  viaSoftmax.backward();
  assert.equal(viaSoftmax.item(), direct.item());
  assert.deepEqual(Array.from(z.grad!.dataSync()), gDirect);
});

test('categoricalCrossEntropy takes probabilities (Keras): hand-computed, clipped, and fused after a softmax', () => {
  // −(ln 0.7 + ln 0.5 + ln 0.2) / 3
  const p = fromArray([0.1, 0.2, 0.7, 0.5, 0.25, 0.25, 0.3, 0.2, 0.5], [3, 3]);
  const y = fromArray(Int32Array.from([2, 0, 2]), [3], { dtype: 'int32' });
  const expected = -(Math.log(0.7) + Math.log(0.5) + Math.log(0.5)) / 3;
  assert.ok(Math.abs(categoricalCrossEntropy(p, y).item() - expected) < 1e-6);
  // One-hot rows alike; p = 0 is clipped to 1e-7 (finite), as Keras.
  const zero = fromArray([1, 0], [1, 2]);
  const hot = fromArray([0, 1], [1, 2]);
  assert.ok(Math.abs(categoricalCrossEntropy(zero, hot).item() - -Math.log(1e-7)) < 1e-3);
  // A softmax of huge logits: log p would be −∞ for the second class; the fused path is exact.
  const big = fromArray([1000, 0], [1, 2]);
  const fused = categoricalCrossEntropy(softmax(big), hot).item();
  assert.equal(fused, 1000);
  assert.equal(fused, crossEntropy(big, hot).item());
});

test('logits handed to categoricalCrossEntropy are refused with the fix', () => {
  assert.throws(
    () =>
      categoricalCrossEntropy(
        fromArray([2.5, -1, 0.3, 0.1, 0.2, 0.3], [2, 3]),
        fromArray(Int32Array.from([0, 2]), [2], { dtype: 'int32' }),
      ),
    (e: unknown) =>
      e instanceof ConfigError &&
      /categoricalCrossEntropy' takes probabilities.*element 0.*2\.5.*'crossEntropy'.*fromLogits: true/.test(
        (e as Error).message,
      ),
  );
});

test('crossEntropyLoss({ fromLogits }) and binaryCrossEntropyLoss({ fromLogits }) name the convention', () => {
  assert.equal(crossEntropyLoss({ fromLogits: true }), crossEntropy);
  assert.equal(crossEntropyLoss({ fromLogits: false }), categoricalCrossEntropy);
  assert.equal(binaryCrossEntropyLoss({ fromLogits: true }), binaryCrossEntropyFromLogits);
  assert.equal(binaryCrossEntropyLoss({ fromLogits: false }), binaryCrossEntropy);
  assert.equal(getLoss('sparseCategoricalCrossEntropy'), categoricalCrossEntropy);
  assert.throws(() => crossEntropyLoss({} as never), /fromLogits: true.*fromLogits: false/);
});

test('a model ending in softmax trains exactly as the same model with raw outputs, with either loss', async () => {
  const run = async (activation: 'softmax' | undefined, loss: 'crossEntropy' | 'categoricalCrossEntropy') => {
    setSeed(7);
    const x = randn([60, 4]);
    const y = fromArray(
      Int32Array.from({ length: 60 }, (_, i) => i % 3),
      [60],
      { dtype: 'int32' },
    );
    const set = new Dataset(x, y, 3);
    const net = nn.sequential([
      nn.dense({ units: 8, activation: 'tanh' }),
      nn.dense({ units: 3, activation }),
    ]);
    const model = new Model(net).compile({ optimizer: 'sgd', lr: 0.5, loss });
    const history = await model.fit(set, { epochs: 3, batchSize: 20, shuffle: false });
    set.dispose();
    return history.history.loss;
  };
  const raw = await run(undefined, 'crossEntropy');
  assert.deepEqual(await run('softmax', 'crossEntropy'), raw);
  assert.deepEqual(await run('softmax', 'categoricalCrossEntropy'), raw);
  assert.ok(raw[2] < raw[0], `it learns: ${raw.join(' → ')}`);
});

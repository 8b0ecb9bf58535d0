// Training that must stop cleanly, and training that must not grow.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import '../../src/autograd/index.js';
import * as nn from '../../src/nn/index.js';
import { Model } from '../../src/train/index.js';
import { Dataset } from '../../src/data/dataset.js';
import { digits } from '../../src/data/sets.js';
import { DataError } from '../../src/errors.js';
import { setSeed } from '../../src/tensor/random.js';
import { memory } from '../../src/tensor/scope.js';

function smallNet(): Model {
  return new Model(nn.sequential([nn.dense({ units: 8, activation: 'relu' }), nn.dense({ units: 3 })]));
}

test('a NaN in one sample stops training at the step that sees it, naming the step and a parameter', async () => {
  setSeed(1);
  const n = 64;
  const features = new Float32Array(n * 4).map((_, i) => Math.sin(i));
  features[37 * 4 + 2] = NaN; // sample 37 is poisoned
  const labels = Int32Array.from({ length: n }, (_, i) => i % 3);
  const data = Dataset.fromArrays(features, [4], labels, { numClasses: 3 });
  const model = smallNet().compile({ optimizer: 'sgd', lr: 0.1, loss: 'crossEntropy' });
  model.net.buildFor([1, 4]);
  const before = memory().numTensors;
  const seen: number[] = [];
  await assert.rejects(
    model.fit(data, {
      epochs: 3,
      batchSize: 8,
      shuffle: false,
      callbacks: [{ onBatchEnd: (b) => void seen.push(b.step) }],
    }),
    (error: Error) =>
      error instanceof DataError &&
      /loss became NaN at epoch 1, batch 5 \(step 5\)/.test(error.message) &&
      /dense_\d\.(weight|bias)/.test(error.message),
  );
  // Sample 37 is in batch 5 (samples 32–39): the four clean batches finished, the fifth stopped training.
  assert.deepEqual(seen, [1, 2, 3, 4]);
  // What remains beyond `before` is one gradient per parameter, which the parameters own.
  assert.equal(memory().numTensors, before + model.parameters().length, 'the failed step freed its tensors');
  model.dispose();
  data.dispose();
});

test('an Infinity in a batch is caught the same way', async () => {
  setSeed(2);
  const features = new Float32Array(16 * 4).fill(0.5);
  features[3] = Infinity;
  const data = Dataset.fromArrays(
    features,
    [4],
    Int32Array.from({ length: 16 }, (_, i) => i % 3),
    { numClasses: 3 },
  );
  const model = smallNet().compile({ optimizer: 'sgd', lr: 0.1, loss: 'crossEntropy' });
  await assert.rejects(model.fit(data, { epochs: 1, batchSize: 4, shuffle: false }), /step 1\)/);
  model.dispose();
  data.dispose();
});

// A leak shows as live tensors or post-GC heap growing. Resident memory is measured by
// bench/memory-soak.ts instead: V8 sizes its heap during the first epochs, and RSS in a shared
// test process moves with whatever ran before.
test('100 epochs on digits: live tensors constant and post-GC heap flat', async () => {
  v8.setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  setSeed(3);
  const sets = digits();
  const model = new Model(
    nn.sequential([
      nn.dense({ units: 64, activation: 'relu' }),
      nn.dense({ units: 32, activation: 'relu' }),
      nn.dense({ units: 10 }),
    ]),
  ).compile({ optimizer: 'adam', lr: 1e-3, loss: 'crossEntropy', metrics: ['accuracy'] });
  const tensors: number[] = [];
  const heap: number[] = [];
  await model.fit(sets.train, {
    epochs: 100,
    batchSize: 64,
    validationSplit: 0.1,
    callbacks: [
      {
        onEpochEnd: ({ epoch }) => {
          tensors.push(memory().numTensors);
          if (epoch === 5 || epoch === 99) {
            gc();
            heap.push(process.memoryUsage().heapUsed);
          }
        },
      },
    ],
  });
  assert.equal(new Set(tensors).size, 1, `live tensors per epoch: ${[...new Set(tensors)].join(', ')}`);
  assert.ok(
    heap[1] - heap[0] < 2e6,
    `post-GC heap grew from ${(heap[0] / 1e6).toFixed(1)} to ${(heap[1] / 1e6).toFixed(1)} MB`,
  );
  model.dispose();
  sets.train.dispose();
  sets.test.dispose();
});

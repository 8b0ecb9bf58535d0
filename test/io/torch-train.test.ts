// train_ddp.py's mapping of descent's training record, one process (no torchrun): for a
// regression (sine, mse, momentum with clipping and an L2 penalty), a binary classifier (moons,
// binaryCrossEntropy after a sigmoid, RMSprop with weight decay), digits with the summed sse
// and Nesterov, and an L-BFGS model on spirals (no mini-batch torch.optim counterpart: Adam, said so),
// PyTorch's test loss before training is descent's (same data split and standardisation, same
// loss, same model) within 1e-5, training runs, and the state_dict it writes, imported, gives
// descent the test loss PyTorch reported after training.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '../../src/autograd/index.js';
import { runEvaluate } from '../../src/cli/evaluate.js';
import { runExport } from '../../src/cli/export.js';
import { runImport } from '../../src/cli/import.js';
import { runTrain, type TrainFlags } from '../../src/cli/train.js';
import { captured } from '../helpers/stdout.js';
import { python, torchMissing } from './torch-helpers.js';

interface Record_ {
  epoch?: number;
  loss?: number;
  testLoss?: number;
  note?: string;
  optimizer?: string;
}

const base = { batchSize: '32', epochs: '2', seed: '4', testFraction: '0.2', json: true } as const;

const runs: Array<{ name: string; flags: TrainFlags; optimizer: string; note?: RegExp }> = [
  {
    name: 'sine regression, mse, momentum + clip-norm + l2',
    flags: {
      ...base,
      data: 'sine',
      hidden: '16',
      activation: 'tanh',
      loss: 'mse',
      optimizer: 'momentum',
      lr: '0.05',
      clipNorm: '1',
      l2: '0.0001',
    },
    optimizer: 'momentum',
  },
  {
    name: 'moons, binaryCrossEntropy (sigmoid output), rmsprop + weight decay',
    flags: {
      ...base,
      data: 'moons',
      hidden: '8',
      activation: 'relu',
      loss: 'binaryCrossEntropy',
      optimizer: 'rmsprop',
      lr: '0.01',
      weightDecay: '0.001',
    },
    optimizer: 'rmsprop',
  },
  {
    name: 'digits, sse, nesterov',
    flags: {
      ...base,
      data: 'digits',
      hidden: '16',
      activation: 'relu',
      loss: 'sse',
      optimizer: 'nesterov',
      lr: '0.001',
    },
    optimizer: 'nesterov',
  },
  {
    name: 'spirals with L-BFGS: no mini-batch counterpart, Adam instead, with a note',
    flags: {
      ...base,
      data: 'spirals',
      hidden: '8',
      activation: 'tanh',
      optimizer: 'lbfgs',
      batchSize: undefined,
      epochs: '2',
    },
    optimizer: 'adam',
    note: /optimiser 'lbfgs' has no mini-batch torch\.optim counterpart; Adam is used/,
  },
];

const missing = torchMissing();
const close = (a: number, b: number) => Math.abs(a - b) <= 1e-5 * Math.max(1, Math.abs(b));

describe('train_ddp.py, one process', { skip: missing ?? false }, () => {
  for (const r of runs) {
    test(`${r.name}: PyTorch starts at descent's test loss, and descent reads back PyTorch's`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'descent-torch-train-'));
      try {
        const model = join(dir, 'model');
        const torchDir = join(dir, 'torch');
        await captured(() => runTrain({ ...r.flags, save: model }));
        const start = (await captured(() => runEvaluate(model, { json: true }))).value;
        await captured(() => runExport(model, { torch: torchDir, json: true }));
        const out = python([join(torchDir, 'train_ddp.py'), '--epochs', '2', '--json'], { cwd: dir });
        const records = out.stdout
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as Record_);
        if (r.note)
          assert.ok(
            records.some((x) => x.note && r.note!.test(x.note)),
            out.stdout,
          );
        assert.equal(records.find((x) => x.optimizer)!.optimizer, r.optimizer);
        const epochs = records.filter((x) => x.epoch !== undefined);
        assert.deepEqual(
          epochs.map((x) => x.epoch),
          [0, 1, 2],
        );
        assert.ok(
          close(epochs[0].testLoss!, start.loss),
          `PyTorch's test loss ${epochs[0].testLoss} ≠ descent's ${start.loss}`,
        );
        assert.ok(epochs.slice(1).every((x) => Number.isFinite(x.loss)));
        const back = join(dir, 'back');
        await captured(() =>
          runImport(join(torchDir, 'trained.safetensors'), back, { into: model, json: true }),
        );
        const end = (await captured(() => runEvaluate(back, { json: true }))).value;
        assert.ok(
          close(end.loss, epochs[2].testLoss!),
          `descent's test loss ${end.loss} ≠ PyTorch's ${epochs[2].testLoss}`,
        );
        assert.notEqual(end.loss, start.loss, 'training changed the model');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});

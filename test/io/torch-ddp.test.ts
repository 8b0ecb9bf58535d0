// Past one machine, end to end with the real tools: `descent train` fits the bundled digits,
// `descent export --torch` writes the PyTorch folder, a real `torchrun --nproc_per_node=2
// train_ddp.py` continues training for two epochs with DistributedDataParallel (gloo on CPU),
// `descent import --into` reads the trained state_dict back and `descent evaluate` tests it.
// The accuracy is printed at each stage; PyTorch's starting accuracy is descent's (same
// weights, same test split), descent's after import is PyTorch's last, and it does not fall.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '../../src/autograd/index.js';
import { runEvaluate } from '../../src/cli/evaluate.js';
import { runExport } from '../../src/cli/export.js';
import { runImport } from '../../src/cli/import.js';
import { runTrain, type TrainFlags } from '../../src/cli/train.js';
import { ConfigError } from '../../src/errors.js';
import { captured } from '../helpers/stdout.js';
import { python, TORCH_ENV, TORCHRUN, torchMissing } from './torch-helpers.js';

const trainFlags: TrainFlags = {
  data: 'digits',
  hidden: '32',
  activation: 'relu',
  optimizer: 'adam',
  lr: '0.01',
  batchSize: '32',
  epochs: '3',
  seed: '1',
  testFraction: '0.2',
  json: true,
};

/**
 * torchrun's own flags for this PyTorch: Debian's 1.13 on Python 3.11 cannot parse its default
 * --redirects/--tee '0' (Std.from_str returns None there), so name the streams explicitly.
 */
function torchrunWorkaround(): string[] {
  const r = python([
    '-c',
    'from torch.distributed.elastic.multiprocessing.api import Std; print(Std.from_str("0") is None)',
  ]);
  return r.stdout.trim() === 'True' ? ['--redirects', '1', '--tee', '1'] : [];
}

interface EpochRecord {
  epoch?: number;
  loss?: number;
  testAccuracy?: number | null;
  testLoss?: number;
  processes?: number;
  backend?: string;
  out?: string;
}

const missing =
  torchMissing() ?? (existsSync(TORCHRUN) ? null : `${TORCHRUN} not found (python3-torch ships it)`);

describe('descent → torchrun DDP → descent', { skip: missing ?? false }, () => {
  test('digits: trained, exported, two DDP epochs on 2 processes, imported; the accuracy does not fall', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'descent-ddp-'));
    try {
      const model = join(dir, 'model');
      const torchDir = join(dir, 'torch');
      await captured(() => runTrain({ ...trainFlags, save: model }));
      const start = (await captured(() => runEvaluate(model, { json: true }))).value;
      const exported = (await captured(() => runExport(model, { torch: torchDir, json: true }))).value;
      assert.deepEqual(
        exported.files.map((f) => f.name),
        ['model.py', 'state_dict.safetensors', 'train_ddp.py', 'data.safetensors'],
      );
      assert.equal(exported.data!.test, start.samples);

      const run = spawnSync(
        TORCHRUN,
        [
          '--nproc_per_node=2',
          '--master_port',
          String(29500 + (process.pid % 1000)),
          ...torchrunWorkaround(),
          'train_ddp.py',
          '--epochs',
          '2',
          '--json',
        ],
        { cwd: torchDir, env: TORCH_ENV, encoding: 'utf8', timeout: 400_000 },
      );
      assert.equal(run.status, 0, `torchrun failed:\n${run.stdout}\n${run.stderr}`);
      // Rank 0 prints one JSON object a line (torchrun's tee prefixes '[default0]:').
      const records = run.stdout
        .split('\n')
        .map((line) => line.replace(/^\[default\d+\]:/, '').trim())
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as EpochRecord);
      const header = records.find((r) => r.processes !== undefined)!;
      assert.deepEqual([header.processes, header.backend], [2, 'gloo']);
      const epochs = records.filter((r) => r.epoch !== undefined);
      assert.deepEqual(
        epochs.map((r) => r.epoch),
        [0, 1, 2],
      );
      const torchBefore = epochs[0].testAccuracy!;
      const torchAfter = epochs[2].testAccuracy!;
      assert.ok(existsSync(join(torchDir, 'trained.safetensors')));

      const back = join(dir, 'back');
      const imported = (
        await captured(() =>
          runImport(join(torchDir, 'trained.safetensors'), back, { into: model, json: true }),
        )
      ).value;
      assert.deepEqual([imported.missingKeys, imported.unexpectedKeys], [[], []]);
      const end = (await captured(() => runEvaluate(back, { json: true }))).value;
      console.log(
        `digits test accuracy: descent after 3 epochs ${(100 * start.accuracy!).toFixed(2)}%, ` +
          `PyTorch reads it as ${(100 * torchBefore).toFixed(2)}%, after 2 DDP epochs on 2 processes ${(100 * torchAfter).toFixed(2)}%, ` +
          `descent after import ${(100 * end.accuracy!).toFixed(2)}%`,
      );
      const oneSample = 1 / start.samples;
      assert.ok(
        Math.abs(torchBefore - start.accuracy!) <= oneSample,
        'PyTorch starts from descent’s accuracy',
      );
      assert.ok(Math.abs(end.accuracy! - torchAfter) <= oneSample, 'descent reads back what PyTorch trained');
      assert.ok(end.accuracy! >= start.accuracy!, 'the accuracy did not fall');
      const close = (a: number, b: number) => Math.abs(a - b) <= 1e-5 * Math.max(1, Math.abs(b));
      assert.ok(
        close(epochs[0].testLoss!, start.loss),
        `PyTorch's test loss ${epochs[0].testLoss} ≠ descent's ${start.loss}`,
      );
      assert.ok(
        close(end.loss, epochs[2].testLoss!),
        `descent's test loss ${end.loss} ≠ PyTorch's ${epochs[2].testLoss}`,
      );
      // The imported folder keeps the training record (evaluate used it) and says where its weights came from.
      const info = JSON.parse(readFileSync(join(back, 'model.json'), 'utf8')) as {
        metadata: Record<string, unknown>;
      };
      assert.equal(info.metadata.stateDictFrom, join(torchDir, 'trained.safetensors'));
      assert.equal((info.metadata.stateDictMetadata as Record<string, string>).processes, '2');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('descent import/export --torch: bad arguments', () => {
  test('a state_dict without --into, --into with an ONNX file, --onnx with --torch: ConfigErrors saying what to do', async () => {
    await assert.rejects(
      runImport('trained.safetensors', 'out', {}),
      (e: Error) =>
        e instanceof ConfigError &&
        /is a state_dict; say which model it fills: --into MODEL_DIR/.test(e.message),
    );
    await assert.rejects(
      runImport('model.onnx', 'out', { into: 'm' }),
      (e: Error) => e instanceof ConfigError && /--into takes a state_dict \(\.safetensors\)/.test(e.message),
    );
    await assert.rejects(
      runExport('m', { onnx: 'a.onnx', torch: 't' }),
      (e: Error) => e instanceof ConfigError && /give one of --onnx and --torch/.test(e.message),
    );
  });
});

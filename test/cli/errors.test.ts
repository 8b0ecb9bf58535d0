// Issue 15, defects 5 and 7 and the evaluate sibling: the CLI's failures. A user's mistake
// is one line naming the argument or file, exit 1, and a write target that cannot be
// written fails before training; a write that still fails (ENOSPC) comes after the
// result is printed; a bug prints its stack and says it is one. evaluate opens no path
// written in model.json, and an out-of-range label names the file and line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { platform } from '#platform';
import '../../src/autograd/index.js';
import { runTrain, type TrainFlags } from '../../src/cli/train.js';
import { runEvaluate } from '../../src/cli/evaluate.js';
import { reportError } from '../../src/cli/report-error.js';
import { ConfigError, DataError, DescentError, FileSystemError } from '../../src/errors.js';
import { captured } from '../helpers/stdout.js';

const BIN = fileURLToPath(new URL('../../../bin/descent.js', import.meta.url));

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'descent-clierr-'));
}

function descent(...args: string[]): { status: number | null; stderr: string; stdout: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

const flags = (extra: Partial<TrainFlags>): TrainFlags => ({
  data: 'digits',
  hidden: '8',
  activation: 'relu',
  optimizer: 'sgd',
  epochs: '1',
  seed: '1',
  testFraction: '0.2',
  json: true,
  ...extra,
});

test('reportError: a user mistake or a refused file operation is one line (exit 1); a bug is its stack and says so (exit 70)', () => {
  let text = '';
  const write = (t: string) => void (text += t);
  assert.equal(reportError(new ConfigError('--lr must be a positive number, got -1.'), write), 1);
  assert.equal(text, 'descent: --lr must be a positive number, got -1.\n');
  text = '';
  const erofs = Object.assign(new Error("EROFS: read-only file system, open '/ro/x'"), {
    code: 'EROFS',
    syscall: 'open',
    path: '/ro/x',
  });
  assert.equal(reportError(erofs, write), 1);
  assert.equal(text, "descent: cannot open '/ro/x': EROFS (EROFS: read-only file system).\n");
  text = '';
  assert.equal(reportError(new TypeError("Cannot read properties of undefined (reading 'x')"), write), 70);
  assert.match(text, /^TypeError: Cannot read properties[^\n]*\n\s+at /);
  assert.match(text, /descent: this is a bug in descent, not a problem with your input; please report it/);
});

test('descent train --out at an existing file, --save below a file: one line naming flag and path, exit 1, before training', () => {
  const dir = tempDir();
  try {
    const file = join(dir, 'results.txt');
    writeFileSync(file, 'keep me');
    for (const [args, expected] of [
      [['--out', file], `--out: '${file}' exists and is a file, not a folder`],
      [
        ['--save', join(file, 'model')],
        `--save: cannot create '${join(file, 'model')}': '${file}' is a file`,
      ],
      [['--checkpoint-dir', file], `--checkpoint-dir: '${file}' exists and is a file`],
    ] as const) {
      const r = descent('train', '--epochs', '1', ...args);
      assert.equal(r.status, 1, r.stderr);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      assert.ok(lines[0].startsWith(`descent: ${expected}`), lines[0]);
      assert.doesNotMatch(r.stderr, /training|\bat .*\.js:\d+/);
    }
    assert.equal(readFileSync(file, 'utf8'), 'keep me');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a disk that fills up while saving after training: the result is printed, then one error naming path and cause', async () => {
  const dir = tempDir();
  try {
    platform.setFaultHook((operation) => {
      if (operation === 'write')
        throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    });
    let error: unknown;
    const { out } = await captured(async () => {
      try {
        await runTrain(flags({ save: join(dir, 'model') }));
      } catch (e) {
        error = e;
      }
    });
    platform.setFaultHook(null);
    assert.ok(error instanceof FileSystemError, String(error));
    assert.equal(error.code, 'ENOSPC');
    assert.match(error.message, /no space left on the device \(ENOSPC\)/);
    assert.ok(error.message.includes(dir), error.message);
    const result = JSON.parse(out) as { testAccuracy: number };
    assert.ok(result.testAccuracy > 0.3, out);
  } finally {
    platform.setFaultHook(null);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('evaluate never opens a data path from model.json, and names file and line for a label the model lacks', async () => {
  const dir = tempDir();
  try {
    const modelDir = join(dir, 'model');
    await captured(() => runTrain(flags({ save: modelDir })));
    // model.json pointing at another file: refused without opening it, nothing of it quoted.
    const jsonPath = join(modelDir, 'model.json');
    const original = readFileSync(jsonPath, 'utf8');
    const secret = join(dir, 'secret.csv');
    writeFileSync(secret, 'root:x:0:0:root:/root:/bin/bash\nsecret-line-two\n');
    const info = JSON.parse(original) as { metadata: { data: { name: string } } };
    info.metadata.data.name = secret;
    writeFileSync(jsonPath, JSON.stringify(info));
    await assert.rejects(
      runEvaluate(modelDir, {}),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.message.includes('pass --data <file>') &&
        !e.message.includes('root:') &&
        !e.message.includes('secret-line'),
    );
    writeFileSync(jsonPath, original);

    // A CSV whose label 10 is past the digits model's 10 classes: the file and the line.
    const csv = join(dir, 'eval.csv');
    const row = (label: number) => [...Array.from({ length: 64 }, (_, i) => i % 17), label].join(',');
    writeFileSync(csv, [row(1), row(2), row(10), row(3)].join('\n') + '\n');
    await assert.rejects(
      runEvaluate(modelDir, { data: csv }),
      (e: unknown) =>
        e instanceof DataError &&
        e.message.startsWith(
          `${csv} line 3 (data row 3): label 10 (column 65) is not one of the 10 classes`,
        ) &&
        !/oneHot/.test(e.message),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a user mistake from the command line never prints a stack: a missing model, a bad flag', () => {
  const r = descent('evaluate', '/nonexistent/model');
  assert.equal(r.status, 1, r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(
    r.stderr,
    /^descent: \/nonexistent\/model\/model\.json: cannot open the model description \(no such file\)/,
  );
  const bad = descent('train', '--lr', '-1');
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /^descent: --lr must be a positive number, got '-1'\.\n$/);
  assert.ok(DescentError);
});

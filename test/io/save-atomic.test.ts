// Issue 15, defect 1: saveModel replaces a model folder whole. A disk that fails (ENOSPC)
// at any file operation of a save leaves the old model loadable and nothing behind; the
// error names the path and the cause. Leftovers of a save that a crash interrupted (the
// states the kill -9 trials of scripts/kill-trials-save.mjs reach) are finished or undone
// by the next load or save. A user's other files in the folder survive every save.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { platform } from '#platform';
import '../../src/autograd/index.js';
import * as nn from '../../src/nn/index.js';
import * as io from '../../src/io/index.js';
import { DescentError } from '../../src/errors.js';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'descent-save-'));
}

const net = () => nn.dense({ units: 2, inFeatures: 3 });

/** Which save a folder holds: its metadata's `version`. */
async function versionIn(dir: string): Promise<unknown> {
  const { info } = io.loadModelWithInfo(dir);
  return info.metadata.version;
}

/** A pid that is certainly not running (a child that has exited). */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '0']).pid!;
}

test('ENOSPC at every file operation of a save: the old model stays whole, nothing is left, the error names path and cause', async () => {
  const parent = tempDir();
  const dir = join(parent, 'model');
  try {
    await io.saveModel(net(), dir, { metadata: { version: 'old' } });
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    let failedAt = 0;
    for (let k = 0; ; k++) {
      let count = 0;
      let injected = false;
      platform.setFaultHook((operation, path) => {
        if (count++ === k) {
          injected = true;
          throw Object.assign(new Error(`ENOSPC: no space left on device, ${operation} '${path}'`), {
            code: 'ENOSPC',
          });
        }
      });
      try {
        await io.saveModel(net(), dir, { metadata: { version: `new ${k}` } });
      } catch (error) {
        assert.ok(injected, `save failed without a fault: ${String(error)}`);
        assert.ok(error instanceof DescentError, String(error));
        assert.match(error.message, /no space left on the device \(ENOSPC\)/);
        assert.ok(error.message.includes(parent), error.message);
      } finally {
        platform.setFaultHook(null);
      }
      if (!injected) break; // every operation has been failed once; this save succeeded
      failedAt++;
      // Only the failing disk's victim, the model as it was: old, or new if only the tidying failed.
      const version = await versionIn(dir);
      assert.ok(version === 'old' || version === `new ${k}`, `after a fault at op ${k}: ${String(version)}`);
      if (version === `new ${k}`) await io.saveModel(net(), dir, { metadata: { version: 'old' } });
      assert.equal(readFileSync(join(dir, 'notes.txt'), 'utf8'), 'mine');
      assert.deepEqual(readdirSync(parent), ['model'], `leftovers after a fault at op ${k}`);
    }
    assert.ok(failedAt >= 6, `only ${failedAt} operations were failed`);
    assert.match(String(await versionIn(dir)), /^new \d+$/);
    assert.equal(readFileSync(join(dir, 'notes.txt'), 'utf8'), 'mine');
    assert.deepEqual(readdirSync(dir).sort(), ['model.json', 'notes.txt', 'weights.safetensors']);
  } finally {
    platform.setFaultHook(null);
    rmSync(parent, { recursive: true, force: true });
  }
});

/** Leftover folders as a process `pid` killed mid-save names them. */
const leftover = (parent: string, state: string, pid: number) =>
  join(parent, `.tmp-model.${state}-${pid}-0a1b2c3d`);

test('killed between switching out the old folder and in the new one: the next load takes the new model', async () => {
  const parent = tempDir();
  const dir = join(parent, 'model');
  const pid = deadPid();
  try {
    await io.saveModel(net(), dir, { metadata: { version: 'old' } });
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    await io.saveModel(net(), join(parent, 'staged'), { metadata: { version: 'new' } });
    renameSync(join(parent, 'staged'), leftover(parent, 'ready', pid));
    renameSync(dir, leftover(parent, 'old', pid));
    assert.equal(existsSync(dir), false);
    assert.equal(await versionIn(dir), 'new');
    assert.equal(readFileSync(join(dir, 'notes.txt'), 'utf8'), 'mine');
    assert.deepEqual(readdirSync(parent), ['model']);
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
});

test('killed while writing the new folder: it is removed, the old model stays; killed after the switch: the old is tidied', async () => {
  const parent = tempDir();
  const dir = join(parent, 'model');
  const pid = deadPid();
  try {
    await io.saveModel(net(), dir, { metadata: { version: 'old' } });
    const partial = leftover(parent, 'new', pid);
    await io.saveModel(net(), partial, { metadata: { version: 'partial' } });
    writeFileSync(join(partial, 'weights.safetensors'), 'cut short');
    assert.equal(await versionIn(dir), 'old');
    assert.deepEqual(readdirSync(parent), ['model']);

    // After the switch, before the old folder's other entries were moved over.
    await io.saveModel(net(), join(parent, 'staged'), { metadata: { version: 'older' } });
    writeFileSync(join(parent, 'staged', 'notes.txt'), 'mine');
    renameSync(join(parent, 'staged'), leftover(parent, 'old', pid));
    await io.saveModel(net(), dir, { metadata: { version: 'newer' } });
    assert.equal(await versionIn(dir), 'newer');
    assert.equal(readFileSync(join(dir, 'notes.txt'), 'utf8'), 'mine');
    assert.deepEqual(readdirSync(parent), ['model']);
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
});

test("a live process's leftovers are not touched", async () => {
  const parent = tempDir();
  const dir = join(parent, 'model');
  try {
    await io.saveModel(net(), dir, { metadata: { version: 'old' } });
    const mine = join(parent, `.tmp-model.new-${process.ppid}-00000000`);
    await io.saveModel(net(), mine);
    await io.saveModel(net(), dir, { metadata: { version: 'new' } });
    assert.equal(await versionIn(dir), 'new');
    assert.ok(existsSync(mine));
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
});

test('saving where a file stands is a one-line error naming it', async () => {
  const parent = tempDir();
  try {
    writeFileSync(join(parent, 'model'), 'a file');
    await assert.rejects(
      io.saveModel(net(), join(parent, 'model')),
      (e: unknown) => e instanceof DescentError && /a file of that name exists/.test(e.message),
    );
    assert.equal(readFileSync(join(parent, 'model'), 'utf8'), 'a file');
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
});

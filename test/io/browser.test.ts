// Saving models in the browser (src/io/browser.ts): in headless Chromium when it is installed
// (the page script is test/browser/io-entry.ts, bundled without Node stubs), IndexedDB round
// trips across a reload, atomic saves, named errors for damaged and missing records, and
// downloads that the Node loader reads to the same predictions. Always, in Node: the module's
// import graph holds no Node module, the SHA-256 it shares with Node is right, and its
// functions say plainly that Node has no IndexedDB.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Download, Page } from 'playwright-core';
import { setBackend } from '../../src/backend/registry.js';
import { ConfigError } from '../../src/errors.js';
import { noGrad } from '../../src/autograd/tape.js';
import { downloadModel, saveModelToIndexedDB } from '../../src/io/browser.js';
import { loadModel, loadModelWithInfo, readModelInfo, saveModel } from '../../src/io/model-io.js';
import { decodeSafetensors } from '../../src/io/safetensors.js';
import { sha256Hex } from '../../src/platform/sha256.js';
import * as nn from '../../src/nn/index.js';
import { fromArray } from '../../src/tensor/creation.js';
import { setSeed } from '../../src/tensor/random.js';
import { tidy } from '../../src/tensor/scope.js';
import { Model } from '../../src/train/model.js';
import { browserSuiteMissing, bundle, openPage, type ServedPage } from '../browser/harness.js';
import type { IoPage } from '../browser/io-entry.js';

const SHAPE = [2, 1, 6, 6];
/** Deterministic inputs in [-1, 1) (a small LCG, so that Node and the page get the same numbers). */
const INPUT = (() => {
  let s = 12345;
  return Array.from({ length: SHAPE.reduce((a, b) => a * b, 1) }, () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return Math.fround((s / 2 ** 32) * 2 - 1);
  });
})();

function predict(net: nn.Layer): number[] {
  return tidy(() =>
    noGrad(() => Array.from(net.call(fromArray(INPUT, SHAPE), { training: false }).dataSync())),
  );
}

test('browser io: src/io/browser.ts and the page script bundle for browsers without any Node module', async () => {
  // bundle() fails on the first node: import anywhere in the graph (test shims aside).
  const code = await bundle('io-entry.js');
  assert.ok(code.includes('descent-model-record'));
  assert.ok(!/from\s*["']node:/.test(code));
});

test('browser io: the portable SHA-256 equals node:crypto on every padding case', () => {
  for (const n of [0, 1, 3, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000, 65_537]) {
    const bytes = randomBytes(n);
    assert.equal(sha256Hex(bytes), createHash('sha256').update(bytes).digest('hex'), `${n} bytes`);
  }
  assert.equal(
    sha256Hex(new TextEncoder().encode('abc')),
    'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
  );
});

test('browser io: in Node the IndexedDB and download functions say what is missing', async () => {
  setBackend('cpu');
  setSeed(1);
  const net = nn.sequential([nn.dense({ units: 2, inFeatures: 3 })]);
  await assert.rejects(
    saveModelToIndexedDB(net, 'k'),
    (e: unknown) =>
      e instanceof ConfigError && /IndexedDB is not available here.*saveModel\(dir\)/.test(e.message),
  );
  await assert.rejects(
    downloadModel(new Model(net), 'net'),
    (e: unknown) => e instanceof ConfigError && /needs a browser page/.test(e.message),
  );
  await assert.rejects(downloadModel(net, '../up'), /name must be a plain file name/);
  await assert.rejects(saveModelToIndexedDB(net, ''), /the key must be a non-empty string/);
  await assert.rejects(
    saveModelToIndexedDB({} as nn.Layer, 'k'),
    /expected a network \(a Layer\) or a Model/,
  );
  net.dispose();
});

test('browser io: a model saved under another weights file name loads from its .json path', async () => {
  setBackend('cpu');
  setSeed(3);
  const net = nn.sequential([nn.dense({ units: 3, inFeatures: 4 }), nn.dense({ units: 2 })]);
  net.buildFor([1, 4]);
  const dir = mkdtempSync(join(tmpdir(), 'descent-browser-io-'));
  try {
    const info = await saveModel(net, dir, { weightsFile: 'small.safetensors' });
    assert.equal(info.weights.file, 'small.safetensors');
    assert.deepEqual(readdirSync(dir).sort(), ['model.json', 'small.safetensors']);
    renameSync(join(dir, 'model.json'), join(dir, 'small.json'));
    const x = fromArray([0.5, -1, 2, 0.25], [1, 4]);
    const loaded = await loadModel(join(dir, 'small.json'));
    assert.deepEqual(Array.from(loaded.call(x).dataSync()), Array.from(net.call(x).dataSync()));
    assert.equal(readModelInfo(join(dir, 'small.json')).weights.file, 'small.safetensors');
    await assert.rejects(
      saveModel(net, dir, { weightsFile: '../x' }),
      /weightsFile must be a plain file name/,
    );
    await assert.rejects(
      saveModel(net, dir, { weightsFile: 'model.json' }),
      /weightsFile must be a plain file name/,
    );
    loaded.dispose();
    x.dispose();
  } finally {
    net.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});

// ---- in headless Chromium -------------------------------------------------------------------

const missing = browserSuiteMissing();
if (missing) {
  test('browser io in headless Chromium', { skip: `browser io suite skipped: ${missing}` }, () => {});
} else {
  let served: ServedPage | null = null;
  let startError: unknown = null;
  try {
    served = await openPage(await bundle('io-entry.js'), 'descent io');
  } catch (error) {
    startError = error;
  }
  if (!served) {
    test('browser io: headless Chromium starts', () => {
      throw startError;
    });
  } else {
    const s = served;
    after(() => s.close());
    const ready = (page: Page) =>
      page.waitForFunction(() => 'descentIo' in globalThis, undefined, { timeout: 60_000 });
    /** Calls a function of the page's IoPage and returns its result. */
    const call = async <K extends keyof IoPage>(
      name: K,
      ...args: Parameters<IoPage[K]>
    ): Promise<Awaited<ReturnType<IoPage[K]>>> => {
      await ready(s.page);
      try {
        return (await s.page.evaluate(
          ({ name, args }) =>
            (
              (globalThis as unknown as { descentIo: Record<string, (...a: unknown[]) => unknown> })
                .descentIo[name] as (...a: unknown[]) => unknown
            )(...args),
          { name: name as string, args: args as unknown[] },
        )) as Awaited<ReturnType<IoPage[K]>>;
      } catch (error) {
        const log = s.log.length ? `\npage log:\n${s.log.slice(-10).join('\n')}` : '';
        throw new Error(`${String(error)}${log}`, { cause: error });
      }
    };

    describe('browser io in headless Chromium', () => {
      test(
        'IndexedDB: a CNN (conv2d + batch norm + dense) loads with identical predictions, after a reload too',
        { timeout: 180_000 },
        async () => {
          const before = await call('build', 7, INPUT, SHAPE);
          assert.equal(before.length, 8);
          const saved = await call('save', 'cnn');
          assert.ok(saved.weightsBytes > 0);
          assert.equal(saved.metadata.note, 'saved in the browser');
          assert.deepEqual((await call('load', 'cnn')).predictions, before);

          await s.page.reload();
          // A different network in memory: nothing but IndexedDB carries the saved one over.
          const other = await call('build', 99, INPUT, SHAPE);
          assert.notDeepEqual(other, before);
          const reloaded = await call('load', 'cnn');
          assert.deepEqual(reloaded.predictions, before);
          assert.equal(reloaded.metadata.backend, 'cpu');

          // Saved as a Model: its loss and metric names go into the metadata, as model.save does.
          await call('save', 'as-model', true);
          const withTraining = (await call('load', 'as-model')).metadata;
          assert.deepEqual(withTraining.training, { loss: 'crossEntropy', metrics: ['accuracy'] });
          const list = await call('list');
          assert.deepEqual(
            list.map((m) => m.key),
            ['as-model', 'cnn'],
          );
          for (const m of list) {
            assert.equal(m.topology.kind, 'sequential');
            assert.ok(m.bytes > saved.weightsBytes, `${m.key}: ${m.bytes} bytes`);
            assert.ok(!Number.isNaN(Date.parse(m.savedAt)));
          }
          assert.equal(await call('remove', 'as-model'), true);
          assert.equal(await call('remove', 'as-model'), false);
          assert.deepEqual(
            (await call('list')).map((m) => m.key),
            ['cnn'],
          );
        },
      );

      test(
        'IndexedDB: a failed save leaves the previous version; damaged and missing records are named errors',
        { timeout: 180_000 },
        async () => {
          const first = await call('build', 7, INPUT, SHAPE);
          await call('save', 'keep');
          const failed = await call('failingSave', 'keep', 8);
          assert.equal(failed?.name, 'DescentError');
          assert.match(
            failed!.message,
            /saveModelToIndexedDB: .*QuotaExceededError: simulated failure.*nothing was changed/,
          );
          // The description written before the failing weights write was rolled back with it.
          assert.deepEqual((await call('load', 'keep')).predictions, first);

          const notFound = await call('loadError', 'nope');
          assert.equal(notFound?.name, 'NotFoundError');
          assert.match(
            notFound!.message,
            /no model saved under key 'nope' in IndexedDB 'descent' \(saved: .*keep/,
          );

          await call('damage', 'keep', 'weights-bytes');
          const flipped = await call('loadError', 'keep');
          assert.equal(flipped?.name, 'FormatError');
          assert.match(
            flipped!.message,
            /IndexedDB 'descent' key 'keep'.*not the weights file that model\.json was saved with/,
          );
          await call('save', 'keep');
          await call('damage', 'keep', 'weights-type');
          assert.match(
            (await call('loadError', 'keep'))!.message,
            /key 'keep': the weights record is not bytes/,
          );
          await call('damage', 'keep', 'weights-missing');
          const noWeights = await call('loadError', 'keep');
          assert.equal(noWeights?.name, 'FormatError');
          assert.match(noWeights!.message, /key 'keep': the weights record is missing/);
          await call('save', 'keep');
          await call('damage', 'keep', 'description');
          const badDescription = await call('loadError', 'keep');
          assert.equal(badDescription?.name, 'FormatError');
          assert.match(badDescription!.message, /key 'keep': the model description record is damaged/);
          // A damaged record is still listed, so that it can be found and deleted.
          assert.ok((await call('list')).some((m) => m.key === 'keep'));
          assert.equal(await call('remove', 'keep'), true);
        },
      );

      test(
        'downloadModel: <name>.json and <name>.safetensors, which the Node loader reads to identical predictions',
        { timeout: 180_000 },
        async () => {
          const before = await call('build', 11, INPUT, SHAPE);
          const wanted = ['tiny-cnn.json', 'tiny-cnn.safetensors'];
          const downloads = wanted.map((name) =>
            s.page.waitForEvent('download', {
              predicate: (d: Download) => d.suggestedFilename() === name,
              timeout: 60_000,
            }),
          );
          const result = await call('download', 'tiny-cnn');
          assert.equal(result.weightsFile, 'tiny-cnn.safetensors');
          const dir = mkdtempSync(join(tmpdir(), 'descent-download-'));
          try {
            for (const d of await Promise.all(downloads)) await d.saveAs(join(dir, d.suggestedFilename()));
            assert.deepEqual(readdirSync(dir).sort(), wanted);
            setBackend('cpu');
            const { layer, info } = loadModelWithInfo(join(dir, 'tiny-cnn.json'));
            try {
              assert.deepEqual(predict(layer), before);
              assert.equal(info.metadata.note, 'downloaded');
              assert.deepEqual(info.metadata.training, { loss: 'crossEntropy', metrics: ['accuracy'] });
              const weights = readFileSync(join(dir, 'tiny-cnn.safetensors'));
              assert.equal(info.weights.sha256, createHash('sha256').update(weights).digest('hex'));
              const tensors = [...decodeSafetensors(weights).tensors.keys()].sort();
              assert.ok(
                tensors.some((k) => /runningMean$/.test(k)),
                `batch norm's statistics saved: ${tensors.join(', ')}`,
              );
            } finally {
              layer.dispose();
            }
          } finally {
            rmSync(dir, { recursive: true, force: true });
          }
          const bad = await call('downloadError', 'a/b');
          assert.equal(bad?.name, 'ConfigError');
          assert.match(bad!.message, /downloadModel: name must be a plain file name/);
        },
      );
    });
  }
}

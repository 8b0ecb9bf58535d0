// Issue 15, defect 4 and a sibling: JSON that nests too deep or repeats a key.
// Every JSON reader (model.json, a safetensors header, checkpoint.json) goes through
// parseJsonText's one non-recursive scan, so a 5,000-deep `format` is a named FormatError
// (not a stack overflow in describe()), a duplicate tensor name in a safetensors header is
// refused (not "the last one wins"), and a deep checkpoint.json is skipped by
// latestCheckpoint like any damaged checkpoint. describe() renders only what it shows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '../../src/autograd/index.js';
import * as nn from '../../src/nn/index.js';
import * as io from '../../src/io/index.js';
import { FormatError } from '../../src/errors.js';
import { describe, parseJsonText } from '../../src/io/json.js';

/** json.ts's MAX_JSON_DEPTH, written out so that this file also runs against the code before the fix. */
const MAX_JSON_DEPTH = 512;

const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'descent-json-'));
}

/** A safetensors file whose header is `header` (no tensors need data). */
function safetensorsWithHeader(header: string): Uint8Array {
  const json = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + json.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  return out;
}

test('a model.json whose format is 5,000 nested arrays is a FormatError naming the file and byte', async () => {
  const dir = tempDir();
  try {
    await io.saveModel(nn.dense({ units: 2, inFeatures: 3 }), dir);
    const path = join(dir, 'model.json');
    const text = readFileSync(path, 'utf8').replace('"descent-model"', deep(5000));
    writeFileSync(path, text);
    for (const read of [() => io.readModelInfo(dir), () => io.loadModel(dir)]) {
      await assert.rejects(
        async () => read(),
        (e: unknown) =>
          e instanceof FormatError &&
          e.message.includes(path) &&
          e.message.includes(`deeper than ${MAX_JSON_DEPTH} levels`) &&
          /at byte \d+/.test(e.message),
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a deep safetensors header is a FormatError with the file byte (the header starts at byte 8)', () => {
  const bytes = safetensorsWithHeader(`{"a":${deep(3000)}}`);
  assert.throws(
    () => io.decodeSafetensors(bytes, 'deep.safetensors'),
    (e: unknown) =>
      e instanceof FormatError &&
      e.message.startsWith('deep.safetensors:') &&
      // '{' is level 1 and '"a":' ends at header byte 5, so the '[' past the limit is header byte 5 + MAX_JSON_DEPTH - 1.
      e.message.includes(`at byte ${8 + 5 + MAX_JSON_DEPTH - 1}`),
  );
});

test('a duplicate tensor name in a safetensors header is refused, naming it', () => {
  const t = (begin: number) => `{"dtype":"F32","shape":[1],"data_offsets":[${begin},${begin + 4}]}`;
  const header = `{"w":${t(0)},"w":${t(4)}}`;
  const json = new TextEncoder().encode(header);
  const bytes = new Uint8Array(8 + json.length + 8);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(json.length), true);
  bytes.set(json, 8);
  assert.throws(
    () => io.decodeSafetensors(bytes, 'dup.safetensors'),
    (e: unknown) =>
      e instanceof FormatError &&
      e.message.includes(`key "w" twice`) &&
      e.message.includes('dup.safetensors'),
  );
  // The same name spelled with an escape is the same name.
  const escaped = new TextEncoder().encode(`{"w":${t(0)},"\\u0077":${t(4)}}`);
  const bytes2 = new Uint8Array(8 + escaped.length + 8);
  new DataView(bytes2.buffer).setBigUint64(0, BigInt(escaped.length), true);
  bytes2.set(escaped, 8);
  assert.throws(() => io.decodeSafetensors(bytes2, 'dup2.safetensors'), /key "w" twice/);
  // Same names in different objects are fine.
  assert.deepEqual(parseJsonText('{"a":{"x":1},"b":{"x":2}}', 's', 'test'), { a: { x: 1 }, b: { x: 2 } });
});

test('a checkpoint whose checkpoint.json nests too deep is skipped by latestCheckpoint, the older one taken', async () => {
  const dir = tempDir();
  try {
    const net = nn.dense({ units: 2, inFeatures: 3 });
    const older = await io.saveCheckpoint(dir, { model: net, epoch: 1, step: 1 });
    const newer = await io.saveCheckpoint(dir, { model: net, epoch: 2, step: 2 });
    const path = join(newer, 'checkpoint.json');
    writeFileSync(path, readFileSync(path, 'utf8').replace('"descent-checkpoint"', deep(5000)));
    assert.equal(io.latestCheckpoint(dir), older);
    assert.throws(() => io.readCheckpointInfo(newer), FormatError);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('nesting up to the limit still parses; escapes and strings with brackets do not count', () => {
  assert.equal(Array.isArray(parseJsonText(deep(MAX_JSON_DEPTH), 's', 'test')), true);
  assert.throws(() => parseJsonText(deep(MAX_JSON_DEPTH + 1), 's', 'test'), FormatError);
  const tricky = `{"a":"[[[[\\"{{{{","b":["]]]}}}"]}`;
  assert.deepEqual(parseJsonText(tricky, 's', 'test'), { a: '[[[["{{{{', b: [']]]}}}'] });
});

test('describe() renders a huge or deep value in bounded time and at most 60 characters', () => {
  let nested: unknown = 1;
  for (let i = 0; i < 100_000; i++) nested = [nested];
  const huge = Array.from({ length: 2_000_000 }, (_, i) => i);
  const started = performance.now();
  const a = describe(nested);
  const b = describe(huge);
  const ms = performance.now() - started;
  assert.ok(a.length <= 60 && a.startsWith('[[[['), a);
  assert.ok(b.length <= 60 && b.startsWith('[0,1,2,3'), b);
  assert.ok(ms < 50, `${ms} ms`);
  assert.equal(describe({ dtype: 'F32', shape: [2, 3] }), '{"dtype":"F32","shape":[2,3]}');
  assert.equal(describe(undefined), 'nothing');
  assert.equal(describe('x'.repeat(100)), `"${'x'.repeat(56)}...`);
});

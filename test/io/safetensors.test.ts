// The safetensors reader and writer: round trips for every dtype, empty and scalar
// tensors and metadata; byte-exact agreement with the format's layout; and clean
// FormatErrors (with byte positions) for every truncation and for each kind of corruption.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  decodeSafetensors,
  encodeSafetensors,
  readSafetensors,
  writeSafetensors,
} from '../../src/io/safetensors.js';
import { DescentError, FormatError } from '../../src/errors.js';

/** A file by hand: header JSON (unpadded) and data bytes. */
function rawFile(header: unknown, data: Uint8Array | number[] = []): Uint8Array {
  const json =
    header instanceof Uint8Array
      ? header
      : Buffer.from(typeof header === 'string' ? header : JSON.stringify(header), 'utf8');
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function assertFormatError(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof FormatError, `expected a FormatError, got ${String(error)}`);
    assert.match(error.message, pattern);
    return true;
  });
}

test('round trip: float32, float64, int32, scalars, empty tensors and metadata', () => {
  const tensors = new Map([
    [
      'w',
      { dtype: 'float32' as const, shape: [2, 3], data: Float32Array.from([1.5, -2, 3.25, 0, 1e-30, -7]) },
    ],
    ['d', { dtype: 'float64' as const, shape: [3], data: Float64Array.from([Math.PI, -0, 1e300]) }],
    [
      'i',
      { dtype: 'int32' as const, shape: [2, 2], data: Int32Array.from([1, -2, 2147483647, -2147483648]) },
    ],
    ['scalar', { dtype: 'float32' as const, shape: [], data: Float32Array.from([42]) }],
    ['empty', { dtype: 'float32' as const, shape: [0, 5], data: new Float32Array(0) }],
    ['empty64', { dtype: 'float64' as const, shape: [0], data: new Float64Array(0) }],
    ['odd', { dtype: 'float32' as const, shape: [3], data: Float32Array.from([NaN, Infinity, -Infinity]) }],
  ]);
  const metadata = JSON.parse(
    '{ "format": "pt", "note": "ünïcödé ✓", "__proto__": "not a prototype" }',
  ) as Record<string, string>;
  const bytes = encodeSafetensors(tensors, metadata);
  const back = decodeSafetensors(bytes, 'mem');
  assert.deepEqual([...back.tensors.keys()], [...tensors.keys()]);
  for (const [name, t] of tensors) {
    const r = back.tensors.get(name)!;
    assert.equal(r.dtype, t.dtype, name);
    assert.deepEqual(r.shape, t.shape, name);
    assert.equal(r.data.constructor, t.data.constructor, name);
    assert.deepEqual(Array.from(r.data), Array.from(t.data), name);
    if (name === 'd') assert.ok(Object.is(r.data[1], -0));
  }
  assert.equal(back.metadata.format, 'pt');
  assert.equal(back.metadata.note, 'ünïcödé ✓');
  assert.equal(Object.getOwnPropertyDescriptor(back.metadata, '__proto__')?.value, 'not a prototype');
  assert.equal(Object.getPrototypeOf(back.metadata), Object.prototype);
});

test('layout: 8-byte little-endian length, space-padded JSON header, aligned little-endian data', () => {
  const bytes = encodeSafetensors([
    ['a', { dtype: 'float32', shape: [1], data: Float32Array.from([1]) }],
    ['b', { dtype: 'float64', shape: [1], data: Float64Array.from([2]) }],
  ]);
  const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal(n % 8, 0, 'header padded to a multiple of 8');
  const header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + n)).toString('utf8'));
  // The wider dtype is placed first, so both tensors are aligned.
  assert.deepEqual(header.b, { dtype: 'F64', shape: [1], data_offsets: [0, 8] });
  assert.deepEqual(header.a, { dtype: 'F32', shape: [1], data_offsets: [8, 12] });
  assert.equal(bytes.length, 8 + n + 12);
  const dv = new DataView(bytes.buffer, 8 + n);
  assert.equal(dv.getFloat64(0, true), 2);
  assert.equal(dv.getFloat32(8, true), 1);
});

test('reads a file written by another tool (hand-made header, unsorted offsets, no padding)', () => {
  const data = new Uint8Array(12);
  new DataView(data.buffer).setInt32(0, 7, true);
  new DataView(data.buffer).setFloat64(4, -1.25, true);
  const bytes = rawFile(
    {
      y: { dtype: 'F64', shape: [], data_offsets: [4, 12] },
      x: { dtype: 'I32', shape: [1], data_offsets: [0, 4] },
    },
    data,
  );
  const r = decodeSafetensors(bytes);
  assert.deepEqual(Array.from(r.tensors.get('x')!.data), [7]);
  assert.deepEqual(Array.from(r.tensors.get('y')!.data), [-1.25]);
  assert.deepEqual(r.metadata, {});
});

test('the header JSON may be empty of tensors: {}', () => {
  const r = decodeSafetensors(rawFile({}));
  assert.equal(r.tensors.size, 0);
});

test('writeSafetensors writes atomically (no temporary file left) and readSafetensors reads it back', () => {
  const dir = mkdtempSync(join(tmpdir(), 'descent-st-'));
  try {
    const path = join(dir, 'w.safetensors');
    writeSafetensors(path, [['x', { shape: [2], data: Float32Array.from([1, 2]) }]], { k: 'v' });
    writeSafetensors(path, [['x', { shape: [3], data: Float32Array.from([1, 2, 3]) }]]);
    assert.deepEqual(readdirSync(dir), ['w.safetensors']);
    const r = readSafetensors(path);
    assert.deepEqual(Array.from(r.tensors.get('x')!.data), [1, 2, 3]);
    assertFormatError(
      () => readSafetensors(join(dir, 'missing.safetensors')),
      /missing\.safetensors: cannot open .*no such file/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the writer refuses bad input with ConfigErrors', () => {
  assert.throws(() => encodeSafetensors([['__metadata__', { shape: [1], data: [1] }]]), /reserved/);
  assert.throws(() => encodeSafetensors([['x', { shape: [2], data: [1] }]]), /1 values for shape \[2\]/);
  assert.throws(() => encodeSafetensors([['x', { shape: [-1], data: [] }]]), /non-negative integers/);
  assert.throws(
    () =>
      encodeSafetensors([
        ['x', { shape: [1], data: [1] }],
        ['x', { shape: [1], data: [1] }],
      ]),
    /appears twice/,
  );
  assert.throws(() => encodeSafetensors([], { k: 1 as unknown as string }), /must be a string/);
});

test('every truncation of a small file is a FormatError naming a byte (never another exception)', () => {
  const bytes = encodeSafetensors(
    [
      ['w', { dtype: 'float32', shape: [2, 2], data: Float32Array.from([1, 2, 3, 4]) }],
      ['i', { dtype: 'int32', shape: [3], data: Int32Array.from([1, 2, 3]) }],
      ['d', { dtype: 'float64', shape: [1], data: Float64Array.from([5]) }],
    ],
    { m: 'x' },
  );
  for (let cut = 0; cut < bytes.length; cut++) {
    assert.throws(
      () => decodeSafetensors(bytes.slice(0, cut), 'cut.safetensors'),
      (error: unknown) => error instanceof FormatError && /^cut\.safetensors: .*byte/.test(error.message),
      `truncated to ${cut} bytes`,
    );
  }
  // One byte too many is an error too (bytes that belong to no tensor).
  const longer = new Uint8Array(bytes.length + 1);
  longer.set(bytes);
  assertFormatError(() => decodeSafetensors(longer, 'long'), /belong to no tensor/);
});

test('corruptions give FormatErrors that say what was expected, with byte positions', () => {
  const f32 = (n: number) => new Uint8Array(4 * n);
  const cases: Array<[string, Uint8Array, RegExp]> = [
    ['too short', new Uint8Array(5), /5 bytes long.*8-byte header length/],
    [
      'header too long',
      (() => {
        const b = rawFile({});
        new DataView(b.buffer).setBigUint64(0, 1000n, true);
        return b;
      })(),
      /byte 0: the header length is 1000 bytes, but only 2 bytes follow/,
    ],
    [
      'huge header length',
      (() => {
        const b = rawFile({});
        new DataView(b.buffer).setBigUint64(0, 2n ** 63n, true);
        return b;
      })(),
      /byte 0: the header length is 9223372036854775808/,
    ],
    ['not JSON', rawFile('{"a": [1, 2'), /not valid JSON at byte/],
    ['not an object', rawFile('[1,2,3]'), /must start with '\{'/],
    [
      'bad UTF-8',
      rawFile(Uint8Array.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d])),
      /header \(bytes 8\.\.15\) is not valid UTF-8 \(bad sequence at byte 10\)/,
    ],
    [
      'unknown dtype',
      rawFile({ x: { dtype: 'F33', shape: [1], data_offsets: [0, 4] } }, f32(1)),
      /tensor 'x': unknown dtype "F33"; descent reads F32, F64 and I32/,
    ],
    [
      'unsupported dtype',
      rawFile({ x: { dtype: 'F16', shape: [2], data_offsets: [0, 4] } }, f32(1)),
      /unsupported dtype "F16"/,
    ],
    [
      'negative dim',
      rawFile({ x: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, f32(1)),
      /shape must be an array of non-negative integers/,
    ],
    [
      'fractional dim',
      rawFile({ x: { dtype: 'F32', shape: [1.5], data_offsets: [0, 4] } }, f32(1)),
      /non-negative integers/,
    ],
    [
      'offsets not a pair',
      rawFile({ x: { dtype: 'F32', shape: [1], data_offsets: [0] } }, f32(1)),
      /data_offsets must be \[begin, end\]/,
    ],
    [
      'offsets reversed',
      rawFile({ x: { dtype: 'F32', shape: [0], data_offsets: [4, 0] } }, f32(1)),
      /end before they begin/,
    ],
    [
      'offsets past the end',
      rawFile({ x: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, f32(2)),
      /reach byte \d+ of the file, but the data section is bytes \d+\.\.\d+ \(8 bytes\)/,
    ],
    [
      'size mismatch',
      rawFile({ x: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, f32(2)),
      /needs 12 bytes, but data_offsets \[0, 8\] \(file bytes \d+\.\.\d+\) hold 8/,
    ],
    [
      'shape product overflow',
      rawFile({ x: { dtype: 'F32', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 8] } }, f32(2)),
      /needs more than the file holds/,
    ],
    [
      'overlap',
      rawFile(
        {
          a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
          b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
        },
        f32(3),
      ),
      /overlaps tensor 'a'/,
    ],
    [
      'hole',
      rawFile(
        {
          a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
          b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] },
        },
        f32(3),
      ),
      /belong to no tensor.*no holes/,
    ],
    [
      'trailing bytes',
      rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, f32(2)),
      /4 bytes after the last tensor/,
    ],
    [
      'metadata not strings',
      rawFile({ __metadata__: { a: 1 } }),
      /'__metadata__' entry 'a' must be a string/,
    ],
    ['metadata not an object', rawFile({ __metadata__: 'x' }), /'__metadata__' must be an object/],
    ['tensor entry not an object', rawFile({ x: 5 }), /tensor 'x': expected an object/],
    ['empty header', rawFile(''), /header length is 0/],
  ];
  for (const [what, bytes, pattern] of cases) {
    assertFormatError(() => decodeSafetensors(bytes, 'bad.safetensors'), pattern);
    assert.throws(
      () => decodeSafetensors(bytes, 'bad.safetensors'),
      /^FormatError: bad\.safetensors: /,
      what,
    );
  }
});

test('a header claiming a huge tensor over a tiny file fails fast without allocating', () => {
  const bytes = rawFile(
    { x: { dtype: 'F64', shape: [2 ** 50], data_offsets: [0, 2 ** 53 - 1] } },
    new Uint8Array(8),
  );
  const started = performance.now();
  assert.throws(
    () => decodeSafetensors(bytes),
    (e: unknown) => e instanceof DescentError,
  );
  assert.ok(performance.now() - started < 100);
});

test('a file on disk that is truncated reports the path', () => {
  const dir = mkdtempSync(join(tmpdir(), 'descent-st-'));
  try {
    const path = join(dir, 'w.safetensors');
    writeSafetensors(path, [['x', { shape: [64], data: new Float32Array(64) }]]);
    const full = readFileSync(path);
    writeFileSync(path, full.subarray(0, full.length - 10));
    assertFormatError(
      () => readSafetensors(path),
      new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .*truncated`),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

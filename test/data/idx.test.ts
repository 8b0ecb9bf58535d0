import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import {
  encodeIdx,
  parseIdx,
  readIdxFile,
  writeIdxFile,
  type IdxData,
  type IdxType,
} from '../../src/data/idx.js';
import { ConfigError, DataError, FormatError, ShapeError } from '../../src/errors.js';

function withTempDir(body: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'descent-idx-'));
  try {
    body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const gzip = (bytes: Uint8Array): Uint8Array => new Uint8Array(gzipSync(bytes));
const concat = (...parts: ArrayLike<number>[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

/** A header only: magic (type, rank) and the given sizes. */
function header(typeCode: number, dims: readonly number[]): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length);
  const view = new DataView(out.buffer);
  out[2] = typeCode;
  out[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  return out;
}

/** One sample array per element type, with the extremes and special values each can hold. */
const samples: Record<IdxType, IdxData> = {
  uint8: Uint8Array.from([0, 1, 127, 128, 254, 255]),
  int8: Int8Array.from([-128, -1, 0, 1, 126, 127]),
  int16: Int16Array.from([-32768, -256, -1, 0, 255, 32767]),
  int32: Int32Array.from([-2147483648, -65536, -1, 0, 16777217, 2147483647]),
  float32: Float32Array.from([-0, 1.5, -3.25e-38, 1e-45, Infinity, NaN]),
  float64: Float64Array.from([-0, Math.PI, -Number.MAX_VALUE, 5e-324, -Infinity, NaN]),
};

function assertSameValues(actual: IdxData, expected: IdxData, what: string): void {
  assert.equal(actual.constructor, expected.constructor, `${what}: array class`);
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Object.is(actual[i], expected[i]), `${what}[${i}]: got ${actual[i]}, expected ${expected[i]}`);
  }
}

test('round trip for every element type, raw and gzipped, in several shapes', () => {
  for (const [type, data] of Object.entries(samples) as [IdxType, IdxData][]) {
    for (const dims of [[6], [2, 3], [3, 1, 2], [1, 1, 1, 6]]) {
      for (const gz of [false, true]) {
        const bytes = encodeIdx(data, dims, { gzip: gz });
        assert.equal(bytes[0] === 0x1f && bytes[1] === 0x8b, gz);
        const parsed = parseIdx(bytes, 'rt.idx');
        assert.equal(parsed.type, type);
        assert.deepEqual(parsed.dims, dims);
        assertSameValues(parsed.data, data, `${type} ${dims.join('×')}${gz ? ' gz' : ''}`);
      }
    }
  }
});

test('the bytes are the big-endian layout of the format', () => {
  assert.deepEqual(
    Array.from(encodeIdx(Int16Array.from([1, -2]), [1, 2])),
    [0, 0, 0x0b, 2, 0, 0, 0, 1, 0, 0, 0, 2, 0x00, 0x01, 0xff, 0xfe],
  );
  assert.deepEqual(
    Array.from(encodeIdx(Float32Array.from([1]))),
    [0, 0, 0x0d, 1, 0, 0, 0, 1, 0x3f, 0x80, 0, 0],
  );
  assert.deepEqual(Array.from(encodeIdx(Uint8Array.from([7, 8, 9]), [3])), [0, 0, 8, 1, 0, 0, 0, 3, 7, 8, 9]);
  // Hand-made bytes parse as documented: an MNIST-style 2×2×2 ubyte image file.
  const mnistLike = Uint8Array.from([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3, 4, 5, 6, 7, 8]);
  const parsed = parseIdx(mnistLike);
  assert.deepEqual(parsed.dims, [2, 2, 2]);
  assert.deepEqual(Array.from(parsed.data), [1, 2, 3, 4, 5, 6, 7, 8]);
  const doubles = concat(header(0x0e, [1]), [0x40, 0x09, 0x21, 0xfb, 0x54, 0x44, 0x2d, 0x18]);
  assert.equal(parseIdx(doubles).data[0], Math.PI);
});

test('empty dimensions give empty data; plain arrays encode with an explicit type', () => {
  for (const dims of [[0], [3, 0], [0, 5, 5]]) {
    const parsed = parseIdx(encodeIdx(new Float32Array(0), dims));
    assert.deepEqual(parsed.dims, dims);
    assert.equal(parsed.data.length, 0);
  }
  const parsed = parseIdx(encodeIdx([1, -2, 3], [3], { type: 'int16' }));
  assert.equal(parsed.type, 'int16');
  assert.deepEqual(Array.from(parsed.data), [1, -2, 3]);
  // Converting between typed arrays: integer types check their range.
  assert.deepEqual(
    Array.from(parseIdx(encodeIdx(Float64Array.from([0, 255]), [2], { type: 'uint8' })).data),
    [0, 255],
  );
});

test('encodeIdx rejects what an IDX file cannot hold', () => {
  assert.throws(
    () => encodeIdx(new Uint8Array(6), [4]),
    (e: Error) => e instanceof ShapeError && /hold 4 elements, but the data has 6/.test(e.message),
  );
  assert.throws(() => encodeIdx(new Uint8Array(1), []), ShapeError);
  assert.throws(() => encodeIdx(new Uint8Array(1), new Array(256).fill(1)), ShapeError);
  assert.throws(() => encodeIdx(new Uint8Array(0), [-1]), ShapeError);
  assert.throws(
    () => encodeIdx([1, 2], [2]),
    (e: Error) => e instanceof ConfigError && /options\.type/.test(e.message),
  );
  assert.throws(
    () => encodeIdx([1, 256], [2], { type: 'uint8' }),
    (e: Error) => e instanceof DataError && /element 1 is 256/.test(e.message),
  );
  assert.throws(() => encodeIdx([0.5], [1], { type: 'int32' }), DataError);
  assert.throws(() => encodeIdx([1], [1], { type: 'complex' as IdxType }), ConfigError);
});

test('files: readIdxFile reads raw and gzipped files whatever their names; results own their memory', () => {
  withTempDir((dir) => {
    const data = Int32Array.from([5, -6, 7, -8]);
    writeIdxFile(join(dir, 'a.idx'), data, [2, 2]);
    writeIdxFile(join(dir, 'b.idx.gz'), data, [2, 2]);
    writeIdxFile(join(dir, 'c.bin'), data, [4], { gzip: true });
    assert.equal(readFileSync(join(dir, 'a.idx'))[0], 0);
    assert.equal(readFileSync(join(dir, 'b.idx.gz'))[0], 0x1f);
    for (const name of ['a.idx', 'b.idx.gz', 'c.bin']) {
      const parsed = readIdxFile(join(dir, name));
      assert.deepEqual(Array.from(parsed.data), [5, -6, 7, -8], name);
    }
    const ubytes = Uint8Array.from({ length: 10 }, (_, i) => i);
    writeIdxFile(join(dir, 'u.idx'), ubytes, [10]);
    const parsed = readIdxFile(join(dir, 'u.idx'));
    // A fresh array of exactly its bytes, not a view into the file buffer.
    assert.equal(parsed.data.byteOffset, 0);
    assert.equal(parsed.data.buffer.byteLength, 10);
    const buffer = readFileSync(join(dir, 'u.idx'));
    const fromBuffer = parseIdx(buffer);
    fromBuffer.data[0] = 99;
    assert.equal(buffer[8], 0);
    assert.equal(Object.getPrototypeOf(fromBuffer.data), Uint8Array.prototype);

    assert.throws(
      () => readIdxFile(join(dir, 'missing.idx')),
      (e: Error) => e instanceof DataError && e.message.includes('missing.idx') && /ENOENT/.test(e.message),
    );
    writeFileSync(join(dir, 'bad.idx'), Uint8Array.from([1, 2, 3, 4]));
    assert.throws(
      () => readIdxFile(join(dir, 'bad.idx')),
      (e: Error) => e instanceof FormatError && e.message.startsWith(join(dir, 'bad.idx')),
    );
  });
});

test('bad magic, unknown element type and zero dimensions are named with their byte', () => {
  assert.throws(
    () => parseIdx(Uint8Array.from([1, 0, 8, 1, 0, 0, 0, 0]), 'x.idx'),
    (e: Error) =>
      e instanceof FormatError &&
      /^x\.idx: bad magic number 0x01000801 at byte 0/.test(e.message) &&
      /two zero bytes/.test(e.message),
  );
  assert.throws(
    () => parseIdx(Uint8Array.from([0, 7, 8, 1, 0, 0, 0, 0]), 'x.idx'),
    /bad magic number 0x00070801/,
  );
  // A text file is not an IDX file.
  assert.throws(
    () => parseIdx(new TextEncoder().encode('1,2,3\n'), 'data.csv'),
    (e: Error) => e instanceof FormatError && /data\.csv: bad magic/.test(e.message),
  );
  for (const code of [0x00, 0x07, 0x0a, 0x0f, 0xff]) {
    assert.throws(
      () => parseIdx(Uint8Array.from([0, 0, code, 1, 0, 0, 0, 0]), 'y.idx'),
      (e: Error) =>
        e instanceof FormatError &&
        e.message.includes(
          `unknown element type 0x${code.toString(16).toUpperCase().padStart(2, '0')} at byte 2`,
        ) &&
        e.message.includes('0x08 (unsigned byte)') &&
        e.message.includes('0x0E (double)'),
    );
  }
  assert.throws(
    () => parseIdx(Uint8Array.from([0, 0, 8, 0, 1, 2]), 'z.idx'),
    (e: Error) =>
      e instanceof FormatError && /z\.idx: byte 3 declares 0 dimensions; expected at least 1/.test(e.message),
  );
  assert.throws(
    () => parseIdx(new Uint8Array(0), 'e.idx'),
    (e: Error) => e instanceof FormatError && /e\.idx: the file is empty/.test(e.message),
  );
  // Inside a gzip stream the same checks apply, with offsets into the decompressed data.
  assert.throws(
    () => parseIdx(gzip(Uint8Array.from([0, 0, 0x0a, 1, 0, 0, 0, 0])), 'g.idx.gz'),
    (e: Error) =>
      e instanceof FormatError &&
      /g\.idx\.gz: unknown element type 0x0A at byte 2 of the decompressed data/.test(e.message),
  );
});

test('a file truncated at every byte position is rejected with the offset and the expected size', () => {
  for (const [type, data] of Object.entries(samples) as [IdxType, IdxData][]) {
    const full = encodeIdx(data, [2, 3]);
    const expectedTotal = full.length; // 16-byte header + 6 elements
    for (let cut = 0; cut < full.length; cut++) {
      const part = full.slice(0, cut);
      assert.throws(
        () => parseIdx(part, 'small.idx'),
        (e: Error) => {
          assert.ok(e instanceof FormatError, `${type} cut at ${cut}: ${e.name}`);
          assert.ok(e.message.startsWith('small.idx: '), e.message);
          if (cut === 0) assert.match(e.message, /empty/);
          else assert.ok(e.message.includes(`truncated at byte ${cut}`), e.message);
          if (cut >= 12) {
            assert.ok(e.message.includes(`${expectedTotal} bytes are expected`), e.message);
            assert.ok(e.message.includes(`${expectedTotal - cut} bytes are missing`), e.message);
            assert.ok(e.message.includes('dims 2×3'), e.message);
          } else if (cut >= 4) {
            assert.ok(e.message.includes('needs 12 bytes'), e.message);
          }
          return true;
        },
      );
      // The same truncated data, gzipped intact: offsets refer to the decompressed bytes.
      assert.throws(
        () => parseIdx(gzip(part), 'small.idx.gz'),
        (e: Error) =>
          e instanceof FormatError &&
          e.message.startsWith('small.idx.gz: ') &&
          (cut === 0 || e.message.includes(`truncated at byte ${cut} of the decompressed data`)),
      );
    }
    // A gzip stream itself cut at every byte position.
    const zipped = gzip(full);
    for (let cut = 0; cut < zipped.length; cut++) {
      assert.throws(
        () => parseIdx(zipped.slice(0, cut), 'cut.gz'),
        (e: Error) => e instanceof FormatError && e.message.startsWith('cut.gz: '),
        `${type} gzip cut at ${cut}`,
      );
    }
  }
});

test('a truncated gzip stream reports how far the data got', () => {
  const full = encodeIdx(
    Uint8Array.from({ length: 5000 }, (_, i) => (i * 7919) % 251),
    [50, 100],
  );
  const zipped = gzip(full);
  const cut = zipped.slice(0, Math.floor(zipped.length / 2));
  assert.throws(
    () => parseIdx(cut, 'half.gz'),
    (e: Error) =>
      e instanceof FormatError &&
      /half\.gz: truncated at byte \d+ of the decompressed data \(the gzip stream is cut short\)/.test(
        e.message,
      ) &&
      e.message.includes('5012 bytes are expected'),
  );
  // Only the 8-byte gzip trailer missing: all data present but the file is still incomplete.
  assert.throws(
    () => parseIdx(zipped.slice(0, zipped.length - 8), 'trailer.gz'),
    (e: Error) => e instanceof FormatError && /trailer\.gz: /.test(e.message),
  );
  assert.throws(
    () => parseIdx(Uint8Array.from([0x1f, 0x8b, 1, 2, 3, 4, 5, 6, 7, 8, 9]), 'junk.gz'),
    (e: Error) => e instanceof FormatError && /junk\.gz: corrupt gzip data/.test(e.message),
  );
});

test('trailing bytes after the data are rejected, raw or gzipped', () => {
  const full = encodeIdx(Uint8Array.from([1, 2, 3, 4]), [2, 2]);
  assert.throws(
    () => parseIdx(concat(full, [0, 0, 0]), 't.idx'),
    (e: Error) =>
      e instanceof FormatError &&
      e.message.startsWith('t.idx: 3 unexpected bytes after the data, from byte 16') &&
      e.message.includes('16 bytes are expected'),
  );
  assert.throws(
    () => parseIdx(concat(full, [9]), 't.idx'),
    /1 unexpected bytes after the data, from byte 16/,
  );
  assert.throws(
    () => parseIdx(gzip(concat(full, new Uint8Array(1000))), 't.idx.gz'),
    (e: Error) =>
      e instanceof FormatError &&
      /t\.idx\.gz: unexpected bytes after the data: it decompresses to more than 16 bytes/.test(e.message),
  );
  // Garbage after the gzip stream is no valid gzip member.
  assert.throws(
    () => parseIdx(concat(gzip(full), [1, 2, 3]), 'tail.gz'),
    (e: Error) => e instanceof FormatError && /^tail\.gz: /.test(e.message),
  );
});

function arrayBuffersGrowth(body: () => void): number {
  const before = process.memoryUsage().arrayBuffers;
  body();
  return process.memoryUsage().arrayBuffers - before;
}

test('huge declared sizes in a tiny file fail fast without allocating them', () => {
  const cases: [string, Uint8Array][] = [
    ['4G×4G×4G doubles', concat(header(0x0e, [0xffffffff, 0xffffffff, 0xffffffff]), [1, 2, 3])],
    ['1.6 GB of doubles', concat(header(0x0e, [200_000_000]), [1, 2, 3, 4, 5, 6, 7, 8])],
    ['255 dims of 4G', concat(header(0x08, new Array(255).fill(0xffffffff)), [1])],
    ['256 MB of bytes', concat(header(0x08, [16384, 16384]), new Uint8Array(100))],
  ];
  for (const [what, bytes] of cases) {
    for (const [label, input] of [
      ['raw', bytes],
      ['gzip', gzip(bytes)],
    ] as const) {
      const start = performance.now();
      const growth = arrayBuffersGrowth(() =>
        assert.throws(
          () => parseIdx(input, 'huge.idx'),
          (e: Error) =>
            e instanceof FormatError &&
            /huge\.idx: truncated at byte \d+/.test(e.message) &&
            /bytes are expected/.test(e.message),
          `${what} ${label}`,
        ),
      );
      assert.ok(performance.now() - start < 200, `${what} ${label}: took ${performance.now() - start} ms`);
      assert.ok(growth < 16 * 2 ** 20, `${what} ${label}: array buffers grew by ${growth} bytes`);
    }
  }
});

test('a gzip bomb is cut off at the declared size', () => {
  // Declares 10 bytes of data, then inflates to 64 MB of zeros.
  const bomb = gzip(concat(header(0x08, [10]), new Uint8Array(64 * 2 ** 20)));
  assert.ok(bomb.length < 100_000);
  const start = performance.now();
  const growth = arrayBuffersGrowth(() =>
    assert.throws(
      () => parseIdx(bomb, 'bomb.gz'),
      (e: Error) => e instanceof FormatError && /bomb\.gz: unexpected bytes after the data/.test(e.message),
    ),
  );
  assert.ok(growth < 16 * 2 ** 20, `array buffers grew by ${growth} bytes`);
  assert.ok(performance.now() - start < 1000);
});

// ---------------------------------------------------------------------------------------
// Property tests: whatever the bytes, parseIdx returns a consistent result or throws a
// FormatError naming the source, quickly. Never a RangeError, TypeError or a hang.

function parsesOrRejects(bytes: Uint8Array): void {
  const start = performance.now();
  try {
    const parsed = parseIdx(bytes, 'fuzz.idx');
    assert.ok(parsed.dims.length >= 1);
    assert.equal(
      parsed.data.length,
      parsed.dims.reduce((p, d) => p * d, 1),
    );
  } catch (error) {
    if (!(error instanceof FormatError || error instanceof DataError)) throw error;
    assert.ok(error.message.startsWith('fuzz.idx: '), error.message);
  }
  const elapsed = performance.now() - start;
  assert.ok(elapsed < 1000, `took ${elapsed} ms`);
}

const seeds = { seed: 20240611 };

test('property: random byte arrays (4,000)', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), parsesOrRejects), { ...seeds, numRuns: 4000 });
});

test('property: random headers with random bodies (3,000)', () => {
  const typeCode = fc.oneof(
    fc.constantFrom(0x08, 0x09, 0x0b, 0x0c, 0x0d, 0x0e),
    fc.integer({ min: 0, max: 255 }),
  );
  const size = fc.oneof(
    fc.integer({ min: 0, max: 6 }),
    fc.constantFrom(0xffffffff, 0x80000000, 65536),
    fc.nat(),
  );
  const file = fc.record({
    typeCode,
    dims: fc.array(size, { minLength: 0, maxLength: 5 }),
    body: fc.uint8Array({ maxLength: 300 }),
    gz: fc.boolean(),
  });
  fc.assert(
    fc.property(file, ({ typeCode: code, dims, body, gz }) => {
      const bytes = concat(header(code, dims), body);
      parsesOrRejects(gz ? gzip(bytes) : bytes);
    }),
    { ...seeds, numRuns: 3000 },
  );
});

test('property: mutated valid files, raw and gzipped (4,000)', () => {
  const bases: Uint8Array[] = [];
  for (const data of Object.values(samples)) {
    bases.push(encodeIdx(data, [2, 3]), encodeIdx(data, [3, 2], { gzip: true }));
  }
  bases.push(
    encodeIdx(
      Uint8Array.from({ length: 784 }, (_, i) => i % 256),
      [1, 28, 28],
      { gzip: true },
    ),
  );
  const mutation = fc.record({
    base: fc.integer({ min: 0, max: bases.length - 1 }),
    edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
    cut: fc.option(fc.nat(), { nil: undefined }),
    extra: fc.uint8Array({ maxLength: 8 }),
  });
  fc.assert(
    fc.property(mutation, ({ base, edits, cut, extra }) => {
      let bytes = bases[base].slice();
      for (const [at, value] of edits) bytes[at % bytes.length] = value;
      if (cut !== undefined) bytes = bytes.slice(0, cut % (bytes.length + 1));
      parsesOrRejects(concat(bytes, extra));
    }),
    { ...seeds, numRuns: 4000 },
  );
});

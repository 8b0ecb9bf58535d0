// Issue 15, defects 2, 3, 8, 9 and the CR-only sibling: the CSV reader streams with stated
// caps. A gzip bomb stops at maxBytes with a named error; gzip is recognised by its bytes,
// not its name; one huge line is refused after about one piece past the line cap; a label
// far past the others is an error at its line (no million-class model, no RangeError);
// 1e39 is refused at its line and column (not finite in float32); CR-only files parse.
// Memory is measured with process.memoryUsage() around each case.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  loadCsvFile,
  loadLabelledCsv,
  parseCsv,
  parseCsvBytes,
  parseLabelledCsv,
} from '../../src/data/csv.js';
import { DataError, FormatError } from '../../src/errors.js';

function withTempDir(body: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'descent-csvlim-'));
  try {
    body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Memory growth (array buffers + JS heap) and time around `body`. */
function measure(body: () => void): { grew: number; ms: number } {
  const before = process.memoryUsage();
  const started = performance.now();
  body();
  const after = process.memoryUsage();
  return {
    grew: after.arrayBuffers - before.arrayBuffers + (after.heapUsed - before.heapUsed),
    ms: performance.now() - started,
  };
}

const MiB = 2 ** 20;

/** `copies` gzip members of `unit` one after the other: a bomb of copies × unit bytes, small on disk. */
function gzipMembers(unit: Uint8Array, copies: number): Uint8Array {
  const member = gzipSync(unit, { level: 9 });
  const out = new Uint8Array(member.length * copies);
  for (let i = 0; i < copies; i++) out.set(member, i * member.length);
  return out;
}

test('a .csv.gz bomb of 1 GiB in rows stops at maxBytes with a named error, memory bounded', () => {
  withTempDir((dir) => {
    const rows = new TextEncoder().encode('1,2,3,0\n1,2,3,1\n'.repeat((4 * MiB) / 16)); // 4 MiB of rows
    const path = join(dir, 'bomb.csv.gz');
    writeFileSync(path, gzipMembers(rows, 256)); // 1 GiB inflated
    const { grew, ms } = measure(() =>
      assert.throws(
        () => loadLabelledCsv(path, { maxBytes: 16 * MiB }),
        (e: unknown) =>
          e instanceof FormatError &&
          e.message.startsWith(`${path}: decompresses to more than ${16 * MiB} bytes, the CSV size limit`) &&
          /maxBytes \(--max-bytes in the CLI\)/.test(e.message),
      ),
    );
    assert.ok(grew < 160 * MiB, `memory grew by ${(grew / MiB).toFixed(1)} MiB`);
    assert.ok(ms < 20_000, `${ms} ms`);
  });
});

test('a gzip bomb without line breaks stops at the 1 MiB line cap, whatever its name', () => {
  withTempDir((dir) => {
    const zeros = new Uint8Array(64 * MiB).fill(0x30);
    const path = join(dir, 'bomb.dat'); // gzip bytes, not a .gz name
    writeFileSync(path, gzipMembers(zeros, 16)); // 1 GiB of '0' on one line
    const { grew, ms } = measure(() =>
      assert.throws(
        () => loadCsvFile(path),
        (e: unknown) =>
          e instanceof FormatError && e.message.startsWith(`${path} line 1: longer than ${MiB} bytes`),
      ),
    );
    assert.ok(grew < 160 * MiB, `memory grew by ${(grew / MiB).toFixed(1)} MiB`);
    assert.ok(ms < 5_000, `${ms} ms`);
  });
});

test('one 64 MB line in a plain file is refused after reading about 2 MiB of it', () => {
  withTempDir((dir) => {
    const path = join(dir, 'wide.csv');
    writeFileSync(path, '1,'.repeat(32 * MiB) + '1\n');
    const { grew, ms } = measure(() =>
      assert.throws(
        () => loadCsvFile(path),
        (e: unknown) =>
          e instanceof FormatError && /wide\.csv line 1: longer than 1048576 bytes/.test(e.message),
      ),
    );
    assert.ok(grew < 32 * MiB, `memory grew by ${(grew / MiB).toFixed(1)} MiB`);
    assert.ok(ms < 2_000, `${ms} ms`);
    // A larger cap reads a long line.
    writeFileSync(path, '1,'.repeat(1.5 * MiB) + '1\n');
    assert.equal(loadCsvFile(path, { maxLineBytes: 4 * MiB }).cols, 1.5 * MiB + 1);
  });
});

test('gzip is recognised by its magic bytes, not the name: a plain file named .gz reads as text', () => {
  withTempDir((dir) => {
    const plain = join(dir, 'plain.csv.gz');
    writeFileSync(plain, '1,2,0\n3,4,1\n');
    assert.deepEqual(Array.from(loadCsvFile(plain).values), [1, 2, 0, 3, 4, 1]);
    const zipped = join(dir, 'zipped.txt');
    writeFileSync(zipped, gzipSync('1,2,0\n3,4,1\n'));
    assert.deepEqual(Array.from(loadCsvFile(zipped).values), [1, 2, 0, 3, 4, 1]);
    // A damaged member (CRC-32 in the trailer) and a cut file are named errors.
    const bad = gzipSync('1,2,0\n3,4,1\n');
    bad[bad.length - 6] ^= 1;
    writeFileSync(zipped, bad);
    assert.throws(
      () => loadCsvFile(zipped),
      (e: unknown) => e instanceof FormatError && /cut short/.test(e.message),
    );
    assert.throws(
      () => parseCsvBytes(gzipSync('1,2\n').subarray(0, 15), { source: 'cut.gz' }),
      /cut\.gz: .*cut short/,
    );
  });
});

test('a label of 1,000,000 among 0..2 is an error at its line suggesting --num-classes; 2e9 never allocates', () => {
  const rows = Array.from({ length: 60 }, (_, i) => `${i % 7}.5,${i % 3}`);
  rows[41] = '4.5,1000000';
  const { grew, ms } = measure(() =>
    assert.throws(
      () => parseLabelledCsv(['x,label', ...rows].join('\n'), { source: 'labels.csv' }),
      (e: unknown) =>
        e instanceof DataError &&
        e.message.startsWith(
          'labels.csv line 43 (data row 42): label 1000000 (column 2) would make 1000001 classes',
        ) &&
        e.message.includes('only 4 different labels occur') &&
        e.message.includes('--num-classes'),
    ),
  );
  assert.ok(grew < 8 * MiB && ms < 200, `${grew} bytes, ${ms} ms`);
  rows[41] = '4.5,2000000000';
  assert.throws(
    () => parseLabelledCsv(rows.join('\n'), { source: 'labels.csv' }),
    (e: unknown) => e instanceof DataError && /line 42 .*label 2000000000/.test(e.message),
  );
  // A stated number of classes admits absent classes and names a label past it.
  rows[41] = '4.5,2';
  const stated = parseLabelledCsv(rows.join('\n'), { numClasses: 5 });
  assert.equal(stated.numClasses, 5);
  rows[41] = '4.5,7';
  assert.throws(
    () => parseLabelledCsv(rows.join('\n'), { numClasses: 5, source: 's.csv' }),
    /s\.csv line 42 \(data row 42\): label 7 \(column 2\) is not one of the 5 classes 0\.\.4/,
  );
});

test('1e39 (finite in float64, infinite in float32) is refused with its line and column', () => {
  assert.throws(
    () => parseCsv('a,b\n1,2\n3,1e39\n', { source: 'big.csv' }),
    (e: unknown) =>
      e instanceof DataError &&
      e.message.startsWith("big.csv line 3, column 2: '1e39' is too large for float32"),
  );
  assert.throws(() => parseCsv('-3.5e38,1\n'), /line 1, column 1: '-3.5e38' is too large for float32/);
  assert.equal(parseCsv('3.4e38,1\n').values[0], 3.4e38);
  assert.equal(parseCsv('1e39,1\n', { dtype: 'float64' }).values[0], 1e39);
});

test('CR-only line endings (classic Mac) parse like LF and CRLF, also split across pieces', () => {
  const lf = parseCsv('f,g,label\n1,2,0\n3,4,1\n');
  for (const text of [
    'f,g,label\r1,2,0\r3,4,1\r',
    'f,g,label\r1,2,0\r\n3,4,1',
    'f,g,label\r\n1,2,0\r\n3,4,1\r\n\r\n',
  ]) {
    const t = parseCsv(text);
    assert.deepEqual(
      [t.rows, t.cols, Array.from(t.values), t.header],
      [lf.rows, lf.cols, Array.from(lf.values), lf.header],
    );
  }
  // A CRLF whose CR ends one piece and LF starts the next is one line break.
  withTempDir((dir) => {
    const path = join(dir, 'crlf.csv');
    const row = '1,0.' + '0'.repeat(MiB - 5); // MiB − 1 bytes: its CR is the last byte of the first 1 MiB piece
    writeFileSync(path, `${row}\r\n3,4\r\n`);
    const t = loadCsvFile(path, { header: false, dtype: 'float64' });
    assert.equal(t.rows, 2);
  });
});

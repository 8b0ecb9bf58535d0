import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { loadCsvFile, loadLabelledCsv, parseCsv, splitLabelColumn } from '../../src/data/csv.js';
import { loadDigitsRaw } from '../../src/data/digits.js';
import { ConfigError, DataError, FormatError } from '../../src/errors.js';

function withTempDir(body: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'descent-csv-'));
  try {
    body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('parses numbers with CRLF, surrounding spaces and trailing blank lines', () => {
  const table = parseCsv(' 1, 2.5 ,-3\r\n4e2,.5,+6\r\n\r\n  \n');
  assert.equal(table.rows, 2);
  assert.equal(table.cols, 3);
  assert.deepEqual(Array.from(table.values), [1, 2.5, -3, 400, 0.5, 6]);
  assert.equal(table.header, undefined);
});

test('detects a header automatically, and obeys header: true/false', () => {
  const text = 'x,y,label\n1,2,0\n3,4,1\n';
  const auto = parseCsv(text);
  assert.deepEqual(auto.header, ['x', 'y', 'label']);
  assert.equal(auto.rows, 2);
  assert.deepEqual(Array.from(auto.values), [1, 2, 0, 3, 4, 1]);

  const numericHeader = parseCsv('10,20\n1,2\n', { header: true });
  assert.deepEqual(numericHeader.header, ['10', '20']);
  assert.equal(numericHeader.rows, 1);

  assert.throws(
    () => parseCsv(text, { header: false, source: 'h.csv' }),
    /h\.csv line 1, column 1: expected a number, got 'x'/,
  );
});

test('honours a custom delimiter and a byte-order mark', () => {
  const table = parseCsv('\uFEFFa;b\n1;2\n', { delimiter: ';' });
  assert.deepEqual(table.header, ['a', 'b']);
  assert.deepEqual(Array.from(table.values), [1, 2]);
  assert.throws(() => parseCsv('1,2', { delimiter: '' }), ConfigError);
});

test('a non-numeric cell names source, line, column and the value', () => {
  const text = '1,2,3\n4,5,6\n7,abc,9\n';
  assert.throws(
    () => parseCsv(text, { source: 'digits.csv' }),
    (error: Error) =>
      error instanceof DataError &&
      error.message.startsWith("digits.csv line 3, column 2: expected a number, got 'abc'"),
  );
  assert.throws(
    () => parseCsv('1,0x1f\n', { header: false }),
    /line 1, column 2: expected a number, got '0x1f'/,
  );
});

test('NaN, infinity and empty cells are rejected with their row and column', () => {
  const cases: Array<[string, RegExp]> = [
    ['1,2\n3,NaN\n', /<string> line 2, column 2: NaN is not allowed \(data row 2, column 2\)/],
    ['1,2\n3,4\nnan,5\n', /line 3, column 1: NaN is not allowed \(data row 3, column 1\)/],
    ['1,2\n3,inf\n', /line 2, column 2: infinite value 'inf' is not allowed/],
    ['1,2\n-Infinity,4\n', /line 2, column 1: infinite value '-Infinity' is not allowed/],
    ['1,2\n3,1e999\n', /line 2, column 2: infinite value '1e999'/],
    ['1,2\n3, \n', /line 2, column 2: empty cell.*\(data row 2, column 2\)/],
    ['a,b\n1,2\n,4\n', /line 3, column 1: empty cell.*\(data row 2, column 1\)/],
  ];
  for (const [text, pattern] of cases)
    assert.throws(
      () => parseCsv(text),
      (e: Error) => e instanceof DataError && pattern.test(e.message),
      text,
    );
});

test('a row with the wrong number of cells names both lines', () => {
  const good = Array.from({ length: 65 }, (_, i) => i).join(',');
  const short = Array.from({ length: 64 }, (_, i) => i).join(',');
  const text = [good, good, good, good, good, good, short].join('\n');
  assert.throws(
    () => parseCsv(text, { source: 'digits.csv' }),
    (e: Error) =>
      e instanceof FormatError &&
      e.message === 'digits.csv line 7: expected 65 columns (like line 1), got 64.',
  );
  assert.throws(() => parseCsv('a,b\n1,2,3\n'), /line 2: expected 2 columns \(like line 1\), got 3/);
  assert.throws(
    () => parseCsv('1,2\n\n3,4\n'),
    /line 2: expected 2 columns \(like line 1\), got an empty line/,
  );
});

test('empty input and header-only input are clear errors', () => {
  assert.throws(
    () => parseCsv(''),
    (e: Error) => e instanceof FormatError && /<string>: the input is empty/.test(e.message),
  );
  assert.throws(() => parseCsv('\n \r\n'), /the input is empty/);
  assert.throws(
    () => parseCsv('a,b\n', { source: 'x.csv' }),
    /x\.csv: only a header row \(line 1\), no data rows \(pass header: false/,
  );
});

test('loadCsvFile reads plain and gzipped files and names the path in errors', () => {
  withTempDir((dir) => {
    const text = 'f1,f2,label\n0.5,1,0\n2,3,1\n';
    const plain = join(dir, 'plain.csv');
    const gz = join(dir, 'data.csv.gz');
    const disguised = join(dir, 'disguised.csv'); // gzip bytes without the .gz name
    writeFileSync(plain, text);
    writeFileSync(gz, gzipSync(text));
    writeFileSync(disguised, gzipSync(text));
    for (const path of [plain, gz, disguised]) {
      const table = loadCsvFile(path);
      assert.deepEqual(table.header, ['f1', 'f2', 'label']);
      assert.deepEqual(Array.from(table.values), [0.5, 1, 0, 2, 3, 1]);
    }

    const broken = join(dir, 'broken.csv');
    writeFileSync(broken, '1,2\n3,x\n');
    assert.throws(
      () => loadCsvFile(broken),
      (e: Error) => e.message.startsWith(`${broken} line 2, column 2:`),
    );

    const corrupt = join(dir, 'corrupt.csv.gz');
    writeFileSync(corrupt, 'not gzip at all');
    assert.throws(
      () => loadCsvFile(corrupt),
      (e: Error) => e instanceof FormatError && e.message.includes(corrupt),
    );

    const missing = join(dir, 'missing.csv');
    assert.throws(
      () => loadCsvFile(missing),
      (e: Error) => e instanceof DataError && e.message.includes(missing) && e.message.includes('ENOENT'),
    );
  });
});

test('splitLabelColumn separates features from integer labels', () => {
  const table = parseCsv('1,2,0\n3,4,2\n5,6,1\n');
  const last = splitLabelColumn(table);
  assert.equal(last.numFeatures, 2);
  assert.equal(last.count, 3);
  assert.equal(last.numClasses, 3);
  assert.ok(last.features instanceof Float32Array);
  assert.deepEqual(Array.from(last.features), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(Array.from(last.labels), [0, 2, 1]);

  const first = splitLabelColumn(parseCsv('1,7,8\n0,9,10\n'), { labelColumn: 0 });
  assert.deepEqual(Array.from(first.labels), [1, 0]);
  assert.deepEqual(Array.from(first.features), [7, 8, 9, 10]);
  const fromEnd = splitLabelColumn(parseCsv('1,7,8\n0,9,10\n'), { labelColumn: -3 });
  assert.deepEqual(Array.from(fromEnd.labels), [1, 0]);

  assert.throws(() => splitLabelColumn(table, { labelColumn: 3 }), ConfigError);
  assert.throws(() => splitLabelColumn(parseCsv('1\n2\n')), FormatError);
});

test('splitLabelColumn rejects negative and fractional labels, naming row and value', () => {
  assert.throws(
    () => splitLabelColumn(parseCsv('1,2,0\n3,4,-1\n'), { source: 't.csv' }),
    (e: Error) =>
      e instanceof DataError &&
      /t\.csv line 2 \(data row 2\): .*non-negative integer, got -1/.test(e.message),
  );
  assert.throws(
    () => splitLabelColumn(parseCsv('1,2,0\n3,4,1\n5,6,1.5\n')),
    /line 3 \(data row 3\): .*got 1\.5/,
  );
});

test('loadLabelledCsv understands the scikit-learn header with class names', () => {
  withTempDir((dir) => {
    const iris = join(dir, 'iris.csv');
    writeFileSync(iris, '4,2,setosa,versicolor,virginica\n5.1,3.5,0\n4.9,3.0,0\n6.4,3.2,1\n6.3,3.3,2\n');
    const loaded = loadLabelledCsv(iris);
    assert.deepEqual(loaded.classNames, ['setosa', 'versicolor', 'virginica']);
    assert.equal(loaded.count, 4);
    assert.equal(loaded.numFeatures, 2);
    assert.equal(loaded.numClasses, 3);
    assert.deepEqual(Array.from(loaded.labels), [0, 0, 1, 2]);
    assert.ok(Math.abs(loaded.features[2] - 4.9) < 1e-6);

    // Only two classes present, but the header names three: numClasses follows the header.
    writeFileSync(iris, '2,2,setosa,versicolor,virginica\n5.1,3.5,0\n4.9,3.0,1\n');
    assert.equal(loadLabelledCsv(iris).numClasses, 3);

    writeFileSync(iris, '3,2,setosa,versicolor\n5.1,3.5,0\n4.9,3.0,1\n');
    assert.throws(
      () => loadLabelledCsv(iris),
      /line 1: the header promises 3 rows of 2 features, but the file has 2 rows of 2/,
    );
    writeFileSync(iris, '2,2,setosa,versicolor\n5.1,3.5,0\n4.9,3.0,2\n');
    assert.throws(
      () => loadLabelledCsv(iris),
      /iris\.csv line 3 \(data row 2\): label 2 .*is not one of the 2 classes 0\.\.1/,
    );
    writeFileSync(iris, '2,2,setosa,versicolor\n5.1,3.5,0\n4.9,bad,1\n');
    assert.throws(() => loadLabelledCsv(iris), /iris\.csv line 3, column 2: expected a number, got 'bad'/);

    const plain = join(dir, 'plain.csv');
    writeFileSync(plain, 'a,b,y\n1,2,1\n3,4,0\n');
    const loadedPlain = loadLabelledCsv(plain);
    assert.equal(loadedPlain.classNames, undefined);
    assert.equal(loadedPlain.numClasses, 2);
  });
});

test('the bundled digits: 1797 images of 64 pixels, labels 0..9, about 180 each', () => {
  const digits = loadDigitsRaw();
  assert.equal(digits.count, 1797);
  assert.equal(digits.numFeatures, 64);
  assert.equal(digits.features.length, 1797 * 64);
  assert.equal(digits.numClasses, 10);
  const perClass = new Array<number>(10).fill(0);
  for (const label of digits.labels) perClass[label]++;
  for (const n of perClass) assert.ok(n >= 170 && n <= 190, `class size ${n}`);
  let min = Infinity;
  let max = -Infinity;
  for (const v of digits.features) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  assert.equal(min, 0);
  assert.equal(max, 16);
  // First image of the file is a 0 whose top row is 0,0,5,13,9,1,0,0.
  assert.equal(digits.labels[0], 0);
  assert.deepEqual(Array.from(digits.features.subarray(0, 8)), [0, 0, 5, 13, 9, 1, 0, 0]);
});

// Property tests of the CSV reader: ≥ 10,000 malformed inputs, each must give a parsed
// table or a named DescentError (never another exception), quickly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseCsv, splitLabelColumn } from '../../src/data/csv.js';
import { DescentError } from '../../src/errors.js';

const VALID = ['1,2,3,0', '4.5,-6,7e-3,1', '0,0,0,2', ' 8 , 9 ,10 ,1'].join('\n') + '\n';

function check(text: string): void {
  const started = performance.now();
  try {
    const table = parseCsv(text, { source: 'fuzz.csv' });
    assert.equal(table.values.length, table.rows * table.cols, 'a parsed table is rectangular');
    for (const v of table.values) assert.ok(Number.isFinite(v), 'parsed values are finite');
    try {
      splitLabelColumn(table, { source: 'fuzz.csv' });
    } catch (error) {
      if (!(error instanceof DescentError)) throw error;
    }
  } catch (error) {
    if (!(error instanceof DescentError)) throw error;
    assert.match(
      error.message,
      /fuzz\.csv|<string>|empty|column|line/i,
      `error names the place: ${error.message}`,
    );
  }
  assert.ok(performance.now() - started < 1000, 'no input takes a second');
}

test('CSV reader: 6,000 random texts over a CSV-like alphabet never crash', () => {
  const alphabet = fc.constantFrom(...'0123456789.,-+eE \n\r\tNaNinf"abc'.split(''));
  fc.assert(
    fc.property(
      fc.array(alphabet, { maxLength: 200 }).map((a) => a.join('')),
      (text) => check(text),
    ),
    {
      numRuns: 6000,
      seed: 7,
    },
  );
});

test('CSV reader: 5,000 mutations of a valid file never crash', () => {
  const edit = fc.record({
    at: fc.nat({ max: VALID.length }),
    remove: fc.nat({ max: 6 }),
    insert: fc.string({ maxLength: 6 }),
  });
  fc.assert(
    fc.property(fc.array(edit, { minLength: 1, maxLength: 4 }), (edits) => {
      let text = VALID;
      for (const e of edits) text = text.slice(0, e.at) + e.insert + text.slice(e.at + e.remove);
      check(text);
    }),
    { numRuns: 5000, seed: 11 },
  );
});

// The same seeds give the same losses, bit for bit, as the fit of before the training loop
// was built from parts (test/fixtures/train/fit-bits.json, scripts/record-fit-bits.mjs):
// SGD, Adam, L-BFGS (closure steps), batch norm with dropout, early stopping with restored
// weights, and a learning-rate schedule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { runScenario, scenarios, type Recording } from './fit-bits-scenarios.js';

const fixture = JSON.parse(
  readFileSync(new URL('../../../test/fixtures/train/fit-bits.json', import.meta.url), 'utf8'),
) as Record<string, Recording>;

for (const name of Object.keys(scenarios)) {
  test(`fit reproduces the recorded bits: ${name}`, async () => {
    const expected = fixture[name];
    assert.ok(expected, `no recording for ${name}`);
    const got = await runScenario(name);
    assert.deepEqual(got.batchLosses, expected.batchLosses, 'batch losses');
    assert.deepEqual(got.history, expected.history, 'per-epoch history');
    assert.deepEqual(got.epochs, expected.epochs);
    assert.equal(got.stoppedEarly, expected.stoppedEarly);
    assert.deepEqual(got.parameters, expected.parameters, 'trained parameters');
  });
}

test('the recording covers a stop and closure steps (so the comparison means something)', () => {
  assert.ok(fixture.earlyStopping.stoppedEarly, 'early stopping stopped');
  assert.ok(fixture.earlyStopping.epochs.length < 12);
  assert.equal(fixture.lbfgs.batchLosses.length, 2 * Math.ceil(96 / 64));
});

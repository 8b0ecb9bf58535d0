// Universal approximation, measured: one hidden layer fits better as it widens, and the deep
// and wide networks compared have about the same number of parameters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/autograd/index.js';
import { deepVersusWide, widthSweep } from '../../src/lab/approx.js';
import { memory } from '../../src/tensor/scope.js';

test('widthSweep: the error falls with width; predictions cover the drawing grid', () => {
  const before = memory().numTensors;
  const r = widthSweep({ widths: [1, 8], steps: 600, samples: 64 });
  assert.equal(memory().numTensors, before);
  assert.deepEqual(
    r.fits.map((f) => f.parameters),
    [3 * 1 + 1, 3 * 8 + 1],
  );
  const [one, eight] = r.fits;
  assert.ok(eight.finalLoss < one.finalLoss / 10, `1 unit ${one.finalLoss}, 8 units ${eight.finalLoss}`);
  assert.equal(one.prediction.length, r.xs.length);
  assert.equal(r.ys.length, r.xs.length);
  assert.ok(one.losses[one.losses.length - 1] < one.losses[0]);
});

test('deepVersusWide: parameter counts within 10%, both fits trained', () => {
  const r = deepVersusWide({ steps: 300, samples: 64 });
  const [wide, deep] = r.fits;
  assert.equal(wide.hidden.length, 1);
  assert.equal(deep.hidden.length, 2);
  assert.ok(
    Math.abs(deep.parameters - wide.parameters) / wide.parameters < 0.1,
    `${wide.parameters} vs ${deep.parameters}`,
  );
  for (const f of r.fits) assert.ok(f.finalLoss < f.losses[0]);
});

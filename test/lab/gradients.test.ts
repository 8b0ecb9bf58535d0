// Vanishing and exploding gradients, measured on real training: a deep sigmoid net's first
// layer gets a gradient orders of magnitude below its last; a He-initialised ReLU net keeps
// them comparable; too large weights blow training up unless the gradient is clipped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/autograd/index.js';
import { defaultGradientConfigs, gradientNorms } from '../../src/lab/gradients.js';
import { memory } from '../../src/tensor/scope.js';

test('gradientNorms: vanishing through sigmoids, healthy with ReLU, exploding unless clipped', () => {
  const before = memory().numTensors;
  const studies = gradientNorms({ steps: 8, depth: 8, width: 24, seed: 1 });
  assert.equal(memory().numTensors, before);
  const get = (name: string) => studies.find((s) => s.name === name)!;
  assert.deepEqual(
    studies.map((s) => s.name),
    defaultGradientConfigs.map((c) => c.name),
  );
  for (const s of studies) {
    assert.equal(s.layers.length, 9);
    assert.equal(s.weightNorms.length, 9);
  }
  const sigmoid = get('sigmoid');
  for (let k = 0; k < 8; k++) {
    const first = sigmoid.weightNorms[0][k];
    const last = sigmoid.weightNorms[8][k];
    assert.ok(first < 1e-3 * last, `step ${k}: first layer ${first} vs last ${last}`);
    // And layer by layer towards the input, δˡ = ∂C/∂bˡ keeps shrinking (hidden layers all have the same width).
    for (let l = 1; l < 8; l++)
      assert.ok(sigmoid.biasNorms[l - 1][k] < sigmoid.biasNorms[l][k], `step ${k}, layer ${l}`);
    // The lecture's ∂C/∂b¹ as well.
    assert.ok(sigmoid.biasNorms[0][k] < 1e-3 * sigmoid.biasNorms[8][k]);
  }
  const relu = get('relu');
  const ratio = relu.weightNorms[0][0] / relu.weightNorms[8][0];
  assert.ok(ratio > 0.1 && ratio < 10, `ReLU/He first/last ratio ${ratio}`);
  assert.equal(relu.divergedAt, null);
  assert.ok(relu.losses[7] < relu.losses[0]);
  const exploding = get('relu-large');
  assert.ok(exploding.weightNorms[0][0] > 100 * relu.weightNorms[0][0]);
  assert.notEqual(exploding.divergedAt, null, 'unclipped, the loss stops being finite');
  const clipped = get('relu-large-clip');
  assert.equal(clipped.divergedAt, null);
  assert.ok(clipped.clippedSteps > 0);
  assert.ok(clipped.losses[7] < clipped.losses[0]);
  const bn = get('relu-bn');
  assert.equal(bn.divergedAt, null);
  assert.ok(Number.isNaN(bn.biasNorms[0][0]), 'dense layers before batch norm have no bias');
});

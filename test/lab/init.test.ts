// Initialisation: ‖K₃K₂K₁y‖/‖y‖ has the expected squared gain (nσ²)³ — about 1 for Glorot
// (and for He through ReLUs), exploding for N(0, 1), vanishing for U[−0.05, 0.05] — and the
// activation histograms of deep nets show saturation, collapse and health.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/autograd/index.js';
import { activationHistograms, initSchemes, normPropagation } from '../../src/lab/init.js';
import { memory } from '../../src/tensor/scope.js';

const byName = <T extends { scheme: string }>(list: readonly T[], name: string): T =>
  list.find((r) => r.scheme === name)!;

test('normPropagation: the mean squared gain matches (nσ²)³ for every scheme', () => {
  const runs = normPropagation({ samples: 60, seed: 3 });
  assert.equal(runs.length, initSchemes.length);
  for (const r of runs) {
    assert.equal(r.samples.length, 60);
    const rel = r.meanSquaredRatio / r.expectedSquaredRatio;
    assert.ok(
      rel > 0.75 && rel < 1.3,
      `${r.label}: E‖out‖²/‖y‖² = ${r.meanSquaredRatio}, theory ${r.expectedSquaredRatio}`,
    );
  }
  const glorot = byName(runs, 'glorot');
  assert.ok(Math.abs(glorot.expectedSquaredRatio - 1) < 1e-12);
  assert.ok(
    glorot.typicalRatio > 0.8 && glorot.typicalRatio < 1.2,
    `Glorot keeps the norm: ×${glorot.typicalRatio}`,
  );
  assert.ok(byName(runs, 'normal').typicalRatio > 500, 'N(0, 1) explodes (×1000 expected)');
  assert.ok(byName(runs, 'uniform0.05').typicalRatio < 0.05, 'U[−0.05, 0.05] vanishes (×0.024 expected)');
  assert.ok(byName(runs, 'uniform0.5').typicalRatio > 10);
  assert.ok(
    Math.abs(byName(runs, 'he').typicalRatio - 2 * Math.SQRT2) < 0.5,
    'He without ReLU: ×√2 per layer',
  );
});

test('normPropagation: through ReLUs, He keeps the norm and Glorot loses half the energy per layer', () => {
  const runs = normPropagation({
    samples: 60,
    seed: 4,
    nonlinearity: 'relu',
    schemes: initSchemes.filter((s) => s.name === 'he' || s.name === 'glorot'),
  });
  const he = byName(runs, 'he');
  const glorot = byName(runs, 'glorot');
  assert.ok(he.meanSquaredRatio > 0.7 && he.meanSquaredRatio < 1.3, `He: ${he.meanSquaredRatio}`);
  assert.ok(
    glorot.meanSquaredRatio > 0.08 && glorot.meanSquaredRatio < 0.18,
    `Glorot: ${glorot.meanSquaredRatio} (theory 1/8)`,
  );
});

test('activationHistograms: tanh saturates, collapses or stays healthy; ReLU explodes or vanishes unless He', () => {
  const before = memory().numTensors;
  const studies = activationHistograms({ depth: 6, width: 128, batch: 100, bins: 20, seed: 2 });
  assert.equal(memory().numTensors, before);
  assert.equal(studies.length, 2 * initSchemes.length);
  const get = (activation: string, scheme: string) =>
    studies.find((s) => s.activation === activation && s.scheme === scheme)!;
  for (const s of studies) {
    assert.equal(s.layers.length, 6);
    for (const l of s.layers) {
      assert.equal(l.counts.length, 20);
      assert.equal(l.edges.length, 21);
      const total = l.counts.reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(total - (s.activation === 'relu' ? 1 - l.zeroFraction : 1)) < 1e-9);
    }
  }
  const last = (s: { layers: { std: number; saturatedFraction: number }[] }) => s.layers[s.layers.length - 1];
  assert.ok(last(get('tanh', 'normal')).saturatedFraction > 0.6, 'N(0, 1) saturates tanh');
  assert.ok(last(get('tanh', 'uniform0.05')).std < 0.01, 'U[−0.05, 0.05] collapses tanh activations');
  const glorot = get('tanh', 'glorot');
  assert.ok(
    last(glorot).std > 0.2 && last(glorot).saturatedFraction < 0.05,
    'Glorot keeps tanh in its linear range',
  );
  const he = get('relu', 'he');
  assert.ok(
    last(he).std / he.layers[0].std > 0.5 && last(he).std / he.layers[0].std < 2,
    'He keeps the ReLU scale',
  );
  assert.ok(last(get('relu', 'normal')).std > 1e4, 'N(0, 1) explodes through ReLUs (×8 per layer)');
  assert.ok(last(get('relu', 'uniform0.05')).std < 1e-2, 'U[−0.05, 0.05] vanishes through ReLUs');
  for (const l of he.layers)
    assert.ok(l.zeroFraction > 0.3 && l.zeroFraction < 0.7, 'about half the ReLUs are off');
});

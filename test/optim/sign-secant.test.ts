// Rprop (both variants) and QuickProp against steps computed by hand from the original
// formulas (Riedmiller & Braun 1993; Fahlman 1988). Each weight of the small vectors below
// is chosen to take one branch of the rule; the comments carry the arithmetic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromArray } from '../../src/tensor/creation.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import {
  getOptimizer,
  asOptimizerName,
  Optimizer,
  quickprop,
  rprop,
  type GradientTransformation,
  type OptState,
} from '../../src/optim/index.js';
import { setGrads } from './fixtures.js';

function stepThrough(
  transform: GradientTransformation<OptState>,
  w0: number[],
  grads: number[][],
): number[][] {
  const w = fromArray(w0, [w0.length], { dtype: 'float64', requiresGrad: true });
  const optimizer = new Optimizer(transform, [w]);
  const path = grads.map((g) => {
    setGrads([w], [g]);
    optimizer.step();
    return Array.from(w.dataSync());
  });
  optimizer.dispose();
  w.dispose();
  return path;
}

function assertPath(actual: number[][], expected: number[][], what: string): void {
  expected.forEach((row, k) =>
    row.forEach((e, i) =>
      assert.ok(
        Math.abs(actual[k][i] - e) < 1e-12,
        `${what}, step ${k + 1}, weight ${i}: ${actual[k][i]} vs ${e}`,
      ),
    ),
  );
}

// Δ₀ = 0.1, η⁺ = 1.2, η⁻ = 0.5. Gradients per step for four weights:
//   step 1: [ 1,  −2, 0,  3]   no history: Δ = 0.1 each; Δw = −sign(g)·Δ = [−0.1, 0.1, 0, −0.1]
//   step 2: [ 0.5, −1, 1, −3]  g·g′ = [+, +, 0, −]: Δ = [0.12, 0.12, 0.1, 0.05]
//   step 3: [ 0.5,  1, 1, −3]  g·g′ = [+, −, +, 0 (g′ was zeroed)]: Δ = [0.144, 0.06, 0.12, 0.05]
const GRADS = [
  [1, -2, 0, 3],
  [0.5, -1, 1, -3],
  [0.5, 1, 1, -3],
];

test("rprop, PyTorch's variant (no backtracking): a sign flip shrinks Δ and skips the move", () => {
  const path = stepThrough(rprop({ lr: 0.1 }), [0, 0, 0, 0], GRADS);
  assertPath(
    path,
    [
      [-0.1, 0.1, 0, -0.1],
      // Δw = [−0.12, +0.12, −0.1, 0 (flipped)]
      [-0.22, 0.22, -0.1, -0.1],
      // Δw = [−0.144, 0 (flipped), −0.12, +0.05 (g′ = 0: plain step with Δ = 0.05)]
      [-0.364, 0.22, -0.22, -0.05],
    ],
    'rprop pytorch',
  );
});

test('rprop, the original with backtracking: a sign flip undoes the previous step', () => {
  const path = stepThrough(rprop({ lr: 0.1, variant: 'backtracking' }), [0, 0, 0, 0], GRADS);
  assertPath(
    path,
    [
      [-0.1, 0.1, 0, -0.1],
      // weight 3 flipped: Δw = −Δw_prev = +0.1, back to 0
      [-0.22, 0.22, -0.1, 0],
      // weight 1 flipped: Δw = −(+0.12); weight 3 (g′ = 0): Δw = −sign(−3)·0.05 = +0.05
      [-0.364, 0.1, -0.22, 0.05],
    ],
    'rprop backtracking',
  );
});

test('rprop: the step sizes stay within [Δ_min, Δ_max]', () => {
  // Ten steps of the same sign from Δ₀ = 0.1 with η⁺ = 2 would reach 102.4; Δ_max = 0.5 caps it.
  const path = stepThrough(
    rprop({ lr: 0.1, etaPlus: 2, stepSizeMax: 0.5 }),
    [0],
    Array.from({ length: 10 }, () => [-1]),
  );
  const moves = path.map((w, k) => w[0] - (k === 0 ? 0 : path[k - 1][0]));
  assertPath(
    moves.map((m) => [m]),
    [[0.1], [0.2], [0.4], [0.5], [0.5], [0.5], [0.5], [0.5], [0.5], [0.5]],
    'capped',
  );
  // Alternating signs shrink Δ to Δ_min and no further (PyTorch variant: moves on every other step).
  const shrink = stepThrough(
    rprop({ lr: 0.1, stepSizeMin: 0.02 }),
    [0],
    [[1], [-1], [1], [-1], [1], [-1], [1]],
  );
  const steps = shrink.map((w, k) => w[0] - (k === 0 ? 0 : shrink[k - 1][0]));
  // Δ: 0.1 (move), 0.05 (flip: no move), g′ = 0 → 0.05 (move), 0.025 (flip), 0.025 (move), 0.02 (flip, clamped), 0.02 (move)
  assertPath(
    steps.map((m) => [m]),
    [[-0.1], [0], [-0.05], [0], [-0.025], [0], [-0.02]],
    'shrinking',
  );
});

test('rprop: validation', () => {
  assert.throws(() => rprop({ etaPlus: 0.9 }), /rprop: etaPlus must be greater than 1, got 0.9/);
  assert.throws(() => rprop({ etaMinus: 1 }), /rprop: etaMinus must be in \(0, 1\), got 1/);
  assert.throws(
    () => rprop({ variant: 'irprop' as 'pytorch' }),
    /variant must be 'pytorch' or 'backtracking'/,
  );
  assert.throws(() => rprop({ lr: (t: number) => 1 / (t + 1) }), /initial step size/);
  assert.throws(() => rprop({ stepSizeMin: 1, stepSizeMax: 0.5 }), /must not exceed/);
});

// QuickProp, ε = 0.1, μ = 1.75, μ/(1 + μ) = 0.636363…
//   step 1, S = [2, −1, 4]:      no previous step: Δw = −εS = [−0.2, 0.1, −0.4]
//   step 2, S = [1, −0.8, 3.9]:
//     w₀: Δw′ = −0.2 < 0, S = 1 > 0 → linear −0.1; S > 0.636·2 = 1.27? no → parabola −0.2·1/(2 − 1) = −0.2;  Δw = −0.3
//     w₁: Δw′ = 0.1 > 0, S < 0 → linear +0.08; S < 0.636·(−1) = −0.636? yes → capped μΔw′ = 0.175;      Δw = 0.255
//     w₂: Δw′ = −0.4 < 0, S > 0 → linear −0.39; S > 0.636·4 = 2.545? yes → capped −0.7;                  Δw = −1.09
//   step 3, S = [−0.5, 0.2, 3.9]:
//     w₀: Δw′ = −0.3, S < 0 → no linear; S > 0.636·1? no → parabola −0.3·(−0.5)/(1 + 0.5) = 0.1;        Δw = 0.1
//     w₁: Δw′ = 0.255, S > 0 → no linear; S < 0.636·(−0.8)? no → parabola 0.255·0.2/(−0.8 − 0.2) = −0.051
//     w₂: Δw′ = −1.09, S = S′ (no parabola) → capped μΔw′ = −1.9075; S > 0 → linear −0.39;              Δw = −2.2975
test("quickprop: Fahlman's secant step, its growth limit μ and its linear term, by hand", () => {
  const path = stepThrough(
    quickprop({ lr: 0.1, maxGrowth: 1.75 }),
    [0, 0, 0],
    [
      [2, -1, 4],
      [1, -0.8, 3.9],
      [-0.5, 0.2, 3.9],
    ],
  );
  assertPath(
    path,
    [
      [-0.2, 0.1, -0.4],
      [-0.5, 0.355, -1.49],
      [-0.4, 0.304, -3.7875],
    ],
    'quickprop',
  );
});

test("quickprop: on a parabola the secant part jumps exactly to the minimum, Fahlman's linear term on top", () => {
  // C(w) = (w − 3)², S = 2(w − 3): the secant through two slopes of a parabola is exact.
  const w = fromArray([2.9], [1], { dtype: 'float64', requiresGrad: true });
  const optimizer = new Optimizer(quickprop({ lr: 0.4, maxGrowth: 100 }), [w]);
  for (let k = 0; k < 2; k++) {
    const x = w.dataSync()[0];
    setGrads([w], [[2 * (x - 3)]]);
    optimizer.step();
  }
  // Step 1: Δw = −0.4·(−0.2) = 0.08 → w = 2.98, S = −0.04. Step 2: parabola 0.08·(−0.04)/(−0.2 + 0.04) = 0.02,
  // plus the linear term −0.4·(−0.04) = 0.016 (S still points the same way): w = 3.016.
  assert.ok(Math.abs(w.dataSync()[0] - 3.016) < 1e-12, String(w.dataSync()[0]));
  optimizer.dispose();
  w.dispose();
});

test('quickprop and rprop are registered with their defaults', () => {
  for (const name of ['quickprop', 'rprop']) {
    const w: Tensor = fromArray([1, -1], [2], { dtype: 'float64', requiresGrad: true });
    const optimizer = new Optimizer(getOptimizer(asOptimizerName(name)), [w]);
    setGrads([w], [[1, -1]]);
    optimizer.step();
    const [a, b] = w.dataSync();
    assert.ok(
      Math.abs(a - 0.99) < 1e-15 && Math.abs(b + 0.99) < 1e-15,
      `${name}: first step −0.01·sign(g) (Δ₀ = ε·|g| = 0.01 here), got ${a}, ${b}`,
    );
    optimizer.dispose();
    w.dispose();
  }
});

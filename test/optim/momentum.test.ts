// Momentum and Nesterov: the lecture's forms against PyTorch's, under the documented mappings,
// on a function whose gradient depends on the parameters (so a wrong mapping shows at once).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/autograd/index.js';
import { add, mul, square } from '../../src/ops/arithmetic.js';
import { sum } from '../../src/ops/reduce.js';
import { fromArray } from '../../src/tensor/creation.js';
import { memory, tidy } from '../../src/tensor/scope.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import {
  inverseTimeDecay,
  lookaheadNesterov,
  momentum,
  nesterov,
  Optimizer,
  sgd,
  trace,
  type GradientTransformation,
  type OptState,
} from '../../src/optim/index.js';

/** C(w) = Σ aᵢ wᵢ²/2 + 0.1 Σ wᵢ⁴ over two parameters: a non-quadratic bowl with κ = 10. */
function cost(params: readonly Tensor[]): Tensor {
  const a = [
    fromArray([1, 10, 3], [3], { dtype: 'float64' }),
    fromArray(
      [
        [2, 5],
        [0.5, 7],
      ],
      [2, 2],
      { dtype: 'float64' },
    ),
  ];
  let total: Tensor | null = null;
  params.forEach((p, i) => {
    const term = add(sum(mul(mul(a[i], square(p)), 0.5)), mul(sum(square(square(p))), 0.1));
    total = total ? add(total, term) : term;
  });
  return total!;
}

function start(): Tensor[] {
  const w = fromArray([1.5, -0.8, 0.3], [3], { dtype: 'float64', requiresGrad: true });
  const v = fromArray(
    [
      [-1, 0.4],
      [0.9, -0.2],
    ],
    [2, 2],
    { dtype: 'float64', requiresGrad: true },
  );
  w.name = 'w.weight';
  v.name = 'v.weight';
  return [w, v];
}

/** Runs an optimiser for `steps` steps on `cost`, returning θ after each step (and its state). */
function run(
  transform: GradientTransformation<OptState>,
  steps: number,
  withClosure = false,
): { path: number[][]; optimizer: Optimizer; params: Tensor[] } {
  const params = start();
  const optimizer = new Optimizer(transform, params);
  const closure = () => {
    optimizer.zeroGrad();
    const loss = cost(params);
    loss.backward();
    return loss;
  };
  const path: number[][] = [];
  for (let k = 0; k < steps; k++) {
    if (withClosure) optimizer.step(closure);
    else {
      tidy(() => {
        optimizer.zeroGrad();
        closure();
      });
      optimizer.step();
    }
    path.push(params.flatMap((p) => Array.from(p.dataSync())));
  }
  return { path, optimizer, params };
}

const close = (a: number[], b: number[], tol = 1e-12) =>
  a.every((x, i) => Math.abs(x - b[i]) <= tol * Math.max(1, Math.abs(b[i])));

test("momentum: the lecture's v ← αv − η∇C; w ← w + v equals PyTorch's b ← μb + ∇C; w ← w − ηb, with v = −ηb", () => {
  const before = memory().numTensors;
  const eta = 0.02;
  const alpha = 0.9;
  const lecture = run(momentum({ lr: eta, momentum: alpha }), 150);
  const torch = run(sgd({ lr: eta, momentum: alpha }), 150);
  lecture.path.forEach((w, k) =>
    assert.ok(close(w, torch.path[k]), `step ${k + 1}: ${w} vs ${torch.path[k]}`),
  );
  // The velocities themselves: v = −η b, per parameter.
  const v = lecture.optimizer.parameterState();
  const b = torch.optimizer.parameterState();
  for (const name of ['w.weight', 'v.weight']) {
    const vel = Array.from(v[name]['1.velocity'].dataSync());
    const buf = Array.from(b[name]['0.velocity'].dataSync());
    assert.ok(
      close(
        vel,
        buf.map((x) => -eta * x),
      ),
      `${name}: v = −ηb`,
    );
  }
  // And the path goes downhill to the minimum at 0.
  assert.ok(Math.max(...lecture.path[149].map(Math.abs)) < 0.1);
  for (const r of [lecture, torch]) {
    r.optimizer.dispose();
    r.params.forEach((p) => p.dispose());
  }
  assert.equal(memory().numTensors, before);
});

test('momentum: with a learning-rate schedule the two forms part, as documented (v keeps the past η)', () => {
  const schedule = inverseTimeDecay(0.05, 0.5);
  const lecture = run(momentum({ lr: schedule, momentum: 0.9 }), 5);
  const torch = run(sgd({ lr: schedule, momentum: 0.9 }), 5);
  assert.ok(close(lecture.path[0], torch.path[0]), 'the first step is the same');
  assert.ok(!close(lecture.path[4], torch.path[4], 1e-6), 'later steps differ');
});

test('momentum: the same blocks in the two orders are the two forms', () => {
  // chain(scaleByLearningRate, trace) is the lecture's; chain(trace, scaleByLearningRate) PyTorch's.
  const tr = trace({ decay: 0.5 });
  assert.throws(() => trace({ decay: 1 }), /trace: momentum must be in \[0, 1\), got 1/);
  assert.throws(
    () => trace({ decay: 0.5, nesterov: true, dampening: 0.1 }),
    /Nesterov momentum requires a momentum > 0 and zero dampening/,
  );
  assert.ok(tr);
});

test("nesterov: the lecture's gradient at the look-ahead point equals PyTorch's reformulation, w̃ = w + αv", () => {
  const before = memory().numTensors;
  const eta = 0.02;
  const alpha = 0.9;
  const lecture = run(lookaheadNesterov({ lr: eta, momentum: alpha }), 40, true);
  const torch = run(nesterov({ lr: eta, momentum: alpha }), 40);
  const first = start();
  const initial = first.flatMap((p) => Array.from(p.dataSync()));
  first.forEach((p) => p.dispose());
  const velocity = (k: number) => {
    // Recover vₖ = wₖ − wₖ₋₁ from the lecture's path (w₀ = the start).
    const previous = k === 0 ? initial : lecture.path[k - 1];
    return lecture.path[k].map((w, i) => w - previous[i]);
  };
  lecture.path.forEach((w, k) => {
    const lookahead = w.map((x, i) => x + alpha * velocity(k)[i]);
    assert.ok(
      close(lookahead, torch.path[k], 1e-11),
      `step ${k + 1}: w + αv = ${lookahead} vs PyTorch's ${torch.path[k]}`,
    );
  });
  // Without the mapping they are different points.
  assert.ok(!close(lecture.path[3], torch.path[3], 1e-6));
  for (const r of [lecture, torch]) {
    r.optimizer.dispose();
    r.params.forEach((p) => p.dispose());
  }
  assert.equal(memory().numTensors, before);
});

test('nesterov: the look-ahead form needs a closure and says so', () => {
  const params = start();
  const optimizer = new Optimizer(lookaheadNesterov({ lr: 0.1 }), params);
  assert.throws(() => optimizer.step(), /pass a closure that zeroes the gradients/);
  assert.throws(() => nesterov({ momentum: 0 }), /nesterov: momentum must be in \(0, 1\), got 0/);
});

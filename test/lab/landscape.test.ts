// Loss landscapes: filter normalisation gives every filter of the direction the norm of the
// same filter in the weights; evaluations restore the weights; the path plane is orthonormal
// and centred on the final weights.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/autograd/index.js';
import { synthetic } from '../../src/data/sets.js';
import { Rng } from '../../src/tensor/random.js';
import { memory } from '../../src/tensor/scope.js';
import {
  lossAt,
  lossSlice1d,
  lossSurface2d,
  pathPlane,
  pathSurface,
  randomDirection,
  readParams,
  trainForLandscape,
  type ParamVector,
} from '../../src/lab/landscape.js';

function rowNorms(v: Float64Array, rows: number): number[] {
  const per = v.length / rows;
  return Array.from({ length: rows }, (_, r) => Math.hypot(...v.subarray(r * per, (r + 1) * per)));
}

test('randomDirection: filter-normalised rows match the weights’ rows, 1-D parameters get 0', () => {
  const rng = new Rng(1);
  const theta: ParamVector = [
    Float64Array.from({ length: 12 }, (_, i) => (i % 5) - 2 + 0.1 * i),
    Float64Array.from([0.5, -1, 2]),
  ];
  const shapes = [[3, 4], [3]];
  const d = randomDirection(theta, shapes, rng, 'filter');
  rowNorms(d[0], 3).forEach((n, r) => assert.ok(Math.abs(n - rowNorms(theta[0], 3)[r]) < 1e-12));
  assert.deepEqual(Array.from(d[1]), [0, 0, 0]);
  const layer = randomDirection(theta, shapes, rng, 'layer');
  assert.ok(Math.abs(Math.hypot(...layer[0]) - Math.hypot(...theta[0])) < 1e-12);
  assert.ok(Math.abs(Math.hypot(...layer[1]) - Math.hypot(...theta[1])) < 1e-12);
});

test('landscape: slices and surfaces around trained weights, which are left untouched', () => {
  const before = memory().numTensors;
  const sets = synthetic('moons', { count: 200, rng: new Rng(2) });
  const trained = trainForLandscape({
    data: sets.train,
    numClasses: 2,
    hidden: [16],
    epochs: 30,
    lr: 0.5,
    seed: 3,
  });
  try {
    const target = { net: trained.net, data: sets.train };
    const params = trained.net.parameters();
    const theta = readParams(params);
    const [center] = lossAt(target, theta, [], [[]]);
    const [slice] = lossSlice1d(target, { points: 5, seed: 1 });
    assert.deepEqual(slice.alphas, [-1, -0.5, 0, 0.5, 1]);
    assert.ok(Math.abs(slice.losses[2] - center) < 1e-6, 'α = 0 is the trained loss');
    assert.ok(slice.losses[0] > center && slice.losses[4] > center, 'the trained weights sit in a basin');
    assert.deepEqual(readParams(params), theta, 'weights restored');
    const surface = lossSurface2d(target, { points: 5, seed: 1 });
    assert.equal(surface.values.length, 25);
    assert.ok(Math.abs(surface.values[12] - center) < 1e-6, 'the centre of the grid is the trained loss');
    assert.deepEqual(readParams(params), theta, 'weights restored');
    // The path plane: orthonormal directions, the final snapshot at the origin.
    assert.ok(trained.snapshots.length > 4);
    const plane = pathPlane(trained.snapshots, theta);
    const dot = (a: ParamVector, b: ParamVector) =>
      a.reduce((s, ai, i) => s + ai.reduce((t, v, k) => t + v * b[i][k], 0), 0);
    assert.ok(Math.abs(dot(plane.directions[0], plane.directions[0]) - 1) < 1e-9);
    assert.ok(Math.abs(dot(plane.directions[1], plane.directions[1]) - 1) < 1e-9);
    assert.ok(Math.abs(dot(plane.directions[0], plane.directions[1])) < 1e-6);
    const end = plane.coordinates[plane.coordinates.length - 1];
    assert.ok(Math.hypot(...end) < 1e-9);
    assert.ok(
      plane.explained[0] >= plane.explained[1] && plane.explained[0] + plane.explained[1] <= 1 + 1e-9,
    );
    const onPlane = pathSurface(target, trained.snapshots, { points: 5 });
    assert.equal(onPlane.path!.length, trained.snapshots.length);
    // The path starts higher than it ends.
    assert.ok(trained.losses[0] > trained.losses[trained.losses.length - 1]);
  } finally {
    trained.net.dispose();
    sets.train.dispose();
    sets.test.dispose();
  }
  assert.equal(memory().numTensors, before, 'nothing leaks');
});

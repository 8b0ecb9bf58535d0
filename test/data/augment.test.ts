import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  addGaussianNoise,
  applyChannelStandardizer,
  augmentationDefaults,
  augmenter,
  channelStatistics,
  fitChannelStandardizer,
  flipHorizontal,
  parseAugmentSpec,
  randomFlip,
  randomRotate,
  randomScale,
  randomShift,
  randomStretch,
  standardizeChannels,
  transformImages,
  type ImageBatchShape,
} from '../../src/data/augment.js';
import { Dataset } from '../../src/data/dataset.js';
import { ConfigError, DataError, ShapeError } from '../../src/errors.js';
import { fromArray } from '../../src/tensor/creation.js';
import { Rng } from '../../src/tensor/random.js';

/** A batch of random images in [0, 1). */
function randomImages(shape: ImageBatchShape, seed = 1): Float32Array {
  const r = new Rng(seed);
  const out = new Float32Array(shape[0] * shape[1] * shape[2] * shape[3]);
  for (let i = 0; i < out.length; i++) out[i] = r.uniform();
  return out;
}

/** One H×W image (1 channel) whose value at (y, x) is f(y, x). */
function image(height: number, width: number, f: (y: number, x: number) => number): Float32Array {
  const out = new Float32Array(height * width);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) out[y * width + x] = f(y, x);
  return out;
}

const at = (img: Float32Array, width: number, y: number, x: number): number => img[y * width + x];

function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: number,
  what: string,
): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(
      Math.abs(actual[i] - expected[i]) <= tol,
      `${what}[${i}]: got ${actual[i]}, expected ${expected[i]}`,
    );
  }
}

const shape: ImageBatchShape = [4, 3, 7, 9];

test('identities: flip twice, shift by 0, rotation by 0, scale 0, identity transforms are exact copies', () => {
  const x = randomImages(shape);
  const copy = x.slice();
  assert.deepEqual(flipHorizontal(flipHorizontal(x, shape), shape), x);
  assert.deepEqual(randomShift(x, shape, 0, new Rng(1)), x);
  assert.deepEqual(randomRotate(x, shape, 0, new Rng(1)), x);
  assert.deepEqual(randomScale(x, shape, 0, new Rng(1)), x);
  assert.deepEqual(randomStretch(x, shape, 0, new Rng(1)), x);
  assert.deepEqual(randomFlip(x, shape, new Rng(1), 0), x);
  assert.deepEqual(addGaussianNoise(x, 0, new Rng(1)), x);
  assert.deepEqual(transformImages(x, shape, { rotate: 0, shiftX: 0, shiftY: 0, scaleX: 1, scaleY: 1 }), x);
  assert.deepEqual(augmenter('none').apply(x, shape), x);
  assert.ok(augmenter('').isIdentity);
  // Flip through the affine path, twice, is exact too; so is a 360° turn up to rounding.
  const viaWarp = transformImages(transformImages(x, shape, { flip: true }), shape, { flip: true });
  assert.deepEqual(viaWarp, x);
  assertClose(transformImages(x, shape, { rotate: 360 }), x, 1e-5, 'rotate 360');
  // Nothing mutates its input; outputs have the input's length.
  for (const out of [
    flipHorizontal(x, shape),
    randomRotate(x, shape, 15, new Rng(2)),
    augmenter('rotate,shift,scale,stretch,noise,flip').apply(x, shape, new Rng(3)),
  ]) {
    assert.equal(out.length, x.length);
    assert.notEqual(out, x);
  }
  assert.deepEqual(x, copy);
});

test('flip mirrors each row; randomFlip with p = 1 flips every image', () => {
  const x = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]); // [2, 1, 2, 3]
  const s: ImageBatchShape = [2, 1, 2, 3];
  assert.deepEqual(Array.from(flipHorizontal(x, s)), [3, 2, 1, 6, 5, 4, 9, 8, 7, 12, 11, 10]);
  assert.deepEqual(randomFlip(x, s, new Rng(0), 1), flipHorizontal(x, s));
  assert.deepEqual(transformImages(x, s, { flip: true }), flipHorizontal(x, s));
  // With p = 0.5 about half of many images flip, chosen by the seed.
  const many: ImageBatchShape = [400, 1, 1, 2];
  const pairs = Float32Array.from({ length: 800 }, (_, i) => i % 2);
  const flipped = randomFlip(pairs, many, new Rng(5));
  let count = 0;
  for (let n = 0; n < 400; n++) if (flipped[2 * n] === 1) count++;
  assert.ok(count > 160 && count < 240, `${count} of 400 flipped`);
});

test('shift moves content by whole pixels; the uncovered border gets the fill', () => {
  const s: ImageBatchShape = [1, 1, 3, 4];
  const x = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  assert.deepEqual(
    Array.from(transformImages(x, s, { shiftX: 1 }, { fill: 0 })),
    [0, 1, 2, 3, 0, 5, 6, 7, 0, 9, 10, 11],
  );
  assert.deepEqual(
    Array.from(transformImages(x, s, { shiftY: -1 }, { fill: -5 })),
    [5, 6, 7, 8, 9, 10, 11, 12, -5, -5, -5, -5],
  );
  assert.deepEqual(
    Array.from(transformImages(x, s, { shiftX: -2 }, { fill: 'edge' })),
    [3, 4, 4, 4, 7, 8, 8, 8, 11, 12, 12, 12],
  );
  // 'min' (the default) fills with the image's smallest value: its background.
  assert.deepEqual(Array.from(transformImages(x, s, { shiftX: 1 })), [1, 1, 2, 3, 1, 5, 6, 7, 1, 9, 10, 11]);
  // Random shifts are whole pixels within ±max: each output is a shifted copy of the input.
  const ramp = image(5, 5, (y, x) => 10 * y + x + 1);
  const batch = new Float32Array(50 * 25);
  for (let n = 0; n < 50; n++) batch.set(ramp, n * 25);
  const shifted = randomShift(batch, [50, 1, 5, 5], 2, new Rng(9), { fill: 0 });
  const seen = new Set<string>();
  for (let n = 0; n < 50; n++) {
    const centre = shifted[n * 25 + 12]; // (2, 2) came from (2 − dy, 2 − dx)
    const dy = 2 - Math.floor((centre - 1) / 10);
    const dx = 2 - ((centre - 1) % 10);
    assert.ok(
      Number.isInteger(centre) && Math.abs(dx) <= 2 && Math.abs(dy) <= 2,
      `image ${n}: centre ${centre}`,
    );
    seen.add(`${dx},${dy}`);
    const expected = transformImages(ramp, [1, 1, 5, 5], { shiftX: dx, shiftY: dy }, { fill: 0 });
    assert.deepEqual(shifted.subarray(n * 25, n * 25 + 25), expected);
  }
  assert.ok(seen.size > 8, `only ${seen.size} distinct shifts`);
});

test('rotation: 90° turns content clockwise as displayed; bilinear resampling is exact on linear ramps', () => {
  const s: ImageBatchShape = [1, 1, 5, 5];
  const dot = image(5, 5, (y, x) => (y === 2 && x === 4 ? 1 : 0)); // right of the centre
  const turned = transformImages(dot, s, { rotate: 90 }, { fill: 0 });
  assert.ok(Math.abs(at(turned, 5, 4, 2) - 1) < 1e-6, 'the dot moved below the centre');
  assert.ok(Math.abs(turned.reduce((sum, v) => sum + v, 0) - 1) < 1e-6);
  assertClose(transformImages(turned, s, { rotate: -90 }, { fill: 0 }), dot, 1e-6, 'rotate back');
  // Scaling and half-pixel shifts of a linear ramp interpolate it exactly (inside the image).
  const ramp = image(5, 9, (_, x) => x);
  const zoomed = transformImages(ramp, [1, 1, 5, 9], { scaleX: 2 });
  for (let x = 0; x < 9; x++)
    assert.ok(Math.abs(at(zoomed, 9, 2, x) - (4 + (x - 4) / 2)) < 1e-6, `scaleX 2 at x=${x}`);
  const half = transformImages(ramp, [1, 1, 5, 9], { shiftX: 0.5 }, { fill: 'edge' });
  for (let x = 1; x < 9; x++)
    assert.ok(Math.abs(at(half, 9, 0, x) - (x - 0.5)) < 1e-6, `shift 0.5 at x=${x}`);
  // A stretch along y leaves a ramp along x alone.
  const stretched = transformImages(ramp, [1, 1, 5, 9], { scaleY: 1.3 }, { fill: 'edge' });
  assertClose(stretched, ramp, 1e-6, 'stretch y of an x ramp');
  // A constant image stays constant under any transform with fill 'min' or 'edge'.
  const flat = new Float32Array(3 * 7 * 9).fill(0.25);
  for (const fill of ['min', 'edge'] as const) {
    const out = randomRotate(flat, [1, 3, 7, 9], 30, new Rng(4), { fill });
    assertClose(out, flat, 1e-6, `flat, fill ${fill}`);
  }
});

test('channels are transformed alike and filled separately', () => {
  const s: ImageBatchShape = [1, 2, 3, 3];
  const x = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, -1, -2, -3, -4, -5, -6, -7, -8, -9]);
  const out = transformImages(x, s, { shiftX: 1 });
  assert.deepEqual(Array.from(out), [1, 1, 2, 1, 4, 5, 1, 7, 8, -9, -1, -2, -9, -4, -5, -9, -7, -8]);
});

test('deterministic per seed: same seed, same batches; another seed, others', () => {
  const x = randomImages(shape);
  for (const spec of [
    'rotate',
    'shift',
    'scale',
    'stretch',
    'noise',
    'flip',
    'rotate,shift,scale,stretch,noise,flip',
  ]) {
    const a = augmenter(spec);
    const first = a.apply(x, shape, new Rng(42));
    assert.deepEqual(a.apply(x, shape, new Rng(42)), first, spec);
    assert.notDeepEqual(a.apply(x, shape, new Rng(43)), first, spec);
    assert.notDeepEqual(first, x, spec);
  }
  // An rng given in the options is used and advances: consecutive batches differ, a reseed repeats them.
  const rng = new Rng(7);
  const a = augmenter({ rotate: 10, noise: 0.1, rng });
  const b1 = a.apply(x, shape);
  const b2 = a.apply(x, shape);
  assert.notDeepEqual(b1, b2);
  rng.seed(7);
  assert.deepEqual(a.apply(x, shape), b1);
  // The standalone functions are seeded the same way.
  assert.deepEqual(randomRotate(x, shape, 15, new Rng(3)), randomRotate(x, shape, 15, new Rng(3)));
});

test('noise: mean 0 and the requested standard deviation, independent of the values', () => {
  const n = 200_000;
  const base = Float32Array.from({ length: n }, (_, i) => (i % 7) / 7);
  const noisy = addGaussianNoise(base, 0.1, new Rng(11));
  let sum = 0;
  let squares = 0;
  let fourth = 0;
  for (let i = 0; i < n; i++) {
    const d = noisy[i] - base[i];
    sum += d;
    squares += d * d;
    fourth += d ** 4;
  }
  const mean = sum / n;
  const variance = squares / n - mean * mean;
  assert.ok(Math.abs(mean) < 0.001, `mean ${mean}`);
  assert.ok(Math.abs(Math.sqrt(variance) - 0.1) < 0.001, `std ${Math.sqrt(variance)}`);
  // Gaussian kurtosis: E[d⁴] / σ⁴ = 3.
  assert.ok(Math.abs(fourth / n / variance ** 2 - 3) < 0.1, `kurtosis ${fourth / n / variance ** 2}`);
  // Through the augmenter: 'noise=0.2' adds σ = 0.2 and nothing else.
  const zeros = new Float32Array(50 * 1 * 20 * 20);
  const out = augmenter('noise=0.2').apply(zeros, [50, 1, 20, 20], new Rng(1));
  const std = Math.sqrt(out.reduce((s, v) => s + v * v, 0) / out.length);
  assert.ok(Math.abs(std - 0.2) < 0.005, `std ${std}`);
});

test('augmenter specs: names with defaults, amounts, clear errors', () => {
  const a = augmenter('rotate,shift,noise');
  assert.deepEqual(a.amounts, { rotate: 15, shift: 2, scale: 0, stretch: 0, noise: 0.05, flip: 0 });
  assert.equal(a.description, 'rotate ±15°, shift ±2 px, noise σ=0.05');
  assert.equal(a.fill, 'min');
  assert.equal(augmentationDefaults.rotate, 15);
  assert.deepEqual(parseAugmentSpec(' rotate=10 , flip:0.25,scale '), {
    rotate: 10,
    flip: 0.25,
    scale: true,
  });
  assert.deepEqual(augmenter({ stretch: true, flip: 1 }).amounts, {
    rotate: 0,
    shift: 0,
    scale: 0,
    stretch: 0.1,
    noise: 0,
    flip: 1,
  });
  assert.equal(augmenter('none').description, 'none');

  assert.throws(
    () => augmenter('rotate,blur'),
    (e: Error) =>
      e instanceof ConfigError &&
      e.message ===
        "Unknown augmentation 'blur'. Valid augmentations: rotate, shift, scale, stretch, noise, flip.",
  );
  assert.throws(() => augmenter({ blur: 1 } as never), /Unknown augmentation 'blur'/);
  assert.throws(
    () => augmenter('rotate=abc'),
    (e: Error) =>
      e instanceof ConfigError &&
      /rotate=abc: expected a number in \[0, 180\] \(degrees\), e\.g\. rotate=15/.test(e.message),
  );
  assert.throws(() => augmenter('flip=2'), /flip=2: expected a number in \[0, 1\]/);
  assert.throws(() => augmenter('noise=-1'), /noise=-1: expected a non-negative number/);
  assert.throws(() => augmenter('rotate,rotate=5'), /'rotate' is given twice/);
  assert.throws(() => augmenter('rotate,,shift'), /cannot read ''/);
  assert.throws(
    () => augmenter({ rotate: -3 }),
    (e: Error) => e instanceof ConfigError && /rotate must be a number in \[0, 180\]/.test(e.message),
  );
  assert.throws(() => augmenter({ fill: 'wrap' as never }), /fill must be 'min', 'edge' or a finite number/);
});

test('shapes are checked; tensors in, tensors out', () => {
  const a = augmenter('rotate,noise');
  assert.throws(
    () => a.apply(new Float32Array(10), [1, 1, 3, 3]),
    (e: Error) =>
      e instanceof ShapeError &&
      /10 values do not fill an NCHW batch of shape \[1, 1, 3, 3\]/.test(e.message),
  );
  assert.throws(() => flipHorizontal(new Float32Array(6), [6, 1] as unknown as ImageBatchShape), ShapeError);
  assert.throws(
    () => transformImages(new Float32Array(18), [2, 1, 3, 3], [{}]),
    /1 transforms for a batch of 2 images/,
  );
  assert.throws(() => transformImages(new Float32Array(9), [1, 1, 3, 3], { scaleX: 0 }), ConfigError);

  const x = randomImages([2, 1, 5, 6]);
  const t = fromArray(x, [2, 1, 5, 6]);
  const out = a.applyTensor(t, new Rng(1));
  assert.deepEqual(out.shape, [2, 1, 5, 6]);
  assert.equal(out.dtype, 'float32');
  assert.deepEqual(out.dataSync(), a.apply(x, [2, 1, 5, 6], new Rng(1)));
  assert.deepEqual(t.dataSync(), x);
  assert.throws(
    () => a.applyTensor(fromArray(x, [2, 30])),
    (e: Error) => e instanceof ShapeError && /rank 4, got shape \[2, 30\]/.test(e.message),
  );
  assert.throws(() => a.applyTensor(fromArray(Int32Array.from([1, 2, 3, 4]), [1, 1, 2, 2])), DataError);
  for (const tensor of [t, out]) tensor.dispose();
});

test('per-channel standardisation: fitted statistics, applied to arrays, tensors and datasets', () => {
  // Three channels with different offsets and spreads, plus a constant one.
  const s = [6, 4, 3, 2];
  const values = new Float32Array(6 * 4 * 3 * 2);
  const r = new Rng(2);
  for (let n = 0; n < 6; n++)
    for (let c = 0; c < 4; c++)
      for (let i = 0; i < 6; i++) values[(n * 4 + c) * 6 + i] = c === 3 ? 5 : 10 * c + (c + 1) * r.normal();
  const stats = channelStatistics(values, s);
  for (let c = 0; c < 4; c++) {
    const channel: number[] = [];
    for (let n = 0; n < 6; n++) for (let i = 0; i < 6; i++) channel.push(values[(n * 4 + c) * 6 + i]);
    const mean = channel.reduce((a, v) => a + v, 0) / channel.length;
    const std = Math.sqrt(channel.reduce((a, v) => a + (v - mean) ** 2, 0) / channel.length);
    assert.ok(Math.abs(stats.mean[c] - mean) < 1e-5, `mean ${c}`);
    assert.ok(Math.abs(stats.std[c] - (c === 3 ? 1 : std)) < 1e-5, `std ${c}`);
  }
  const standardized = standardizeChannels(values, s, stats);
  const again = channelStatistics(standardized, s);
  assertClose(again.mean, [0, 0, 0, 0], 1e-5, 'means after');
  assertClose(again.std, [1, 1, 1, 1], 1e-5, 'stds after');
  assert.throws(
    () => standardizeChannels(values, s, { mean: new Float32Array(3), std: new Float32Array(3) }),
    /statistics are for 3 channels, the data has 4/,
  );
  assert.throws(() => channelStatistics(Float32Array.from([1, NaN]), [1, 1, 2]), DataError);

  const labels = Int32Array.from([0, 1, 2, 0, 1, 2]);
  const dataset = Dataset.fromArrays(values, [4, 3, 2], labels, { numClasses: 3, name: 'toy' });
  const fitted = fitChannelStandardizer(dataset);
  assertClose(fitted.mean, stats.mean, 0, 'fit on a dataset');
  const applied = applyChannelStandardizer(dataset, fitted);
  assert.ok(applied instanceof Dataset);
  assert.notEqual(applied.x, dataset.x);
  assert.deepEqual(applied.x.shape, [6, 4, 3, 2]);
  assert.deepEqual(applied.y.dataSync(), labels);
  assert.equal(applied.numClasses, 3);
  assert.equal(applied.name, 'toy');
  assertClose(applied.x.dataSync(), standardized, 1e-6, 'dataset values');
  applied.dispose();
  assert.deepEqual(dataset.y.dataSync(), labels, 'the original keeps its labels');
  const tensor = applyChannelStandardizer(dataset.x, fitted);
  assertClose(tensor.dataSync(), standardized, 1e-6, 'tensor values');
  assertClose(fitChannelStandardizer(dataset.x).std, stats.std, 0, 'fit on a tensor');
  tensor.dispose();
  dataset.dispose();
});

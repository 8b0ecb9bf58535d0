/**
 * Data augmentation for batches of images, and standardisation per channel.
 *
 * Images are NCHW float32 arrays: batch, channels, height, width. Every function is pure
 * (a new array out, the input untouched) and every random draw comes from a seeded Rng, so
 * a seed reproduces the augmented batches of a whole run. The geometric augmentations
 * (rotation, shift, scale, stretch, horizontal flip) are one affine map per image,
 * composed first and then applied in a single bilinear resampling pass, so combining them
 * blurs no more than one of them alone.
 *
 * Where the map reaches outside the image the value comes from `fill`: 'min' (default) the
 * image's smallest value per channel, which is the background of MNIST-like images before
 * and after standardisation alike; 'edge' the nearest border pixel; or a fixed number.
 */
import { ConfigError, DataError, ShapeError, unknownName } from '../errors.js';
import { fromArray } from '../tensor/creation.js';
import { rng as globalRng, type Rng } from '../tensor/random.js';
import { formatShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { Dataset } from './dataset.js';
import type { Standardizer } from './prepare.js';

/** [batch, channels, height, width]. */
export type ImageBatchShape = readonly [number, number, number, number];

export type Fill = number | 'min' | 'edge';

/** One image's geometric transform, applied about the image centre. */
export interface ImageTransform {
  /** Rotation in degrees (positive turns the content clockwise as displayed, y pointing down). */
  rotate?: number;
  /** Shift right (x) and down (y) in pixels. */
  shiftX?: number;
  shiftY?: number;
  /** Scale factors along x and y (1 = unchanged; > 1 enlarges the content). */
  scaleX?: number;
  scaleY?: number;
  /** Mirror left–right (before the other transforms). */
  flip?: boolean;
}

export interface WarpOptions {
  fill?: Fill;
}

function checkBatch(where: string, images: Float32Array, shape: ImageBatchShape): void {
  if (shape.length !== 4 || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new ShapeError(
      `${where}: expected an NCHW shape [batch, channels, height, width], got ${formatShape(shape)}.`,
    );
  }
  const size = shape[0] * shape[1] * shape[2] * shape[3];
  if (images.length !== size) {
    throw new ShapeError(
      `${where}: ${images.length} values do not fill an NCHW batch of shape ${formatShape(shape)} (${size}).`,
    );
  }
}

function checkFill(where: string, fill: Fill): void {
  if (fill !== 'min' && fill !== 'edge' && !(typeof fill === 'number' && Number.isFinite(fill))) {
    throw new ConfigError(`${where}: fill must be 'min', 'edge' or a finite number, got ${String(fill)}.`);
  }
}

/**
 * The inverse map of `t` as [a, b, c, d, e, f]: output pixel (x, y) samples the input at
 * (a·x + b·y + c, d·x + e·y + f). Returns null for the identity.
 */
function inverseMatrix(t: ImageTransform, height: number, width: number): Float64Array | null {
  const degrees = t.rotate ?? 0;
  const dx = t.shiftX ?? 0;
  const dy = t.shiftY ?? 0;
  const sx = t.scaleX ?? 1;
  const sy = t.scaleY ?? 1;
  const flip = t.flip ?? false;
  if (degrees === 0 && dx === 0 && dy === 0 && sx === 1 && sy === 1 && !flip) return null;
  if (!(
    Number.isFinite(degrees) &&
    Number.isFinite(dx) &&
    Number.isFinite(dy) &&
    sx > 0 &&
    sy > 0 &&
    Number.isFinite(sx) &&
    Number.isFinite(sy)
  )) {
    throw new ConfigError(
      `transformImages: rotate and shifts must be finite and scales positive, got ${JSON.stringify(t)}.`,
    );
  }
  const radians = (degrees * Math.PI) / 180;
  const cos = degrees === 0 ? 1 : Math.cos(radians);
  const sin = degrees === 0 ? 0 : Math.sin(radians);
  const mirror = flip ? -1 : 1;
  const cx = (width - 1) / 2;
  const cy = (height - 1) / 2;
  // Forward: p' = R·S·F·(p − centre) + centre + shift. Inverse: p = F·S⁻¹·R⁻¹·(p' − centre − shift) + centre.
  const a = (mirror * cos) / sx;
  const b = (mirror * sin) / sx;
  const d = -sin / sy;
  const e = cos / sy;
  const ox = cx + dx;
  const oy = cy + dy;
  return Float64Array.of(a, b, cx - a * ox - b * oy, d, e, cy - d * ox - e * oy);
}

/** Bilinear resampling of image n (all channels) through matrix m into `out`. */
function warpImage(
  src: Float32Array,
  out: Float32Array,
  n: number,
  channels: number,
  height: number,
  width: number,
  m: Float64Array,
  fill: Fill,
  fills: Float32Array,
): void {
  const plane = height * width;
  const a = m[0],
    b = m[1],
    c = m[2],
    d = m[3],
    e = m[4],
    f = m[5];
  const edge = fill === 'edge';
  const first = n * channels * plane;
  if (!edge) {
    for (let ch = 0; ch < channels; ch++) {
      if (fill === 'min') {
        const base = first + ch * plane;
        let min = Infinity;
        for (let i = 0; i < plane; i++) if (src[base + i] < min) min = src[base + i];
        fills[ch] = plane > 0 ? min : 0;
      } else {
        fills[ch] = fill;
      }
    }
  }
  const lastX = width - 1;
  const lastY = height - 1;
  for (let y = 0; y < height; y++) {
    const rowX = b * y + c;
    const rowY = e * y + f;
    for (let x = 0; x < width; x++) {
      const sxp = a * x + rowX;
      const syp = d * x + rowY;
      const x0 = Math.floor(sxp);
      const y0 = Math.floor(syp);
      const fx = sxp - x0;
      const fy = syp - y0;
      const w00 = (1 - fx) * (1 - fy);
      const w01 = fx * (1 - fy);
      const w10 = (1 - fx) * fy;
      const w11 = fx * fy;
      const pixel = y * width + x;
      if (x0 >= 0 && y0 >= 0 && x0 < lastX && y0 < lastY) {
        const i00 = y0 * width + x0;
        for (let ch = 0; ch < channels; ch++) {
          const base = first + ch * plane;
          const p = base + i00;
          out[base + pixel] =
            w00 * src[p] + w01 * src[p + 1] + w10 * src[p + width] + w11 * src[p + width + 1];
        }
      } else if (edge) {
        const xa = x0 < 0 ? 0 : x0 > lastX ? lastX : x0;
        const xb = x0 + 1 < 0 ? 0 : x0 + 1 > lastX ? lastX : x0 + 1;
        const ya = (y0 < 0 ? 0 : y0 > lastY ? lastY : y0) * width;
        const yb = (y0 + 1 < 0 ? 0 : y0 + 1 > lastY ? lastY : y0 + 1) * width;
        for (let ch = 0; ch < channels; ch++) {
          const base = first + ch * plane;
          out[base + pixel] =
            w00 * src[base + ya + xa] +
            w01 * src[base + ya + xb] +
            w10 * src[base + yb + xa] +
            w11 * src[base + yb + xb];
        }
      } else {
        const inX0 = x0 >= 0 && x0 <= lastX;
        const inX1 = x0 + 1 >= 0 && x0 + 1 <= lastX;
        const inY0 = y0 >= 0 && y0 <= lastY;
        const inY1 = y0 + 1 >= 0 && y0 + 1 <= lastY;
        const i00 = y0 * width + x0;
        for (let ch = 0; ch < channels; ch++) {
          const base = first + ch * plane;
          const p = base + i00;
          const fv = fills[ch];
          const v00 = inY0 && inX0 ? src[p] : fv;
          const v01 = inY0 && inX1 ? src[p + 1] : fv;
          const v10 = inY1 && inX0 ? src[p + width] : fv;
          const v11 = inY1 && inX1 ? src[p + width + 1] : fv;
          out[base + pixel] = w00 * v00 + w01 * v01 + w10 * v10 + w11 * v11;
        }
      }
    }
  }
}

/**
 * Applies one geometric transform per image (or the same one to all): `transforms[n]` to
 * image n. Identity transforms copy the image exactly.
 */
export function transformImages(
  images: Float32Array,
  shape: ImageBatchShape,
  transforms: ImageTransform | readonly ImageTransform[],
  options: WarpOptions = {},
): Float32Array {
  const where = 'transformImages';
  checkBatch(where, images, shape);
  const fill = options.fill ?? 'min';
  checkFill(where, fill);
  const [batch, channels, height, width] = shape;
  if (Array.isArray(transforms) && transforms.length !== batch) {
    throw new ShapeError(`${where}: ${transforms.length} transforms for a batch of ${batch} images.`);
  }
  const out = new Float32Array(images.length);
  const fills = new Float32Array(channels);
  const imageSize = channels * height * width;
  for (let n = 0; n < batch; n++) {
    const t = Array.isArray(transforms)
      ? (transforms as readonly ImageTransform[])[n]
      : (transforms as ImageTransform);
    const m = inverseMatrix(t, height, width);
    if (m === null) out.set(images.subarray(n * imageSize, (n + 1) * imageSize), n * imageSize);
    else warpImage(images, out, n, channels, height, width, m, fill, fills);
  }
  return out;
}

/** Mirrors every image left–right (exactly; twice gives the input back). */
export function flipHorizontal(images: Float32Array, shape: ImageBatchShape): Float32Array {
  checkBatch('flipHorizontal', images, shape);
  const width = shape[3];
  const rows = shape[0] * shape[1] * shape[2];
  const out = new Float32Array(images.length);
  for (let r = 0; r < rows; r++) {
    const base = r * width;
    const last = base + width - 1;
    for (let x = 0; x < width; x++) out[base + x] = images[last - x];
  }
  return out;
}

function checkAmount(where: string, name: string, value: number, max = Infinity): number {
  if (!(typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= max)) {
    const range = max === Infinity ? 'a non-negative finite number' : `a number in [0, ${max}]`;
    throw new ConfigError(`${where}: ${name} must be ${range}, got ${value}.`);
  }
  return value;
}

function randomTransforms(batch: number, draw: () => ImageTransform): ImageTransform[] {
  const transforms: ImageTransform[] = new Array(batch);
  for (let n = 0; n < batch; n++) transforms[n] = draw();
  return transforms;
}

/** Rotates each image by its own angle, uniform in [−maxDegrees, maxDegrees]. */
export function randomRotate(
  images: Float32Array,
  shape: ImageBatchShape,
  maxDegrees: number,
  random: Rng = globalRng(),
  options: WarpOptions = {},
): Float32Array {
  checkAmount('randomRotate', 'maxDegrees', maxDegrees, 180);
  return transformImages(
    images,
    shape,
    randomTransforms(shape[0], () => ({ rotate: random.uniformIn(-maxDegrees, maxDegrees) })),
    options,
  );
}

/** Shifts each image by whole pixels, each axis uniform in −maxPixels..maxPixels (rounded). */
export function randomShift(
  images: Float32Array,
  shape: ImageBatchShape,
  maxPixels: number,
  random: Rng = globalRng(),
  options: WarpOptions = {},
): Float32Array {
  checkAmount('randomShift', 'maxPixels', maxPixels);
  return transformImages(
    images,
    shape,
    randomTransforms(shape[0], () => ({
      shiftX: drawShift(random, maxPixels),
      shiftY: drawShift(random, maxPixels),
    })),
    options,
  );
}

/** Scales each image about its centre by 1 + u, u uniform in [−maxFraction, maxFraction]. */
export function randomScale(
  images: Float32Array,
  shape: ImageBatchShape,
  maxFraction: number,
  random: Rng = globalRng(),
  options: WarpOptions = {},
): Float32Array {
  checkAmount('randomScale', 'maxFraction', maxFraction, 0.99);
  return transformImages(
    images,
    shape,
    randomTransforms(shape[0], () => {
      const s = 1 + random.uniformIn(-maxFraction, maxFraction);
      return { scaleX: s, scaleY: s };
    }),
    options,
  );
}

/** Stretches each image: x and y scaled independently by 1 + u, u uniform in [−maxFraction, maxFraction]. */
export function randomStretch(
  images: Float32Array,
  shape: ImageBatchShape,
  maxFraction: number,
  random: Rng = globalRng(),
  options: WarpOptions = {},
): Float32Array {
  checkAmount('randomStretch', 'maxFraction', maxFraction, 0.99);
  return transformImages(
    images,
    shape,
    randomTransforms(shape[0], () => ({
      scaleX: 1 + random.uniformIn(-maxFraction, maxFraction),
      scaleY: 1 + random.uniformIn(-maxFraction, maxFraction),
    })),
    options,
  );
}

/** Mirrors each image left–right with the given probability. */
export function randomFlip(
  images: Float32Array,
  shape: ImageBatchShape,
  random: Rng = globalRng(),
  probability = 0.5,
): Float32Array {
  checkAmount('randomFlip', 'probability', probability, 1);
  checkBatch('randomFlip', images, shape);
  const [batch, channels, height, width] = shape;
  const out = new Float32Array(images);
  for (let n = 0; n < batch; n++) {
    if (!(random.uniform() < probability)) continue;
    const rows = n * channels * height;
    for (let r = rows; r < rows + channels * height; r++) {
      const base = r * width;
      const last = base + width - 1;
      for (let x = 0; x < width; x++) out[base + x] = images[last - x];
    }
  }
  return out;
}

/** Adds independent Gaussian noise N(0, std²) to every value (any shape). */
export function addGaussianNoise(values: Float32Array, std: number, random: Rng = globalRng()): Float32Array {
  checkAmount('addGaussianNoise', 'std', std);
  const out = new Float32Array(values);
  if (std === 0) return out;
  for (let i = 0; i < out.length; i++) out[i] += std * random.normal();
  return out;
}

function drawShift(random: Rng, maxPixels: number): number {
  return maxPixels === 0 ? 0 : Math.round(random.uniformIn(-maxPixels, maxPixels));
}

// ---------------------------------------------------------------------------------------
// The augmenter: a parsed specification applied batch by batch.

export const augmentationNames = ['rotate', 'shift', 'scale', 'stretch', 'noise', 'flip'] as const;
export type AugmentationName = (typeof augmentationNames)[number];

/** The amount each augmentation uses when it is named without a value. */
export const augmentationDefaults: Readonly<Record<AugmentationName, number>> = {
  rotate: 15, // ± degrees
  shift: 2, // ± pixels
  scale: 0.1, // ± fraction
  stretch: 0.1, // ± fraction per axis
  noise: 0.05, // standard deviation
  flip: 0.5, // probability
};

const limits: Record<AugmentationName, { max: number; what: string }> = {
  rotate: { max: 180, what: 'degrees' },
  shift: { max: Infinity, what: 'pixels' },
  scale: { max: 0.99, what: 'a fraction' },
  stretch: { max: 0.99, what: 'a fraction' },
  noise: { max: Infinity, what: 'a standard deviation' },
  flip: { max: 1, what: 'a probability' },
};

export interface AugmentOptions {
  /** Rotation, ± degrees (true: 15). */
  rotate?: number | boolean;
  /** Shift by whole pixels, ± pixels per axis (true: 2). */
  shift?: number | boolean;
  /** Isotropic scale, ± fraction (true: 0.1). */
  scale?: number | boolean;
  /** Independent scale per axis, ± fraction (true: 0.1). */
  stretch?: number | boolean;
  /** Gaussian noise, standard deviation (true: 0.05). */
  noise?: number | boolean;
  /** Horizontal flip, probability (true: 0.5). */
  flip?: number | boolean;
  fill?: Fill;
  /** The generator to draw from; default the global one (seeded by setSeed). */
  rng?: Rng;
}

export interface Augmenter {
  /** The amounts in effect (0 = off). */
  readonly amounts: Readonly<Record<AugmentationName, number>>;
  readonly fill: Fill;
  /** True when nothing is switched on: apply then copies. */
  readonly isIdentity: boolean;
  /** E.g. 'rotate ±15°, shift ±2 px, noise σ=0.05', or 'none'. */
  readonly description: string;
  /** An augmented copy of an NCHW batch. */
  apply(images: Float32Array, shape: ImageBatchShape, random?: Rng): Float32Array;
  /** An augmented copy of an NCHW float32 tensor (a new tensor; the input is untouched). */
  applyTensor(x: Tensor, random?: Rng): Tensor;
}

/**
 * Parses 'rotate,shift,noise' or with amounts 'rotate=10,shift=3,noise=0.1,flip'. '' and
 * 'none' switch everything off.
 */
export function parseAugmentSpec(spec: string): AugmentOptions {
  const options: AugmentOptions = {};
  const trimmed = spec.trim();
  if (trimmed === '' || trimmed === 'none') return options;
  for (const rawPart of trimmed.split(',')) {
    const part = rawPart.trim();
    const match = /^([A-Za-z]+)\s*(?:[=:]\s*(.*))?$/.exec(part);
    if (!match) {
      throw new ConfigError(
        `augment '${spec}': cannot read '${part}'; expected names from ${augmentationNames.join(', ')}, optionally with an amount such as rotate=10.`,
      );
    }
    const name = match[1].toLowerCase();
    if (!(augmentationNames as readonly string[]).includes(name))
      unknownName('augmentation', name, augmentationNames);
    const key = name as AugmentationName;
    if (options[key] !== undefined) throw new ConfigError(`augment '${spec}': '${key}' is given twice.`);
    if (match[2] === undefined) {
      options[key] = true;
      continue;
    }
    const text = match[2].trim();
    const value = /^[+]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(text) ? Number(text) : NaN;
    const { max, what } = limits[key];
    if (!(value >= 0 && value <= max)) {
      const range = max === Infinity ? 'a non-negative number' : `a number in [0, ${max}]`;
      throw new ConfigError(
        `augment '${spec}': ${key}=${text}: expected ${range} (${what}), e.g. ${key}=${augmentationDefaults[key]}.`,
      );
    }
    options[key] = value;
  }
  return options;
}

function resolveAmount(key: AugmentationName, value: number | boolean | undefined): number {
  if (value === undefined || value === false) return 0;
  if (value === true) return augmentationDefaults[key];
  const { max, what } = limits[key];
  if (!(typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= max)) {
    const range = max === Infinity ? 'a non-negative finite number' : `a number in [0, ${max}]`;
    throw new ConfigError(`augmenter: ${key} must be ${range} (${what}) or a boolean, got ${String(value)}.`);
  }
  return value;
}

function describeAmounts(amounts: Record<AugmentationName, number>): string {
  const parts: string[] = [];
  if (amounts.rotate) parts.push(`rotate ±${amounts.rotate}°`);
  if (amounts.shift) parts.push(`shift ±${amounts.shift} px`);
  if (amounts.scale) parts.push(`scale ±${amounts.scale * 100}%`);
  if (amounts.stretch) parts.push(`stretch ±${amounts.stretch * 100}%`);
  if (amounts.flip) parts.push(`flip p=${amounts.flip}`);
  if (amounts.noise) parts.push(`noise σ=${amounts.noise}`);
  return parts.length ? parts.join(', ') : 'none';
}

/**
 * An augmenter from a specification ('rotate,shift,noise', see parseAugmentSpec) or options.
 * Per image it draws, in this order and only for what is switched on: the angle, the
 * scale, the two stretch factors, the two shifts, the flip; then the noise per value.
 */
export function augmenter(spec: string | AugmentOptions = {}): Augmenter {
  const options = typeof spec === 'string' ? parseAugmentSpec(spec) : spec;
  if (typeof spec !== 'string') {
    for (const key of Object.keys(spec)) {
      if (key !== 'fill' && key !== 'rng' && !(augmentationNames as readonly string[]).includes(key)) {
        unknownName('augmentation', key, augmentationNames);
      }
    }
  }
  const amounts = Object.fromEntries(
    augmentationNames.map((k) => [k, resolveAmount(k, options[k])]),
  ) as Record<AugmentationName, number>;
  const fill = options.fill ?? 'min';
  checkFill('augmenter', fill);
  const geometric =
    amounts.rotate > 0 || amounts.shift > 0 || amounts.scale > 0 || amounts.stretch > 0 || amounts.flip > 0;
  const isIdentity = !geometric && amounts.noise === 0;
  const defaultRng = options.rng;

  const apply = (images: Float32Array, shape: ImageBatchShape, random?: Rng): Float32Array => {
    checkBatch('augmenter', images, shape);
    const r = random ?? defaultRng ?? globalRng();
    let out: Float32Array;
    if (geometric) {
      const { rotate, shift, scale, stretch, flip } = amounts;
      const transforms = randomTransforms(shape[0], () => {
        const t: ImageTransform = {};
        if (rotate) t.rotate = r.uniformIn(-rotate, rotate);
        let sx = 1;
        let sy = 1;
        if (scale) sx = sy = 1 + r.uniformIn(-scale, scale);
        if (stretch) {
          sx *= 1 + r.uniformIn(-stretch, stretch);
          sy *= 1 + r.uniformIn(-stretch, stretch);
        }
        t.scaleX = sx;
        t.scaleY = sy;
        if (shift) {
          t.shiftX = drawShift(r, shift);
          t.shiftY = drawShift(r, shift);
        }
        if (flip) t.flip = r.uniform() < flip;
        return t;
      });
      out = transformImages(images, shape, transforms, { fill });
    } else {
      out = new Float32Array(images);
    }
    if (amounts.noise) {
      const std = amounts.noise;
      for (let i = 0; i < out.length; i++) out[i] += std * r.normal();
    }
    return out;
  };

  return {
    amounts,
    fill,
    isIdentity,
    description: describeAmounts(amounts),
    apply,
    applyTensor(x: Tensor, random?: Rng): Tensor {
      if (x.rank !== 4) {
        throw new ShapeError(
          `augmenter: expected an NCHW image batch of rank 4, got shape ${formatShape(x.shape)}.`,
        );
      }
      if (x.dtype !== 'float32') throw new DataError(`augmenter: expected float32 images, got ${x.dtype}.`);
      const shape = x.shape as unknown as ImageBatchShape;
      return fromArray(apply(x.dataSync() as Float32Array, shape, random), [...x.shape], {
        dtype: 'float32',
      });
    },
  };
}

// ---------------------------------------------------------------------------------------
// Standardisation per channel.

function channelLayout(
  where: string,
  values: ArrayLike<number>,
  shape: readonly number[],
): [number, number, number] {
  if (shape.length < 2) {
    throw new ShapeError(`${where}: expected a shape [batch, channels, ...], got ${formatShape(shape)}.`);
  }
  const size = shape.reduce((p, d) => p * d, 1);
  if (values.length !== size) {
    throw new ShapeError(
      `${where}: ${values.length} values do not fill shape ${formatShape(shape)} (${size}).`,
    );
  }
  const inner = shape.slice(2).reduce((p, d) => p * d, 1);
  return [shape[0], shape[1], inner];
}

/**
 * Mean and population standard deviation of each channel (axis 1) over the batch and all
 * positions, accumulated in float64. A constant channel gets std 1 (left unscaled).
 */
export function channelStatistics(values: ArrayLike<number>, shape: readonly number[]): Standardizer {
  const [batch, channels, inner] = channelLayout('channelStatistics', values, shape);
  const count = batch * inner;
  if (count === 0)
    throw new ShapeError(`channelStatistics: no values to fit in shape ${formatShape(shape)}.`);
  const mean = new Float32Array(channels);
  const std = new Float32Array(channels);
  for (let ch = 0; ch < channels; ch++) {
    let sum = 0;
    for (let n = 0; n < batch; n++) {
      const base = (n * channels + ch) * inner;
      for (let i = 0; i < inner; i++) sum += values[base + i];
    }
    const mu = sum / count;
    let squares = 0;
    for (let n = 0; n < batch; n++) {
      const base = (n * channels + ch) * inner;
      for (let i = 0; i < inner; i++) {
        const deviation = values[base + i] - mu;
        squares += deviation * deviation;
      }
    }
    if (!Number.isFinite(mu) || !Number.isFinite(squares)) {
      throw new DataError(`channelStatistics: channel ${ch} holds NaN or infinite values.`);
    }
    const sigma = Math.sqrt(squares / count);
    mean[ch] = mu;
    std[ch] = sigma > 1e-7 * Math.abs(mu) && sigma > 0 ? sigma : 1;
  }
  return { mean, std };
}

/** (value − mean[c]) / std[c] for each value of channel c, as a new float32 array. */
export function standardizeChannels(
  values: ArrayLike<number>,
  shape: readonly number[],
  stats: Standardizer,
): Float32Array {
  const [batch, channels, inner] = channelLayout('standardizeChannels', values, shape);
  if (stats.mean.length !== channels || stats.std.length !== channels) {
    throw new ShapeError(
      `standardizeChannels: statistics are for ${stats.mean.length} channels, the data has ${channels} (shape ${formatShape(shape)}).`,
    );
  }
  const out = new Float32Array(values.length);
  for (let n = 0; n < batch; n++) {
    for (let ch = 0; ch < channels; ch++) {
      const base = (n * channels + ch) * inner;
      const mu = stats.mean[ch];
      const sigma = stats.std[ch];
      for (let i = 0; i < inner; i++) out[base + i] = (values[base + i] - mu) / sigma;
    }
  }
  return out;
}

function featuresOf(where: string, source: Dataset | Tensor): Tensor {
  const x = source instanceof Dataset ? source.x : source;
  if (x.rank < 2) {
    throw new ShapeError(
      `${where}: expected features [batch, channels, ...], got shape ${formatShape(x.shape)}.`,
    );
  }
  return x;
}

/** Per-channel statistics of a dataset's features (or a tensor), to fit on the training set only. */
export function fitChannelStandardizer(source: Dataset | Tensor): Standardizer {
  const x = featuresOf('fitChannelStandardizer', source);
  return channelStatistics(x.dataSync(), x.shape);
}

/** A standardised copy: a new Dataset (same labels, copied) or a new tensor. */
export function applyChannelStandardizer(source: Dataset, stats: Standardizer): Dataset;
export function applyChannelStandardizer(source: Tensor, stats: Standardizer): Tensor;
export function applyChannelStandardizer(source: Dataset | Tensor, stats: Standardizer): Dataset | Tensor {
  const x = featuresOf('applyChannelStandardizer', source);
  const values = standardizeChannels(x.dataSync(), x.shape, stats);
  if (!(source instanceof Dataset)) return fromArray(values, [...x.shape], { dtype: 'float32' });
  const y = source.y;
  const targets = y.dtype === 'int32' ? Int32Array.from(y.dataSync()) : Float32Array.from(y.dataSync());
  return Dataset.fromArrays(values, x.shape.slice(1), targets, {
    numClasses: source.numClasses,
    targetShape: y.shape.slice(1),
    name: source.name,
  });
}

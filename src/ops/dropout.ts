/**
 * Dropout (Srivastava et al., 2014): during training each unit is kept with probability
 * p = 1 − rate and zeroed otherwise, by a mask drawn afresh for every call:
 *
 *   'inverted'    (default)  training: y = x ⊙ mask / p      test: y = x
 *   'scaleAtTest' (lectures)  training: y = x ⊙ mask          test: y = p·x
 *
 * Both give E[y_train] = y_test. The backward pass multiplies by the same mask (and
 * scale): ∂L/∂x = ∂L/∂y ⊙ mask · scale. Masks come from the seeded Rng (tensor/random.ts),
 * one uniform draw per element, so a seed reproduces them exactly; the same op serves
 * dropout on inputs.
 */
import { record } from '../autograd/tape.js';
import { ConfigError, ShapeError } from '../errors.js';
import { rng as globalRng, type Rng } from '../tensor/random.js';
import { broadcastShapes, formatShape, sameShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { dropoutMaskKernel } from '../backend/cpu/random.js';
import { cast, mul } from './arithmetic.js';
import { checkSameBackend, checkTensor, empty } from './util.js';

export type DropoutMode = 'inverted' | 'scaleAtTest';

export interface DropoutOptions {
  /** Drop units (true, the default, as F.dropout) or apply the test-time rule (false). */
  training?: boolean;
  /** The generator for the mask (default: the global one, see setSeed). */
  rng?: Rng;
  mode?: DropoutMode;
}

/**
 * y = x ⊙ mask · scale with a fixed mask (broadcastable to x's shape, no gradient);
 * ∂L/∂x = ∂L/∂y ⊙ mask · scale. `dropout` uses it with a fresh mask; tests use it to
 * gradcheck with a mask that does not change between evaluations.
 */
export function dropoutWithMask(x: Tensor, mask: Tensor, scale = 1): Tensor {
  checkTensor('dropout', 'x', x);
  checkTensor('dropout', 'mask', mask);
  checkSameBackend('dropout', x, mask);
  if (!sameShape(broadcastShapes('dropout', x.shape, mask.shape), x.shape)) {
    throw new ShapeError(
      `dropout: mask ${formatShape(mask.shape)} does not broadcast to the input's shape ${formatShape(x.shape)}.`,
    );
  }
  if (x.dtype === 'int32')
    throw new ShapeError(`dropout: expected a float tensor, got int32 ${formatShape(x.shape)}.`);
  const factor =
    scale === 1 && mask.dtype === x.dtype
      ? mask
      : mul(mask.dtype === x.dtype ? mask : cast(mask, x.dtype), scale);
  const out = empty(x.backend, x.dtype, x.shape);
  x.backend.binary('mul', x.storage, x.shape, factor.storage, factor.shape, out.storage, x.shape, x.dtype);
  return record(out, 'dropout', [x], (dy) => {
    const dx = empty(x.backend, x.dtype, x.shape);
    x.backend.binary('mul', dy.storage, x.shape, factor.storage, factor.shape, dx.storage, x.shape, x.dtype);
    return [dx];
  });
}

/** Dropout with drop probability `rate` in [0, 1]; see the file comment for the two modes. */
export function dropout(x: Tensor, rate: number, options: DropoutOptions = {}): Tensor {
  checkTensor('dropout', 'x', x);
  if (!(typeof rate === 'number' && rate >= 0 && rate <= 1)) {
    throw new ConfigError(`dropout: rate must be a probability in [0, 1], got ${rate}.`);
  }
  const { training = true, mode = 'inverted' } = options;
  if (mode !== 'inverted' && mode !== 'scaleAtTest') {
    throw new ConfigError(`dropout: unknown mode '${String(mode)}'. Valid modes: inverted, scaleAtTest.`);
  }
  const keep = 1 - rate;
  if (!training) return mode === 'inverted' || rate === 0 ? x : mul(x, keep);
  if (rate === 0) return x;
  // Kept units carry their scale directly, so rate = 1 gives zeros rather than 0·∞.
  const scale = mode === 'inverted' ? 1 / keep : 1;
  const r = options.rng ?? globalRng();
  const dtype = x.dtype === 'int32' ? 'float32' : x.dtype;
  // A key of two Rng draws; the backend draws the mask in one call where it can, else the
  // host computes the same hash, so every backend gets the same mask for the same seed.
  const key: [number, number] = [r.nextUint32(), r.nextUint32()];
  let mask: Tensor;
  if (x.backend.dropoutMask) {
    mask = empty(x.backend, dtype, x.shape);
    x.backend.dropoutMask(mask.storage, dtype, x.size, rate, scale, key);
  } else {
    const values = maskScratch(dtype, x.size);
    dropoutMaskKernel(values, x.size, rate, scale, key[0], key[1]);
    mask = new Tensor(x.backend.upload(dtype, values), x.shape, dtype, x.backend);
  }
  const input = x.dtype === dtype ? x : cast(x, dtype);
  return dropoutWithMask(input, mask, 1);
}

/** The host-side mask array, reused across calls (upload copies it), so no step allocates one. */
let scratch: Float32Array | Float64Array = new Float32Array(0);

function maskScratch(dtype: 'float32' | 'float64', size: number): Float32Array | Float64Array {
  const Kind = dtype === 'float64' ? Float64Array : Float32Array;
  if (!(scratch instanceof Kind) || scratch.length < size) scratch = new Kind(size);
  return scratch.length === size ? scratch : scratch.subarray(0, size);
}

/**
 * Pooling over NCHW batches, forward and backward side by side.
 *
 *   max:  y = max_{window} x          ∂L/∂x = ∂L/∂y at the (first) maximum of each window, 0 elsewhere
 *   avg:  y = (1/|window|) Σ_{window} x   ∂L/∂x = ∂L/∂y / |window| for every pixel of the window
 *
 * Windows overlap when stride < kernel; their gradients add up. The stride defaults to the
 * kernel size (non-overlapping windows, as in the lectures' LeNet). Padding never wins a
 * max; for averages it counts in the divisor by default, as in PyTorch (count_include_pad =
 * True), or not (`countIncludePad: false`, ONNX's default).
 */
import type { PoolOp } from '../backend/contract.js';
import { isGradEnabled, record } from '../autograd/tape.js';
import { ShapeError } from '../errors.js';
import { formatShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { cast } from './arithmetic.js';
import { mean } from './reduce.js';
import { checkTensor, empty } from './util.js';
import { pair, window2d, type Pair, type WindowOptions } from './conv.js';

export interface Pool2dOptions extends WindowOptions {
  /** Default: the kernel size. */
  stride?: Pair;
}

export interface AvgPool2dOptions extends Pool2dOptions {
  /** Whether padding positions count in the divisor (default true, as in PyTorch). */
  countIncludePad?: boolean;
}

function pool2d(op: PoolOp, opName: string, x: Tensor, kernelSize: Pair, options: Pool2dOptions): Tensor {
  const where = options.name ?? opName;
  checkTensor(where, 'x', x);
  if (x.rank !== 4) {
    throw new ShapeError(
      `${where}: expected input shaped [batch, channels, height, width], got ${formatShape(x.shape)}.`,
    );
  }
  const kernel = pair(where, 'kernel size', kernelSize);
  const input = x.dtype === 'int32' ? cast(x, 'float32') : x;
  const dtype = input.dtype;
  const g = window2d(where, x.shape, kernel, { ...options, stride: options.stride ?? kernel });
  const backend = x.backend;
  const out = empty(backend, dtype, [g.batch, g.channels, g.outH, g.outW]);
  const argmax = op === 'max' ? empty(backend, 'int32', out.shape) : null;
  backend.pool2d(op, input.storage, g, out.storage, argmax?.storage ?? null, dtype);
  if (argmax && !(isGradEnabled() && input.requiresGrad)) argmax.dispose();
  return record(out, opName, [input], (dy) => {
    const dx = empty(backend, dtype, input.shape);
    backend.pool2dGrad(op, dy.storage, g, argmax?.storage ?? null, dx.storage, dtype);
    return [dx];
  });
}

/** Max pooling of x [N, C, H, W] over kernelSize windows (stride defaults to the kernel). */
export function maxPool2d(x: Tensor, kernelSize: Pair, options: Pool2dOptions = {}): Tensor {
  return pool2d('max', 'maxPool2d', x, kernelSize, options);
}

/** Average pooling of x [N, C, H, W] over kernelSize windows (stride defaults to the kernel). */
export function avgPool2d(x: Tensor, kernelSize: Pair, options: AvgPool2dOptions = {}): Tensor {
  const op: PoolOp = (options.countIncludePad ?? true) ? 'avgIncludePad' : 'avg';
  return pool2d(op, 'avgPool2d', x, kernelSize, options);
}

/** The mean of each channel over all positions: [N, C, H, W] → [N, C, 1, 1]. */
export function globalAvgPool2d(x: Tensor): Tensor {
  checkTensor('globalAvgPool2d', 'x', x);
  if (x.rank !== 4) {
    throw new ShapeError(
      `globalAvgPool2d: expected input shaped [batch, channels, height, width], got ${formatShape(x.shape)}.`,
    );
  }
  return mean(x, [2, 3], true);
}

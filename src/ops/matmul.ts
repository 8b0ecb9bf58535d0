/**
 * Matrix product, with batching.
 *
 *   C = A·B           ∂L/∂A = ∂L/∂C · Bᵀ       ∂L/∂B = Aᵀ · ∂L/∂C
 *
 * The transposes are never materialised by ops: the backend's GEMM takes transpose
 * flags. Shapes: [m, k]·[k, n]; [..., m, k]·[k, n] (B shared across the batch);
 * [m, k]·[..., k, n]; [b..., m, k]·[b..., k, n]. 1-D operands are treated as a row
 * (left) or column (right) vector and that dimension is dropped from the result.
 */
import { record } from '../autograd/tape.js';
import { ShapeError } from '../errors.js';
import { formatShape, sameShape, sizeOf } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import type { UnaryOp } from '../backend/contract.js';
import { noGrad } from '../autograd/tape.js';
import { add, cast, unary } from './arithmetic.js';
import { fuse } from './fused.js';
import { sum, sumTo } from './reduce.js';
import { reshape } from './shape.js';
import { checkSameBackend, checkTensor, empty, promote } from './util.js';

/** C = op(A)·op(B) for 2-D or 3-D operands (a missing batch axis is shared), no recording. */
function gemm(a: Tensor, b: Tensor, transA: boolean, transB: boolean): Tensor {
  const aBatch = a.rank === 3 ? a.shape[0] : 1;
  const bBatch = b.rank === 3 ? b.shape[0] : 1;
  const batch = Math.max(aBatch, bBatch);
  const [ar, ac] = a.shape.slice(-2);
  const [br, bc] = b.shape.slice(-2);
  const m = transA ? ac : ar;
  const k = transA ? ar : ac;
  const n = transB ? br : bc;
  const shape = a.rank === 3 || b.rank === 3 ? [batch, m, n] : [m, n];
  const out = empty(a.backend, a.dtype, shape);
  a.backend.matmul(a.storage, b.storage, out.storage, a.dtype, {
    batch,
    m,
    n,
    k,
    transA,
    transB,
    aBatchStride: a.rank === 3 ? m * k : 0,
    bBatchStride: b.rank === 3 ? k * n : 0,
  });
  return out;
}

export function matmul(a: Tensor, b: Tensor): Tensor {
  checkTensor('matmul', 'a', a);
  checkTensor('matmul', 'b', b);
  checkSameBackend('matmul', a, b);
  if (a.rank === 0 || b.rank === 0)
    throw new ShapeError('matmul: operands must have at least one dimension; use mul for scalars.');
  const dtype = promote(a.dtype, b.dtype) === 'int32' ? 'float32' : promote(a.dtype, b.dtype);
  if (a.dtype !== dtype) a = cast(a, dtype);
  if (b.dtype !== dtype) b = cast(b, dtype);
  if (a.rank === 1)
    return reshape(matmul(reshape(a, [1, a.size]), b), [...b.shape.slice(0, -2), b.shape[b.rank - 1]]);
  if (b.rank === 1) return reshape(matmul(a, reshape(b, [b.size, 1])), a.shape.slice(0, -1));

  const k = a.shape[a.rank - 1];
  if (b.shape[b.rank - 2] !== k) {
    throw new ShapeError(
      `matmul: inner dimensions differ: A is ${formatShape(a.shape)} and B is ${formatShape(b.shape)} ` +
        `(A's last dimension ${k} must equal B's second-to-last ${b.shape[b.rank - 2]}).`,
    );
  }
  const aBatchShape = a.shape.slice(0, -2);
  const bBatchShape = b.shape.slice(0, -2);
  if (aBatchShape.length > 0 && bBatchShape.length > 0 && !sameShape(aBatchShape, bBatchShape)) {
    throw new ShapeError(
      `matmul: batch dimensions ${formatShape(aBatchShape)} and ${formatShape(bBatchShape)} must be equal ` +
        '(or one operand must be 2-D).',
    );
  }
  const batchShape = aBatchShape.length > 0 ? aBatchShape : bBatchShape;
  const m = a.shape[a.rank - 2];
  const n = b.shape[b.rank - 1];
  // Fold batch dimensions into one so the backend sees 2-D or 3-D operands.
  const a3 = a.rank > 2 ? reshape(a, [sizeOf(aBatchShape), m, k]) : a;
  const b3 = b.rank > 2 ? reshape(b, [sizeOf(bBatchShape), k, n]) : b;
  const c = gemm(a3, b3, false, false);
  const out = batchShape.length > 1 ? reshape(c, [...batchShape, m, n]) : c;

  return record(out, 'matmul', [a, b], (dy) => {
    const dy3 = dy.rank > 3 ? reshape(dy, [sizeOf(batchShape), m, n]) : dy;
    let da: Tensor | null = null;
    let db: Tensor | null = null;
    if (a.requiresGrad) {
      // ∂L/∂A = dY·Bᵀ; when A was shared across B's batch, sum over the batch.
      const g = gemm(dy3, b3, false, true);
      da = a3.rank === 2 && g.rank === 3 ? sum(g, 0) : g.rank === a.rank ? g : reshape(g, a.shape);
    }
    if (b.requiresGrad) {
      // ∂L/∂B = Aᵀ·dY; when B was shared across A's batch, fold the batch into the rows.
      if (b3.rank === 2 && a3.rank === 3)
        db = gemm(
          reshape(a3, [sizeOf(aBatchShape) * m, k]),
          reshape(dy3, [sizeOf(aBatchShape) * m, n]),
          true,
          false,
        );
      else {
        const g = gemm(a3, dy3, true, false);
        db = g.rank === b.rank ? g : reshape(g, b.shape);
      }
    }
    return [da, db];
  });
}

/**
 * The dense layer's affine map in PyTorch's (and the lectures') layout, weight [out, in]:
 *
 *   y = x·Wᵀ + b        ∂L/∂x = dy·W      ∂L/∂W = dyᵀ·x      ∂L/∂b = Σ_batch dy
 *
 * One GEMM each way with transpose flags; no transposed copy of W is ever made. With an
 * `activation` σ it returns a = σ(x·Wᵀ + b), the bias and σ applied in one fused pass.
 */
export function linear(
  x: Tensor,
  weight: Tensor,
  bias?: Tensor | null,
  activation?: LinearActivation,
): Tensor {
  checkTensor('linear', 'x', x);
  checkTensor('linear', 'weight', weight);
  if (x.rank !== 2 || weight.rank !== 2 || x.shape[1] !== weight.shape[1]) {
    throw new ShapeError(
      `linear: expected x [batch, ${weight.shape[1]}] for weight ${formatShape(weight.shape)}, got x ${formatShape(x.shape)}.`,
    );
  }
  if (x.dtype !== weight.dtype) x = cast(x, weight.dtype);
  const xw = gemm(x, weight, false, true);
  const gradients = (dz: Tensor) => [
    x.requiresGrad ? gemm(dz, weight, false, false) : null,
    weight.requiresGrad ? gemm(dz, x, true, false) : null,
  ];
  if (!activation || weight.dtype === 'int32' || (bias && bias.dtype !== weight.dtype)) {
    const y = record(xw, 'linear', [x, weight], gradients);
    const z = bias ? add(y, bias) : y;
    return activation ? unary(activation.op, z, activation.p0 ?? 0) : z;
  }
  // z = x·Wᵀ + b and a = σ(z) in one pass over z (ops/fused.ts); backward: δ = dy ⊙ σ′(z),
  // then the two GEMMs and, for b, δ summed over the batch — what the separate ops give.
  const { op, p0 = 0 } = activation;
  const [z, a] = noGrad(() =>
    fuse(bias ? [xw, bias] : [xw], (xw, b) => {
      const z = b ? xw.add(b) : xw;
      return [z, z.apply(op, p0)];
    }),
  );
  xw.dispose();
  return record(a, 'linear', bias ? [x, weight, bias] : [x, weight], (dy) => {
    const dz = empty(a.backend, a.dtype, a.shape);
    a.backend.unaryGrad(op, z.storage, a.storage, dy.storage, dz.storage, a.dtype, a.size, p0, 0);
    return [...gradients(dz), bias?.requiresGrad ? sumTo(dz, bias.shape) : null];
  });
}

/** An element-wise activation applied inside `linear` (relu, sigmoid, tanh, leakyRelu with p0 = α …). */
export interface LinearActivation {
  op: UnaryOp;
  p0?: number;
}

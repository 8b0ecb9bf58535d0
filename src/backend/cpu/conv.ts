/**
 * Convolution and pooling kernels of the cpu backend (NCHW).
 *
 * A convolution is im2col + GEMM: every receptive field becomes a column of a
 * [C·kH·kW, N·outH·outW] matrix, so that the weights [O, C·kH·kW] times that matrix is the
 * output. Its input gradient is a GEMM followed by col2im, which adds each column entry back
 * where im2col took it from. Pooling walks each window directly.
 *
 * Windows are clipped to the image once per output row and column (`insideRange`), so the
 * innermost loops never test for padding.
 */
import type { PoolOp, TypedArray, Window2d } from '../contract.js';

/**
 * The range [lo, hi) of t in [0, count) for which offset + t·step lies in [0, size):
 * the window taps (or output columns) that land inside the image.
 */
function insideRange(offset: number, step: number, size: number, count: number): [number, number] {
  const lo = Math.min(count, offset >= 0 ? 0 : Math.ceil(-offset / step));
  const hi = Math.min(count, size - offset <= 0 ? 0 : Math.ceil((size - offset) / step));
  return [lo, Math.max(lo, hi)];
}

/** out[(c, i, j), (n, oh, ow)] = x[n, c, oh·sH − padTop + i·dH, ow·sW − padLeft + j·dW], 0 in the padding. */
export function im2colKernel(x: TypedArray, g: Window2d, out: TypedArray): void {
  const {
    batch,
    channels,
    inH,
    inW,
    kH,
    kW,
    strideH,
    strideW,
    padTop,
    padLeft,
    dilationH,
    dilationW,
    outH,
    outW,
  } = g;
  const plane = inH * inW;
  const rowLength = batch * outH * outW;
  for (let c = 0; c < channels; c++) {
    for (let i = 0; i < kH; i++) {
      const iOff = i * dilationH - padTop;
      for (let j = 0; j < kW; j++) {
        const row = ((c * kH + i) * kW + j) * rowLength;
        const jOff = j * dilationW - padLeft;
        // Output columns whose input column ow·sW + jOff is inside the image.
        const [owLo, owHi] = insideRange(jOff, strideW, inW, outW);
        for (let n = 0; n < batch; n++) {
          const src = (n * channels + c) * plane;
          for (let oh = 0; oh < outH; oh++) {
            const dst = row + (n * outH + oh) * outW;
            const ih = oh * strideH + iOff;
            if (ih < 0 || ih >= inH) {
              out.fill(0, dst, dst + outW);
              continue;
            }
            const s = src + ih * inW + jOff;
            for (let ow = 0; ow < owLo; ow++) out[dst + ow] = 0;
            for (let ow = owLo; ow < owHi; ow++) out[dst + ow] = x[s + ow * strideW];
            for (let ow = owHi; ow < outW; ow++) out[dst + ow] = 0;
          }
        }
      }
    }
  }
}

/** The adjoint of im2colKernel: out = 0, then out[n, c, ih, iw] += cols[(c, i, j), (n, oh, ow)]. */
export function col2imKernel(cols: TypedArray, g: Window2d, out: TypedArray): void {
  const {
    batch,
    channels,
    inH,
    inW,
    kH,
    kW,
    strideH,
    strideW,
    padTop,
    padLeft,
    dilationH,
    dilationW,
    outH,
    outW,
  } = g;
  const plane = inH * inW;
  const rowLength = batch * outH * outW;
  out.fill(0, 0, batch * channels * plane);
  for (let c = 0; c < channels; c++) {
    for (let i = 0; i < kH; i++) {
      const iOff = i * dilationH - padTop;
      // Output rows whose input row oh·sH + iOff is inside the image.
      const [ohLo, ohHi] = insideRange(iOff, strideH, inH, outH);
      for (let j = 0; j < kW; j++) {
        const row = ((c * kH + i) * kW + j) * rowLength;
        const jOff = j * dilationW - padLeft;
        const [owLo, owHi] = insideRange(jOff, strideW, inW, outW);
        for (let n = 0; n < batch; n++) {
          const dstPlane = (n * channels + c) * plane;
          for (let oh = ohLo; oh < ohHi; oh++) {
            const src = row + (n * outH + oh) * outW;
            const d = dstPlane + (oh * strideH + iOff) * inW + jOff;
            for (let ow = owLo; ow < owHi; ow++) out[d + ow * strideW] += cols[src + ow];
          }
        }
      }
    }
  }
}

/** Per output row (or column) t: the taps [lo[t], hi[t]) of the window that lie inside the image. */
function windowRanges(
  count: number,
  stride: number,
  pad: number,
  dilation: number,
  k: number,
  size: number,
): { lo: Int32Array; hi: Int32Array } {
  const lo = new Int32Array(count);
  const hi = new Int32Array(count);
  for (let t = 0; t < count; t++) [lo[t], hi[t]] = insideRange(t * stride - pad, dilation, size, k);
  return { lo, hi };
}

/** Per output row (or column): how many taps of the window lie inside the padded image. */
function paddedCounts(
  count: number,
  stride: number,
  pad: number,
  padEnd: number,
  dilation: number,
  k: number,
  size: number,
): Int32Array {
  const n = new Int32Array(count);
  for (let t = 0; t < count; t++) {
    const [lo, hi] = insideRange(t * stride, dilation, size + pad + padEnd, k);
    n[t] = hi - lo;
  }
  return n;
}

interface PoolPlan {
  rows: { lo: Int32Array; hi: Int32Array };
  cols: { lo: Int32Array; hi: Int32Array };
  /** The divisor of each output position of a plane (averages only). */
  divisor: Float64Array | null;
}

function plan(op: PoolOp, g: Window2d): PoolPlan {
  const rows = windowRanges(g.outH, g.strideH, g.padTop, g.dilationH, g.kH, g.inH);
  const cols = windowRanges(g.outW, g.strideW, g.padLeft, g.dilationW, g.kW, g.inW);
  if (op === 'max') return { rows, cols, divisor: null };
  const divisor = new Float64Array(g.outH * g.outW);
  if (op === 'avgIncludePad') {
    const rn = paddedCounts(g.outH, g.strideH, g.padTop, g.padBottom, g.dilationH, g.kH, g.inH);
    const cn = paddedCounts(g.outW, g.strideW, g.padLeft, g.padRight, g.dilationW, g.kW, g.inW);
    for (let oh = 0; oh < g.outH; oh++)
      for (let ow = 0; ow < g.outW; ow++) divisor[oh * g.outW + ow] = rn[oh] * cn[ow];
  } else {
    for (let oh = 0; oh < g.outH; oh++) {
      for (let ow = 0; ow < g.outW; ow++) {
        divisor[oh * g.outW + ow] = (rows.hi[oh] - rows.lo[oh]) * (cols.hi[ow] - cols.lo[ow]);
      }
    }
  }
  return { rows, cols, divisor };
}

export function pool2dKernel(
  op: PoolOp,
  x: TypedArray,
  g: Window2d,
  out: TypedArray,
  argmax: TypedArray | null,
): void {
  const p = plan(op, g);
  switch (op) {
    case 'max':
      return maxPool(x, g, p, out, argmax as TypedArray);
    case 'avg':
    case 'avgIncludePad':
      return avgPool(x, g, p, out);
  }
}

function maxPool(x: TypedArray, g: Window2d, p: PoolPlan, out: TypedArray, argmax: TypedArray): void {
  const { inH, inW, outH, outW, strideH, strideW, padTop, padLeft, dilationH, dilationW } = g;
  const { rows, cols } = p;
  const planes = g.batch * g.channels;
  for (let plane = 0; plane < planes; plane++) {
    const src = plane * inH * inW;
    let o = plane * outH * outW;
    for (let oh = 0; oh < outH; oh++) {
      const ih0 = oh * strideH - padTop;
      for (let ow = 0; ow < outW; ow++, o++) {
        const iw0 = ow * strideW - padLeft;
        let best = -Infinity;
        let at = -1;
        for (let i = rows.lo[oh]; i < rows.hi[oh]; i++) {
          const r = (ih0 + i * dilationH) * inW;
          for (let j = cols.lo[ow]; j < cols.hi[ow]; j++) {
            const v = x[src + r + iw0 + j * dilationW];
            // The first maximum wins ties; NaN wins and stays (as in PyTorch).
            if (v > best || v !== v || at < 0) {
              best = v;
              at = r + iw0 + j * dilationW;
            }
          }
        }
        out[o] = best;
        argmax[o] = at;
      }
    }
  }
}

function avgPool(x: TypedArray, g: Window2d, p: PoolPlan, out: TypedArray): void {
  const { inH, inW, outH, outW, strideH, strideW, padTop, padLeft, dilationH, dilationW } = g;
  const { rows, cols } = p;
  const divisor = p.divisor as Float64Array;
  const planes = g.batch * g.channels;
  for (let plane = 0; plane < planes; plane++) {
    const src = plane * inH * inW;
    const dst = plane * outH * outW;
    for (let oh = 0; oh < outH; oh++) {
      const ih0 = oh * strideH - padTop;
      for (let ow = 0; ow < outW; ow++) {
        const iw0 = ow * strideW - padLeft;
        let s = 0;
        for (let i = rows.lo[oh]; i < rows.hi[oh]; i++) {
          const r = src + (ih0 + i * dilationH) * inW + iw0;
          for (let j = cols.lo[ow]; j < cols.hi[ow]; j++) s += x[r + j * dilationW];
        }
        const d = divisor[oh * outW + ow];
        out[dst + oh * outW + ow] = d > 0 ? s / d : 0;
      }
    }
  }
}

export function pool2dGradKernel(
  op: PoolOp,
  dy: TypedArray,
  g: Window2d,
  argmax: TypedArray | null,
  dx: TypedArray,
): void {
  const { inH, inW, outH, outW, strideH, strideW, padTop, padLeft, dilationH, dilationW } = g;
  const planes = g.batch * g.channels;
  dx.fill(0, 0, planes * inH * inW);
  if (op === 'max') {
    const idx = argmax as TypedArray;
    for (let plane = 0; plane < planes; plane++) {
      const base = plane * inH * inW;
      const o0 = plane * outH * outW;
      for (let o = o0; o < o0 + outH * outW; o++) if (idx[o] >= 0) dx[base + idx[o]] += dy[o];
    }
    return;
  }
  const { rows, cols, divisor } = plan(op, g) as PoolPlan & { divisor: Float64Array };
  for (let plane = 0; plane < planes; plane++) {
    const base = plane * inH * inW;
    const o0 = plane * outH * outW;
    for (let oh = 0; oh < outH; oh++) {
      const ih0 = oh * strideH - padTop;
      for (let ow = 0; ow < outW; ow++) {
        const d = divisor[oh * outW + ow];
        if (d === 0) continue;
        const share = dy[o0 + oh * outW + ow] / d;
        const iw0 = ow * strideW - padLeft;
        for (let i = rows.lo[oh]; i < rows.hi[oh]; i++) {
          const r = base + (ih0 + i * dilationH) * inW + iw0;
          for (let j = cols.lo[ow]; j < cols.hi[ow]; j++) dx[r + j * dilationW] += share;
        }
      }
    }
  }
}

/**
 * WGSL for convolution's im2col/col2im and for 2-D pooling (NCHW).
 *
 * Every kernel writes each output element from one thread. The adjoints (col2im and the
 * pooling gradients) are written as gathers — each input pixel sums the window taps that
 * reach it — rather than as scatters with atomics, so they are deterministic and add in the
 * cpu backend's order.
 *
 * Words: 0 count; 16–31 the Window2d (see WINDOW_FIELDS).
 */
import type { DType, PoolOp, Window2d } from '../../contract.js';
import { header, main1d, wgslType, type BindingDecl } from '../wgsl.js';

/** The order of a Window2d's fields in words 16–31. */
export const WINDOW_FIELDS: (keyof Window2d)[] = [
  'batch',
  'channels',
  'inH',
  'inW',
  'kH',
  'kW',
  'strideH',
  'strideW',
  'padTop',
  'padLeft',
  'padBottom',
  'padRight',
  'dilationH',
  'dilationW',
  'outH',
  'outW',
];
export const WINDOW_WORD = 16;

const WINDOW = `
struct Win { n: i32, c: i32, inH: i32, inW: i32, kH: i32, kW: i32, sH: i32, sW: i32,
  padTop: i32, padLeft: i32, padBottom: i32, padRight: i32, dH: i32, dW: i32, outH: i32, outW: i32 }
fn win() -> Win {
  return Win(pi(16u), pi(17u), pi(18u), pi(19u), pi(20u), pi(21u), pi(22u), pi(23u),
             pi(24u), pi(25u), pi(26u), pi(27u), pi(28u), pi(29u), pi(30u), pi(31u));
}
fn ceilDiv(a: i32, b: i32) -> i32 { return (a + b - 1) / b; }
// The taps [lo, hi) of t in [0, count) for which offset + t·step lies in [0, size).
fn insideRange(offset: i32, step: i32, size: i32, count: i32) -> vec2<i32> {
  let lo = min(count, select(ceilDiv(-offset, step), 0, offset >= 0));
  let hi = min(count, select(ceilDiv(size - offset, step), 0, size - offset <= 0));
  return vec2<i32>(lo, max(lo, hi));
}
`;

/** out[(c, i, j), (n, oh, ow)] = x[n, c, oh·sH − padTop + i·dH, ow·sW − padLeft + j·dW], 0 in the padding. */
export function im2colSource(): string {
  return (
    header([
      { name: 'X', type: 'u32', access: 'read' },
      { name: 'O', type: 'u32', access: 'read_write' },
    ]) +
    WINDOW +
    main1d(`  let g = win();
  let cols = u32(g.n * g.outH * g.outW);
  let col = i32(i % cols);
  let row = i32(i / cols);
  let kj = row % g.kW;
  let ki = (row / g.kW) % g.kH;
  let c = row / (g.kW * g.kH);
  let ow = col % g.outW;
  let oh = (col / g.outW) % g.outH;
  let n = col / (g.outW * g.outH);
  let ih = oh * g.sH - g.padTop + ki * g.dH;
  let iw = ow * g.sW - g.padLeft + kj * g.dW;
  if (ih < 0 || ih >= g.inH || iw < 0 || iw >= g.inW) { O[i] = 0u; return; }
  O[i] = X[u32(((n * g.c + c) * g.inH + ih) * g.inW + iw)];`)
  );
}

/** The adjoint of im2col: each input pixel sums the column entries copied from it. */
export function col2imSource(dtype: DType): string {
  const t = wgslType(dtype);
  return (
    header([
      { name: 'X', type: t, access: 'read' },
      { name: 'O', type: t, access: 'read_write' },
    ]) +
    WINDOW +
    main1d(`  let g = win();
  let ii = i32(i);
  let iw = ii % g.inW;
  let ih = (ii / g.inW) % g.inH;
  let c = (ii / (g.inW * g.inH)) % g.c;
  let n = ii / (g.inW * g.inH * g.c);
  let cols = g.n * g.outH * g.outW;
  var acc = ${t}(0);
  for (var ki = 0; ki < g.kH; ki++) {
    let th = ih + g.padTop - ki * g.dH;
    if (th < 0 || th % g.sH != 0 || th / g.sH >= g.outH) { continue; }
    let oh = th / g.sH;
    for (var kj = 0; kj < g.kW; kj++) {
      let tw = iw + g.padLeft - kj * g.dW;
      if (tw < 0 || tw % g.sW != 0 || tw / g.sW >= g.outW) { continue; }
      let ow = tw / g.sW;
      acc += X[u32(((c * g.kH + ki) * g.kW + kj) * cols + (n * g.outH + oh) * g.outW + ow)];
    }
  }
  O[i] = acc;`)
  );
}

/** The divisor of an average window at (oh, ow) (0 when it holds no pixel). */
function divisorFn(op: PoolOp): string {
  const body =
    op === 'avgIncludePad'
      ? `  let pr = insideRange(oh * g.sH, g.dH, g.inH + g.padTop + g.padBottom, g.kH);
  let pc = insideRange(ow * g.sW, g.dW, g.inW + g.padLeft + g.padRight, g.kW);
  return (pr.y - pr.x) * (pc.y - pc.x);`
      : `  let r = insideRange(oh * g.sH - g.padTop, g.dH, g.inH, g.kH);
  let q = insideRange(ow * g.sW - g.padLeft, g.dW, g.inW, g.kW);
  return (r.y - r.x) * (q.y - q.x);`;
  return `fn divisor(g: Win, oh: i32, ow: i32) -> i32 {\n${body}\n}\n`;
}

/**
 * Pooling of x [N, C, inH, inW] into out [N, C, outH, outW]; 'max' also writes the winner's
 * position in its plane (first on ties; NaN wins; −1 and −∞ for an empty window).
 */
export function pool2dSource(op: PoolOp, dtype: DType): string {
  const t = wgslType(dtype);
  const isMax = op === 'max';
  const bindings: BindingDecl[] = [
    { name: 'X', type: t, access: 'read' },
    { name: 'O', type: t, access: 'read_write' },
  ];
  if (isMax) bindings.push({ name: 'ARG', type: 'i32', access: 'read_write' });
  const lowest = t === 'f32' ? '-infF()' : 'i32(-2147483647 - 1)';
  const wins = t === 'f32' ? 'v > best || isNan(v) || at < 0' : 'v > best || at < 0';
  const loop = (body: string) => `  for (var ki = rows.x; ki < rows.y; ki++) {
    let r = (ih0 + ki * g.dH) * g.inW;
    for (var kj = cols.x; kj < cols.y; kj++) {
      let pos = r + iw0 + kj * g.dW;
      let v = X[u32(src + pos)];
${body}
    }
  }`;
  const body = isMax
    ? `  var best = ${lowest};
  var at = -1;
${loop(`      if (${wins}) { best = v; at = pos; }`)}
  O[i] = best;
  ARG[i] = at;`
    : `  var s = ${t}(0);
${loop('      s += v;')}
  let d = divisor(g, oh, ow);
  ${t === 'f32' ? 'O[i] = select(0.0, s / f32(d), d > 0);' : 'O[i] = select(0, toI32(f32(s) / f32(d)), d > 0);'}`;
  return (
    header(bindings) +
    WINDOW +
    (isMax ? '' : divisorFn(op)) +
    main1d(`  let g = win();
  let ii = i32(i);
  let ow = ii % g.outW;
  let oh = (ii / g.outW) % g.outH;
  let plane = ii / (g.outW * g.outH);
  let ih0 = oh * g.sH - g.padTop;
  let iw0 = ow * g.sW - g.padLeft;
  let rows = insideRange(ih0, g.dH, g.inH, g.kH);
  let cols = insideRange(iw0, g.dW, g.inW, g.kW);
  let src = plane * g.inH * g.inW;
${body}`)
  );
}

/**
 * The backward of pooling, as a gather: each input pixel walks the windows that cover it
 * (output rows and columns ascending, the cpu's order) and sums dy where the window chose it
 * ('max': its argmax is this pixel) or dy / divisor (averages).
 */
export function pool2dGradSource(op: PoolOp, dtype: DType): string {
  const t = wgslType(dtype);
  const isMax = op === 'max';
  const bindings: BindingDecl[] = [{ name: 'DY', type: t, access: 'read' }];
  if (isMax) bindings.push({ name: 'ARG', type: 'i32', access: 'read' });
  bindings.push({ name: 'O', type: t, access: 'read_write' });
  const add = isMax
    ? 'if (ARG[o] == pos) { acc += DY[o]; }'
    : t === 'f32'
      ? '{ let d = divisor(g, oh, ow); if (d > 0) { acc += DY[o] / f32(d); } }'
      : '{ let d = divisor(g, oh, ow); if (d > 0) { acc += toI32(f32(DY[o]) / f32(d)); } }';
  return (
    header(bindings) +
    WINDOW +
    (isMax ? '' : divisorFn(op)) +
    main1d(`  let g = win();
  let ii = i32(i);
  let iw = ii % g.inW;
  let ih = (ii / g.inW) % g.inH;
  let plane = ii / (g.inW * g.inH);
  let pos = ih * g.inW + iw;
  var acc = ${t}(0);
  // Taps from the last to the first: the windows' rows (and columns) come out ascending.
  for (var ki = g.kH - 1; ki >= 0; ki--) {
    let th = ih + g.padTop - ki * g.dH;
    if (th < 0 || th % g.sH != 0 || th / g.sH >= g.outH) { continue; }
    let oh = th / g.sH;
    for (var kj = g.kW - 1; kj >= 0; kj--) {
      let tw = iw + g.padLeft - kj * g.dW;
      if (tw < 0 || tw % g.sW != 0 || tw / g.sW >= g.outW) { continue; }
      let ow = tw / g.sW;
      let o = u32((plane * g.outH + oh) * g.outW + ow);
      ${add}
    }
  }
  O[i] = acc;
  _ = pos;`)
  );
}

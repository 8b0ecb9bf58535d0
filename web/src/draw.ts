/** Canvas drawing shared by the panels: diverging colours, heatmaps, data points. */

// TF Playground's palette: orange for negative / class 0, blue for positive / class 1.
const NEGATIVE = [245, 147, 34];
const POSITIVE = [8, 119, 189];
const MIDDLE = [232, 234, 235];

/** A colour for v in [−1, 1]. */
export function diverging(v: number): [number, number, number] {
  const t = Math.max(-1, Math.min(1, Number.isFinite(v) ? v : 0));
  const end = t < 0 ? NEGATIVE : POSITIVE;
  const a = Math.abs(t);
  return [0, 1, 2].map((k) => Math.round(MIDDLE[k] + (end[k] - MIDDLE[k]) * a)) as [number, number, number];
}

// The heatmaps' colours, 511 steps from −1 to 1 as packed RGB, so painting allocates nothing.
const STEPS = 255;
const TABLE = new Uint8Array((2 * STEPS + 1) * 3);
for (let i = 0; i <= 2 * STEPS; i++) TABLE.set(diverging(i / STEPS - 1), 3 * i);

export const CLASS_COLOURS = [
  '#f59322',
  '#0877bd',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
];

function hexToRgb(hex: string): [number, number, number] {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/**
 * values (side wide, row 0 at the top: side × side, or one row for data on a line) mapped to
 * [−1, 1] as v · scale + offset, painted onto the canvas.
 */
export function paintHeatmap(
  canvas: HTMLCanvasElement,
  values: ArrayLike<number>,
  side: number,
  scale: number,
  offset = 0,
): void {
  const rows = Math.max(1, Math.floor(values.length / side));
  if (canvas.width !== side) canvas.width = side;
  if (canvas.height !== rows) canvas.height = rows;
  const ctx = canvas.getContext('2d')!;
  const image = ctx.createImageData(side, rows);
  const pixels = image.data;
  for (let k = 0; k < side * rows; k++) {
    const v = values[k] * scale + offset;
    const t = v > -1 ? (v < 1 ? v : 1) : v <= -1 ? -1 : 0; // NaN → 0
    const i = 3 * Math.round((t + 1) * STEPS);
    pixels[4 * k] = TABLE[i];
    pixels[4 * k + 1] = TABLE[i + 1];
    pixels[4 * k + 2] = TABLE[i + 2];
    pixels[4 * k + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
}

/** Class indices (side × side) painted in the class colours, lightened. */
export function paintClasses(canvas: HTMLCanvasElement, classes: ArrayLike<number>, side: number): void {
  canvas.width = side;
  canvas.height = side;
  const ctx = canvas.getContext('2d')!;
  const image = ctx.createImageData(side, side);
  for (let k = 0; k < side * side; k++) {
    const [r, g, b] = hexToRgb(CLASS_COLOURS[classes[k] % CLASS_COLOURS.length]);
    image.data.set([(r + 2 * 255) / 3, (g + 2 * 255) / 3, (b + 2 * 255) / 3, 255], 4 * k);
  }
  ctx.putImageData(image, 0, 0);
}

/** Scales a neuron's outputs to [−1, 1] by the largest magnitude (so every neuron shows its pattern). */
export function symmetricScale(values: ArrayLike<number>): number {
  let m = 0;
  for (let k = 0; k < values.length; k++)
    if (Number.isFinite(values[k])) m = Math.max(m, Math.abs(values[k]));
  return m > 0 ? 1 / m : 0;
}

/** A colour on a sequential scale for t in [0, 1] (dark blue → yellow), for the gradient heatmap. */
export function sequential(t: number): string {
  const [r, g, b] = sequentialRgb(t);
  return `rgb(${r},${g},${b})`;
}

/** sequential's colour as numbers. */
export function sequentialRgb(t: number): [number, number, number] {
  const u = Math.max(0, Math.min(1, Number.isFinite(t) ? t : 0));
  const stops = [
    [68, 1, 84],
    [59, 82, 139],
    [33, 145, 140],
    [94, 201, 98],
    [253, 231, 37],
  ];
  const x = u * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const c = [0, 1, 2].map((k) => Math.round(stops[i][k] + (stops[i + 1][k] - stops[i][k]) * f));
  return c as [number, number, number];
}

/**
 * Filled contour plots with paths drawn over them — optimiser trajectories on a test
 * function, a training path on a loss surface. A Vega specification (Vega-Lite has no
 * contours): the grid goes through Vega's isocontour transform, the paths are lines.
 *
 * The grid is sampled at cell centres: value (i, j) belongs to the cell
 * [x₀ + iΔx, x₀ + (i+1)Δx] × [y₀ + jΔy, y₀ + (j+1)Δy], row j = 0 at the bottom.
 */
import { baseConfig, palette, vegaSpec, type ChartSpec } from './render.js';

export interface ContourGrid {
  /** Number of columns (x) and rows (y). */
  nx: number;
  ny: number;
  /** values[j * nx + i], row 0 at the bottom (smallest y). */
  values: ArrayLike<number>;
  x: readonly [number, number];
  y: readonly [number, number];
}

export interface OverlayPath {
  name: string;
  points: ReadonlyArray<readonly number[]>;
  /** A word shown in the legend after the name (e.g. "diverged"). */
  note?: string;
  /** Fixed colour (default: the palette, by position). */
  color?: string;
  /**
   * The legend entry this path belongs to (default: its own name and note). Paths sharing a
   * group share one colour and one legend entry — many starts ending in the same minimum.
   */
  group?: string;
}

/** The colour each path is drawn in: its own, or the palette's by position. */
export function pathColors(paths: readonly OverlayPath[]): string[] {
  return paths.map((p, k) => p.color ?? palette[k % palette.length]);
}

export interface ContourMarker {
  x: number;
  y: number;
  label: string;
  shape?: 'star' | 'cross' | 'circle' | 'diamond';
}

export interface ContourOptions {
  title: string;
  subtitle?: string;
  grid: ContourGrid;
  paths?: readonly OverlayPath[];
  markers?: readonly ContourMarker[];
  /** Space the levels geometrically (for functions spanning orders of magnitude). */
  logLevels?: boolean;
  levels?: number;
  xTitle?: string;
  yTitle?: string;
  /** Plot width in pixels; the height follows the window's aspect ratio unless given. */
  width?: number;
  height?: number;
  legendTitle?: string;
  /** Fill colour scheme (a Vega scheme name). */
  scheme?: string;
  /** Dot every point of the paths (good for short paths). */
  showSteps?: boolean;
  /** Title of a colour legend for the contour levels (none when omitted). */
  valueTitle?: string;
  /** Opacity of the path lines (the animation draws them faintly and moves dots along them). */
  pathOpacity?: number;
}

/** Contour thresholds: evenly or geometrically spaced between robust ends of the values. */
export function contourLevels(values: ArrayLike<number>, count: number, log: boolean): number[] {
  const sorted = Array.from(values)
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  if (sorted.length === 0) return [];
  const q = (p: number) =>
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.floor(p * (sorted.length - 1))))];
  const hi = q(0.98);
  if (log) {
    const positive = sorted.filter((v) => v > 0);
    const lo = Math.max(positive[Math.floor(positive.length * 0.002)] ?? hi * 1e-6, hi * 1e-8);
    const a = Math.log(lo);
    const b = Math.log(hi);
    return Array.from({ length: count }, (_, k) => Math.exp(a + ((b - a) * k) / (count - 1)));
  }
  const lo = q(0.0);
  return Array.from({ length: count }, (_, k) => lo + ((hi - lo) * k) / count);
}

/** A five-pointed star as a Vega custom symbol (unit coordinates). */
const STAR =
  'M0,-1L0.247,-0.34L0.951,-0.309L0.399,0.13L0.588,0.809L0,0.42L-0.588,0.809L-0.399,0.13L-0.951,-0.309L-0.247,-0.34Z';

/** The Vega specification of a filled contour plot with paths and markers. */
export function contourChart(options: ContourOptions): ChartSpec {
  const { grid } = options;
  const width = options.width ?? 460;
  const aspect = (grid.y[1] - grid.y[0]) / (grid.x[1] - grid.x[0]);
  const height = options.height ?? Math.round(Math.min(1.4, Math.max(0.35, aspect)) * width);
  // Vega's grid has row 0 at the top of the picture: flip the rows. Marching squares treat
  // the outside of the grid as below every level and cut each border cell's corner (half a
  // cell: visible notches on coarse grids), so the grid gets a border that repeats its edge
  // values, drawn one cell outside the plot and clipped away.
  const px = grid.nx + 2;
  const py = grid.ny + 2;
  const flipped: number[] = new Array(px * py);
  for (let r = 0; r < py; r++) {
    const j = grid.ny - 1 - Math.min(grid.ny - 1, Math.max(0, r - 1));
    for (let c = 0; c < px; c++) {
      const i = Math.min(grid.nx - 1, Math.max(0, c - 1));
      flipped[r * px + c] = grid.values[j * grid.nx + i];
    }
  }
  const cell = [width / grid.nx, height / grid.ny];
  const thresholds = contourLevels(
    grid.values,
    options.levels ?? (options.logLevels ? 28 : 22),
    options.logLevels ?? false,
  );
  const paths = options.paths ?? [];
  // Each path is drawn as its own line (key); its colour and legend entry come from its name.
  const names = paths.map((p) => p.group ?? (p.note ? `${p.name} (${p.note})` : p.name));
  const pathRows = paths.flatMap((p, k) =>
    p.points
      .filter((pt) => pt.every(Number.isFinite))
      .map((pt, i) => ({ key: k, name: names[k], i, x: pt[0], y: pt[1] })),
  );
  const ends = paths.flatMap((p, k) => {
    const pts = p.points.filter((pt) => pt.every(Number.isFinite));
    return pts.length > 0 ? [{ name: names[k], x: pts[pts.length - 1][0], y: pts[pts.length - 1][1] }] : [];
  });
  const legendNames = [...new Set(names)];
  const allColors = pathColors(paths);
  const legendColors = legendNames.map((n) => allColors[names.indexOf(n)]);
  // One 'start' marker where every path starts at the same point (many starts: none).
  const firsts = paths.filter((p) => p.points.length > 0).map((p) => p.points[0]);
  const start = firsts.every((q) => q[0] === firsts[0][0] && q[1] === firsts[0][1]) ? firsts[0] : undefined;
  const title = options.subtitle
    ? { text: options.title, subtitle: options.subtitle }
    : { text: options.title };
  const inside = { x: { scale: 'x', field: 'x' }, y: { scale: 'y', field: 'y' } };
  const marks: Record<string, unknown>[] = [
    // Below the lowest level the isocontours leave the plot empty: paint it the lowest colour.
    {
      type: 'rect',
      encode: {
        enter: {
          x: { value: 0 },
          y: { value: 0 },
          width: { signal: 'width' },
          height: { signal: 'height' },
          fill: { scale: 'level', value: thresholds[0] ?? 0 },
        },
      },
    },
    {
      type: 'path',
      from: { data: 'contours' },
      clip: true,
      encode: {
        enter: {
          stroke: { value: '#ffffff' },
          strokeWidth: { value: 0.6 },
          strokeOpacity: { value: 0.7 },
          fill: { scale: 'level', field: 'contour.value' },
        },
      },
      transform: [{ type: 'geopath', field: 'datum.contour' }],
    },
    {
      type: 'group',
      from: { facet: { name: 'onePath', data: 'paths', groupby: 'key' } },
      clip: true,
      encode: { enter: { width: { signal: 'width' }, height: { signal: 'height' } } },
      marks: [
        // A white halo under each path keeps it readable over any fill.
        {
          type: 'line',
          from: { data: 'onePath' },
          sort: { field: 'datum.i' },
          encode: {
            enter: {
              ...inside,
              stroke: { value: '#ffffff' },
              strokeWidth: { value: 4.5 },
              strokeOpacity: { value: 0.8 * (options.pathOpacity ?? 1) },
            },
          },
        },
        {
          type: 'line',
          from: { data: 'onePath' },
          sort: { field: 'datum.i' },
          encode: {
            enter: {
              ...inside,
              stroke: { scale: 'color', field: 'name' },
              strokeWidth: { value: 2 },
              strokeOpacity: { value: options.pathOpacity ?? 1 },
            },
          },
        },
        ...(options.showSteps
          ? [
              {
                type: 'symbol',
                from: { data: 'onePath' },
                encode: {
                  enter: { ...inside, fill: { scale: 'color', field: 'name' }, size: { value: 14 } },
                },
              },
            ]
          : []),
      ],
    },
    {
      type: 'symbol',
      from: { data: 'ends' },
      clip: true,
      encode: {
        enter: {
          ...inside,
          fill: { scale: 'color', field: 'name' },
          stroke: { value: '#ffffff' },
          strokeWidth: { value: 1 },
          size: { value: 45 },
          opacity: { value: options.pathOpacity ?? 1 },
        },
      },
    },
    {
      type: 'symbol',
      from: { data: 'markers' },
      encode: {
        enter: {
          ...inside,
          shape: { field: 'shape' },
          fill: { value: '#111111' },
          stroke: { value: '#ffffff' },
          strokeWidth: { value: 1 },
          size: { value: 160 },
        },
      },
    },
    {
      type: 'text',
      from: { data: 'markers' },
      encode: {
        enter: {
          ...inside,
          text: { field: 'label' },
          dx: { value: 9 },
          dy: { value: -7 },
          fontSize: { value: 11 },
          fontWeight: { value: 'bold' },
          fill: { value: '#111111' },
        },
      },
    },
  ];
  const markers = [...(options.markers ?? [])].map((m) => ({
    ...m,
    shape: (m.shape ?? 'star') === 'star' ? STAR : m.shape,
  }));
  if (start) markers.push({ x: start[0], y: start[1], label: 'start', shape: 'circle' });
  return vegaSpec({
    $schema: 'https://vega.github.io/schema/vega/v6.json',
    width,
    height,
    padding: 5,
    autosize: 'pad',
    title,
    config: baseConfig,
    data: [
      {
        name: 'grid',
        values: [{ width: px, height: py, values: flipped, scale: cell, translate: [-cell[0], -cell[1]] }],
      },
      { name: 'contours', source: 'grid', transform: [{ type: 'isocontour', thresholds, smooth: true }] },
      { name: 'paths', values: pathRows },
      { name: 'ends', values: ends },
      { name: 'markers', values: markers },
    ],
    scales: [
      { name: 'x', type: 'linear', domain: [...grid.x], range: 'width', zero: false, nice: false },
      { name: 'y', type: 'linear', domain: [...grid.y], range: 'height', zero: false, nice: false },
      {
        name: 'level',
        type: options.logLevels ? 'log' : 'linear',
        domain: [thresholds[0] ?? 0, thresholds[thresholds.length - 1] ?? 1],
        range: { scheme: options.scheme ?? 'lightgreyteal' },
        reverse: false,
      },
      { name: 'color', type: 'ordinal', domain: legendNames, range: legendColors },
    ],
    axes: [
      { orient: 'bottom', scale: 'x', title: options.xTitle ?? 'x', grid: false },
      { orient: 'left', scale: 'y', title: options.yTitle ?? 'y', grid: false },
    ],
    legends: [
      ...(names.length > 0
        ? [
            {
              stroke: 'color',
              title: options.legendTitle ?? null,
              symbolType: 'stroke',
              symbolStrokeWidth: 3,
              orient: 'right',
            },
          ]
        : []),
      ...(options.valueTitle
        ? [
            {
              fill: 'level',
              type: 'gradient',
              title: options.valueTitle,
              orient: 'right',
              gradientLength: Math.min(200, height),
              ...(options.logLevels ? { format: '~g' } : {}),
            },
          ]
        : []),
    ],
    marks,
  });
}

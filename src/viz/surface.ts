/**
 * A 3-D surface plot of a grid of values — the loss landscape as a relief — drawn as SVG:
 * each grid cell becomes a quadrilateral, projected obliquely (turned by `azimuth` about the
 * vertical, seen from `elevation` above the plane) and painted far to near, so nearer cells
 * cover farther ones. The colour follows the height, on the same scale as the contour plots.
 */
import { contourLevels, type ContourGrid } from './contour.js';
import { baseConfig, vegaSpec, type ChartSpec } from './render.js';

export interface SurfaceOptions {
  title: string;
  subtitle?: string;
  grid: ContourGrid;
  /** Height (and colour) by log₁₀ of the value. */
  log?: boolean;
  xTitle?: string;
  yTitle?: string;
  valueTitle?: string;
  /** Degrees about the vertical axis (default −35) and above the plane (default 35). */
  azimuth?: number;
  elevation?: number;
  /** Height of the relief relative to the plane's half-width (default 0.9). */
  relief?: number;
  width?: number;
  height?: number;
  scheme?: string;
}

/** The Vega specification of the surface (path marks with precomputed outlines). */
export function surfaceChart(options: SurfaceOptions): ChartSpec {
  const { grid } = options;
  const width = options.width ?? 520;
  const height = options.height ?? 360;
  const log = options.log ?? false;
  const az = ((options.azimuth ?? -35) * Math.PI) / 180;
  const el = ((options.elevation ?? 35) * Math.PI) / 180;
  const relief = options.relief ?? 0.9;
  const h = (v: number) => (log ? Math.log10(Math.max(v, 1e-300)) : v);
  const finite = Array.from(grid.values).filter((v) => Number.isFinite(v) && (!log || v > 0));
  const levels = contourLevels(finite, 2, log);
  const lo = h(Math.min(...finite));
  const hi = h(Math.max(...finite));
  const zOf = (v: number) => (hi > lo ? (Math.min(Math.max(h(v), lo), hi) - lo) / (hi - lo) : 0) * relief;
  // Corners of cell (i, j) are at the midpoints between samples; use the samples as corners instead.
  const u = (i: number) => -1 + (2 * i) / (grid.nx - 1);
  const w = (j: number) => -1 + (2 * j) / (grid.ny - 1);
  const project = (x: number, y: number, z: number) => {
    const x1 = x * Math.cos(az) - y * Math.sin(az);
    const depth = x * Math.sin(az) + y * Math.cos(az);
    return { sx: x1, sy: -(z * Math.cos(el) + depth * Math.sin(el)), depth };
  };
  const value = (i: number, j: number) => grid.values[j * grid.nx + i];
  const quads: Array<{ pts: Array<{ sx: number; sy: number }>; depth: number; value: number }> = [];
  for (let j = 0; j + 1 < grid.ny; j++) {
    for (let i = 0; i + 1 < grid.nx; i++) {
      const corners: Array<[number, number]> = [
        [i, j],
        [i + 1, j],
        [i + 1, j + 1],
        [i, j + 1],
      ];
      const vals = corners.map(([a, b]) => value(a, b));
      if (!vals.every((v) => Number.isFinite(v))) continue;
      const pts = corners.map(([a, b], k) => project(u(a), w(b), zOf(vals[k])));
      quads.push({
        pts,
        depth: pts.reduce((s, p) => s + p.depth, 0) / 4,
        value: vals.reduce((s, v) => s + v, 0) / 4,
      });
    }
  }
  // Painter's order: far (large depth) first.
  quads.sort((a, b) => b.depth - a.depth);
  const all = quads.flatMap((q) => q.pts);
  const minX = Math.min(...all.map((p) => p.sx));
  const maxX = Math.max(...all.map((p) => p.sx));
  const minY = Math.min(...all.map((p) => p.sy));
  const maxY = Math.max(...all.map((p) => p.sy));
  const scale = Math.min((width - 20) / (maxX - minX || 1), (height - 20) / (maxY - minY || 1));
  const px = (p: { sx: number; sy: number }) => [10 + (p.sx - minX) * scale, 10 + (p.sy - minY) * scale];
  const rows = quads.map((q, k) => ({
    k,
    value: q.value,
    d:
      'M' +
      q.pts
        .map((p) =>
          px(p)
            .map((c) => c.toFixed(1))
            .join(','),
        )
        .join('L') +
      'Z',
  }));
  // Axis labels just outside the middle of the two front edges, at the surface's height there.
  const edgeLabel = (x: number, y: number, v: number, text: string) => {
    const p = px(project(x, y, zOf(v)));
    return { x: p[0], y: p[1] + 4, text };
  };
  const mi = Math.floor(grid.nx / 2);
  const mj = Math.floor(grid.ny / 2);
  const labels = [
    edgeLabel(u(mi), -1.12, value(mi, 0), options.xTitle ?? 'x'),
    edgeLabel(1.12, w(mj), value(grid.nx - 1, mj), options.yTitle ?? 'y'),
  ];
  const title = options.subtitle
    ? { text: options.title, subtitle: options.subtitle }
    : { text: options.title };
  const domain = log
    ? [Math.max(Math.min(...finite), levels[0] ?? 1e-12), Math.max(...finite)]
    : [Math.min(...finite), Math.max(...finite)];
  return vegaSpec({
    $schema: 'https://vega.github.io/schema/vega/v6.json',
    width,
    height,
    padding: 5,
    autosize: 'pad',
    title,
    config: baseConfig,
    data: [
      { name: 'quads', values: rows },
      { name: 'labels', values: labels },
    ],
    scales: [
      {
        name: 'level',
        type: log ? 'log' : 'linear',
        domain,
        range: { scheme: options.scheme ?? 'lightgreyteal' },
      },
    ],
    legends: options.valueTitle
      ? [
          {
            fill: 'level',
            type: 'gradient',
            title: options.valueTitle,
            orient: 'right',
            ...(log ? { format: '~g' } : {}),
            gradientLength: Math.min(200, height),
          },
        ]
      : [],
    marks: [
      {
        type: 'path',
        from: { data: 'quads' },
        sort: { field: 'datum.k' },
        encode: {
          enter: {
            path: { field: 'd' },
            fill: { scale: 'level', field: 'value' },
            stroke: { value: '#ffffff' },
            strokeWidth: { value: 0.4 },
            strokeOpacity: { value: 0.6 },
          },
        },
      },
      {
        // The edge labels are the plot's axis titles (and marked so, as Vega marks its axes' titles).
        type: 'text',
        role: 'axis-title',
        from: { data: 'labels' },
        encode: {
          enter: {
            x: { field: 'x' },
            y: { field: 'y' },
            text: { field: 'text' },
            align: { value: 'center' },
            baseline: { value: 'top' },
            fontSize: { value: 12 },
            fontWeight: { value: 'bold' },
            fill: { value: '#333333' },
          },
        },
      },
    ],
  });
}

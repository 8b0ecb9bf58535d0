/**
 * Grids of small images — a convolutional network's filters and feature maps, a weight matrix
 * seen as a picture — and heatmaps of 2-D functions side by side with paths drawn over them.
 * Plain numbers in, a Vega-Lite specification out.
 *
 *   imageGrid      matrices as pixel images in a grid of panels (rows × columns), on a
 *                  diverging scale for signed values and a grey one for intensities
 *   fieldPanels    f(x, y) on a grid per panel, side by side, with paths and markers on top
 */
import type { ContourGrid } from './contour.js';
import { baseConfig, palette, vegaLite, type ChartSpec } from './render.js';

export interface ImagePanel {
  /** Facet row and column labels (e.g. 'image 1', 'feature map 3'). */
  row: string;
  column: string;
  /** Image size in pixels. */
  height: number;
  width: number;
  /** Row-major, top row first: values[r * width + c]. */
  values: ArrayLike<number>;
  /** 'signed' (default): the diverging scale, 0 white; 'intensity': greys from 0 (white) to the maximum (black). */
  kind?: 'signed' | 'intensity';
}

export interface ImageGridOptions {
  title: string;
  subtitle?: string;
  panels: readonly ImagePanel[];
  rowOrder?: readonly string[];
  columnOrder?: readonly string[];
  /** Drawn size of each panel in pixels (default 64); panelHeight sets a different height. */
  panelSize?: number;
  panelHeight?: number;
  /** Legend titles of the two scales. */
  signedTitle?: string;
  intensityTitle?: string;
  /** Symmetric domain of the signed scale (default: the largest |value| of the signed panels). */
  signedRange?: number;
  xTitle?: string;
  yTitle?: string;
}

/** Matrices as images in a grid of panels; see ImagePanel. */
export function imageGrid(options: ImageGridOptions): ChartSpec {
  const cells: Array<Record<string, unknown>> = [];
  let largest = 0;
  let brightest = 0;
  for (const p of options.panels) {
    const kind = p.kind ?? 'signed';
    for (let r = 0; r < p.height; r++) {
      for (let c = 0; c < p.width; c++) {
        const v = p.values[r * p.width + c];
        if (!Number.isFinite(v)) continue;
        if (kind === 'signed') largest = Math.max(largest, Math.abs(v));
        else brightest = Math.max(brightest, v);
        // x grows to the right, y downwards from the top row (as an image is read).
        cells.push({
          row: p.row,
          column: p.column,
          kind,
          x: c,
          x2: c + 1,
          y: r,
          y2: r + 1,
          [kind === 'signed' ? 'v' : 'iv']: v,
        });
      }
    }
  }
  const range = options.signedRange ?? (largest || 1);
  const rowOrder = options.rowOrder ?? [...new Set(options.panels.map((p) => p.row))];
  const columnOrder = options.columnOrder ?? [...new Set(options.panels.map((p) => p.column))];
  const size = options.panelSize ?? 64;
  const axis = {
    labels: false,
    ticks: false,
    domain: false,
    grid: false,
    titleFontSize: 10,
    titlePadding: 2,
  };
  const position = {
    x: {
      field: 'x',
      type: 'quantitative',
      title: options.xTitle ?? 'column',
      axis,
      scale: { nice: false, zero: true },
    },
    x2: { field: 'x2' },
    y: {
      field: 'y',
      type: 'quantitative',
      title: options.yTitle ?? 'row',
      axis,
      scale: { nice: false, zero: true, reverse: true },
    },
    y2: { field: 'y2' },
  };
  const kinds = new Set(options.panels.map((p) => p.kind ?? 'signed'));
  const layers: Record<string, unknown>[] = [];
  if (kinds.has('intensity')) {
    layers.push({
      transform: [{ filter: "datum.kind == 'intensity'" }],
      mark: { type: 'rect', strokeWidth: 0 },
      encoding: {
        ...position,
        // A field of its own (iv): Vega-Lite merges the legends of scales on one field.
        fill: {
          field: 'iv',
          type: 'quantitative',
          title: options.intensityTitle ?? 'intensity',
          scale: { scheme: 'greys', domain: [0, brightest || 1] },
          legend: { orient: 'right', gradientLength: 100 },
        },
      },
    });
  }
  if (kinds.has('signed')) {
    layers.push({
      transform: [{ filter: "datum.kind == 'signed'" }],
      mark: { type: 'rect', strokeWidth: 0 },
      encoding: {
        ...position,
        color: {
          field: 'v',
          type: 'quantitative',
          title: options.signedTitle ?? 'value',
          scale: { scheme: 'redblue', reverse: true, domain: [-range, range], domainMid: 0, clamp: true },
          legend: { orient: 'right', gradientLength: 100 },
        },
      },
    });
  }
  const title = options.subtitle ? { text: options.title, subtitle: options.subtitle } : options.title;
  return vegaLite({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    config: { ...baseConfig, view: { stroke: '#bbb' } },
    data: { values: cells },
    facet: {
      row: {
        field: 'row',
        type: 'nominal',
        title: null,
        sort: rowOrder,
        header: {
          labelAngle: 0,
          labelAlign: 'left',
          labelAnchor: 'middle',
          labelFontWeight: 'bold',
          labelFontSize: 11,
        },
      },
      column: {
        field: 'column',
        type: 'nominal',
        title: null,
        sort: columnOrder,
        header: { labelFontSize: 11 },
      },
    },
    spec: { width: size, height: options.panelHeight ?? size, layer: layers },
    resolve: { scale: { x: 'independent', y: 'independent' }, axis: { x: 'independent', y: 'independent' } },
    spacing: { row: 6, column: 6 },
  });
}

export interface FieldPath {
  /** Legend entry (paths sharing it share a colour). */
  name: string;
  points: ReadonlyArray<readonly number[]>;
  color?: string;
}

export interface FieldPanel {
  name: string;
  grid: ContourGrid;
  paths?: readonly FieldPath[];
  markers?: ReadonlyArray<{ x: number; y: number; label: string }>;
}

export interface FieldPanelsOptions {
  title: string;
  subtitle?: string;
  panels: readonly FieldPanel[];
  xTitle: string;
  yTitle: string;
  /** Legend title of the colour scale (per panel when the scales are independent). */
  valueTitle: string;
  /** Colour by log₁₀ of the value. */
  log?: boolean;
  /** One colour scale for all panels (default false: each panel its own). */
  sharedScale?: boolean;
  width?: number;
  height?: number;
  legendTitle?: string;
  scheme?: string;
}

/** Heatmaps of f(x, y) side by side (a panel per function), with paths and markers on each. */
export function fieldPanels(options: FieldPanelsOptions): ChartSpec {
  const log = options.log ?? false;
  const rows: Array<Record<string, unknown>> = [];
  for (const p of options.panels) {
    const { nx, ny, x, y } = p.grid;
    const dx = (x[1] - x[0]) / nx;
    const dy = (y[1] - y[0]) / ny;
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++) {
        const v = p.grid.values[j * nx + i];
        if (!Number.isFinite(v) || (log && v <= 0)) continue;
        rows.push({
          panel: p.name,
          layer: 'cell',
          x: x[0] + i * dx,
          x2: x[0] + (i + 1) * dx,
          y: y[0] + j * dy,
          y2: y[0] + (j + 1) * dy,
          v: log ? Math.log10(v) : v,
        });
      }
    }
    p.paths?.forEach((path, k) =>
      path.points.forEach((pt, i) => {
        if (pt.every(Number.isFinite))
          rows.push({
            panel: p.name,
            layer: 'path',
            key: `${p.name}/${k}`,
            series: path.name,
            i,
            px: pt[0],
            py: pt[1],
          });
      }),
    );
    p.markers?.forEach((m) =>
      rows.push({ panel: p.name, layer: 'marker', px: m.x, py: m.y, label: m.label }),
    );
  }
  const names = [...new Set(options.panels.flatMap((p) => (p.paths ?? []).map((q) => q.name)))];
  const colors = names.map(
    (n, k) =>
      options.panels.flatMap((p) => p.paths ?? []).find((q) => q.name === n)?.color ??
      palette[k % palette.length],
  );
  const first = options.panels[0]?.grid;
  const domain = (k: 'x' | 'y') => (first ? [first[k][0], first[k][1]] : [0, 1]);
  const px = { field: 'px', type: 'quantitative', scale: { domain: domain('x'), nice: false, zero: false } };
  const py = { field: 'py', type: 'quantitative', scale: { domain: domain('y'), nice: false, zero: false } };
  const layers: Record<string, unknown>[] = [
    {
      transform: [{ filter: "datum.layer == 'cell'" }],
      mark: { type: 'rect', strokeWidth: 0 },
      encoding: {
        x: {
          field: 'x',
          type: 'quantitative',
          title: options.xTitle,
          scale: { domain: domain('x'), nice: false, zero: false },
        },
        x2: { field: 'x2' },
        y: {
          field: 'y',
          type: 'quantitative',
          title: options.yTitle,
          scale: { domain: domain('y'), nice: false, zero: false },
        },
        y2: { field: 'y2' },
        color: {
          field: 'v',
          type: 'quantitative',
          title: log ? `log₁₀ ${options.valueTitle}` : options.valueTitle,
          scale: { scheme: options.scheme ?? 'lightgreyteal' },
          legend: { orient: 'right', gradientLength: 140 },
        },
      },
    },
  ];
  if (names.length > 0) {
    const stroke = {
      field: 'series',
      type: 'nominal',
      title: options.legendTitle ?? null,
      scale: { domain: names, range: colors },
      legend: { symbolType: 'stroke', symbolStrokeWidth: 3, orient: 'bottom', direction: 'vertical' },
    };
    layers.push(
      {
        transform: [{ filter: "datum.layer == 'path'" }],
        mark: { type: 'line', strokeWidth: 4.5, color: '#ffffff', opacity: 0.8, clip: true },
        encoding: { x: px, y: py, detail: { field: 'key' }, order: { field: 'i', type: 'quantitative' } },
      },
      {
        transform: [{ filter: "datum.layer == 'path'" }],
        mark: { type: 'line', strokeWidth: 2, clip: true, point: { size: 14, filled: true } },
        encoding: {
          x: px,
          y: py,
          stroke,
          detail: { field: 'key' },
          order: { field: 'i', type: 'quantitative' },
        },
      },
    );
  }
  if (options.panels.some((p) => (p.markers ?? []).length > 0)) {
    layers.push(
      {
        transform: [{ filter: "datum.layer == 'marker'" }],
        mark: {
          type: 'point',
          shape: 'diamond',
          filled: true,
          size: 110,
          color: '#111111',
          stroke: '#ffffff',
          strokeWidth: 1,
        },
        encoding: { x: px, y: py },
      },
      {
        transform: [{ filter: "datum.layer == 'marker'" }],
        mark: {
          type: 'text',
          dx: 8,
          dy: -8,
          align: 'left',
          fontSize: 11,
          fontWeight: 'bold',
          color: '#111111',
        },
        encoding: { x: px, y: py, text: { field: 'label' } },
      },
    );
  }
  const title = options.subtitle ? { text: options.title, subtitle: options.subtitle } : options.title;
  return vegaLite({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    config: baseConfig,
    data: { values: rows },
    facet: {
      field: 'panel',
      type: 'nominal',
      title: null,
      sort: options.panels.map((p) => p.name),
      header: { labelFontSize: 12, labelFontWeight: 'bold' },
    },
    columns: options.panels.length,
    spec: { width: options.width ?? 300, height: options.height ?? 260, layer: layers },
    resolve: { scale: { color: options.sharedScale ? 'shared' : 'independent' } },
  });
}

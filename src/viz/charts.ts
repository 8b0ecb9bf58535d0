/**
 * Chart builders: plain numbers in, a Vega-Lite specification out (render with `toSvg`).
 * Nothing here knows where the numbers came from.
 *
 *   lineChart        series of (x, y), optional bands (lower/upper), log axes, panels
 *   heatmapChart     a matrix per panel (rows × columns), log colour if asked
 *   histogramGrid    pre-binned histograms in a grid of small panels
 */
import { baseConfig, palette, vegaLite, type ChartSpec } from './render.js';

export interface Series {
  name: string;
  x: readonly number[];
  y: readonly number[];
  /** A band from lower to upper drawn under the line (e.g. min–max over seeds). */
  lower?: readonly number[];
  upper?: readonly number[];
  /** 'line' (default), 'point', or 'linepoint' (a line with a dot at every value). */
  mark?: 'line' | 'point' | 'linepoint';
  /** Fixed colour (default: from the palette, by series order). */
  color?: string;
  dashed?: boolean;
  /** Put this series in a panel of its own name (a grid of small multiples). */
  panel?: string;
}

export interface LineChartOptions {
  title: string;
  subtitle?: string;
  xTitle: string;
  yTitle: string;
  series: readonly Series[];
  logX?: boolean;
  logY?: boolean;
  width?: number;
  height?: number;
  legendTitle?: string;
  /** Panels per row when series have panels (default: all in one row). */
  columns?: number;
  /** Vertical reference lines at these x values, with labels. */
  markers?: ReadonlyArray<{ x: number; label: string }>;
  yDomain?: readonly [number, number];
  xDomain?: readonly [number, number];
}

interface Row {
  series: string;
  panel: string;
  i: number;
  x: number;
  y: number;
  lower?: number;
  upper?: number;
}

function finite(v: number | undefined): v is number {
  return v !== undefined && Number.isFinite(v);
}

/** Lines (with optional bands and points) over a shared x; see Series. */
export function lineChart(options: LineChartOptions): ChartSpec {
  const okX = (v: number) => Number.isFinite(v) && (!options.logX || v > 0);
  const okY = (v: number) => Number.isFinite(v) && (!options.logY || v > 0);
  const rows: Row[] = [];
  for (const s of options.series) {
    s.x.forEach((x, i) => {
      const y = s.y[i];
      if (!okX(x) || !okY(y)) return;
      const row: Row = { series: s.name, panel: s.panel ?? '', i, x, y };
      if (s.lower && s.upper && okY(s.lower[i]) && finite(s.upper[i])) {
        row.lower = s.lower[i];
        row.upper = s.upper[i];
      }
      rows.push(row);
    });
  }
  const names = [...new Set(options.series.map((s) => s.name))];
  const colors = names.map(
    (n, k) => options.series.find((s) => s.name === n)?.color ?? palette[k % palette.length],
  );
  const dashed = names.filter((n) => options.series.find((s) => s.name === n)?.dashed);
  const onlyPoints = options.series.filter((s) => s.mark === 'point').length;
  const legend =
    names.length < 2
      ? null
      : onlyPoints > 0
        ? { symbolOpacity: 1 }
        : { symbolType: 'stroke', symbolStrokeWidth: 3, symbolOpacity: 1, symbolSize: 300 };
  const color = {
    field: 'series',
    type: 'nominal',
    title: options.legendTitle ?? null,
    scale: { domain: names, range: colors },
    legend,
  };
  // Log axes: plain numbers over a modest range, powers of ten (1e+6) beyond it.
  const logAxis = (values: number[]) => {
    const lo = Math.min(...values);
    const hi = Math.max(...values);
    return { format: lo < 1e-3 || hi >= 1e5 ? '.0e' : '~g', labelOverlap: 'greedy' };
  };
  const x = {
    field: 'x',
    type: 'quantitative',
    title: options.xTitle,
    ...(options.logX ? { axis: logAxis(rows.map((r) => r.x)) } : {}),
    scale: {
      type: options.logX ? 'log' : 'linear',
      ...(options.xDomain ? { domain: options.xDomain } : options.logX ? {} : { zero: false }),
    },
  };
  const y = {
    field: 'y',
    type: 'quantitative',
    title: options.yTitle,
    ...(options.logY ? { axis: logAxis(options.yDomain ? [...options.yDomain] : rows.map((r) => r.y)) } : {}),
    scale: {
      type: options.logY ? 'log' : 'linear',
      ...(options.yDomain ? { domain: options.yDomain, clamp: true } : options.logY ? {} : { zero: false }),
    },
  };
  const kinds = (want: (s: Series) => boolean) => new Set(options.series.filter(want).map((s) => s.name));
  const lineSeries = kinds((s) => (s.mark ?? 'line') !== 'point');
  const pointSeries = kinds((s) => s.mark === 'point' || s.mark === 'linepoint');
  const bandSeries = kinds((s) => s.lower !== undefined && s.upper !== undefined);
  const only = (set: Set<string>) => ({ filter: { field: 'series', oneOf: [...set] } });
  const layers: Record<string, unknown>[] = [];
  if (bandSeries.size > 0) {
    layers.push({
      transform: [only(bandSeries), { filter: 'isValid(datum.lower)' }],
      mark: { type: 'area', opacity: 0.25 },
      encoding: { x, y: { field: 'lower', type: 'quantitative' }, y2: { field: 'upper' }, color },
    });
  }
  if (lineSeries.size > 0) {
    layers.push({
      transform: [only(lineSeries)],
      mark: { type: 'line', strokeWidth: 2, clip: true },
      encoding: {
        x,
        y,
        color,
        order: { field: 'i', type: 'quantitative' },
        // Same field and title as the colour, so Vega-Lite merges the two into one legend.
        ...(dashed.length > 0
          ? {
              strokeDash: {
                field: 'series',
                type: 'nominal',
                title: color.title,
                scale: { domain: names, range: names.map((n) => (dashed.includes(n) ? [5, 4] : [1, 0])) },
                ...(names.length < 2 ? { legend: null } : {}),
              },
            }
          : {}),
      },
    });
  }
  if (pointSeries.size > 0) {
    layers.push({
      transform: [only(pointSeries)],
      mark: { type: 'point', filled: true, size: 36, clip: true },
      encoding: { x, y, color },
    });
  }
  if (options.markers && options.markers.length > 0) {
    const markerData = { values: options.markers.map((m) => ({ mx: m.x, label: m.label })) };
    layers.push({
      data: markerData,
      mark: { type: 'rule', color: '#333', strokeDash: [4, 3] },
      encoding: { x: { field: 'mx', type: 'quantitative' } },
    });
    layers.push({
      data: markerData,
      mark: { type: 'text', align: 'left', dx: 4, dy: -4, baseline: 'bottom', color: '#333', fontSize: 11 },
      encoding: { x: { field: 'mx', type: 'quantitative' }, y: { value: 0 }, text: { field: 'label' } },
    });
  }
  const panels = [...new Set(options.series.map((s) => s.panel).filter((p): p is string => p !== undefined))];
  const size = {
    width: options.width ?? (panels.length > 0 ? 220 : 520),
    height: options.height ?? (panels.length > 0 ? 180 : 300),
  };
  const title = options.subtitle ? { text: options.title, subtitle: options.subtitle } : options.title;
  if (panels.length > 0) {
    return vegaLite({
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title,
      config: baseConfig,
      data: { values: rows },
      facet: {
        field: 'panel',
        type: 'nominal',
        title: null,
        sort: panels,
        header: { labelFontSize: 12, labelFontWeight: 'bold' },
      },
      columns: options.columns ?? panels.length,
      spec: { ...size, layer: layers },
      resolve: { scale: { x: 'shared', y: 'shared' } },
    });
  }
  return vegaLite({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    config: baseConfig,
    data: { values: rows },
    ...size,
    layer: layers,
  });
}

export interface HeatmapPanel {
  name: string;
  /** Row labels, drawn bottom to top in this order. */
  rows: readonly string[];
  columns: readonly number[];
  /** values[r][c]; non-finite cells are left empty. */
  values: ReadonlyArray<readonly number[]>;
}

export interface HeatmapOptions {
  title: string;
  subtitle?: string;
  panels: readonly HeatmapPanel[];
  xTitle: string;
  yTitle: string;
  colorTitle: string;
  /** Colour by log₁₀ of the value (default true). */
  log?: boolean;
  width?: number;
  /** Height per row of cells. */
  rowHeight?: number;
  scheme?: string;
  /** Colour domain (in log₁₀ units when log); values outside get the end colours. */
  colorDomain?: readonly [number, number];
}

/** A heatmap per panel (stacked vertically), sharing one colour scale. */
export function heatmapChart(options: HeatmapOptions): ChartSpec {
  const log = options.log ?? true;
  const rows: Array<{ panel: string; row: string; rowIndex: number; column: number; value: number }> = [];
  for (const p of options.panels) {
    p.values.forEach((line, r) =>
      line.forEach((v, c) => {
        if (!Number.isFinite(v) || (log && v <= 0)) return;
        rows.push({
          panel: p.name,
          row: p.rows[r],
          rowIndex: r,
          column: p.columns[c],
          value: log ? Math.log10(v) : v,
        });
      }),
    );
  }
  const allRows = options.panels[0]?.rows ?? [];
  const columns = options.panels[0]?.columns ?? [];
  const step = Math.max(1, Math.ceil(columns.length / 12));
  const tickValues = columns.filter((_, i) => i % step === 0);
  const title = options.subtitle ? { text: options.title, subtitle: options.subtitle } : options.title;
  return vegaLite({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    config: baseConfig,
    data: { values: rows },
    facet: {
      row: {
        field: 'panel',
        type: 'nominal',
        title: null,
        sort: options.panels.map((p) => p.name),
        header: {
          labelAngle: 0,
          labelAlign: 'left',
          labelAnchor: 'start',
          labelOrient: 'top',
          labelFontWeight: 'bold',
        },
      },
    },
    spec: {
      width: options.width ?? 560,
      height: (options.rowHeight ?? 16) * Math.max(1, allRows.length),
      mark: { type: 'rect' },
      encoding: {
        x: {
          field: 'column',
          type: 'ordinal',
          title: options.xTitle,
          axis: { values: tickValues, labelAngle: 0 },
        },
        y: { field: 'row', type: 'ordinal', title: options.yTitle, sort: [...allRows].reverse() },
        color: {
          field: 'value',
          type: 'quantitative',
          title: log ? `log₁₀ ${options.colorTitle}` : options.colorTitle,
          scale: {
            scheme: options.scheme ?? 'viridis',
            ...(options.colorDomain ? { domain: [...options.colorDomain], clamp: true } : {}),
          },
          legend: { orient: 'right', gradientLength: 160 },
        },
        tooltip: [{ field: 'row' }, { field: 'column' }, { field: 'value', format: '.3f' }],
      },
    },
    resolve: { scale: { color: 'shared' } },
    spacing: 14,
  });
}

export interface HistogramCell {
  row: string;
  column: string;
  /** Bin edges, one more than counts. */
  edges: readonly number[];
  counts: readonly number[];
  /** A short note drawn in the cell (e.g. "σ = 0.3"). */
  note?: string;
}

export interface HistogramGridOptions {
  title: string;
  subtitle?: string;
  cells: readonly HistogramCell[];
  rowOrder?: readonly string[];
  columnOrder?: readonly string[];
  xTitle: string;
  columnTitle?: string;
  cellWidth?: number;
  cellHeight?: number;
  color?: string;
}

/** Pre-binned histograms as a grid of small multiples (each cell with its own y scale). */
export function histogramGrid(options: HistogramGridOptions): ChartSpec {
  const bars: Array<Record<string, unknown>> = [];
  for (const cell of options.cells) {
    // The note sits at the top of its cell, above the highest bar: 1.35 × its count.
    const top = 1.35 * Math.max(0, ...cell.counts.filter(Number.isFinite));
    cell.counts.forEach((c, i) =>
      bars.push({
        row: cell.row,
        column: cell.column,
        x0: cell.edges[i],
        x1: cell.edges[i + 1],
        count: c,
        note: i === 0 ? (cell.note ?? '') : '',
        top,
      }),
    );
  }
  const rowOrder = options.rowOrder ?? [...new Set(options.cells.map((c) => c.row))];
  const columnOrder = options.columnOrder ?? [...new Set(options.cells.map((c) => c.column))];
  const title = options.subtitle ? { text: options.title, subtitle: options.subtitle } : options.title;
  return vegaLite({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    config: baseConfig,
    data: { values: bars },
    facet: {
      row: {
        field: 'row',
        type: 'nominal',
        title: null,
        sort: rowOrder,
        header: { labelAngle: 0, labelAlign: 'left', labelFontWeight: 'bold' },
      },
      column: { field: 'column', type: 'nominal', title: options.columnTitle ?? null, sort: columnOrder },
    },
    spec: {
      width: options.cellWidth ?? 90,
      height: options.cellHeight ?? 55,
      layer: [
        {
          mark: { type: 'rect', color: options.color ?? '#4e79a7' },
          encoding: {
            x: {
              field: 'x0',
              type: 'quantitative',
              title: options.xTitle,
              // Cells sit 6 px apart: end labels flush inside their own cell.
              axis: { tickCount: 3, labelFontSize: 9, labelFlush: true },
            },
            x2: { field: 'x1' },
            y: { field: 'count', type: 'quantitative', title: null, axis: null, scale: { nice: false } },
            y2: { datum: 0 },
          },
        },
        {
          transform: [{ filter: "datum.note != ''" }],
          mark: { type: 'text', align: 'right', baseline: 'top', fontSize: 9, color: '#333' },
          encoding: {
            x: { value: options.cellWidth ?? 90 },
            y: { field: 'top', type: 'quantitative' },
            text: { field: 'note' },
          },
        },
      ],
    },
    resolve: { scale: { y: 'independent' } },
    spacing: { row: 8, column: 6 },
  });
}

/**
 * Strip charts: the value every seed gave, per method, with the mean over seeds marked —
 * the picture of run-to-run spread (final losses over seeds, test errors of ensembles).
 */
import { baseConfig, vegaLite, type ChartSpec } from './render.js';

export interface StripGroup {
  /** The method (an x-axis category). */
  category: string;
  values: readonly number[];
}

export interface StripChartOptions {
  title: string;
  subtitle?: string;
  groups: readonly StripGroup[];
  xTitle: string;
  yTitle: string;
  logY?: boolean;
  width?: number;
  height?: number;
  /** Legend names of the dots and of the mean (default 'one seed', 'mean over seeds'). */
  pointLabel?: string;
  meanLabel?: string;
}

/** One dot per value and a bar at the mean, per category; see StripGroup. */
export function stripChart(options: StripChartOptions): ChartSpec {
  const pointLabel = options.pointLabel ?? 'one seed';
  const meanLabel = options.meanLabel ?? 'mean over seeds';
  const ok = (v: number) => Number.isFinite(v) && (!options.logY || v > 0);
  const rows: Array<Record<string, unknown>> = [];
  for (const g of options.groups) {
    const values = g.values.filter(ok);
    // Spread the dots sideways a little (deterministically) so equal values stay visible.
    values.forEach((v, i) =>
      rows.push({ category: g.category, what: pointLabel, v, offset: ((i % 7) - 3) * 3 }),
    );
    if (values.length > 0)
      rows.push({
        category: g.category,
        what: meanLabel,
        v: values.reduce((s, x) => s + x, 0) / values.length,
        offset: 0,
      });
  }
  const categories = options.groups.map((g) => g.category);
  const x = {
    field: 'category',
    type: 'nominal',
    title: options.xTitle,
    sort: categories,
    axis: { labelAngle: 0, labelLimit: 200 },
  };
  const y = {
    field: 'v',
    type: 'quantitative',
    title: options.yTitle,
    scale: options.logY ? { type: 'log' } : { type: 'linear', zero: false },
  };
  const color = {
    field: 'what',
    type: 'nominal',
    title: null,
    scale: { domain: [pointLabel, meanLabel], range: ['#4e79a7', '#e15759'] },
    legend: { orient: 'top' },
  };
  const title = options.subtitle ? { text: options.title, subtitle: options.subtitle } : options.title;
  return vegaLite({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    config: baseConfig,
    data: { values: rows },
    width: options.width ?? Math.max(260, 130 * categories.length),
    height: options.height ?? 260,
    layer: [
      {
        transform: [{ filter: `datum.what == '${pointLabel.replace(/'/g, "\\'")}'` }],
        mark: { type: 'point', filled: true, size: 45, opacity: 0.75 },
        encoding: {
          x,
          y,
          color,
          xOffset: { field: 'offset', type: 'quantitative', scale: { domain: [-12, 12] } },
        },
      },
      {
        transform: [{ filter: `datum.what == '${meanLabel.replace(/'/g, "\\'")}'` }],
        mark: { type: 'tick', thickness: 3, size: 40 },
        encoding: { x, y, color },
      },
    ],
  });
}

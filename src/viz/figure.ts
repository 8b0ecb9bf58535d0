/**
 * A figure before rendering — a chart (or an SVG maker, for animations) with its title, its
 * caption and, where the lecture shows one, a table of the numbers behind it — and the small
 * number formatters the captions share.
 */
import { renderChart, type ChartSpec, type RenderedChart } from './render.js';
import type { FigureTable, ReportFigure } from './report.js';

export type { FigureTable } from './report.js';

/** A figure before rendering: a chart (or an SVG maker, for animations) with its words. */
export interface Figure {
  id: string;
  title: string;
  caption: string;
  chart?: ChartSpec;
  render?: () => Promise<RenderedChart>;
  /** Numbers shown as a table under the chart (the report writes it as an HTML table). */
  table?: FigureTable;
}

export async function renderFigure(figure: Figure): Promise<ReportFigure> {
  const { svg, series } = figure.render ? await figure.render() : await renderChart(figure.chart!);
  return {
    id: figure.id,
    title: figure.title,
    caption: figure.caption,
    svg,
    series,
    ...(figure.table ? { table: figure.table } : {}),
  };
}

/** `digits` significant digits, as a plain number. */
export const sig = (v: number, digits = 2): string =>
  Number.isFinite(v) ? Number(v.toPrecision(digits)).toString() : String(v);

/** A compact number: 2 significant digits, in exponent form when very large or small. */
export const short = (v: number): string =>
  Number.isFinite(v) && v !== 0 && (Math.abs(v) >= 1e4 || Math.abs(v) < 1e-3)
    ? v.toExponential(1).replace('e+', 'e')
    : sig(v);

/** A percentage with one decimal (0.0312 → "3.1%"). */
export const percent = (v: number): string => `${(v * 100).toFixed(1)}%`;

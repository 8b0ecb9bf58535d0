/**
 * Rendering through Vega (and Vega-Lite, which compiles to Vega): the same specifications
 * draw SVG headless in Node (renderer 'none': no canvas, no DOM) and live in a browser.
 *
 * Every chart builder in viz/ returns a plain specification object; `toSvg` renders either
 * kind. Specifications are JSON, so the browser lab can ship them as they are.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/**
 * Advance widths of Helvetica (and of Arial, Liberation Sans and Nimbus Sans, which share
 * its metrics) for the printable ASCII characters, space to tilde, in thousandths of an em:
 * regular, then bold. From Adobe's Helvetica AFM files.
 */
const HELVETICA = [
  '278 278 355 556 556 889 667 191 333 333 389 584 278 333 278 278 556 556 556 556 556 556 556 556 556 556 278 278 584 584 584 556 1015 667 667 722 722 667 611 778 722 278 500 667 556 833 722 778 667 778 722 667 611 722 667 944 667 667 611 278 278 278 469 556 333 556 556 500 556 556 278 556 556 222 222 500 222 833 556 556 556 556 333 500 278 556 500 722 500 500 500 334 260 334 584',
  '278 333 474 556 556 889 722 238 333 333 389 584 278 333 278 278 556 556 556 556 556 556 556 556 556 556 333 333 584 584 584 611 975 722 722 722 722 667 611 778 722 278 556 722 611 833 722 778 667 778 722 667 611 722 667 944 667 667 611 333 278 333 584 556 333 556 611 556 611 556 333 611 611 278 278 556 278 889 611 611 611 611 389 556 333 611 556 778 556 556 500 389 280 389 584',
].map((row) => row.split(' ').map(Number));

/** Widths (em) of the non-ASCII characters the figures use most; others count 0.6 em. */
const WIDE: Record<string, number> = {
  '−': 0.584,
  '·': 0.278,
  '’': 0.222,
  '‘': 0.222,
  '–': 0.556,
  '—': 1,
  '…': 1,
  '‖': 0.5,
  '×': 0.584,
  '≈': 0.584,
};

function charWidth(c: string, bold: boolean): number {
  const code = c.codePointAt(0)!;
  if (code >= 32 && code <= 126) return HELVETICA[bold ? 1 : 0][code - 32] / 1000;
  // Superscript and subscript digits and letters (², ₖ, ⁰ …) are narrow.
  if ((code >= 0x2070 && code <= 0x209f) || code === 0xb2 || code === 0xb3 || code === 0xb9) return 0.4;
  return WIDE[c] ?? 0.6;
}

interface TextItem {
  fontSize?: number;
  fontWeight?: string | number;
  limit?: number;
}

/**
 * The width Vega lays text out with, when there is no canvas to measure it (in Node).
 * Vega's own fallback counts 0.8 em for every character, half as much again as Helvetica's
 * average: headless charts then leave wide gaps for labels and titles that are not there
 * (a facet's columns spread apart, legends stand off). With a limit (labelLimit, titleLimit)
 * the width is capped at it, as the text will be cut there: Vega's truncation only asks
 * whether a width is below the limit, which the cap does not change.
 */
function helveticaWidth(item: TextItem, text: unknown): number {
  const size = item.fontSize != null ? +item.fontSize || 0 : 11;
  const weight = item.fontWeight;
  const bold = weight === 'bold' || weight === 'bolder' || (typeof weight === 'number' && weight >= 600);
  const line = text == null ? '' : String(text).trim();
  let em = 0;
  for (const c of line) em += charWidth(c, bold);
  const width = em * size;
  const limit = Number(item.limit);
  return limit > 0 ? Math.min(width, limit) : width;
}

const metrics = (
  vega as unknown as {
    textMetrics: { width: (item: TextItem, text: unknown) => number; estimateWidth: unknown };
  }
).textMetrics;
if (metrics.width === metrics.estimateWidth) metrics.width = helveticaWidth;

/** A chart specification: Vega-Lite (compiled first) or Vega. */
export type ChartSpec =
  { kind: 'vega-lite'; spec: Record<string, unknown> } | { kind: 'vega'; spec: Record<string, unknown> };

export const vegaLite = (spec: Record<string, unknown>): ChartSpec => ({ kind: 'vega-lite', spec });
export const vegaSpec = (spec: Record<string, unknown>): ChartSpec => ({ kind: 'vega', spec });

/** The Vega specification behind a chart (Vega-Lite compiled). */
export function toVega(chart: ChartSpec): vega.Spec {
  if (chart.kind === 'vega') return chart.spec as vega.Spec;
  return compile(chart.spec as unknown as TopLevelSpec).spec as vega.Spec;
}

/** A headless Vega view, run once (its scales and origin can be read afterwards). */
export async function headlessView(chart: ChartSpec): Promise<vega.View> {
  const view = new vega.View(vega.parse(toVega(chart)), { renderer: 'none' });
  await view.runAsync();
  return view;
}

/** A drawn chart: its SVG and the names of the series its colours stand for. */
export interface RenderedChart {
  svg: string;
  /**
   * The domain of the chart's categorical colour scale (named 'color', as Vega-Lite names
   * it and the Vega builders here do): one entry per series a legend must tell apart. Empty
   * when colour encodes a quantity (heatmaps, surfaces) or nothing.
   */
  series: string[];
}

/** The series names of a run view (see RenderedChart.series). */
export function seriesOf(view: vega.View): string[] {
  let scale: { type?: string; domain(): unknown[] };
  try {
    scale = view.scale('color') as typeof scale;
  } catch {
    return [];
  }
  return scale && scale.type === 'ordinal' ? scale.domain().map(String) : [];
}

/** Renders a chart to SVG, with the names of its series. */
export async function renderChart(chart: ChartSpec): Promise<RenderedChart> {
  const view = await headlessView(chart);
  try {
    return { svg: compactSvg(await view.toSVG()), series: seriesOf(view) };
  } finally {
    view.finalize();
  }
}

/** Renders a chart to an SVG document (a string starting with `<svg`). */
export async function toSvg(chart: ChartSpec): Promise<string> {
  return (await renderChart(chart)).svg;
}

/**
 * Rounds the coordinates in path data to a tenth of a pixel (Vega writes thousandths):
 * invisible on screen, and a third smaller for contour-heavy figures.
 */
export function compactSvg(svg: string): string {
  return svg.replace(/ d="([^"]*)"/g, (_m, d: string) => ` d="${d.replace(/(-?\d+\.\d)\d+/g, '$1')}"`);
}

/** Escapes text for XML/HTML content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

/** Shared look: a readable font size, light grid, no chart border. */
export const baseConfig = {
  font: 'Helvetica, Arial, sans-serif',
  view: { stroke: null },
  axis: {
    labelFontSize: 11,
    titleFontSize: 12,
    gridColor: '#e8e8e8',
    domainColor: '#888',
    tickColor: '#888',
    // Centred end labels: flush ones are pushed inwards against their neighbours ("140160").
    labelFlush: false,
  },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 420, titleLimit: 420 },
  title: { fontSize: 15, subtitleFontSize: 12, subtitleColor: '#555', anchor: 'start', offset: 10 },
  header: { labelFontSize: 12, titleFontSize: 12 },
} as const;

/**
 * 20 series colours, the most distinct first (Tableau 10 but its light grey, then black,
 * olive, cyan and Tableau 20's others, the lightest last: they vanish on contour plots).
 */
export const palette = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#000000',
  '#bcbd22',
  '#17becf',
  '#d37295',
  '#499894',
  '#79706e',
  '#b6992d',
  '#bab0ac',
  '#a0cbe8',
  '#ffbe7d',
  '#8cd17d',
];

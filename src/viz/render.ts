/**
 * Rendering through Vega (and Vega-Lite, which compiles to Vega): the same specifications
 * draw SVG headless in Node (renderer 'none': no canvas, no DOM) and live in a browser.
 *
 * Every chart builder in viz/ returns a plain specification object; `toSvg` renders either
 * kind. Specifications are JSON, so the browser lab can ship them as they are.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

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

/** Renders a chart to an SVG document (a string starting with `<svg`). */
export async function toSvg(chart: ChartSpec): Promise<string> {
  const view = await headlessView(chart);
  try {
    return compactSvg(await view.toSVG());
  } finally {
    view.finalize();
  }
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
  },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 420, titleLimit: 420 },
  title: { fontSize: 15, subtitleFontSize: 12, subtitleColor: '#555', anchor: 'start', offset: 10 },
  header: { labelFontSize: 12, titleFontSize: 12 },
} as const;

/** 20 series colours, the most distinct first (Tableau 10, then black, olive, cyan and Tableau 20's others). */
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
  '#bab0ac',
  '#000000',
  '#bcbd22',
  '#17becf',
  '#d37295',
  '#a0cbe8',
  '#499894',
  '#ffbe7d',
  '#8cd17d',
  '#b6992d',
  '#79706e',
];

/**
 * The lab report: one self-contained HTML file — every figure as inline SVG, each with a
 * title and a sentence or two saying what it shows and what to notice. No scripts, no
 * external files: it opens from disk, mails as one attachment and prints.
 */
import { escapeXml } from './render.js';

/** A small table of the numbers behind a figure (e.g. the lecture's θ₁ against J(θ₁)). */
export interface FigureTable {
  columns: readonly string[];
  /** Rows of cells; numbers are written with `digits` significant digits. */
  rows: ReadonlyArray<ReadonlyArray<string | number>>;
  /** Significant digits for numeric cells (default 4). */
  digits?: number;
}

export interface ReportFigure {
  /** Anchor id and file stem (e.g. 'optimizers-beale'). */
  id: string;
  title: string;
  /** What the figure shows and what to notice (plain text; paragraphs split on blank lines). */
  caption: string;
  svg: string;
  /**
   * The series the figure's colours tell apart (RenderedChart.series); written on the
   * figure as data-series (JSON) for scripts and tests that check the page.
   */
  series?: readonly string[];
  /** A table written under the chart. */
  table?: FigureTable;
}

export interface ReportSection {
  title: string;
  intro?: string;
  figures: ReportFigure[];
}

export interface ReportOptions {
  title: string;
  intro?: string;
  sections: ReportSection[];
  /** A line at the bottom (e.g. how it was made, versions, time). */
  footer?: string;
}

/** Removes the XML prolog and makes the SVG scale with the page (keeps its aspect ratio). */
function inlineSvg(svg: string): string {
  return svg
    .replace(/^<\?xml[^>]*>\s*/, '')
    .replace(
      /<svg([^>]*?)\swidth="([\d.]+)"\s+height="([\d.]+)"/,
      (_m, attrs: string, w: string, h: string) =>
        `<svg${attrs} width="${w}" height="${h}" style="max-width:100%;height:auto"`,
    );
}

function cell(value: string | number, digits: number): string {
  if (typeof value === 'string') return escapeXml(value);
  return Number.isFinite(value) ? String(Number(value.toPrecision(digits))).replace('-', '−') : String(value);
}

function tableHtml(table: FigureTable): string {
  const digits = table.digits ?? 4;
  const head = table.columns.map((c) => `<th>${escapeXml(c)}</th>`).join('');
  const body = table.rows
    .map(
      (row) =>
        `<tr>${row.map((v) => `<td${typeof v === 'number' ? ' class="num"' : ''}>${cell(v, digits)}</td>`).join('')}</tr>`,
    )
    .join('\n');
  return `<table class="numbers"><thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody></table>`;
}

function paragraphs(text: string): string {
  return text
    .split(/\n\s*\n/)
    .map((p) => `<p>${escapeXml(p.trim())}</p>`)
    .join('\n');
}

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

/** The report as an HTML document. */
export function reportHtml(options: ReportOptions): string {
  const toc = options.sections
    .map(
      (s) =>
        `<li><a href="#${slug(s.title)}">${escapeXml(s.title)}</a> <span class="count">(${s.figures.length})</span></li>`,
    )
    .join('\n');
  const body = options.sections
    .map((s) => {
      const figures = s.figures
        .map(
          (
            f,
          ) => `<figure id="${escapeXml(f.id)}"${f.series ? ` data-series="${escapeXml(JSON.stringify(f.series))}"` : ''}>
<h3>${escapeXml(f.title)}</h3>
<div class="chart">${inlineSvg(f.svg)}</div>${f.table ? `\n${tableHtml(f.table)}` : ''}
<figcaption>${paragraphs(f.caption)}</figcaption>
</figure>`,
        )
        .join('\n');
      return `<section id="${slug(s.title)}">
<h2>${escapeXml(s.title)}</h2>
${s.intro ? paragraphs(s.intro) : ''}
${figures}
</section>`;
    })
    .join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeXml(options.title)}</title>
<style>
  body { font-family: Helvetica, Arial, sans-serif; color: #222; max-width: 1000px; margin: 2em auto; padding: 0 1em; line-height: 1.45; }
  h1 { font-size: 1.7em; margin-bottom: 0.2em; }
  h2 { font-size: 1.35em; border-bottom: 1px solid #ddd; padding-bottom: 0.2em; margin-top: 2.2em; }
  h3 { font-size: 1.05em; margin: 0 0 0.5em; }
  figure { margin: 1.5em 0 2.2em; }
  figcaption { color: #333; max-width: 46em; }
  figcaption p { margin: 0.4em 0; }
  .chart { overflow-x: auto; }
  .count { color: #888; }
  table.numbers { border-collapse: collapse; margin: 0.6em 0; font-size: 0.92em; }
  table.numbers th, table.numbers td { border-bottom: 1px solid #ddd; padding: 0.2em 0.9em; text-align: left; }
  table.numbers td.num { text-align: right; font-variant-numeric: tabular-nums; }
  footer { color: #777; font-size: 0.85em; margin-top: 3em; border-top: 1px solid #ddd; padding-top: 0.5em; }
</style>
</head>
<body>
<h1>${escapeXml(options.title)}</h1>
${options.intro ? paragraphs(options.intro) : ''}
<nav><ul>
${toc}
</ul></nav>
${body}
${options.footer ? `<footer>${escapeXml(options.footer)}</footer>` : ''}
</body>
</html>
`;
}

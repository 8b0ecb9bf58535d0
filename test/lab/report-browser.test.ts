// The lab report as a reader sees it: `descent lab all` (default sizes) writes report.html,
// headless Chromium opens it from disk, and every figure is checked as drawn — an SVG of
// non-zero size with visible marks, titled axes, a legend naming every series where the
// chart's colour scale has several, no text outside the picture or on top of other text, a
// scale at which its labels stay readable, and its caption. The animated contour plots must
// play. Screenshots of the page and of every figure go to $DESCENT_SCREENSHOTS (default
// dist/test-output/report/) for a person to look at.
//
// Skipped, with the reason, when Chromium is missing (as the WebGPU suite is).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { labExperimentNames } from '../../src/cli/lab.js';
import { testFunctionNames } from '../../src/lab/functions.js';
import { browserSuiteMissing, launchChromium } from '../browser/harness.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const screenshots = resolve(process.env.DESCENT_SCREENSHOTS || join(root, 'dist/test-output/report'));

/** What the page shows of one figure (measured in the browser, CSS pixels). */
interface FigureInPage {
  id: string;
  title: string;
  caption: string;
  series: string[] | null;
  svgs: number;
  box: { width: number; height: number };
  /** Rendered width over the SVG's own width (below 1: the page shrank it). */
  scale: number;
  /** Data marks (not axes, legends or titles) with a non-empty drawn box. */
  marks: number;
  axisTitles: string[];
  legends: number;
  legendLabels: string[];
  /** Visible text that lies (partly) outside the SVG. */
  outside: string[];
  /** Pairs of visible axis, legend, title and header texts that overlap or touch. */
  overlaps: string[];
  /** Text that Vega shortened with an ellipsis. */
  truncated: string[];
  animations: number;
}

/** Runs in the page: measures every figure. */
function measureFigures(): FigureInPage[] {
  const visible = (e: Element) =>
    e.checkVisibility({ opacityProperty: true, visibilityProperty: true }) &&
    e.getBoundingClientRect().width > 0;
  const guide = /role-(axis|legend|title|column-header|row-header|column-title|row-title)/;
  const inGuide = (e: Element) => {
    for (let g = e.parentElement; g && g.tagName !== 'svg'; g = g.parentElement)
      if (guide.test(g.getAttribute('class') ?? '')) return true;
    return false;
  };
  return [...document.querySelectorAll('figure')].map((figure) => {
    const svg = figure.querySelector('.chart svg') as SVGSVGElement | null;
    const box = svg?.getBoundingClientRect() ?? new DOMRect();
    const texts = svg
      ? [...svg.querySelectorAll('text')].filter((t) => visible(t) && t.textContent!.trim())
      : [];
    const guides = texts.filter(inGuide);
    const overlaps: string[] = [];
    for (let i = 0; i < guides.length; i++) {
      const a = guides[i].getBoundingClientRect();
      for (let j = i + 1; j < guides.length; j++) {
        const b = guides[j].getBoundingClientRect();
        const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
        const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
        // Side by side on one line, less than 2 px apart reads as one word ("140160").
        if (w > -2 && h > 1.5) overlaps.push(`'${guides[i].textContent}' × '${guides[j].textContent}'`);
      }
    }
    const marks = svg
      ? [...svg.querySelectorAll('g[class~="role-mark"] > *, g.descent-animation > *')].filter((m) => {
          const r = m.getBoundingClientRect();
          return (r.width > 0 || r.height > 0) && visible(m);
        }).length
      : 0;
    const series = figure.getAttribute('data-series');
    return {
      id: figure.id,
      title: figure.querySelector('h3')?.textContent?.trim() ?? '',
      caption: figure.querySelector('figcaption')?.textContent?.trim() ?? '',
      series: series === null ? null : (JSON.parse(series) as string[]),
      svgs: figure.querySelectorAll('.chart > svg').length,
      box: { width: box.width, height: box.height },
      scale: svg ? box.width / svg.width.baseVal.value : 0,
      marks,
      axisTitles: svg
        ? [...svg.querySelectorAll('.role-axis-title text')].map((t) => t.textContent!.trim())
        : [],
      legends: svg ? svg.querySelectorAll('g[class~="role-legend"]').length : 0,
      legendLabels: svg
        ? [...svg.querySelectorAll('.role-legend-label text')].map((t) => t.textContent!.trim())
        : [],
      outside: texts
        .filter((t) => {
          const r = t.getBoundingClientRect();
          return (
            r.left < box.left - 1 ||
            r.right > box.right + 1 ||
            r.top < box.top - 1 ||
            r.bottom > box.bottom + 1
          );
        })
        .map((t) => t.textContent!),
      overlaps,
      truncated: texts.map((t) => t.textContent!).filter((t) => t.endsWith('…')),
      animations: svg ? svg.querySelectorAll('animate').length : 0,
    };
  });
}

/**
 * Runs in the page: jumps the animation of figure `id` to a few times and reports where its
 * dots are and how much of each trail is hidden (stroke-dashoffset), at each time.
 */
function sampleAnimation(
  args: [string, number[]],
): Array<{ dots: Array<[number, number]>; hidden: number[] }> {
  const [id, times] = args;
  const svg = document.querySelector(`figure[id="${id}"] .chart svg`) as SVGSVGElement;
  svg.pauseAnimations();
  return times.map((t) => {
    svg.setCurrentTime(t);
    const dots = [...svg.querySelectorAll('g.descent-animation circle')].map((c) => {
      const circle = c as SVGCircleElement;
      return [circle.cx.animVal.value, circle.cy.animVal.value] as [number, number];
    });
    const hidden = [...svg.querySelectorAll('g.descent-animation path')].map((p) =>
      parseFloat(getComputedStyle(p).strokeDashoffset),
    );
    return { dots, hidden };
  });
}

const execFileAsync = promisify(execFile);

/** Writes the report with the command a user runs; returns the output folder. */
async function writeReport(): Promise<string> {
  const out = mkdtempSync(join(tmpdir(), 'descent-report-'));
  await execFileAsync(
    process.execPath,
    [join(root, 'bin/descent.js'), 'lab', 'all', '--out', out, '--seed', '1'],
    {
      cwd: root,
      // Every experiment at its default size, one after the other: a few minutes on 2 busy cores.
      timeout: 1_200_000,
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  return out;
}

const missing = browserSuiteMissing();
if (missing) {
  test('lab report in headless Chromium', { skip: `report browser test skipped: ${missing}` }, () => {});
} else {
  let setup: {
    out: string;
    browser: Browser;
    page: Page;
    figures: FigureInPage[];
    errors: string[];
    outside: string[];
  } | null = null;
  let setupError: unknown = null;
  try {
    const out = await writeReport();
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      const errors: string[] = [];
      const outside: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(`console.error: ${m.text()}`);
      });
      page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
      page.on('request', (r) => {
        if (!r.url().startsWith('file:')) outside.push(r.url());
      });
      await page.goto(pathToFileURL(join(out, 'report.html')).href, { waitUntil: 'load' });
      const figures = await page.evaluate(measureFigures);
      setup = { out, browser, page, figures, errors, outside };
    } catch (error) {
      await browser.close();
      throw error;
    }
  } catch (error) {
    setupError = error;
  }
  if (!setup) {
    test('lab report: written and opened in headless Chromium', () => {
      throw setupError;
    });
  } else {
    const { out, browser, page, figures, errors, outside } = setup;
    after(async () => {
      await browser.close();
      rmSync(out, { recursive: true, force: true });
    });

    describe('lab report in headless Chromium', () => {
      test('the page: every experiment, every SVG file as a figure, nothing fetched, no errors', () => {
        const files = readdirSync(out)
          .filter((f) => f.endsWith('.svg'))
          .map((f) => f.slice(0, -'.svg'.length))
          .sort();
        assert.deepEqual(figures.map((f) => f.id).sort(), files, 'one figure per SVG file written');
        for (const name of labExperimentNames)
          assert.ok(
            figures.some((f) => f.id.startsWith(name)),
            `no figure from the ${name} experiment`,
          );
        assert.deepEqual(outside, [], 'the report is self-contained');
        assert.deepEqual(errors, [], 'the page logs no errors');
      });

      for (const figure of figures) {
        test(`figure ${figure.id}`, () => {
          const f = figure;
          assert.ok(f.title.length > 0, 'a title');
          assert.match(f.caption, /\S.{30,}[.)]$/s, 'a caption of at least a sentence');
          assert.equal(f.svgs, 1, 'one inline SVG');
          assert.ok(f.box.width > 100 && f.box.height > 100, `drawn at ${f.box.width}×${f.box.height}`);
          assert.ok(f.marks > 0, 'data marks drawn');
          assert.ok(
            f.axisTitles.length >= 1 && f.axisTitles.every((t) => t.length > 0),
            `axis titles ${JSON.stringify(f.axisTitles)}`,
          );
          // Two axes need two titles (small multiples repeat them: count distinct ones).
          if (!f.id.startsWith('init-histograms'))
            assert.ok(new Set(f.axisTitles).size >= 2, `titled axes: ${JSON.stringify(f.axisTitles)}`);
          assert.ok(f.series !== null, 'the figure says which series it has (data-series)');
          if (f.series!.length > 1) {
            assert.ok(f.legends > 0, `${f.series!.length} series but no legend`);
            for (const name of f.series!)
              assert.ok(
                f.legendLabels.includes(name),
                `the legend lacks '${name}': ${JSON.stringify(f.legendLabels)}`,
              );
          }
          assert.ok(
            f.scale >= 0.9,
            `shrunk to ${(f.scale * 100).toFixed(0)}% to fit the page: too small to read`,
          );
          assert.deepEqual(f.outside, [], 'text outside the picture (clipped)');
          assert.deepEqual(f.overlaps, [], 'overlapping labels');
          assert.deepEqual(f.truncated, [], 'labels cut short');
        });
      }

      test('the optimiser animations are embedded and play', async () => {
        const animated = figures.filter((f) => f.animations > 0).map((f) => f.id);
        const expected = testFunctionNames.map((name) => `optimizers-${name}-animation`);
        assert.deepEqual(animated.sort(), [...expected].sort(), 'one animation per test function');
        for (const id of expected) {
          const [start, middle, later] = await page.evaluate(sampleAnimation, [id, [0, 2, 6]] as [
            string,
            number[],
          ]);
          assert.ok(start.dots.length >= 2, `${id}: ${start.dots.length} moving dots`);
          const moved = (a: typeof start, b: typeof start) =>
            a.dots.filter((p, k) => Math.hypot(p[0] - b.dots[k][0], p[1] - b.dots[k][1]) > 1).length;
          assert.ok(moved(start, middle) > 0 && moved(middle, later) > 0, `${id}: the dots do not move`);
          // Each trail is hidden at the start and revealed as its dot moves on.
          assert.ok(
            start.hidden.every((h, k) => h >= later.hidden[k]) &&
              start.hidden.some((h, k) => h > later.hidden[k]),
            `${id}: the trails do not grow (${JSON.stringify(start.hidden)} → ${JSON.stringify(later.hidden)})`,
          );
        }
      });

      test(
        `screenshots of the page and of every figure (in ${screenshots})`,
        { timeout: 300_000 },
        async () => {
          if (!process.env.DESCENT_SCREENSHOTS) rmSync(screenshots, { recursive: true, force: true });
          mkdirSync(screenshots, { recursive: true });
          // Animations stopped two thirds through, so the stills show the paths being drawn.
          await page.evaluate(() =>
            document.querySelectorAll<SVGSVGElement>('.chart > svg').forEach((svg) => {
              svg.pauseAnimations();
              svg.setCurrentTime(6);
            }),
          );
          const written = [join(screenshots, 'report.png')];
          await page.screenshot({ path: written[0], fullPage: true });
          for (const f of figures) {
            const path = join(screenshots, `${f.id}.png`);
            await page.locator(`figure[id="${f.id}"]`).screenshot({ path });
            written.push(path);
          }
          for (const path of written) {
            assert.ok(existsSync(path) && statSync(path).size > 2000, `${path} written`);
          }
        },
      );
    });
  }
}

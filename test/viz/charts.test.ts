// viz: every chart renders headless to a well-formed SVG (parsed strictly) with the expected
// number of marks, titled axes and a legend where there are several series; the animation
// carries one moving dot per path; the report is one self-contained HTML page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { heatmapChart, histogramGrid, lineChart } from '../../src/viz/charts.js';
import { contourChart, contourLevels } from '../../src/viz/contour.js';
import { animatedContourSvg } from '../../src/viz/animate.js';
import { reportHtml } from '../../src/viz/report.js';
import { surfaceChart } from '../../src/viz/surface.js';
import { toSvg } from '../../src/viz/render.js';
import { findAll, markItems, parseXml, texts, type XmlElement } from './xml.js';

function svgRoot(svg: string): XmlElement {
  const doc = parseXml(svg);
  assert.equal(doc.children.length, 1);
  const root = doc.children[0];
  assert.equal(root.name, 'svg');
  assert.ok(Number(root.attributes.width) > 100 && Number(root.attributes.height) > 100);
  return root;
}

const byRole = (root: XmlElement, role: string) =>
  findAll(root, (e) => e.name === 'path' && e.attributes['aria-roledescription'] === role);

test('lineChart: one line per series, dots for point series, band areas, axis titles and a legend', async () => {
  const x = [1, 2, 3, 4, 5];
  const svg = await toSvg(
    lineChart({
      title: 'Three series',
      xTitle: 'step',
      yTitle: 'loss',
      series: [
        { name: 'a', x, y: [5, 4, 3, 2, 1], lower: [4, 3, 2, 1, 0.5], upper: [6, 5, 4, 3, 2] },
        { name: 'b', x, y: [1, 2, 3, 4, 5], mark: 'linepoint' },
        { name: 'c', x, y: [2, 2, NaN, 2, 2], dashed: true },
      ],
    }),
  );
  const root = svgRoot(svg);
  assert.equal(byRole(root, 'line mark').length, 3);
  assert.equal(byRole(root, 'point').length, 5);
  assert.equal(byRole(root, 'area mark').length, 1);
  const words = texts(root);
  for (const w of ['Three series', 'step', 'loss', 'a', 'b', 'c'])
    assert.ok(words.includes(w), `missing text '${w}'`);
  assert.ok(findAll(root, (e) => (e.attributes['aria-roledescription'] ?? '') === 'legend').length === 1);
});

test('lineChart: log axes drop non-positive values; panels make one sub-chart each', async () => {
  const svg = await toSvg(
    lineChart({
      title: 'Panels',
      xTitle: 'θ',
      yTitle: 'J',
      logY: true,
      series: [
        { name: 'curve', x: [1, 2, 3], y: [1, 0, 9], panel: 'left' },
        { name: 'curve', x: [1, 2, 3], y: [1, 4, 9], panel: 'right' },
      ],
    }),
  );
  const root = svgRoot(svg);
  const lines = byRole(root, 'line mark');
  assert.equal(lines.length, 2);
  const words = texts(root);
  assert.ok(words.includes('left') && words.includes('right'));
});

test('heatmapChart: one cell per finite value, panels labelled', async () => {
  const svg = await toSvg(
    heatmapChart({
      title: 'Norms',
      xTitle: 'step',
      yTitle: 'layer',
      colorTitle: '‖g‖',
      panels: [
        {
          name: 'sigmoid',
          rows: ['1', '2', '3'],
          columns: [0, 1, 2, 3],
          values: [
            [1e-5, 1e-5, 2e-5, 1e-5],
            [1e-3, 1e-3, 1e-3, 1e-3],
            [0.1, 0.2, 0.1, 0.1],
          ],
        },
        {
          name: 'relu',
          rows: ['1', '2', '3'],
          columns: [0, 1, 2, 3],
          values: [
            [1, 1, 1, NaN],
            [1, 1, 1, NaN],
            [1, 1, 1, NaN],
          ],
        },
      ],
    }),
  );
  const root = svgRoot(svg);
  assert.equal(markItems(root, 'rect', 'path').length, 12 + 9);
  const words = texts(root);
  assert.ok(
    words.includes('sigmoid') && words.includes('relu') && words.includes('step') && words.includes('layer'),
  );
});

test('histogramGrid: one bar per bin per cell', async () => {
  const cells = ['N(0, 1)', 'He'].flatMap((row) =>
    ['layer 1', 'layer 2', 'layer 3'].map((column) => ({
      row,
      column,
      edges: [0, 1, 2, 3, 4],
      counts: [0.1, 0.4, 0.3, 0.2],
    })),
  );
  const svg = await toSvg(histogramGrid({ title: 'Histograms', cells, xTitle: 'activation' }));
  const root = svgRoot(svg);
  assert.equal(markItems(root, 'rect', 'path').length, 6 * 4);
});

test('contourChart: filled contours, a halo and a line per path, markers and a legend', async () => {
  const nx = 30;
  const ny = 20;
  const values = new Float64Array(nx * ny);
  for (let j = 0; j < ny; j++)
    for (let i = 0; i < nx; i++) values[j * nx + i] = ((i - 15) / 5) ** 2 + ((j - 10) / 3) ** 2;
  const spec = contourChart({
    title: 'Bowl',
    grid: { nx, ny, values, x: [-3, 3], y: [-2, 2] },
    paths: [
      {
        name: 'sgd',
        points: [
          [-2, 1.5],
          [-1, 1],
          [0, 0],
        ],
      },
      {
        name: 'adam',
        points: [
          [-2, 1.5],
          [-1.5, 0.5],
          [-0.5, 0.1],
          [0, 0],
        ],
        note: 'diverged at step 3',
      },
    ],
    markers: [{ x: 0, y: 0, label: 'minimum' }],
  });
  const root = svgRoot(await toSvg(spec));
  const contourPaths = markItems(root, 'path', 'path');
  assert.ok(contourPaths.length >= 10, `${contourPaths.length} contour polygons`);
  assert.equal(markItems(root, 'line', 'path').length, 4, 'halo + line for each of 2 paths');
  assert.equal(
    markItems(root, 'symbol', 'path').length,
    2 + 2,
    'an end dot per path, the minimum and the start',
  );
  const words = texts(root);
  for (const w of ['Bowl', 'x', 'y', 'minimum', 'start', 'sgd', 'adam (diverged at step 3)'])
    assert.ok(words.includes(w), `missing '${w}'`);
});

test('contourLevels: linear levels start at the minimum; log levels are geometric', () => {
  const values = Array.from({ length: 1000 }, (_, i) => i / 10);
  const linear = contourLevels(values, 10, false);
  assert.equal(linear[0], 0);
  assert.equal(linear.length, 10);
  const log = contourLevels(
    values.map((v) => v + 1),
    8,
    true,
  );
  const ratios = log.slice(1).map((v, i) => v / log[i]);
  for (const r of ratios) assert.ok(Math.abs(r - ratios[0]) < 1e-9);
});

test('animatedContourSvg: one animated dot and one growing trail per path, well formed', async () => {
  const nx = 20;
  const values = new Float64Array(nx * nx).map(
    (_, k) => ((k % nx) - 10) ** 2 + (Math.floor(k / nx) - 10) ** 2,
  );
  const svg = await animatedContourSvg({
    title: 'Animated',
    grid: { nx, ny: nx, values, x: [-1, 1], y: [-1, 1] },
    paths: [
      {
        name: 'a',
        points: [
          [-0.8, 0.8],
          [-0.4, 0.4],
          [0, 0],
        ],
      },
      {
        name: 'b',
        points: [
          [0.8, 0.8],
          [0.5, 0.2],
        ],
      },
    ],
  });
  const root = svgRoot(svg);
  const circles = findAll(root, (e) => e.name === 'circle');
  assert.equal(circles.length, 2);
  for (const c of circles) {
    const animations = c.children.filter((a) => a.name === 'animate');
    assert.deepEqual(
      animations.map((a) => a.attributes.attributeName),
      ['cx', 'cy'],
    );
    const frames = animations[0].attributes.values.split(';');
    assert.equal(frames.length, animations[0].attributes.keyTimes.split(';').length);
    assert.equal(frames.length, 4, '3 steps of the longest path + the held last frame');
  }
  assert.equal(
    findAll(root, (e) => e.name === 'animate' && e.attributes.attributeName === 'stroke-dashoffset').length,
    2,
  );
});

test('surfaceChart: one projected quadrilateral per grid cell, far ones first, edge labels', async () => {
  const nx = 9;
  const ny = 7;
  const values = new Float64Array(nx * ny).map(
    (_, k) => 0.1 + ((k % nx) - 4) ** 2 + (Math.floor(k / nx) - 3) ** 2,
  );
  const svg = await toSvg(
    surfaceChart({
      title: 'Relief',
      grid: { nx, ny, values, x: [-1, 1], y: [-1, 1] },
      log: true,
      xTitle: 'α',
      yTitle: 'β',
      valueTitle: 'loss',
    }),
  );
  const root = svgRoot(svg);
  assert.equal(markItems(root, 'path', 'path').length, (nx - 1) * (ny - 1));
  const words = texts(root);
  for (const w of ['Relief', 'α', 'β', 'loss']) assert.ok(words.includes(w), `missing '${w}'`);
});

test('reportHtml: one page with every figure inline, its title and caption, escaped', () => {
  const svg =
    '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100"><rect width="10" height="10"/></svg>';
  const html = reportHtml({
    title: 'Lab <report>',
    intro: 'Intro.',
    sections: [
      {
        title: 'First',
        figures: [{ id: 'f1', title: 'One', caption: 'What it shows.\n\nWhat to notice: a < b.', svg }],
      },
      {
        title: 'Second',
        figures: [
          { id: 'f2', title: 'Two', caption: 'Two.', svg },
          { id: 'f3', title: 'Three', caption: 'Three.', svg },
        ],
      },
    ],
    footer: 'made in a test',
  });
  assert.match(html, /^<!DOCTYPE html>/);
  assert.equal(html.match(/<svg/g)?.length, 3);
  assert.equal(html.match(/<figure id=/g)?.length, 3);
  assert.ok(html.includes('Lab &lt;report&gt;'));
  assert.ok(html.includes('<p>What to notice: a &lt; b.</p>'));
  assert.ok(!/<script|src=|href="http/.test(html), 'self-contained: no scripts, no external files');
  assert.ok(html.includes('style="max-width:100%;height:auto"'));
});

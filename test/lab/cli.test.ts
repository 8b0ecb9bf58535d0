// `descent lab all --quick` end to end: every experiment runs, every figure is a well-formed
// SVG with titled axes (and a legend where it has several series), and report.html holds
// them all with their captions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import '../../src/index.js';
import { labExperimentNames, registerLab, runLab } from '../../src/cli/lab.js';
import { findAll, parseXml, type XmlElement } from '../viz/xml.js';
import { memory } from '../../src/tensor/scope.js';
import { ConfigError } from '../../src/errors.js';

const axisTitles = (root: XmlElement) =>
  findAll(
    root,
    (e, parent) => e.name === 'text' && (parent?.attributes.class ?? '').includes('role-axis-title'),
  ).map((e) => e.text.trim());
const legends = (root: XmlElement) =>
  findAll(
    root,
    (e) =>
      e.attributes['aria-roledescription'] === 'legend' ||
      (e.attributes.class ?? '').includes('role-legend '),
  );

test('descent lab all --quick: every experiment, every figure, one report', async () => {
  const out = mkdtempSync(join(tmpdir(), 'descent-lab-'));
  const before = memory().numTensors;
  const log = process.stderr.write;
  process.stderr.write = (() => true) as typeof process.stderr.write;
  try {
    const page = await runLab('all', { out, quick: true, seed: '1', json: true });
    process.stderr.write = log;
    assert.equal(memory().numTensors, before, 'the experiments free what they make');
    const files = readdirSync(out);
    const svgs = files.filter((f) => f.endsWith('.svg'));
    for (const name of labExperimentNames) {
      assert.ok(
        svgs.some((f) => f.startsWith(name)),
        `no figure from ${name}`,
      );
      assert.ok(files.includes(`${name}.json`), `no data from ${name}`);
    }
    assert.ok(svgs.length >= 30, `${svgs.length} figures`);
    for (const f of svgs) {
      const svg = readFileSync(join(out, f), 'utf8');
      const root = parseXml(svg).children[0];
      assert.equal(root.name, 'svg', f);
      // Every chart has two titled axes, except the 3-D surface, which labels its edges instead.
      const titles = axisTitles(root);
      if (!f.includes('-3d'))
        assert.ok(
          titles.length >= 2 && titles.every((t) => t.length > 0),
          `${f}: axis titles ${JSON.stringify(titles)}`,
        );
      // Several coloured series need a legend (single-series charts and histogram grids do not).
      const series = new Set(
        findAll(root, (e) => e.name === 'path' && e.attributes['aria-roledescription'] === 'line mark').map(
          (e) => e.attributes.stroke,
        ),
      );
      if (series.size > 1) assert.ok(legends(root).length > 0, `${f}: ${series.size} series but no legend`);
    }
    const html = readFileSync(page, 'utf8');
    assert.equal(page, join(out, 'report.html'));
    assert.equal(html.match(/<figure id=/g)?.length, svgs.length);
    assert.equal(html.match(/<svg/g)?.length, svgs.length);
    for (const id of [
      'optimizers-beale-gd',
      'lr-quadratic',
      'init-norms-linear',
      'gradients-heatmap',
      'batch-epochs',
      'landscape-path',
      'lrfind',
    ]) {
      assert.ok(html.includes(`<figure id="${id}">`), `report lacks ${id}`);
    }
    const data = JSON.parse(readFileSync(join(out, 'lr.json'), 'utf8'));
    assert.deepEqual(
      data.quadratic.runs.map((r: { kind: string }) => r.kind),
      ['slow', 'converging', 'oscillating', 'diverging'],
    );
  } finally {
    process.stderr.write = log;
    rmSync(out, { recursive: true, force: true });
  }
});

test('descent lab: registers the command and refuses unknown experiments by listing the valid ones', async () => {
  const program = new Command();
  registerLab(program);
  const lab = program.commands.find((c) => c.name() === 'lab');
  assert.ok(lab);
  assert.ok(lab.options.some((o) => o.long === '--out'));
  await assert.rejects(
    runLab('nonsense', { out: tmpdir(), seed: '1' }),
    (e: Error) =>
      e instanceof ConfigError && [...labExperimentNames, 'all'].every((n) => e.message.includes(n)),
  );
  await assert.rejects(runLab('lr', { out: tmpdir(), seed: '-1' }), /--seed must be a non-negative integer/);
  await assert.rejects(runLab('optimizers', { out: tmpdir(), seed: '1', functions: 'himmelblau' }), /beale/);
});

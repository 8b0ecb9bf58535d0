// `descent lab all --quick` end to end: every experiment runs, every figure is a well-formed
// SVG with titled axes (and a legend where it has several series), and report.html holds
// them all with their captions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import '../../src/index.js';
import { noGrad } from '../../src/autograd/tape.js';
import { labExperimentNames, registerLab, runLab } from '../../src/cli/lab.js';
import { digits } from '../../src/data/sets.js';
import { loadModelWithInfo, saveModel } from '../../src/io/model-io.js';
import { crossEntropy } from '../../src/losses/index.js';
import * as nn from '../../src/nn/index.js';
import { gather } from '../../src/ops/shape.js';
import { setSeed } from '../../src/tensor/random.js';
import { findAll, parseXml, type XmlElement } from '../viz/xml.js';
import { memory, tidy } from '../../src/tensor/scope.js';
import { ConfigError, NotFoundError, ShapeError } from '../../src/errors.js';

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
      // Every chart has two titled axes (the 3-D surface's edge labels are marked as its axis titles).
      const titles = axisTitles(root);
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
      assert.ok(html.includes(`<figure id="${id}" data-series=`), `report lacks ${id}`);
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
  assert.deepEqual(
    lab.registeredArguments.map((a) => [a.name(), a.required]),
    [
      ['experiment', true],
      ['model-dir', false],
    ],
  );
  for (const flag of ['--points', '--samples', '--normalization', '--data-dir'])
    assert.ok(
      lab.options.some((o) => o.long === flag),
      flag,
    );
  await assert.rejects(
    runLab('nonsense', { out: tmpdir(), seed: '1' }),
    (e: Error) =>
      e instanceof ConfigError && [...labExperimentNames, 'all'].every((n) => e.message.includes(n)),
  );
  await assert.rejects(runLab('lr', { out: tmpdir(), seed: '-1' }), /--seed must be a non-negative integer/);
  await assert.rejects(runLab('optimizers', { out: tmpdir(), seed: '1', functions: 'himmelblau' }), /beale/);
});

// ---- descent lab landscape MODEL_DIR -----------------------------------------------------

const bin = fileURLToPath(new URL('../../../bin/descent.js', import.meta.url));

/** Runs the lab quietly (its progress lines go to stderr). */
async function quietly<T>(run: () => Promise<T>): Promise<T> {
  const write = process.stderr.write;
  process.stderr.write = (() => true) as typeof process.stderr.write;
  try {
    return await run();
  } finally {
    process.stderr.write = write;
  }
}

test('descent lab landscape MODEL_DIR: the landscape around a saved model, on the split it was trained on', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'descent-landscape-'));
  try {
    const model = join(dir, 'digits-mlp');
    execFileSync(process.execPath, [bin, 'train', '--epochs', '3', '--hidden', '16', '--save', model], {
      stdio: 'pipe',
    });
    const out = join(dir, 'lab');
    const before = memory().numTensors;
    const page = await quietly(() =>
      runLab('landscape', { out, seed: '1', quick: true, json: true, samples: '150', points: '5' }, model),
    );
    assert.equal(memory().numTensors, before, 'the model and data are freed');
    assert.equal(page, join(out, 'landscape.html'));
    // No training path for a saved model: three figures, and the 2-D caption says why.
    assert.deepEqual(
      readdirSync(out)
        .filter((f) => f.endsWith('.svg'))
        .sort(),
      ['landscape-1d.svg', 'landscape-2d.svg', 'landscape-3d.svg'],
    );
    const html = readFileSync(page, 'utf8');
    assert.match(html, /No training path is drawn: a saved model keeps only its final weights/);
    assert.ok(html.includes(`the model in ${model}`), 'the captions name the model');
    assert.match(html, /150 samples of the training split of digits \(rebuilt from seed 1\)/);

    // α = 0 and the centre of the plane are the model's own loss on the first 150 samples of
    // its training split, rebuilt here independently from the record in model.json.
    const result = JSON.parse(readFileSync(join(out, 'landscape.json'), 'utf8'));
    const { layer, info } = loadModelWithInfo(model);
    const saved = info.metadata as { seed: number; data: { testFraction: number } };
    setSeed(saved.seed);
    const sets = digits({ testFraction: saved.data.testFraction });
    const expected = tidy(() =>
      noGrad(() => {
        const idx = Int32Array.from({ length: 150 }, (_, i) => i);
        const logits = layer.call(gather(sets.train.x, idx), { training: false });
        return crossEntropy(logits, gather(sets.train.y, idx)).dataSync()[0];
      }),
    );
    layer.dispose();
    sets.train.dispose();
    sets.test.dispose();
    assert.equal(result.samples, 150);
    assert.equal(result.slices.length, 4, 'three filter-normalised directions and one raw');
    for (const slice of result.slices)
      assert.ok(Math.abs(slice.losses[2] - expected) < 1e-5, `α = 0: ${slice.losses[2]} vs ${expected}`);
    const centre = result.surface.values[12];
    assert.ok(Math.abs(centre - expected) < 1e-5);
    assert.ok(
      result.surface.values.every((v: number) => v >= centre - 1e-6),
      'the trained weights are the lowest point of the grid',
    );

    // --normalization none: only raw directions, and the captions say so.
    const raw = join(dir, 'raw');
    await quietly(() =>
      runLab(
        'landscape',
        { out: raw, seed: '1', quick: true, json: true, points: '5', normalization: 'none' },
        model,
      ),
    );
    const rawResult = JSON.parse(readFileSync(join(raw, 'landscape.json'), 'utf8'));
    assert.deepEqual(
      rawResult.slices.map((s: { normalization: string }) => s.normalization),
      ['none', 'none', 'none'],
    );
    assert.match(readFileSync(join(raw, 'landscape.html'), 'utf8'), /raw Gaussian directions d, e/);

    // From the command line: the model folder is the positional argument after the experiment.
    const program = new Command().exitOverride();
    registerLab(program);
    const cli = join(dir, 'cli');
    await quietly(() =>
      program
        .parseAsync(['lab', 'landscape', model, '--quick', '--points', '3', '--out', cli], { from: 'user' })
        .then(() => undefined),
    );
    assert.match(readFileSync(join(cli, 'landscape.html'), 'utf8'), new RegExp(`the model in ${model}`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('descent lab landscape MODEL_DIR: a model saved without a training record is drawn on the digits', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'descent-landscape-'));
  try {
    setSeed(3);
    const net = nn.sequential([nn.dense({ units: 8, activation: 'relu' }), nn.dense({ units: 10 })]);
    net.buildFor([1, 64]);
    await saveModel(net, join(dir, 'bare'));
    net.dispose();
    const out = join(dir, 'lab');
    await quietly(() => runLab('landscape', { out, seed: '1', quick: true, points: '3' }, join(dir, 'bare')));
    const html = readFileSync(join(out, 'landscape.html'), 'utf8');
    assert.match(html, /the bundled digits as the lab prepares it \(model\.json records no training data\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('descent lab landscape MODEL_DIR: errors name the path and what was expected', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'descent-landscape-'));
  try {
    const model = join(dir, 'digits-mlp');
    execFileSync(process.execPath, [bin, 'train', '--epochs', '1', '--hidden', '8', '--save', model], {
      stdio: 'pipe',
    });
    const flags = { out: join(dir, 'lab'), seed: '1', quick: true, points: '3' };
    const missing = join(dir, 'nowhere');
    await assert.rejects(
      runLab('landscape', flags, missing),
      (e: Error) =>
        e instanceof NotFoundError && e.message.includes(missing) && e.message.includes('model.json'),
    );
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    await assert.rejects(
      runLab('landscape', flags, empty),
      (e: Error) =>
        e instanceof ConfigError &&
        e.message.startsWith(`${empty} is not a model folder (it has no model.json)`) &&
        e.message.includes('descent train --save'),
    );
    await assert.rejects(
      runLab('landscape', { ...flags, data: 'moons' }, model),
      (e: Error) =>
        e instanceof ShapeError &&
        e.message.includes(model) &&
        /\[2\].*takes 64 \(input shape \[64\]\)/.test(e.message),
    );
    const table = join(dir, 'three.csv');
    writeFileSync(table, 'a,b,c,label\n1,2,3,0\n4,5,6,1\n7,8,9,0\n');
    await assert.rejects(
      runLab('landscape', { ...flags, data: table }, model),
      (e: Error) =>
        e instanceof ShapeError &&
        e.message.includes('3 feature columns') &&
        e.message.includes(`${model} takes 64`),
    );
    await assert.rejects(
      runLab('landscape', { ...flags, normalization: 'unit' }, model),
      /--normalization must be filter, layer or none, got 'unit'/,
    );
    await assert.rejects(runLab('lr', flags, model), /only the landscape experiment takes a model folder/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

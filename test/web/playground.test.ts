// The playground (dist/web, built by npm run build:web) in headless Chromium, served as
// `descent playground` serves it (cross-origin isolated) with every request that leaves the
// page blocked. With DESCENT_SCREENSHOTS=DIR each panel is also saved as DIR/<panel>.png.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { fromArray, io, noGrad } from '../../src/index.js';
import { browserSuiteMissing, openUrl, type Site } from '../browser/harness.js';
import { servePlayground, WEB_DIR } from './site.js';

const SHOTS = process.env.DESCENT_SCREENSHOTS;
const LIBRARY = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'index.js');

async function screenshot(page: Page, name: string): Promise<void> {
  if (!SHOTS) return;
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

const missing =
  browserSuiteMissing() ??
  (existsSync(join(WEB_DIR, 'index.html')) ? null : `${WEB_DIR} not built (npm run build:web)`);

describe('playground: the built site in headless Chromium', { skip: missing ?? undefined }, () => {
  let site: Site;
  before(async () => {
    site = await servePlayground();
  });
  after(async () => {
    await site?.close();
  });

  /** Opens the site at `hash`, sized like a laptop screen. */
  async function open(hash = '') {
    const browser = await openUrl(`${site.url}${hash}`);
    await browser.page.setViewportSize({ width: 1400, height: 1000 });
    return browser;
  }

  const trainerReady = (page: Page) =>
    page.waitForFunction(
      () => !(document.querySelector('#play') as HTMLButtonElement | null)?.disabled,
      undefined,
      {
        timeout: 60_000,
      },
    );
  const pathsDone = (page: Page) =>
    page.waitForFunction(
      () => {
        const paths = [...document.querySelectorAll('path.trajectory')];
        return paths.length > 0 && paths.every((p) => p.getAttribute('data-full') === '1');
      },
      undefined,
      { timeout: 60_000 },
    );
  const paths = (page: Page) =>
    page.$$eval('path.trajectory', (ps) =>
      Object.fromEntries(ps.map((p) => [p.getAttribute('data-optimizer')!, p.getAttribute('d')!])),
    );

  test('every panel loads with no console error and no request outside the page, and nothing fails', async () => {
    const b = await open();
    try {
      await trainerReady(b.page);
      for (const panel of ['arena', 'trainer', 'landscape', 'export']) {
        await b.page.click(`#tab-${panel}`);
        await b.page.waitForSelector(`#panel-${panel}`, { state: 'visible' });
      }
      await b.page.click('#tab-arena');
      await pathsDone(b.page);
      assert.deepEqual(b.log, []);
      assert.deepEqual(b.outside, []);
      assert.deepEqual(b.failed, []);
      assert.deepEqual(site.missing, []);
      assert.equal(await b.page.evaluate(() => globalThis.crossOriginIsolated), true);
    } finally {
      await b.close();
    }
  });

  test('a URL with a saved state restores it (trainer and arena), and the URL follows the controls', async () => {
    const hash =
      '#panel=trainer&dataset=moons&noise=0.2&ratio=70&layers=5:relu:heNormal,3:sigmoid:zeros&optimizer=rmsprop&lr=0.003&batchSize=8&features=x1,x2,x1x2&fn=beale&paths=sgd,adam&lrs=adam:0.05';
    const b = await open(hash);
    try {
      await trainerReady(b.page);
      assert.equal(await b.page.getAttribute('button[name=dataset-moons]', 'class'), 'chosen');
      assert.equal(await b.page.inputValue('select[name=optimizer]'), 'rmsprop');
      assert.equal(await b.page.inputValue('input[name=lr]'), '0.003');
      assert.equal(await b.page.inputValue('input[name=batchSize]'), '8');
      assert.equal(await b.page.inputValue('input[name=noise]'), '0.2');
      assert.equal(await b.page.inputValue('input[name=ratio]'), '70');
      assert.equal(await b.page.inputValue('input[name=units-0]'), '5');
      assert.equal(await b.page.inputValue('select[name=activation-1]'), 'sigmoid');
      assert.equal(await b.page.inputValue('select[name=init-1]'), 'zeros');
      assert.equal(await b.page.isChecked('input[name=feature-x1x2]'), true);
      assert.equal(await b.page.isChecked('input[name=feature-x1sq]'), false);
      // 3 inputs, 5 and 3 hidden units, 2 outputs: the diagram's nodes.
      assert.equal(await b.page.locator('.node').count(), 3 + 5 + 3 + 2);
      await b.page.click('#tab-arena');
      assert.equal(await b.page.inputValue('select[name=arena-fn]'), 'beale');
      await pathsDone(b.page);
      assert.deepEqual(Object.keys(await paths(b.page)).sort(), ['adam', 'sgd']);
      assert.match((await b.page.textContent('.rules')) ?? '', /adam η 0\.0500/);
      // And back: a control changes the address.
      await b.page.selectOption('select[name=arena-fn]', 'saddle');
      await b.page.waitForFunction(() => location.hash.includes('fn=saddle'));
      assert.match(await b.page.evaluate(() => location.hash), /optimizer=rmsprop/);
      assert.deepEqual(b.log, []);
    } finally {
      await b.close();
    }
  });

  test('arena: clicking a new start point changes every path; moving η changes that path only', async () => {
    const b = await open('#panel=arena&fn=rosenbrock&paths=sgd,momentum,nesterov,rmsprop,adam,adagrad');
    try {
      await pathsDone(b.page);
      await screenshot(b.page, 'arena');
      const before = await paths(b.page);
      assert.equal(Object.keys(before).length, 6);
      await b.page.locator('svg.contour').click({ position: { x: 330, y: 120 } });
      await pathsDone(b.page);
      const moved = await paths(b.page);
      for (const name of Object.keys(before))
        assert.notEqual(moved[name], before[name], `${name} did not move`);
      await b.page.waitForFunction(() => location.hash.includes('start='));
      // The adam η slider (log₁₀ η) from the tuned 0.1 to 0.01.
      await b.page.locator('input[name=lr-adam]').fill('-2');
      await pathsDone(b.page);
      const slower = await paths(b.page);
      assert.notEqual(slower.adam, moved.adam);
      assert.equal(slower.sgd, moved.sgd);
      assert.match((await b.page.textContent('.rules')) ?? '', /adam η 0\.0100/);
      assert.deepEqual(b.log, []);
    } finally {
      await b.close();
    }
  });

  test(
    'trainer: spirals reach 95% training accuracy with the default settings',
    { timeout: 300_000 },
    async () => {
      const b = await open('#panel=trainer&dataset=spirals');
      try {
        await trainerReady(b.page);
        await b.page.click('#play');
        await b.page.waitForFunction(
          () => document.querySelector('#epoch')?.textContent === '300',
          undefined,
          {
            timeout: 280_000,
            polling: 500,
          },
        );
        await b.page.waitForFunction(() => (document.querySelector('#play') as HTMLButtonElement).disabled);
        const accuracy = Number(await b.page.getAttribute('#train-acc', 'data-value'));
        assert.ok(accuracy >= 0.95, `training accuracy ${accuracy}`);
        await b.page.check('input[name=show-test]');
        await screenshot(b.page, 'trainer');
        assert.deepEqual(b.log, []);
      } finally {
        await b.close();
      }
    },
  );

  test('trainer: a CSV chosen with the file input trains', async () => {
    const b = await open('#panel=trainer');
    try {
      await trainerReady(b.page);
      // Two noisy blobs: label 1 where x + y > 0.
      const rows = ['x,y,label'];
      for (let i = 0; i < 120; i++) {
        const x = Math.sin(i * 1.7) * 2;
        const y = Math.cos(i * 2.3) * 2;
        rows.push(`${x.toFixed(3)},${y.toFixed(3)},${x + y > 0 ? 1 : 0}`);
      }
      await b.page.setInputFiles('#csv-file', {
        name: 'blobs.csv',
        mimeType: 'text/csv',
        buffer: Buffer.from(rows.join('\n')),
      });
      await b.page.waitForSelector('button[name=dataset-csv].chosen');
      assert.equal(await b.page.textContent('button[name=dataset-csv]'), 'blobs.csv');
      await trainerReady(b.page);
      assert.equal(await b.page.locator('.point.train').count(), 60);
      await b.page.click('#play');
      await b.page.waitForFunction(
        () => Number(document.querySelector('#epoch')?.textContent) >= 30,
        undefined,
        { timeout: 60_000 },
      );
      await b.page.click('#play');
      const accuracy = Number(await b.page.getAttribute('#train-acc', 'data-value'));
      assert.ok(accuracy > 0.9, `training accuracy on the CSV ${accuracy}`);
      assert.deepEqual(b.log, []);
    } finally {
      await b.close();
    }
  });

  test("trainer: a malformed CSV shows the reader's message with its line, and the page keeps working", async () => {
    const b = await open('#panel=trainer');
    try {
      await trainerReady(b.page);
      const bad = 'x,y,label\n0.1,0.2,0\n0.3,oops,1\n0.5,0.6,1\n';
      await b.page.setInputFiles('#csv-file', {
        name: 'broken.csv',
        mimeType: 'text/csv',
        buffer: Buffer.from(bad),
      });
      const message = await b.page.waitForSelector('#csv-error');
      const text = (await message.textContent()) ?? '';
      assert.match(text, /broken\.csv/);
      assert.match(text, /line 3/);
      assert.match(text, /oops/);
      await screenshot(b.page, 'trainer-csv-error');
      // Still on the previous data, and it still trains.
      assert.equal(await b.page.getAttribute('button[name=dataset-circles]', 'class'), 'chosen');
      await b.page.click('#step');
      await b.page.waitForFunction(() => document.querySelector('#epoch')?.textContent === '1', undefined, {
        timeout: 30_000,
      });
      assert.deepEqual(b.log, []);
    } finally {
      await b.close();
    }
  });

  test('landscape: slices and the path plane at the current weights', async () => {
    const b = await open('#panel=trainer&dataset=moons&epochs=400');
    try {
      await trainerReady(b.page);
      await b.page.click('#play');
      await b.page.waitForFunction(
        () => Number(document.querySelector('#epoch')?.textContent) >= 20,
        undefined,
        { timeout: 60_000 },
      );
      await b.page.click('#play');
      await b.page.click('#tab-landscape');
      await b.page.click('#landscape-compute');
      await b.page.waitForSelector('#landscape-path', { timeout: 60_000 });
      await b.page.waitForSelector('#landscape-slices canvas');
      await screenshot(b.page, 'landscape');
      assert.deepEqual(b.log, []);
    } finally {
      await b.close();
    }
  });

  test('export: the downloaded model loads in Node with io.loadModel and predicts what the page predicted', async () => {
    const b = await open('#panel=trainer&dataset=spirals&batchNorm=1');
    const dir = mkdtempSync(join(tmpdir(), 'descent-playground-'));
    try {
      await trainerReady(b.page);
      for (let e = 1; e <= 3; e++) {
        await b.page.click('#step');
        await b.page.waitForFunction((n) => document.querySelector('#epoch')?.textContent === String(n), e, {
          timeout: 30_000,
        });
        await trainerReady(b.page);
      }
      const page = await b.page.evaluate(async () => {
        const client = (
          globalThis as unknown as {
            playground: {
              client: { predictions(): Promise<{ inputs: Float32Array; width: number; values: number[] }> };
            };
          }
        ).playground.client;
        const r = await client.predictions();
        return { inputs: Array.from(r.inputs), width: r.width, values: r.values };
      });
      await b.page.click('#tab-export');
      const downloads = new Map<string, string>();
      const both = new Promise<void>((resolve) => {
        b.page.on('download', async (d) => {
          const path = join(dir, d.suggestedFilename());
          await d.saveAs(path);
          downloads.set(d.suggestedFilename(), path);
          if (downloads.size === 2) resolve();
        });
      });
      await b.page.click('#download-model');
      await both;
      assert.deepEqual([...downloads.keys()].sort(), ['model.json', 'model.safetensors']);
      await screenshot(b.page, 'export');
      const net = await io.loadModel(dir);
      const n = page.values.length;
      const out = noGrad(() => net.call(fromArray(page.inputs, [n, page.width]), { training: false }));
      const v = out.dataSync();
      const width = out.shape[1];
      const node = Array.from({ length: n }, (_, r) => {
        let best = 0;
        for (let c = 1; c < width; c++) if (v[r * width + c] > v[r * width + best]) best = c;
        return best;
      });
      out.dispose();
      assert.deepEqual(node, page.values);
      assert.ok(new Set(node).size === 2, 'the model predicts both classes');
      assert.deepEqual(b.log, []);
    } finally {
      await b.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test(
    "export: the TypeScript of the run, run in Node, trains to the page's losses",
    { timeout: 120_000 },
    async () => {
      const b = await open(
        '#panel=trainer&dataset=moons&noise=0.1&epochs=4&l2=0.001&clipNorm=1&dropout=0.1&features=x1,x2,x1sq&optimizer=nadam&lr=0.02&schedule=cosine:60',
      );
      const dir = mkdtempSync(join(tmpdir(), 'descent-playground-run-'));
      try {
        await trainerReady(b.page);
        await b.page.click('#play');
        await b.page.waitForFunction(() => document.querySelector('#epoch')?.textContent === '4', undefined, {
          timeout: 60_000,
        });
        await b.page.waitForFunction(() => (document.querySelector('#play') as HTMLButtonElement).disabled);
        const loss = await b.page.getAttribute('#train-loss', 'data-value');
        const valLoss = await b.page.getAttribute('#test-loss', 'data-value');
        await b.page.click('#tab-export');
        const code = (await b.page.textContent('#run-code')) ?? '';
        assert.match(code, /optim\.getOptimizer\('nadam'/);
        const esbuild = await import('esbuild');
        const js = (await esbuild.transform(code, { loader: 'ts', format: 'esm' })).code.replace(
          /from ["']descent["']/,
          `from ${JSON.stringify(pathToFileURL(LIBRARY).href)}`,
        );
        writeFileSync(join(dir, 'run.mjs'), js);
        const run = spawnSync(process.execPath, ['run.mjs'], { cwd: dir, encoding: 'utf8' });
        assert.equal(run.status, 0, run.stderr);
        assert.equal(run.stdout.trim(), `${loss} ${valLoss}`);
        assert.ok(existsSync(join(dir, 'playground-model', 'model.json')));
        assert.deepEqual(b.log, []);
      } finally {
        await b.close();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});

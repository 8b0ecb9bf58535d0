// The published entry in browsers: `import … from 'descent'` bundled as a user bundles it
// (esbuild and Vite, for the browser, no aliases, no stubs), then the README's digits MLP
// trained in headless Chromium — on the main thread of a cross-origin-isolated page (wasm
// with threads), in a Web Worker, in a page without isolation (one thread and a one-line
// notice), and on the software WebGPU adapter — against the same run in Node.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { browserSuiteMissing, openUrl, serveSite, type Site, type SiteFile } from './harness.js';
import type { EntryPage } from './entry-page.js';
import { trainReadmeDigits, type ReadmeRun } from './readme-digits.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');
const EPOCHS = 3;

/** esbuild, for the browser, with nothing but the defaults a user gets. */
async function esbuildForBrowser(
  entries: string[],
): Promise<{ files: Map<string, string>; inputs: string[] }> {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: entries.map((e) => join(here, e)),
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    outdir: '/out',
    metafile: true,
    logLevel: 'silent',
  });
  const files = new Map(result.outputFiles.map((f) => [f.path.slice('/out/'.length), f.text]));
  return { files, inputs: Object.keys(result.metafile.inputs) };
}

const page = (scriptPath: string): SiteFile => ({
  type: 'text/html',
  body: `<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><title>descent</title><script type="module" src="${scriptPath}"></script>`,
});
const js = (body: string): SiteFile => ({ type: 'text/javascript', body });

async function entryOf(p: Page): Promise<void> {
  await p.waitForFunction(() => 'descentEntry' in globalThis, undefined, { timeout: 60_000 });
}

function trainIn(
  p: Page,
  where: 'page' | 'worker',
  options: { backend?: 'wasm' | 'webgpu' },
): Promise<ReadmeRun> {
  return p.evaluate(
    ({ where, options }) => {
      const entry = (globalThis as unknown as { descentEntry: EntryPage }).descentEntry;
      return where === 'page' ? entry.train(options) : entry.trainInWorker(options);
    },
    { where, options: { ...options, epochs: 3 } },
  );
}

test('entry: descent bundles for browsers with esbuild: no Node built-in and not the Node host in its graph', async () => {
  const { files, inputs } = await esbuildForBrowser(['entry-page.js']);
  assert.ok(files.get('entry-page.js')!.length > 100_000);
  assert.deepEqual(
    inputs.filter((i) => i.startsWith('node:') || i.includes('platform/node')),
    [],
    'the browser bundle reached Node-only modules',
  );
  assert.ok(inputs.some((i) => i.endsWith('dist/src/platform/browser.js')));
});

describe(
  'entry: the README digits MLP in headless Chromium',
  { skip: browserSuiteMissing() ?? undefined },
  () => {
    let node: ReadmeRun;
    let isolated: Site;
    let plain: Site;
    before(async () => {
      node = await trainReadmeDigits({ backend: 'wasm', epochs: EPOCHS });
      const { files } = await esbuildForBrowser(['entry-page.js', 'entry-worker.js']);
      const site = {
        '/': page('/entry.js'),
        '/entry.js': js(files.get('entry-page.js')!),
        '/worker.js': js(files.get('entry-worker.js')!),
      };
      isolated = await serveSite(site, { isolated: true });
      plain = await serveSite(site);
    });
    after(async () => {
      await isolated?.close();
      await plain?.close();
    });

    test('Node trains it to the README figures (the reference run)', () => {
      assert.equal(node.losses.length, EPOCHS);
      assert.ok(node.losses[EPOCHS - 1] < node.losses[0] / 4, `losses ${node.losses}`);
      assert.ok(node.testAccuracy > 0.9, `test accuracy ${node.testAccuracy}`);
    });

    test('in a cross-origin-isolated page on wasm, with threads: the same losses as Node, bit for bit', async () => {
      const browser = await openUrl(isolated.url);
      try {
        await entryOf(browser.page);
        assert.equal(await browser.page.evaluate(() => globalThis.crossOriginIsolated), true);
        const run = await trainIn(browser.page, 'page', { backend: 'wasm' });
        assert.equal(run.backend, 'wasm');
        assert.ok(
          run.threads > 1 || (await browser.page.evaluate(() => navigator.hardwareConcurrency)) === 1,
          `threads ${run.threads}`,
        );
        assert.deepEqual(run.losses, node.losses);
        assert.equal(run.testAccuracy, node.testAccuracy);
        assert.deepEqual(browser.log, []);
        assert.deepEqual(browser.outside, []);
      } finally {
        await browser.close();
      }
    });

    test('in a Web Worker of that page: the same losses as Node', async () => {
      const browser = await openUrl(isolated.url);
      try {
        await entryOf(browser.page);
        const run = await trainIn(browser.page, 'worker', { backend: 'wasm' });
        assert.equal(run.backend, 'wasm');
        assert.ok(
          run.threads > 1 || (await browser.page.evaluate(() => navigator.hardwareConcurrency)) === 1,
          `threads ${run.threads}`,
        );
        assert.deepEqual(run.losses, node.losses);
        assert.deepEqual(browser.log, []);
      } finally {
        await browser.close();
      }
    });

    test('in a page that is not cross-origin isolated: one thread, a one-line notice, the same losses', async () => {
      const browser = await openUrl(plain.url);
      try {
        await entryOf(browser.page);
        assert.equal(await browser.page.evaluate(() => globalThis.crossOriginIsolated), false);
        const run = await trainIn(browser.page, 'page', { backend: 'wasm' });
        assert.equal(run.threads, 1);
        assert.deepEqual(run.losses, node.losses);
        const notices = browser.info.filter((line) => line.includes('runs on 1 thread'));
        assert.equal(notices.length, 1, browser.info.join('\n'));
        assert.match(notices[0], /Cross-Origin-Opener-Policy: same-origin/);
      } finally {
        await browser.close();
      }
    });

    test('on the software WebGPU adapter (initBackend picks navigator.gpu): the losses of Node within 1e-3', async () => {
      const browser = await openUrl(isolated.url);
      try {
        await entryOf(browser.page);
        const run = await trainIn(browser.page, 'page', { backend: 'webgpu' });
        assert.equal(run.backend, 'webgpu');
        for (let e = 0; e < EPOCHS; e++) {
          const relative = Math.abs(run.losses[e] - node.losses[e]) / node.losses[e];
          assert.ok(relative < 1e-3, `epoch ${e + 1}: webgpu ${run.losses[e]} vs Node ${node.losses[e]}`);
        }
      } finally {
        await browser.close();
      }
    });
  },
);

test(
  'entry: descent bundles with Vite for the browser, and the built page trains',
  { skip: browserSuiteMissing() ?? undefined },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'descent-vite-'));
    try {
      // A user's project: descent installed (here, linked) and one page importing it.
      mkdirSync(join(dir, 'node_modules'));
      symlinkSync(root, join(dir, 'node_modules', 'descent'), 'dir');
      writeFileSync(
        join(dir, 'index.html'),
        '<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><script type="module" src="./main.js"></script>',
      );
      writeFileSync(
        join(dir, 'main.js'),
        [
          "import { data, initBackend, nn, optim, setSeed, train } from 'descent';",
          'globalThis.run = async () => {',
          "  await initBackend('wasm'); setSeed(1);",
          '  const { train: trainSet } = data.digits();',
          "  const model = new train.Model(nn.sequential([nn.dense({ units: 64, activation: 'relu' }), nn.dense({ units: 32, activation: 'relu' }), nn.dense({ units: 10 })]));",
          "  model.compile({ optimizer: optim.sgd({ lr: 0.1 }), loss: 'crossEntropy', metrics: ['accuracy'] });",
          `  return (await model.fit(trainSet, { epochs: ${EPOCHS}, batchSize: 32 })).history.loss;`,
          '};',
        ].join('\n'),
      );
      const vite = await import('vite');
      await vite.build({
        root: dir,
        logLevel: 'silent',
        build: { outDir: join(dir, 'dist'), chunkSizeWarningLimit: 10_000 },
      });
      const assets = readdirSync(join(dir, 'dist', 'assets'));
      const files: Record<string, SiteFile> = {
        '/': { type: 'text/html', body: readFileSync(join(dir, 'dist', 'index.html')) },
      };
      for (const name of assets) {
        const text = readFileSync(join(dir, 'dist', 'assets', name), 'utf8');
        assert.ok(!/\bfrom\s*["']node:|require\(["']node:/.test(text), `${name} imports a Node built-in`);
        files[`/assets/${name}`] = js(text);
      }
      const site = await serveSite(files, { isolated: true });
      const browser = await openUrl(site.url);
      try {
        await browser.page.waitForFunction(() => 'run' in globalThis, undefined, { timeout: 60_000 });
        const losses = await browser.page.evaluate(() =>
          (globalThis as unknown as { run(): Promise<number[]> }).run(),
        );
        const node = await trainReadmeDigits({ backend: 'wasm', epochs: EPOCHS });
        assert.deepEqual(losses, node.losses);
        assert.deepEqual(browser.log, []);
      } finally {
        await browser.close();
        await site.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

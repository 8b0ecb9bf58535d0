/**
 * The WebGPU browser harness (Node side): bundles test/browser/webgpu-entry.ts with esbuild
 * into one script, serves it from a node:http server on 127.0.0.1 (a secure context, which
 * navigator.gpu requires), opens it in headless Chromium through playwright-core and runs the
 * page's cases one at a time.
 *
 * Debian's chromium gives WebGPU a software adapter (SwiftShader) with --enable-unsafe-webgpu,
 * so the kernels' correctness is tested on machines without a GPU. Playwright launches it
 * with a fresh temporary profile; nothing is downloaded and the network is not used.
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import type { CaseResult } from './webgpu-entry.js';

export const CHROMIUM = process.env.DESCENT_CHROMIUM || '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--enable-unsafe-webgpu',
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Why the browser suite cannot run here, or null when it can. */
export function browserSuiteMissing(): string | null {
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} not found (apt-get install chromium)`;
  return null;
}

/** Headless Chromium with the suite's flags and a fresh temporary profile. */
export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 60_000 });
}

const here = dirname(fileURLToPath(import.meta.url));

/**
 * A page script (default the WebGPU suite's) and everything it imports, as one ES module for
 * browsers. With `stubNode: false`, an import of a Node module anywhere in its graph fails
 * the build (for code that must run in browsers without stubs).
 */
export async function bundle(
  entry = 'webgpu-entry.js',
  options: { stubNode?: boolean } = {},
): Promise<string> {
  const esbuild = await import('esbuild');
  const shims: Record<string, string> = {
    'node:assert/strict': join(here, 'shims/assert.js'),
    'node:assert': join(here, 'shims/assert.js'),
    'node:test': join(here, 'shims/node-test.js'),
  };
  const result = await esbuild.build({
    entryPoints: [join(here, entry)],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'chrome113',
    logLevel: 'silent',
    plugins:
      (options.stubNode ?? true) === false
        ? []
        : [
            {
              name: 'node-builtins',
              setup(build) {
                build.onResolve({ filter: /^node:/ }, (args) =>
                  shims[args.path] ? { path: shims[args.path] } : { path: args.path, namespace: 'node-stub' },
                );
                // Library modules that touch files (io/, data/ loaders) import node builtins; the
                // page never calls them, so they get a stub whose every property is missing.
                build.onLoad({ filter: /.*/, namespace: 'node-stub' }, (args) => ({
                  contents: `module.exports = {}; // ${args.path} is not available in the browser`,
                  loader: 'js',
                }));
              },
            },
          ],
  });
  return result.outputFiles[0].text;
}

export interface BrowserSuite {
  adapter: string;
  names: string[];
  run(name: string): Promise<CaseResult>;
  close(): Promise<void>;
  /** Lines the page printed (console errors, uncaught exceptions), for failure messages. */
  log: string[];
}

export interface ServedPage {
  page: Page;
  /** The page's address (http://127.0.0.1:<port>/, a secure context). */
  url: string;
  /** Lines the page printed (console errors and warnings, uncaught exceptions). */
  log: string[];
  close(): Promise<void>;
}

/**
 * Serves `code` as the module script of a page on 127.0.0.1, launches headless Chromium and
 * opens the page (downloads are accepted: page.waitForEvent('download') sees them).
 */
export async function openPage(code: string, title = 'descent'): Promise<ServedPage> {
  const html = `<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><title>${title}</title><script type="module" src="/suite.js"></script>`;
  const server: Server = createServer((req, res) => {
    if (req.url === '/') res.writeHead(200, { 'content-type': 'text/html' }).end(html);
    else if (req.url === '/suite.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(code);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  let browser: Browser | null = null;
  const close = async () => {
    await browser?.close().catch(() => undefined);
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  try {
    browser = await launchChromium();
    const page: Page = await browser.newPage({ acceptDownloads: true });
    const log: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') log.push(`console.${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => log.push(`page error: ${e.message}`));
    const url = `http://127.0.0.1:${port}/`;
    await page.goto(url);
    return { page, url, log, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Bundles, serves, launches Chromium and waits for the page's suite to be ready. */
export async function startBrowserSuite(): Promise<BrowserSuite> {
  const { page, log, close } = await openPage(await bundle(), 'descent webgpu');
  try {
    await page.waitForFunction(() => 'descentSuite' in globalThis, undefined, { timeout: 60_000 });
    const ready = await page.evaluate(async () => {
      const suite = await (
        globalThis as unknown as { descentSuite: Promise<{ adapter: string; names: string[] }> }
      ).descentSuite;
      return { adapter: suite.adapter, names: suite.names };
    });
    return {
      ...ready,
      log,
      close,
      run: (name: string) =>
        page.evaluate(
          async (n) =>
            (
              await (
                globalThis as unknown as {
                  descentSuite: Promise<{ run(name: string): Promise<CaseResult> }>;
                }
              ).descentSuite
            ).run(n),
          name,
        ),
    };
  } catch (error) {
    await close();
    throw error;
  }
}

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
 * browsers. The library itself needs nothing from Node (its host is '#platform', which
 * resolves to src/platform/browser.ts here); the only shims are for the test modules'
 * own imports of node:assert and node:test. Any other Node import fails the build.
 */
export async function bundle(entry = 'webgpu-entry.js'): Promise<string> {
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
    plugins: [
      {
        name: 'test-shims',
        setup(build) {
          build.onResolve({ filter: /^node:(assert|test)/ }, (args) =>
            shims[args.path] ? { path: shims[args.path] } : undefined,
          );
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

/** A file a site serves: its bytes (or text) and content type. */
export interface SiteFile {
  body: string | Uint8Array;
  type: string;
}

/** The headers that make a page cross-origin isolated (SharedArrayBuffer, so wasm threads). */
export const ISOLATION_HEADERS = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
};

export interface Site {
  /** The root address (http://127.0.0.1:<port>/). */
  url: string;
  /** Paths that were asked for and not served (404s). */
  missing: string[];
  close(): Promise<void>;
}

/** Serves `files` (by path, '/' for the page) on 127.0.0.1, optionally cross-origin isolated. */
export async function serveSite(
  files: Record<string, SiteFile>,
  options: { isolated?: boolean } = {},
): Promise<Site> {
  const missing: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const file = files[path];
    const headers: Record<string, string> = options.isolated ? { ...ISOLATION_HEADERS } : {};
    if (!file) {
      missing.push(path);
      res.writeHead(404, headers).end();
      return;
    }
    res.writeHead(200, { ...headers, 'content-type': file.type }).end(file.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/`,
    missing,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * Opens `url` in a fresh headless Chromium, recording what the page printed, and every
 * request that did not go to the page's own origin (blocked: the tests run offline).
 */
export async function openUrl(url: string): Promise<{
  page: Page;
  log: string[];
  info: string[];
  outside: string[];
  failed: string[];
  close(): Promise<void>;
}> {
  const browser = await launchChromium();
  try {
    const context = await browser.newContext({ acceptDownloads: true });
    const origin = new URL(url).origin;
    const outside: string[] = [];
    const failed: string[] = [];
    await context.route('**/*', (route) => {
      const target = route.request().url();
      if (target.startsWith(origin) || target.startsWith('data:') || target.startsWith('blob:'))
        return route.continue();
      outside.push(target);
      return route.abort();
    });
    const page = await context.newPage();
    const log: string[] = [];
    const info: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') log.push(`console.${m.type()}: ${m.text()}`);
      else info.push(m.text());
    });
    page.on('pageerror', (e) => log.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => failed.push(`${r.url()} (${r.failure()?.errorText ?? 'failed'})`));
    page.on('response', (r) => {
      if (r.status() >= 400) failed.push(`${r.url()} (HTTP ${r.status()})`);
    });
    await page.goto(url);
    return { page, log, info, outside, failed, close: () => browser.close().catch(() => undefined) };
  } catch (error) {
    await browser.close().catch(() => undefined);
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

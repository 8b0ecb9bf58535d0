// Builds the playground (web/) into dist/web: one page, its script and styles, and the
// training worker, bundled by esbuild from the library as published ('descent', resolved to
// this package's own dist/src by its package.json exports). Nothing is fetched at run time
// but these files: no CDN, fonts or analytics, so the site works from any static server
// offline. Run after tsc (npm run build does both); `--check` type-checks web/ first.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync, statSync, readdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const out = 'dist/web';
if (!process.argv.includes('--no-check')) {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'web/tsconfig.json'], {
    stdio: 'inherit',
  });
}
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
await build({
  entryPoints: { main: 'web/src/main.tsx', worker: 'web/src/worker.ts' },
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'chrome113',
  outdir: out,
  // The library is shared by the page and the worker: one chunk that both import.
  splitting: true,
  chunkNames: 'chunk-[hash]',
  minify: !process.argv.includes("--no-minify"),
  sourcemap: false,
  jsx: 'automatic',
  jsxImportSource: 'preact',
  logLevel: 'warning',
  legalComments: 'none',
});
copyFileSync('web/index.html', join(out, 'index.html'));
const sizes = readdirSync(out).map((name) => {
  const bytes = readFileSync(join(out, name));
  return `${name} ${(statSync(join(out, name)).size / 1024).toFixed(0)} KiB (${(gzipSync(bytes).length / 1024).toFixed(0)} KiB gzipped)`;
});
console.log(`build:web: ${out}: ${sizes.join(', ')}`);

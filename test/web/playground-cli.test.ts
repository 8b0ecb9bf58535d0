// `descent playground`: the server that serves dist/web with cross-origin isolation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PLAYGROUND_DIR, startPlaygroundServer } from '../../src/cli/playground.js';

const here = dirname(fileURLToPath(import.meta.url));
const bin = join(here, '..', '..', '..', 'bin', 'descent.js');
const built = existsSync(join(PLAYGROUND_DIR, 'index.html'))
  ? undefined
  : 'dist/web not built (npm run build:web)';

test('playground server: the site with COOP/COEP, nothing outside its folder', { skip: built }, async () => {
  const server = await startPlaygroundServer({ port: 0 });
  try {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await fetch(server.url);
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('cross-origin-opener-policy'), 'same-origin');
    assert.equal(page.headers.get('cross-origin-embedder-policy'), 'require-corp');
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    assert.match(await page.text(), /<script type="module" src="\.\/main\.js">/);
    const script = await fetch(`${server.url}main.js`);
    assert.equal(script.status, 200);
    assert.match(script.headers.get('content-type') ?? '', /javascript/);
    assert.equal(script.headers.get('cross-origin-embedder-policy'), 'require-corp');
    for (const path of ['missing.js', '..%2f..%2fpackage.json', '%2e%2e/%2e%2e/package.json', '%E0%A4%A']) {
      assert.equal((await fetch(`${server.url}${path}`)).status, 404, path);
    }
  } finally {
    await server.close();
  }
});

test(
  'playground server: a port in use and a folder without the site are refused by name',
  { skip: built },
  async () => {
    const first = await startPlaygroundServer({ port: 0 });
    try {
      await assert.rejects(
        startPlaygroundServer({ port: first.port }),
        new RegExp(`port ${first.port} is in use`),
      );
    } finally {
      await first.close();
    }
    await assert.rejects(startPlaygroundServer({ port: 70000 }), /--port must be an integer from 0 to 65535/);
    const empty = mkdtempSync(join(tmpdir(), 'descent-web-'));
    try {
      await assert.rejects(startPlaygroundServer({ port: 0, dir: empty }), /the site is not built/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  },
);

test('descent playground --port 0 prints the address it serves', { skip: built }, async () => {
  const child = spawn(process.execPath, [bin, 'playground', '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const found = /http:\/\/127\.0\.0\.1:\d+\//.exec(out);
        if (found) resolve(found[0]);
      });
      child.on('exit', (code) => reject(new Error(`descent playground exited with ${code}: ${out}`)));
    });
    const page = await fetch(url);
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('cross-origin-opener-policy'), 'same-origin');
  } finally {
    child.kill();
  }
});

// The webgpu backend's tests, wherever they can run:
// - always: what the registry does without a device ('webgpu' before initWebGpu, no adapter,
//   'auto' falling back with a one-line warning), in a child process;
// - in headless Chromium (software adapter, SwiftShader) when /usr/bin/chromium exists: the
//   shared conformance suite and the webgpu-specific cases, one node:test test per case;
// - in Node through the `webgpu` package (Dawn) when this machine has a GPU adapter: the same.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { initWebGpu } from '../../src/backend/webgpu/index.js';
import { runConformance } from './conformance.js';
import { WEBGPU_CONFORMANCE, webgpuCases } from './webgpu-cases.js';
import { browserSuiteMissing, startBrowserSuite } from '../browser/harness.js';

const registryUrl = new URL('../../src/backend/registry.js', import.meta.url).href;

/** Runs `body` (an async module script with `registry` imported) in a fresh Node process. */
function child(body: string, env: Record<string, string> = {}) {
  const script = `const registry = await import(${JSON.stringify(registryUrl)});\n${body}`;
  const { DESCENT_BACKEND: _unset, ...rest } = process.env;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...rest, ...env },
    encoding: 'utf8',
    timeout: 60_000,
    cwd: fileURLToPath(new URL('.', import.meta.url)),
  });
  assert.equal(run.status, 0, `child failed: ${run.stderr}`);
  return { out: JSON.parse(run.stdout.trim().split('\n').pop()!), stderr: run.stderr };
}

// Whether Node finds an adapter here (Dawn needs a GPU driver); decides the Node GPU suite.
const probe = child(`
  let adapter = null, error = null;
  try { const b = await (await import(${JSON.stringify(new URL('../../src/backend/webgpu/index.js', import.meta.url).href)})).initWebGpu(); adapter = b.info().adapter; }
  catch (e) { error = e.message; }
  console.log(JSON.stringify({ adapter, error }));
`).out as { adapter: string | null; error: string | null };

test("webgpu: setBackend('webgpu') before initWebGpu() is a ConfigError naming the device and initWebGpu", () => {
  const { out } = child(`
    let error = null;
    try { registry.setBackend('webgpu'); } catch (e) { error = { name: e.name, message: e.message }; }
    const auto = registry.setBackend('auto').name;
    console.log(JSON.stringify({ error, auto, names: registry.backendNames() }));
  `);
  assert.equal(out.error?.name, 'ConfigError');
  assert.match(out.error.message, /'webgpu' backend is not initialised/);
  assert.match(out.error.message, /navigator\.gpu/);
  assert.match(out.error.message, /'webgpu' npm package/);
  assert.match(out.error.message, /await initWebGpu\(\)/);
  assert.notEqual(out.auto, 'webgpu', "'auto' never picks webgpu without initWebGpu()");
  assert.ok(out.names.includes('webgpu'));
});

test('webgpu: DESCENT_BACKEND=webgpu without initialisation fails with the same clear error', () => {
  const { out } = child(
    `
    let error = null;
    try { registry.getBackend(); } catch (e) { error = e.message; }
    console.log(JSON.stringify({ error }));
  `,
    { DESCENT_BACKEND: 'webgpu' },
  );
  assert.match(out.error, /await initWebGpu\(\)/);
});

test('webgpu: with no adapter, initWebGpu() throws what it looked for; initBackend("auto") warns once and falls back', (t) => {
  if (probe.adapter) {
    t.skip(`this machine has an adapter (${probe.adapter})`);
    return;
  }
  assert.match(probe.error!, /^WebGPU unavailable: /);
  assert.match(probe.error!, /'webgpu' package|navigator\.gpu/);
  const { out, stderr } = child(`
    const b = await registry.initBackend('auto');
    let explicit = null;
    try { await registry.initBackend('webgpu'); } catch (e) { explicit = { name: e.name, message: e.message }; }
    console.log(JSON.stringify({ auto: b.name, explicit }));
  `);
  assert.ok(['wasm', 'cpu'].includes(out.auto), `auto fell back to ${out.auto}`);
  const warnings = stderr.split('\n').filter((l) => l.startsWith('descent: WebGPU unavailable'));
  assert.equal(warnings.length, 1, `one warning line, got:\n${stderr}`);
  assert.equal(out.explicit?.name, 'ConfigError');
  assert.match(out.explicit.message, /WebGPU unavailable: /);
});

// ---- the suite in headless Chromium -------------------------------------------------------

const missing = browserSuiteMissing();
if (missing) {
  test('webgpu suite in headless Chromium', { skip: `WebGPU suite skipped: ${missing}` }, () => {});
} else {
  let suite: Awaited<ReturnType<typeof startBrowserSuite>> | null = null;
  let startError: unknown = null;
  try {
    suite = await startBrowserSuite();
  } catch (error) {
    startError = error;
  }
  if (!suite) {
    test('webgpu suite in headless Chromium starts', () => {
      throw startError;
    });
  } else {
    const s = suite;
    after(() => s.close());
    describe(`webgpu in headless Chromium (${s.adapter})`, () => {
      for (const name of s.names) {
        test(name, { timeout: 300_000 }, async () => {
          const result = await s.run(name);
          if (!result.ok) {
            const log = s.log.length ? `\npage log:\n${s.log.slice(-10).join('\n')}` : '';
            assert.fail(`${result.error}${log}`);
          }
        });
      }
    });
  }
}

// ---- the suite in Node, on a GPU through Dawn ------------------------------------------------

if (probe.adapter) {
  const backend = await initWebGpu();
  // Dawn keeps the process alive while a device exists.
  after(() => backend!.device.destroy());
  runConformance('webgpu', WEBGPU_CONFORMANCE);
  describe(`webgpu in Node (${probe.adapter})`, () => {
    for (const c of webgpuCases()) test(c.name, { timeout: 300_000 }, c.run);
  });
}

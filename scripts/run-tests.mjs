// Runs every compiled test file (dist/test/**/*.test.js) with node's test runner,
// printing the spec report and then the summary line "N passed, N failed".
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function findTests(dir) {
  const found = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...findTests(path));
    else if (name.endsWith('.test.js')) found.push(path);
  }
  return found;
}

const filter = process.argv.slice(2);
const files = findTests('dist/test').filter((f) => filter.length === 0 || filter.some((p) => f.includes(p)));
if (files.length === 0) {
  console.error('No test files found under dist/test — did the build run?');
  process.exit(1);
}
// The WebGPU suite (dist/test/backend/webgpu.test.js) runs in headless Chromium when it is
// installed, its cases counted in the summary like any other test; without it, say so plainly.
const chromium = process.env.DESCENT_CHROMIUM || '/usr/bin/chromium';
if (files.some((f) => f.includes('webgpu')) && !existsSync(chromium)) {
  console.log(`WebGPU suite skipped: ${chromium} not found (apt-get install chromium)`);
}
const result = spawnSync(
  process.execPath,
  [
    '--test',
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    '--test-reporter=./scripts/summary-reporter.mjs', '--test-reporter-destination=stdout',
    ...files,
  ],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);

// `npm run test:webgpu`: only the WebGPU tests (dist/test/backend/webgpu.test.js, built by
// `npm run build`) — the shared conformance suite and the webgpu-specific cases in headless
// Chromium on a software adapter (and in Node where a GPU adapter exists) — through the same
// runner as `npm test`, ending with "N passed, N failed".
import { spawnSync } from 'node:child_process';

const result = spawnSync(process.execPath, ['scripts/run-tests.mjs', 'backend/webgpu.test.js'], { stdio: 'inherit' });
process.exit(result.status ?? 1);

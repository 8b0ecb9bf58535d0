// Records the seeded runs of test/train/fit-bits-scenarios.ts into
// test/fixtures/train/fit-bits.json, the bits that fit-bits.test.ts checks fit against.
// Run after `npm run build`, only when the training numerics are meant to change:
//   node scripts/record-fit-bits.mjs
import { writeFileSync } from 'node:fs';
import { runScenario, scenarios } from '../dist/test/train/fit-bits-scenarios.js';

const out = {};
for (const name of Object.keys(scenarios)) out[name] = await runScenario(name);
writeFileSync(new URL('../test/fixtures/train/fit-bits.json', import.meta.url), JSON.stringify(out, null, 1) + '\n');
console.log(`wrote ${Object.keys(out).length} scenarios`);

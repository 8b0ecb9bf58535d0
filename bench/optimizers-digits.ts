/**
 * `descent train --optimizer X` on the bundled digits for every optimiser name, each with its
 * documented default hyper-parameters (no --lr), and a markdown table of the results.
 * A benchmark, not a test.
 *
 *   npm run build && node dist/bench/optimizers-digits.js [--epochs 20] [--seed 1]
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { optimizers } from '../src/optim/index.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}
const epochs = arg('epochs', '20');
const seed = arg('seed', '1');
const bin = fileURLToPath(new URL('../../bin/descent.js', import.meta.url));
const rows = [
  '| optimizer | test accuracy | test loss | seconds | samples/s |',
  '| --- | --- | --- | --- | --- |',
];
for (const name of Object.keys(optimizers)) {
  const run = spawnSync(
    process.execPath,
    [bin, 'train', '--optimizer', name, '--epochs', epochs, '--seed', seed, '--json'],
    {
      encoding: 'utf8',
    },
  );
  if (run.status !== 0) {
    rows.push(`| ${name} | failed: ${run.stderr.trim().split('\n').at(-1)} | | | |`);
  } else {
    const r = JSON.parse(run.stdout.trim().split('\n').at(-1)!);
    rows.push(
      `| ${name} | ${(100 * r.testAccuracy).toFixed(2)}% | ${r.testLoss.toFixed(4)} | ${r.seconds.toFixed(2)} | ${Math.round(r.samplesPerSec).toLocaleString('en')} |`,
    );
  }
  console.error(rows.at(-1));
}
console.log(
  `descent train --optimizer X --epochs ${epochs} --seed ${seed} (digits, MLP 64-64-32-10 relu, batch 32, default hyper-parameters)\n`,
);
console.log(rows.join('\n'));

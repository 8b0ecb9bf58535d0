/**
 * How long each lab experiment takes at its default sizes: `descent lab <experiment>` in a
 * process of its own, start-up included, as a user runs it after a fresh clone and build,
 * one after the other; then `descent lab landscape MODEL_DIR` on a model `descent train`
 * saved (and, with --fashion-dir DIR, on a fashion-cnn trained briefly on Fashion-MNIST
 * from DIR: a convolutional network costs far more per evaluation). Prints a markdown table
 * (experiment, wall seconds, CPU seconds, figures written) with the machine,
 * its load when the run started (other work slows it) and the date. The bar: every
 * experiment under two minutes on 2 cores. A benchmark, not a test.
 *
 *   npm run build && node dist/bench/lab-timing.js [--seed 1] [--backend cpu|wasm|auto] [--experiments lr,init]
 *     [--fashion-dir /usr/share/datasets/fashion-mnist]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { labExperimentNames } from '../src/cli/lab.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const seed = arg('seed', '1');
const backend = arg('backend', 'auto');
const fashionDir = arg('fashion-dir', '');
const names = arg('experiments', labExperimentNames.join(',')).split(',');
const limitSeconds = 120;
const bin = fileURLToPath(new URL('../../bin/descent.js', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'descent-lab-timing-'));

interface Timing {
  experiment: string;
  seconds: number;
  /** CPU time of the process (user + system, all its threads): what it costs however busy the machine is. */
  cpuSeconds: number;
  figures: number;
  error?: string;
}

/**
 * Runs `descent ...args` and times it, wall clock and CPU (through GNU time, which reads the
 * child's rusage); `out` is the folder whose SVG files are counted.
 */
function time(experiment: string, args: string[], out: string): Timing {
  const started = performance.now();
  const run = spawnSync(
    '/usr/bin/time',
    ['-f', 'cpu %U %S', process.execPath, bin, ...args, '--backend', backend],
    { encoding: 'utf8' },
  );
  const seconds = (performance.now() - started) / 1000;
  const cpu = /cpu ([\d.]+) ([\d.]+)\s*$/.exec(run.stderr ?? '');
  const cpuSeconds = cpu ? Number(cpu[1]) + Number(cpu[2]) : NaN;
  const figures = run.status === 0 ? readdirSync(out).filter((f) => f.endsWith('.svg')).length : 0;
  const error = run.status === 0 ? undefined : (run.stderr ?? String(run.error)).trim().split('\n').at(-2);
  return { experiment, seconds, cpuSeconds, figures, ...(error ? { error } : {}) };
}

const load = loadavg()[0];
const timings: Timing[] = [];
try {
  for (const name of names) {
    const out = join(scratch, name);
    timings.push(time(name, ['lab', name, '--out', out, '--seed', seed], out));
    console.error(`${name}: ${timings.at(-1)!.seconds.toFixed(1)} s`);
  }
  // The saved-model form, on the model `descent train` makes by default (digits MLP), and
  // on a convolutional network when Fashion-MNIST is at hand (its training is not timed).
  const savedModels: Array<[string, string[]]> = [['landscape MODEL_DIR (digits MLP)', []]];
  if (fashionDir) {
    savedModels.push([
      'landscape MODEL_DIR (fashion-cnn)',
      [
        '--data',
        'fashion-mnist',
        '--data-dir',
        fashionDir,
        '--model',
        'fashion-cnn',
        '--limit',
        '1000',
        '--epochs',
        '1',
      ],
    ]);
  }
  savedModels.forEach(([label, trainFlags], k) => {
    const model = join(scratch, `model-${k}`);
    const train = spawnSync(
      process.execPath,
      [bin, 'train', '--seed', seed, '--save', model, '--backend', backend, ...trainFlags],
      { encoding: 'utf8' },
    );
    if (train.status === 0) {
      const out = join(scratch, `landscape-model-${k}`);
      timings.push(time(label, ['lab', 'landscape', model, '--out', out, '--seed', seed], out));
      console.error(`${label}: ${timings.at(-1)!.seconds.toFixed(1)} s`);
    } else {
      const why = train.stderr.trim().split('\n').at(-1);
      timings.push({
        experiment: label,
        seconds: NaN,
        cpuSeconds: NaN,
        figures: 0,
        error: `descent train failed: ${why}`,
      });
    }
  });
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

const cpu = cpus();
console.log(
  `descent lab <experiment> --seed ${seed} --backend ${backend}, default sizes, one process each (start-up included); ` +
    `${new Date().toISOString().slice(0, 10)}, ${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, Node ${process.version}, ` +
    `load average ${load.toFixed(2)} at the start.\n`,
);
console.log('| experiment | seconds (wall) | CPU seconds | figures written | under 2 minutes |');
console.log('| --- | ---: | ---: | ---: | --- |');
// On a shared machine the wall clock measures the other work too; the CPU time is what the
// experiment itself needs (an upper bound on its wall time alone on 2 cores, threads included).
const under = (t: Timing) => t.seconds < limitSeconds || t.cpuSeconds < limitSeconds;
for (const t of timings) {
  const ok = t.error
    ? `failed: ${t.error}`
    : t.seconds < limitSeconds
      ? 'yes'
      : t.cpuSeconds < limitSeconds
        ? 'yes (by CPU time)'
        : '**no**';
  console.log(
    `| ${t.experiment} | ${t.seconds.toFixed(1)} | ${t.cpuSeconds.toFixed(1)} | ${t.figures} | ${ok} |`,
  );
}
const sum = (pick: (t: Timing) => number) => timings.filter((t) => !t.error).reduce((s, t) => s + pick(t), 0);
console.log(
  `\nAll together: ${sum((t) => t.seconds).toFixed(1)} s wall, ${sum((t) => t.cpuSeconds).toFixed(1)} s CPU; load average ${loadavg()[0].toFixed(2)} at the end.`,
);
if (timings.some((t) => t.error || !under(t))) process.exitCode = 1;

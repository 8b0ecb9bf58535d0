// kill -9 during saveModel, N trials (default 100): a child (dist/test/io/save-kill-child.js)
// saves a model into one folder over and over — save i with every weight equal to i and
// metadata { version: i } — and is SIGKILLed at a random moment after its first save, any
// time within about three saves. Then the folder must load (the next load finishes or undoes
// what the kill interrupted) as one whole model: the last save the child reported or the
// one in flight, weights and model.json from the same save.
//
//   npm run build && node scripts/kill-trials-save.mjs [trials]
//
// DESCENT_KILL_SEED fixes the kill moments; DESCENT_DIST runs another build (e.g. the code
// before the fix) with the same trials. Prints one line per failure and a summary; exit 1
// on any failure.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { setTimeout } from 'node:timers';

const trials = Number(process.argv[2] ?? 100);
const seed = Number(process.env.DESCENT_KILL_SEED ?? Date.now() % 2 ** 31);
const dist = resolve(process.env.DESCENT_DIST ?? 'dist');
const io = await import(pathToFileURL(join(dist, 'src/io/index.js')).href);
await import(pathToFileURL(join(dist, 'src/autograd/index.js')).href);
const child = join(dist, 'test/io/save-kill-child.js');

// mulberry32: the kill moments from the seed.
let state = seed >>> 0;
function random() {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

/** Runs the child until it has saved once, times its saves, kills it `fraction` × 3 saves later. */
function trial(dir, fraction) {
  return new Promise((done, fail) => {
    const proc = spawn(process.execPath, [child, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let firstAt = 0;
    proc.stdout.on('data', (chunk) => {
      out += chunk;
      const saves = out.match(/saved \d+\n/g)?.length ?? 0;
      if (saves >= 1 && !firstAt) firstAt = performance.now();
      // The second save times one save; the kill lands within the next three.
      if (saves >= 2 && firstAt > 0) {
        const perSave = performance.now() - firstAt;
        firstAt = -1;
        setTimeout(() => proc.kill('SIGKILL'), fraction * 3 * perSave);
      }
    });
    proc.stderr.on('data', (chunk) => (err += chunk));
    proc.on('error', fail);
    proc.on('close', (code, signal) => {
      if (signal !== 'SIGKILL') fail(new Error(`child exited with ${code}: ${err}`));
      const reported = [...out.matchAll(/saved (\d+)\n/g)].map((m) => Number(m[1]));
      done(reported.at(-1) ?? 0);
    });
  });
}

const failures = [];
let tidyLeft = 0;
const started = performance.now();
for (let t = 0; t < trials; t++) {
  const parent = mkdtempSync(join(tmpdir(), 'descent-savekill-'));
  const dir = join(parent, 'model');
  try {
    const last = await trial(dir, random());
    let version;
    try {
      const { layer, info } = io.loadModelWithInfo(dir);
      version = info.metadata.version;
      for (const p of layer.parameters()) {
        const values = p.dataSync();
        if (!values.every((v) => v === version))
          throw new Error(`weights of save ${values.find((v) => v !== version)} with model.json of save ${version}`);
      }
      if (version !== last && version !== last + 1)
        throw new Error(`holds save ${version}; the child had reported save ${last}`);
      if (readdirSync(parent).length !== 1) tidyLeft++;
    } catch (error) {
      failures.push(`trial ${t + 1}: after save ${last}: ${error.message.split('\n')[0]}`);
      console.log(failures.at(-1));
    }
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
}
const seconds = ((performance.now() - started) / 1000).toFixed(0);
console.log(
  `saveModel kill -9: ${trials - failures.length} of ${trials} trials loaded as one whole model` +
    ` (${failures.length} failed; leftovers not tidied by the load: ${tidyLeft}), seed ${seed}, ${seconds} s, ${dist}`,
);
process.exit(failures.length > 0 ? 1 : 0);

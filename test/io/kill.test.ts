// kill -9 during training: a child process trains digits with a checkpoint after every
// epoch (kill-child.ts) and is killed with SIGKILL at a random moment: at the end of a
// random epoch (when its checkpoint is about to be written) plus a random delay of up to
// 1.5 epochs — so kills land before, during and after checkpoint writes (about 40% of an
// epoch's time goes to writing its checkpoint), anywhere in the run. Then:
//   - every ckpt-<step> folder present is complete and verifies (no partial file is ever
//     under a final name; what a kill interrupts stays in a .tmp- folder);
//   - latestCheckpoint finds the newest complete one, its history equals the
//     uninterrupted run's, and resuming from it gives bit-identical losses for the next
//     epochs; the resumed run's first save removes the dead child's temporary folders.
//
// The default is 10 trials (< 20 s). For the acceptance run of ≥ 100:
//   npm run build && DESCENT_KILL_TRIALS=100 node scripts/run-tests.mjs io/kill
// DESCENT_KILL_SEED fixes the kill moments (it is printed with the summary).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { latestCheckpoint, listCheckpoints, readCheckpointInfo } from '../../src/io/checkpoint.js';
import { Rng } from '../../src/tensor/random.js';
import { digitsRun } from './digits-run.js';

const TRIALS = Number(process.env.DESCENT_KILL_TRIALS ?? 10);
const SEED = Number(process.env.DESCENT_KILL_SEED ?? Date.now() % 2 ** 31);
const EPOCHS = 40;
const CHILD = fileURLToPath(new URL('./kill-child.js', import.meta.url));

interface ChildRun {
  signal: NodeJS.Signals | null;
  code: number | null;
  /** ms from "started" to exit. */
  trainingMs: number;
  losses?: number[];
}

/** Runs the child; with `kill`, SIGKILLs it `afterMs` after it reports the end of epoch `epoch`. */
function runChild(dir: string, kill?: { epoch: number; afterMs: number }): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, dir, String(EPOCHS)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let startedAt = 0;
    let armed = false;
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (!startedAt && out.includes('started\n')) startedAt = performance.now();
      if (kill && !armed && out.includes(`\nepoch ${kill.epoch}\n`)) {
        armed = true;
        setTimeout(() => child.kill('SIGKILL'), kill.afterMs);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code !== 0 && signal !== 'SIGKILL')
        return reject(new Error(`child failed (code ${code}, signal ${signal}): ${err}`));
      const last = out.trim().split('\n').at(-1) ?? '';
      resolve({
        signal,
        code,
        trainingMs: performance.now() - startedAt,
        losses: last.startsWith('{') ? (JSON.parse(last) as { losses: number[] }).losses : undefined,
      });
    });
  });
}

test(
  `kill -9 at random moments during checkpointed training (${TRIALS} trials): the newest complete checkpoint always loads and resumes exactly`,
  { timeout: 60_000 + TRIALS * 5_000 },
  async (t) => {
    const root = mkdtempSync(join(tmpdir(), 'descent-kill-'));
    try {
      // The uninterrupted run, in a child like the others: the reference losses and the run's length.
      const reference = await runChild(join(root, 'reference'));
      assert.ok(reference.losses && reference.losses.length === EPOCHS, 'the reference run completed');
      const losses = reference.losses;
      const rng = new Rng(SEED);
      const counts = {
        beforeFirstCheckpoint: 0,
        resumed: 0,
        finalCheckpoint: 0,
        completed: 0,
        tempLeft: 0,
        killedAt: [] as number[],
      };

      for (let trial = 0; trial < TRIALS; trial++) {
        const dir = join(root, `trial-${trial}`);
        const epoch = Math.floor(rng.uniform() * EPOCHS);
        const afterMs = Math.floor(rng.uniform() * 1.5 * (reference.trainingMs / EPOCHS));
        const run = await runChild(dir, { epoch, afterMs });
        const what = `trial ${trial} (kill ${afterMs} ms after the end of epoch ${epoch}, seed ${SEED})`;
        if (run.signal !== 'SIGKILL') counts.completed++;

        // Every checkpoint folder under its final name is complete.
        for (const c of listCheckpoints(dir))
          assert.doesNotThrow(() => readCheckpointInfo(c.path), `${what}: ${c.path} is incomplete`);
        const entries = (() => {
          try {
            return readdirSync(dir);
          } catch {
            return [];
          }
        })();
        if (entries.some((e) => e.startsWith('.tmp-'))) counts.tempLeft++;

        const latest = latestCheckpoint(dir);
        if (!latest) {
          assert.equal(listCheckpoints(dir).length, 0, `${what}: checkpoints exist but none was found`);
          counts.beforeFirstCheckpoint++;
          continue;
        }
        const info = readCheckpointInfo(latest);
        counts.killedAt.push(info.epoch);
        assert.deepEqual(
          info.history.history.loss,
          losses.slice(0, info.epoch),
          `${what}: history in ${latest}`,
        );
        if (info.epoch >= EPOCHS) {
          counts.finalCheckpoint++; // killed after the last checkpoint was written, or not killed at all
          continue;
        }
        // Resume in this process for up to two more epochs (checkpointing into the same folder).
        const until = Math.min(EPOCHS, info.epoch + 2);
        const history = await digitsRun({ epochs: until, checkpointDir: dir, resumeFrom: dir });
        assert.deepEqual(
          history.history.loss,
          losses.slice(0, until),
          `${what}: losses after resuming from ${latest}`,
        );
        assert.deepEqual(
          readdirSync(dir).filter((e) => e.startsWith('.tmp-')),
          [],
          `${what}: the dead child's temporary folders were not removed`,
        );
        counts.resumed++;
        rmSync(dir, { recursive: true, force: true });
      }
      const summary =
        `kill -9: ${TRIALS} trials (seed ${SEED}, ${EPOCHS}-epoch run of ${reference.trainingMs.toFixed(0)} ms): ` +
        `${counts.resumed} resumed from the newest checkpoint with identical losses, ${counts.beforeFirstCheckpoint} killed before the first checkpoint, ` +
        `${counts.finalCheckpoint} after the last checkpoint (${counts.completed} of them finished before the kill); ${counts.tempLeft} kills left a temporary folder (interrupted mid-write), none a partial checkpoint. ` +
        `Checkpoint epochs found: ${counts.killedAt.join(' ')}`;
      t.diagnostic(summary);
      if (process.env.DESCENT_KILL_TRIALS) process.stdout.write(`${summary}\n`);
      assert.equal(counts.resumed + counts.beforeFirstCheckpoint + counts.finalCheckpoint, TRIALS);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  },
);

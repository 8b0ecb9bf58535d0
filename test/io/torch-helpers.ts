// Shared by the PyTorch tests: Debian's python3-torch through /usr/bin/python3, run with the
// CPU settings this machine needs, and a way to say why the tests are skipped without it.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync } from 'node:fs';

export const PYTHON = '/usr/bin/python3';
export const TORCHRUN = '/usr/bin/torchrun';

/** The environment torch runs in here: OpenBLAS told the CPU, one thread per process (a shared machine). */
export const TORCH_ENV = {
  ...process.env,
  OPENBLAS_CORETYPE: 'SkylakeX',
  OMP_NUM_THREADS: '1',
  PYTHONDONTWRITEBYTECODE: '1',
};

let cached: string | null | undefined;

/** Why PyTorch cannot run here, or null. */
export function torchMissing(): string | null {
  if (cached !== undefined) return cached;
  if (!existsSync(PYTHON)) cached = `${PYTHON} not found (apt-get install python3 python3-torch)`;
  else {
    const r = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8', env: TORCH_ENV });
    cached = r.status === 0 ? null : 'python3-torch is not installed (apt-get install python3-torch)';
  }
  return cached;
}

/** Runs Python code (or a script file with arguments) under torch; throws with its stderr when it fails. */
export function python(
  args: string[],
  options: { cwd?: string; timeoutMs?: number } = {},
): SpawnSyncReturns<string> {
  const r = spawnSync(PYTHON, args, {
    encoding: 'utf8',
    env: TORCH_ENV,
    cwd: options.cwd,
    timeout: options.timeoutMs ?? 300_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0)
    throw new Error(
      `python ${args[0] === '-c' ? '-c …' : args.join(' ')} failed (${r.status ?? r.signal}):\n${r.stderr}`,
    );
  return r;
}

/**
 * Preflight checks of the places a command will write (--save, --out, --checkpoint-dir),
 * run before any work: a read-only folder, a file where a folder is wanted or a folder
 * that cannot be created fails now, in one line naming the flag, the path and the cause,
 * instead of after an hour of training. Each folder is probed by creating (and removing)
 * a small file in it, or in the nearest folder above it that exists, so the answer is the
 * file system's own (EROFS, EACCES, ENOSPC…), not a guess from permission bits.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, statSync, unlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import { TEMP_PREFIX } from '../platform/contract.js';

const REASONS: Record<string, string> = {
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is exceeded',
  ENOTDIR: 'a part of the path is a file, not a folder',
};

function kindOf(path: string): 'file' | 'directory' | 'other' | null {
  try {
    const stat = statSync(path);
    return stat.isFile() ? 'file' : stat.isDirectory() ? 'directory' : 'other';
  } catch {
    return null; // absent, or below a file (ENOTDIR): existingAncestor finds out which
  }
}

/** Creates and removes a probe file in `dir`, failing as a write there would. */
function probe(flag: string, target: string, dir: string): void {
  const path = join(dir, `${TEMP_PREFIX}probe-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    closeSync(openSync(path, 'wx'));
    unlinkSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    const where = dir === target ? `'${target}'` : `'${target}' (its folder '${dir}')`;
    throw new ConfigError(`${flag}: cannot write to ${where}: ${REASONS[code] ?? code} (${code}).`);
  }
}

/** The nearest existing folder at or above `path` (a file on the way is an error). */
function existingAncestor(flag: string, path: string): string {
  for (let at = resolve(path); ; at = dirname(at)) {
    const kind = kindOf(at);
    if (kind === 'directory') return at;
    if (kind !== null && at !== resolve(path))
      throw new ConfigError(`${flag}: cannot create '${path}': '${at}' is a file, not a folder.`);
    if (dirname(at) === at) return at;
  }
}

/** A folder the command will create or write into. */
export function checkWritableFolder(flag: string, path: string | undefined): void {
  if (path === undefined) return;
  if (path === '') throw new ConfigError(`${flag} must be a folder path.`);
  const kind = kindOf(path);
  if (kind !== null && kind !== 'directory')
    throw new ConfigError(`${flag}: '${path}' exists and is a file, not a folder; give a folder path.`);
  probe(flag, path, existingAncestor(flag, path));
}

/** A file the command will write (replacing it). */
export function checkWritableFile(flag: string, path: string | undefined): void {
  if (path === undefined) return;
  if (path === '') throw new ConfigError(`${flag} must be a file path.`);
  const kind = kindOf(path);
  if (kind === 'directory')
    throw new ConfigError(`${flag}: '${path}' is a folder; give the path of a file to write.`);
  probe(flag, path, existingAncestor(flag, dirname(resolve(path))));
}

/** The outputs of `descent train`, checked before any work. */
export function checkTrainTargets(flags: { save?: string; out?: string; checkpointDir?: string }): void {
  checkWritableFolder('--save', flags.save);
  checkWritableFolder('--out', flags.out);
  checkWritableFolder('--checkpoint-dir', flags.checkpointDir);
}

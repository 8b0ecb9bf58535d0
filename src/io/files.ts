/**
 * Writing files so that a crash never leaves a half-written one under its final name:
 *
 *   write to a temporary name in the same folder → fsync the file → rename over the
 *   final name → fsync the folder (so the rename itself is on disk).
 *
 * A rename within one file system is atomic on POSIX: a reader (or the next run after a
 * kill -9 or a power cut) sees either the old file or the new one, never a mixture.
 * Folders are written the same way (checkpoints): fill a temporary folder, fsync
 * everything, rename it into place.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  fstatSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { FormatError } from '../errors.js';

/** The prefix of every temporary file or folder that descent writes (skipped by every reader). */
export const TEMP_PREFIX = '.tmp-';

/** A fresh temporary name next to `path`: `.tmp-<base>-<pid>-<random>`. */
export function tempNameFor(path: string): string {
  return join(
    dirname(path),
    `${TEMP_PREFIX}${basename(path)}-${process.pid}-${randomBytes(4).toString('hex')}`,
  );
}

/** Flushes a folder's entries (new names, renames) to disk. Not every platform allows it: then it is a no-op. */
export function fsyncDir(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, 'r');
  } catch {
    return;
  }
  try {
    fsyncSync(fd);
  } catch {
    // EISDIR/EPERM/EINVAL on platforms without directory fsync (Windows): nothing more to do.
  } finally {
    closeSync(fd);
  }
}

/** Writes `data` to a new file and fsyncs it (fails if the file exists). */
export function writeAndSync(path: string, data: Uint8Array | string): void {
  const fd = openSync(path, 'wx');
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Replaces `path` with `data` atomically (temporary file, fsync, rename, fsync of the folder). */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tempNameFor(path);
  try {
    writeAndSync(tmp, data);
    renameSync(tmp, path);
  } catch (error) {
    try {
      unlinkSync(tmp);
    } catch {
      // Already renamed or never created.
    }
    throw error;
  }
  fsyncDir(dirname(path));
}

/** Removes a folder so that no half-deleted copy keeps its name: rename it to a temporary name, then delete. */
export function removeDirAtomic(dir: string): void {
  const trash = tempNameFor(dir);
  try {
    renameSync(dir, trash);
  } catch {
    return;
  }
  fsyncDir(dirname(dir));
  rmSync(trash, { recursive: true, force: true });
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Reads a whole file, refusing files larger than `maxBytes` before allocating anything
 * (so a wrong path to a huge file fails fast instead of exhausting memory).
 */
export function readFileChecked(path: string, what: string, maxBytes = 2 ** 31): Uint8Array {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new FormatError(
      `${path}: cannot open the ${what}${code === 'ENOENT' ? ' (no such file)' : ` (${code ?? String(error)})`}.`,
    );
  }
  try {
    const size = fstatSync(fd).size;
    if (size > maxBytes)
      throw new FormatError(`${path}: the ${what} is ${size} bytes; at most ${maxBytes} are accepted.`);
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(size);
    } catch {
      throw new FormatError(`${path}: the ${what} is ${size} bytes, too large to read into memory.`);
    }
    let read = 0;
    while (read < size) {
      const n = readSync(fd, bytes, read, size - read, read);
      if (n === 0) break;
      read += n;
    }
    if (read !== size)
      throw new FormatError(`${path}: the ${what} shrank while being read (${read} of ${size} bytes).`);
    return bytes;
  } finally {
    closeSync(fd);
  }
}

/** Reads a small text file (UTF-8), or null when it does not exist. */
export function readTextIfExists(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

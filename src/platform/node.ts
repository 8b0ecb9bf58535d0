/**
 * The Node host: the only module under src/ (besides the CLI) that imports Node's built-ins.
 *
 * Files are written so that a crash never leaves a half-written one under its final name:
 *
 *   write to a temporary name in the same folder → fsync the file → rename over the
 *   final name → fsync the folder (so the rename itself is on disk).
 *
 * A rename within one file system is atomic on POSIX: a reader (or the next run after a
 * kill -9 or a power cut) sees either the old file or the new one, never a mixture.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  fstatSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { constants as zlib, gunzipSync, gzipSync } from 'node:zlib';
import { FormatError } from '../errors.js';
import { TEMP_PREFIX, type GunzipOutcome, type PathKind, type Platform } from './contract.js';

function tempNameFor(path: string): string {
  return join(
    dirname(path),
    `${TEMP_PREFIX}${basename(path)}-${process.pid}-${randomBytes(4).toString('hex')}`,
  );
}

function fsyncDir(dir: string): void {
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

function writeNewFile(path: string, data: Uint8Array | string): void {
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

function writeFileAtomic(path: string, data: Uint8Array | string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tempNameFor(path);
  try {
    writeNewFile(tmp, data);
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

function removeDirAtomic(dir: string): void {
  const trash = tempNameFor(dir);
  try {
    renameSync(dir, trash);
  } catch {
    return;
  }
  fsyncDir(dirname(dir));
  rmSync(trash, { recursive: true, force: true });
}

function readFile(path: string, what: string, maxBytes = 2 ** 31): Uint8Array {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw Object.assign(
      new FormatError(
        `${path}: cannot open the ${what}${code === 'ENOENT' ? ' (no such file)' : ` (${code ?? String(error)})`}.`,
      ),
      { code },
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
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EISDIR')
      throw new FormatError(`${path}: is a folder, not the ${what}.`);
    throw error;
  } finally {
    closeSync(fd);
  }
}

function pathKind(path: string): PathKind {
  try {
    const stat = statSync(path);
    return stat.isFile() ? 'file' : stat.isDirectory() ? 'directory' : 'other';
  } catch {
    return null;
  }
}

/**
 * zlib's one-shot gunzip with a cap on its output: it throws ERR_BUFFER_TOO_LARGE at the cap
 * and Z_BUF_ERROR when the input ends inside the stream; a partial flush then gives the
 * bytes that the input does hold.
 */
function gunzip(bytes: Uint8Array, maxBytes: number): GunzipOutcome {
  const cap = Math.max(0, Math.min(maxBytes, 2 ** 32));
  const code = (error: unknown) => (error as NodeJS.ErrnoException).code;
  try {
    return { kind: 'complete', bytes: gunzipSync(bytes, { maxOutputLength: Math.max(1, cap) }) };
  } catch (error) {
    if (code(error) === 'ERR_BUFFER_TOO_LARGE') return { kind: 'too-large' };
    if (code(error) !== 'Z_BUF_ERROR') throw new Error((error as Error).message, { cause: error });
  }
  try {
    const held = gunzipSync(bytes, { finishFlush: zlib.Z_SYNC_FLUSH, maxOutputLength: Math.max(1, cap) });
    return { kind: 'truncated', bytes: held };
  } catch (error) {
    if (code(error) === 'ERR_BUFFER_TOO_LARGE') return { kind: 'too-large' };
    throw new Error((error as Error).message, { cause: error });
  }
}

export const platform: Platform = {
  name: 'node',
  readFile,
  readTextIfExists(path) {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return null;
    }
  },
  writeFileAtomic,
  writeNewFile,
  makeDir: (path) => void mkdirSync(path, { recursive: true }),
  removeTree: (path) => rmSync(path, { recursive: true, force: true }),
  removeDirAtomic,
  rename: renameSync,
  listDir: (dir) => readdirSync(dir),
  pathKind,
  fsyncDir,
  tempNameFor,
  joinPath: join,
  dirName: dirname,
  baseName: basename,
  isAbsolutePath: isAbsolute,
  homeDir: homedir,
  processId: () => process.pid,
  isProcessAlive(pid) {
    try {
      process.kill(pid, 0);
      return true;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'EPERM';
    }
  },
  env: () => process.env,
  gunzip,
  gzip: (bytes) => gzipSync(bytes),
  fromBase64: (text) => new Uint8Array(Buffer.from(text, 'base64')),
  sha256Hex: (bytes) => createHash('sha256').update(bytes).digest('hex'),
};

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
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { constants as zlib, gunzipSync, gzipSync } from 'node:zlib';
import { DescentError, FileSystemError, FormatError } from '../errors.js';
import {
  TEMP_PREFIX,
  type FileOperation,
  type GunzipOutcome,
  type PathKind,
  type Platform,
} from './contract.js';
import { GzipStream, inflateGzip } from './gzip.js';

/** The system's reasons in words, for the errors users see most. */
const REASONS: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is exceeded',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'it is a folder',
  EEXIST: 'it already exists',
  ENOENT: 'no such file or folder',
  ENAMETOOLONG: 'the name is too long',
  EMFILE: 'too many open files',
  EIO: 'an input/output error',
};

/**
 * A system error as a FileSystemError naming `path`, what was being done and why; anything
 * else (a bug) is passed on unchanged.
 */
function fsError(action: string, path: string, error: unknown): unknown {
  if (error instanceof DescentError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  if (typeof code !== 'string') return error;
  const reason = REASONS[code] ?? (error as Error).message;
  return new FileSystemError(`Cannot ${action} '${path}': ${reason} (${code}).`, path, code);
}

let faultHook: ((operation: FileOperation, path: string) => void) | null = null;

/** Runs `act` on `path` (after the tests' fault hook), turning system errors into FileSystemErrors. */
function guarded<T>(operation: FileOperation, action: string, path: string, act: () => T): T {
  try {
    faultHook?.(operation, path);
    return act();
  } catch (error) {
    throw fsError(action, path, error);
  }
}

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
  const fd = guarded('write', 'create', path, () => openSync(path, 'wx'));
  try {
    guarded('write', 'write', path, () => {
      const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      let written = 0;
      while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
      fsyncSync(fd);
    });
  } finally {
    closeSync(fd);
  }
}

function makeDir(path: string): void {
  guarded('makeDir', 'create the folder', path, () => void mkdirSync(path, { recursive: true }));
}

function rename(from: string, to: string): void {
  guarded('rename', `rename to '${to}'`, from, () => renameSync(from, to));
}

function writeFileAtomic(path: string, data: Uint8Array | string): void {
  makeDir(dirname(path));
  if (pathKind(path) === 'directory')
    throw new FileSystemError(`Cannot write '${path}': it is a folder, not a file.`, path, 'EISDIR');
  const tmp = tempNameFor(path);
  try {
    writeNewFile(tmp, data);
    rename(tmp, path);
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

function openForReading(path: string, what: string): number {
  try {
    return openSync(path, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw Object.assign(
      new FormatError(
        `${path}: cannot open the ${what}${code === 'ENOENT' ? ' (no such file)' : ` (${code ?? String(error)})`}.`,
      ),
      { code },
    );
  }
}

const READ_CHUNK = 1 << 20;

function readFileChunks(
  path: string,
  what: string,
  onChunk: (chunk: Uint8Array, final: boolean) => boolean | void,
): void {
  const fd = openForReading(path, what);
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) throw new FormatError(`${path}: is a folder, not the ${what}.`);
    const size = stat.size;
    for (let at = 0; ;) {
      // A fresh piece each time: whoever is handed it may keep it.
      const chunk = new Uint8Array(Math.min(READ_CHUNK, Math.max(1, size - at)));
      const n = readSync(fd, chunk, 0, chunk.length, at);
      at += n;
      const final = n === 0 || at >= size;
      if (onChunk(chunk.subarray(0, n), final) === false || final) return;
    }
  } finally {
    closeSync(fd);
  }
}

function readFile(path: string, what: string, maxBytes = 2 ** 31): Uint8Array {
  const fd = openForReading(path, what);
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

// ---- folders replaced whole ----------------------------------------------------------------
//
// writeDirAtomic(dir) in four renames, each atomic, with the folder's state in its name:
//
//   1. write the files into .tmp-<name>.new-<pid>-<hex> and fsync them   (incomplete: removed on recovery)
//   2. rename it to .tmp-<name>.ready-<pid>-<hex>                        (complete)
//   3. rename dir to .tmp-<name>.old-<pid>-<hex>                         (dir is absent a moment)
//   4. rename the ready folder to dir, move the old one's other entries in, delete it
//
// fsyncing the parent after each rename. Whatever step a crash interrupts, dir holds the old
// folder or the new one, or else the new one is ready (after 3) and recoverDir switches it in.

type Leftover = { path: string; state: 'new' | 'ready' | 'old'; pid: number };

function leftoverName(dir: string, state: Leftover['state']): string {
  return join(
    dirname(dir),
    `${TEMP_PREFIX}${basename(dir)}.${state}-${process.pid}-${randomBytes(4).toString('hex')}`,
  );
}

/** The leftovers of writeDirAtomic(dir) by dead processes (or by this one, between calls). */
function leftoversOf(dir: string): Leftover[] {
  const prefix = `${TEMP_PREFIX}${basename(dir)}.`;
  let names: string[];
  try {
    names = readdirSync(dirname(dir));
  } catch {
    return [];
  }
  const found: Leftover[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const m = /^(new|ready|old)-(\d+)-[0-9a-f]+$/.exec(name.slice(prefix.length));
    if (!m) continue;
    const pid = Number(m[2]);
    if (pid !== process.pid && platform.isProcessAlive(pid)) continue;
    found.push({ path: join(dirname(dir), name), state: m[1] as Leftover['state'], pid });
  }
  return found.sort((a, b) => a.path.localeCompare(b.path));
}

/** Moves the entries of `old` that `dir` lacks into `dir` (a user's other files), then deletes `old`. */
function mergeOld(old: string, dir: string): void {
  for (const name of readdirSync(old)) {
    if (name.startsWith(TEMP_PREFIX) || pathKind(join(dir, name)) !== null) continue;
    rename(join(old, name), join(dir, name));
  }
  fsyncDir(dir);
  rmSync(old, { recursive: true, force: true });
}

function recoverDir(path: string): void {
  const dir = resolve(path);
  const leftovers = leftoversOf(dir);
  if (leftovers.length === 0) return;
  const parent = dirname(dir);
  for (const l of leftovers) if (l.state === 'new') rmSync(l.path, { recursive: true, force: true });
  if (pathKind(dir) === null) {
    const back = leftovers.find((l) => l.state === 'ready') ?? leftovers.find((l) => l.state === 'old');
    if (back) {
      rename(back.path, dir);
      fsyncDir(parent);
    }
  }
  for (const l of leftovers) {
    if (pathKind(l.path) === null) continue;
    if (l.state === 'old' && pathKind(dir) === 'directory') mergeOld(l.path, dir);
    else rmSync(l.path, { recursive: true, force: true });
  }
  fsyncDir(parent);
}

function writeDirAtomic(path: string, files: ReadonlyArray<readonly [string, Uint8Array | string]>): void {
  const dir = resolve(path);
  const parent = dirname(dir);
  makeDir(parent);
  recoverDir(dir);
  const existing = pathKind(dir);
  if (existing !== null && existing !== 'directory')
    throw new FileSystemError(`Cannot write the folder '${dir}': a file of that name exists.`, dir, 'EEXIST');
  const fresh = leftoverName(dir, 'new');
  const ready = leftoverName(dir, 'ready');
  const old = leftoverName(dir, 'old');
  try {
    makeDir(fresh);
    for (const [name, data] of files) writeNewFile(join(fresh, name), data);
    fsyncDir(fresh);
    rename(fresh, ready);
    fsyncDir(parent);
    if (existing) rename(dir, old);
    try {
      rename(ready, dir);
    } catch (error) {
      if (existing) renameSync(old, dir);
      throw error;
    }
    fsyncDir(parent);
  } catch (error) {
    rmSync(fresh, { recursive: true, force: true });
    rmSync(ready, { recursive: true, force: true });
    fsyncDir(parent);
    throw error;
  }
  // The new folder is in place; the rest is tidying that recoverDir would finish.
  if (existing) {
    try {
      mergeOld(old, dir);
      fsyncDir(parent);
    } catch {
      // Left for the next writeDirAtomic or recoverDir of this folder.
    }
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
  readFileChunks,
  readTextIfExists(path) {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return null;
    }
  },
  writeFileAtomic,
  writeNewFile,
  writeDirAtomic,
  recoverDir,
  setFaultHook: (hook) => void (faultHook = hook),
  makeDir,
  removeTree: (path) => rmSync(path, { recursive: true, force: true }),
  removeDirAtomic,
  rename,
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
  inflateGzip,
  gunzipStream: (maxBytes, onChunk) => new GzipStream(maxBytes, onChunk),
  gzip: (bytes) => gzipSync(bytes),
  fromBase64: (text) => new Uint8Array(Buffer.from(text, 'base64')),
  sha256Hex: (bytes) => createHash('sha256').update(bytes).digest('hex'),
};

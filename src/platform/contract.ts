/**
 * The host, behind one small contract: files, paths, compression, hashing and the
 * environment. Everything else in descent is the same code in Node and in a page; only
 * `platform/node.ts` touches Node's built-ins, and `platform/browser.ts` is what a bundler
 * takes for a browser. Modules import the host as `'#platform'`, which package.json's
 * `imports` field resolves by condition:
 *
 *   "#platform": { "node": "./dist/src/platform/node.js", "default": "./dist/src/platform/browser.js" }
 *
 * so `import … from 'descent'` bundles for browsers (esbuild, Vite, webpack) with no
 * aliases and no Node built-ins, and Node keeps reading and writing folders. In a page the
 * file functions throw a PlatformError that says what to use instead (a File or Blob
 * reader, IndexedDB, a download) — a browser has no file system to give them.
 */

/** What one gunzip produced (see `Platform.gunzip`). */
export type GunzipOutcome =
  /** The whole gzip stream, checksum included, within the limit. */
  | { kind: 'complete'; bytes: Uint8Array }
  /** The input ended inside the stream, or its last trailer (CRC-32, length) does not match: what it holds so far. */
  | { kind: 'truncated'; bytes: Uint8Array }
  /** The output would pass the limit; decompression stopped there. */
  | { kind: 'too-large' };

/** How a streaming inflate ended (see `Platform.inflateGzip`). */
export type InflateOutcome = 'complete' | 'truncated' | 'too-large';

/** A gunzip fed piece by piece (see `Platform.gunzipStream` and platform/gzip.ts). */
export interface GunzipStream {
  /** False once the output passed its limit: further input is not wanted. */
  readonly open: boolean;
  /** After the final push: 'complete', 'truncated' or 'too-large'. */
  readonly outcome: InflateOutcome;
  push(bytes: Uint8Array, final: boolean): void;
}

/** The file operations a test can make fail (see `Platform.setFaultHook`). */
export type FileOperation = 'write' | 'rename' | 'makeDir';

/** What is at a path. */
export type PathKind = 'file' | 'directory' | 'other' | null;

export interface Platform {
  readonly name: 'node' | 'browser';

  /**
   * A whole file's bytes, refusing files over `maxBytes` before allocating (a wrong path to
   * a huge file fails fast). Errors are FormatErrors naming the path and `what` it is, with
   * the system's `code` (ENOENT, EACCES…) when opening failed.
   */
  readFile(path: string, what: string, maxBytes?: number): Uint8Array;
  /**
   * A file in pieces of about 1 MiB, each handed to `onChunk` (with `final` on the last) as it
   * is read, so a reader keeps only what it parses out; `onChunk` returning false stops early.
   * Errors as readFile's.
   */
  readFileChunks(
    path: string,
    what: string,
    onChunk: (chunk: Uint8Array, final: boolean) => boolean | void,
  ): void;
  /** A small UTF-8 file, or null when it cannot be read. */
  readTextIfExists(path: string): string | null;
  /** Replaces `path` atomically: a temporary file, fsync, rename, fsync of the folder. */
  writeFileAtomic(path: string, data: Uint8Array | string): void;
  /** Writes a new file (failing if it exists) and fsyncs it. */
  writeNewFile(path: string, data: Uint8Array | string): void;
  /**
   * Replaces the folder `dir` by one holding `files` (names in it), so that at every moment
   * `dir` is the old folder whole or the new one whole: the files go into a new folder next
   * to it, fsynced, which is then switched in by renames. Other entries of the old folder
   * (a history.json, notes) are moved into the new one. A crash or a full disk at any point
   * leaves the old folder or the new one under `dir`, or both under temporary names that the
   * next writeDirAtomic or recoverDir of `dir` sorts out; on failure nothing is left behind.
   */
  writeDirAtomic(dir: string, files: ReadonlyArray<readonly [string, Uint8Array | string]>): void;
  /**
   * Finishes or undoes a writeDirAtomic of `dir` that a dead process left half done: when
   * `dir` is missing, the complete new folder is switched in, else the old one is put back;
   * other entries of an old folder are moved into `dir`; leftovers are removed. Leftovers of
   * live processes are not touched.
   */
  recoverDir(dir: string): void;
  /**
   * Tests only: `hook` is called before every file write, rename and folder creation, and
   * may throw (e.g. an Error with code 'ENOSPC') to simulate a failing disk; null removes it.
   */
  setFaultHook(hook: ((operation: FileOperation, path: string) => void) | null): void;
  /** Creates a folder and its parents (no error when it exists). */
  makeDir(path: string): void;
  /** Deletes a file or folder tree; nothing happens when it is absent. */
  removeTree(path: string): void;
  /** Removes a folder so that no half-deleted copy keeps its name (rename, then delete). */
  removeDirAtomic(dir: string): void;
  rename(from: string, to: string): void;
  /** The names in a folder (not sorted). */
  listDir(dir: string): string[];
  pathKind(path: string): PathKind;
  /** Flushes a folder's entries (new names, renames) to disk where the platform allows it. */
  fsyncDir(dir: string): void;
  /** A fresh temporary name next to `path`, starting with TEMP_PREFIX. */
  tempNameFor(path: string): string;

  joinPath(...parts: string[]): string;
  dirName(path: string): string;
  baseName(path: string): string;
  isAbsolutePath(path: string): boolean;
  homeDir(): string;
  /** This process's id (0 in a page) and whether another process is still running. */
  processId(): number;
  isProcessAlive(pid: number): boolean;
  /** The process environment (empty in a page). */
  env(): Readonly<Record<string, string | undefined>>;

  /**
   * Decompresses gzip data (several members are concatenated), never producing more than
   * `maxBytes`: a decompression bomb stops at the limit instead of exhausting memory.
   * Throws an Error whose message says what is wrong for data that is not gzip.
   */
  gunzip(bytes: Uint8Array, maxBytes: number): GunzipOutcome;
  /**
   * Streaming gunzip: hands each piece of output to `onChunk` as it appears and stops as
   * soon as the total passes `maxBytes`, so memory stays at what the caller keeps (see
   * platform/gzip.ts). Readers use this; `gunzip` collects its pieces.
   */
  inflateGzip(bytes: Uint8Array, maxBytes: number, onChunk: (chunk: Uint8Array) => void): InflateOutcome;
  /** The same, fed piece by piece (a file read with readFileChunks). */
  gunzipStream(maxBytes: number, onChunk: (chunk: Uint8Array) => void): GunzipStream;
  gzip(bytes: Uint8Array): Uint8Array;
  /** Bytes from base64 text (embedded assets: the wasm modules, the bundled digits). */
  fromBase64(text: string): Uint8Array<ArrayBuffer>;
  sha256Hex(bytes: Uint8Array): string;
}

/** The prefix of every temporary file or folder that descent writes (skipped by every reader). */
export const TEMP_PREFIX = '.tmp-';

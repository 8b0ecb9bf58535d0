/**
 * The browser host (what bundlers take for '#platform' in a page or a worker): no Node
 * built-ins. A page has no file system, so the functions that read or write folders throw a
 * PlatformError naming what to use instead; paths are plain '/'-separated strings;
 * compression comes from fflate (platform/gzip.ts, shared with Node: streaming, so a bomb stops at its limit) and
 * hashing from our own SHA-256.
 */
import { gzipSync } from 'fflate';
import { PlatformError } from '../errors.js';
import { TEMP_PREFIX, type Platform } from './contract.js';
import { GzipStream, gunzip, inflateGzip } from './gzip.js';
import { sha256Hex } from './sha256.js';

const ALTERNATIVES =
  'in a web page, read a File or Blob (data.readLabelledCsvBlob, data.readIdxBlob, io.loadModelFromFiles) ' +
  'and save with io.saveModelToIndexedDB or io.downloadModel';

function noFiles(action: string, path: string): never {
  throw new PlatformError(`Cannot ${action} '${path}': there is no file system here; ${ALTERNATIVES}.`);
}

function normalise(parts: string[]): string {
  const absolute = parts.length > 0 && parts[0].startsWith('/');
  const out: string[] = [];
  for (const part of parts.join('/').split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..' && out.length > 0 && out[out.length - 1] !== '..') out.pop();
    else if (part !== '..' || !absolute) out.push(part);
  }
  const joined = out.join('/');
  return absolute ? `/${joined}` : joined || '.';
}

function dirName(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  const cut = trimmed.lastIndexOf('/');
  if (cut < 0) return '.';
  return cut === 0 ? '/' : trimmed.slice(0, cut);
}

let tempCounter = 0;

export const platform: Platform = {
  name: 'browser',
  readFile: (path) => noFiles('read', path),
  readFileChunks: (path) => noFiles('read', path),
  readTextIfExists: () => null,
  writeFileAtomic: (path) => noFiles('write', path),
  writeNewFile: (path) => noFiles('write', path),
  writeDirAtomic: (dir) => noFiles('write the folder', dir),
  recoverDir: () => {},
  setFaultHook: () => {},
  makeDir: (path) => noFiles('create the folder', path),
  removeTree: (path) => noFiles('remove', path),
  removeDirAtomic: (path) => noFiles('remove', path),
  rename: (from) => noFiles('rename', from),
  listDir: (dir) => noFiles('list', dir),
  pathKind: () => null,
  fsyncDir: () => {},
  tempNameFor: (path) => `${dirName(path)}/${TEMP_PREFIX}${path.split('/').pop()}-${++tempCounter}`,
  joinPath: (...parts) => normalise(parts),
  dirName,
  baseName: (path) => path.replace(/\/+$/, '').split('/').pop() ?? '',
  isAbsolutePath: (path) => path.startsWith('/'),
  homeDir: () => '/',
  processId: () => 0,
  isProcessAlive: () => false,
  env: () => ({}),
  gunzip,
  inflateGzip,
  gunzipStream: (maxBytes, onChunk) => new GzipStream(maxBytes, onChunk),
  gzip: (bytes) => gzipSync(bytes),
  fromBase64(text) {
    const binary = atob(text);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  },
  sha256Hex,
};

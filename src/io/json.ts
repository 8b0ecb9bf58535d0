/**
 * JSON helpers shared by the readers: decoding bytes that must be UTF-8 JSON with errors
 * that give the byte offset, describing a bad value briefly, and numbers that JSON cannot
 * spell (NaN, ±Infinity) encoded as strings. No Node imports: the browser uses them too.
 */
import { FormatError } from '../errors.js';
import { DESCENT_VERSION } from './version.js';

const decoder = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

/**
 * Parses `bytes` (starting at file byte `baseOffset`) as UTF-8 JSON. Errors name the file,
 * the byte where parsing failed (when the engine says) and what was expected.
 */
export function parseJsonBytes(bytes: Uint8Array, source: string, what: string, baseOffset = 0): unknown {
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    const bad = firstInvalidUtf8(bytes);
    throw new FormatError(
      `${source}: the ${what} is not valid UTF-8 (bad sequence at byte ${baseOffset + bad}).`,
    );
  }
  return parseJsonText(text, source, what, baseOffset);
}

/** The offset of the first byte that does not start or continue a valid UTF-8 sequence. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    let need: number;
    let min: number;
    if (b < 0x80) {
      i++;
      continue;
    } else if (b >= 0xc2 && b <= 0xdf) [need, min] = [1, 0x80];
    else if (b >= 0xe0 && b <= 0xef) [need, min] = [2, 0x800];
    else if (b >= 0xf0 && b <= 0xf4) [need, min] = [3, 0x10000];
    else return i;
    if (i + need >= bytes.length) return i;
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if ((c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return bytes.length;
}

export function parseJsonText(text: string, source: string, what: string, baseOffset = 0): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const position = /position (\d+)/.exec(message);
    let where = '';
    if (position) {
      const chars = Math.min(Number(position[1]), text.length);
      where = ` at byte ${baseOffset + encoder.encode(text.slice(0, chars)).length}`;
    }
    throw new FormatError(
      `${source}: the ${what} is not valid JSON${where} (${message.split('\n')[0].slice(0, 160)}).`,
    );
  }
}

/** A short rendering of a JSON value for messages. */
export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A number as JSON can hold it: finite numbers as they are, the rest as 'NaN' / 'Infinity' / '-Infinity'. */
export function encodeNumber(x: number): number | string {
  return Number.isFinite(x) ? x : String(x);
}

/** The inverse of encodeNumber, or undefined for anything else. */
export function decodeNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (value === 'NaN') return NaN;
  if (value === 'Infinity') return Infinity;
  if (value === '-Infinity') return -Infinity;
  return undefined;
}

/** descent's version (see version.ts). */
export function descentVersion(): string {
  return DESCENT_VERSION;
}

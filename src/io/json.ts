/**
 * JSON helpers shared by the readers: decoding bytes that must be UTF-8 JSON with errors
 * that give the byte offset, describing a bad value briefly, and numbers that JSON cannot
 * spell (NaN, ±Infinity) encoded as strings. No Node imports: the browser uses them too.
 *
 * Every file descent reads as JSON (model.json, checkpoint.json, a safetensors header) goes
 * through parseJsonText, which first scans the text once, without recursion: nesting deeper
 * than MAX_JSON_DEPTH and a key repeated in one object are refused with the byte where they
 * occur, before JSON.parse builds anything. So nothing that later walks the value (the
 * readers' checks, describe(), the layer builder) can overflow the stack, and no reader
 * silently keeps the last of two same-named entries. Memory: the parsed value, at most a
 * few times the text, whose size each reader caps before reading (see their MAX_* limits).
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

/** The deepest nesting of arrays and objects in a JSON file: 64 nested layers (layers.ts MAX_NESTING) take 4 levels each. */
export const MAX_JSON_DEPTH = 512;

/**
 * One pass over JSON text, with a stack of the open objects' keys instead of recursion:
 * the char index of the first place nesting passes `maxDepth` or a key repeats in its object.
 * Text that is not valid JSON is left for JSON.parse to report.
 */
function scanJson(
  text: string,
  maxDepth: number,
): { at: number; problem: 'depth' | 'duplicate'; key?: string } | null {
  // One entry per open container: a Set of keys for an object, null for an array.
  const open: Array<Set<string> | null> = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      let j = i + 1;
      let escaped = false;
      for (; j < text.length; j++) {
        const d = text.charCodeAt(j);
        if (d === 0x5c) {
          escaped = true;
          j++;
        } else if (d === 0x22) break;
      }
      const keys = open.at(-1);
      if (expectKey && keys) {
        let key = text.slice(i + 1, j);
        if (escaped) {
          try {
            key = JSON.parse(text.slice(i, j + 1)) as string;
          } catch {
            return null; // JSON.parse will name the bad escape
          }
        }
        if (keys.has(key)) return { at: i, problem: 'duplicate', key };
        keys.add(key);
        expectKey = false;
      }
      i = j;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (open.length >= maxDepth) return { at: i, problem: 'depth' };
      open.push(c === 0x7b ? new Set() : null);
      expectKey = c === 0x7b;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      open.pop();
      expectKey = false;
    } else if (c === 0x2c /* , */) {
      expectKey = open.at(-1) instanceof Set;
    }
  }
  return null;
}

export function parseJsonText(text: string, source: string, what: string, baseOffset = 0): unknown {
  const bad = scanJson(text, MAX_JSON_DEPTH);
  if (bad) {
    const byte = baseOffset + encoder.encode(text.slice(0, bad.at)).length;
    throw new FormatError(
      bad.problem === 'depth'
        ? `${source}: the ${what} nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels (at byte ${byte}); it is not a file descent wrote.`
        : `${source}: the ${what} has the key ${describe(bad.key)} twice in one object (the second at byte ${byte}); names must be unique.`,
    );
  }
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

const DESCRIBE_CHARS = 60;

/**
 * A short rendering of a value for messages (at most 60 characters). It renders only as
 * much as it shows, so a huge or deeply nested value costs no more than a small one.
 */
export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = render(value, DESCRIBE_CHARS + 1, 0);
  return text.length > DESCRIBE_CHARS ? `${text.slice(0, DESCRIBE_CHARS - 3)}...` : text;
}

/** JSON-like text of `value`, stopping once `budget` characters are produced. */
function render(value: unknown, budget: number, depth: number): string {
  if (typeof value === 'string') return JSON.stringify(value.slice(0, budget));
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value !== 'object' || value === null) {
    if (typeof value === 'function') return 'a function';
    if (typeof value === 'symbol') return value.toString();
    return typeof value === 'number' && !Number.isFinite(value) ? String(value) : JSON.stringify(value);
  }
  if (depth >= 8) return Array.isArray(value) ? '[...]' : '{...}';
  const isArray = Array.isArray(value);
  let out = isArray ? '[' : '{';
  let first = true;
  const add = (part: string) => {
    out += (first ? '' : ',') + part;
    first = false;
  };
  if (isArray) {
    for (let i = 0; i < value.length && out.length < budget; i++)
      add(render(value[i], budget - out.length, depth + 1));
  } else {
    for (const key in value) {
      if (out.length >= budget) break;
      if (!Object.hasOwn(value, key)) continue;
      const item = (value as Record<string, unknown>)[key];
      if (item === undefined || typeof item === 'function') continue;
      add(`${JSON.stringify(key.slice(0, budget))}:${render(item, budget - out.length, depth + 1)}`);
    }
  }
  return out.length >= budget ? out : out + (isArray ? ']' : '}');
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

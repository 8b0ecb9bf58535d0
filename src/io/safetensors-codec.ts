/**
 * The safetensors format (Hugging Face), so that weights saved by descent open in
 * PyTorch, JAX or any other tool that reads it, and theirs open here:
 *
 *   bytes 0..8        N, the header length, an unsigned 64-bit little-endian integer
 *   bytes 8..8+N      a UTF-8 JSON object (padded with spaces):
 *                       { "<name>": { "dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end] }, …,
 *                         "__metadata__": { "<key>": "<string value>", … } }
 *   bytes 8+N..       the data section: each tensor's values, row-major, little-endian, at
 *                     [begin, end) relative to the start of this section
 *
 * descent reads and writes F32, F64 and I32 (float32, float64, int32), and reads I64 (PyTorch's
 * integer buffers, such as batch norm's num_batches_tracked) as int32 when every value fits. The reader trusts
 * nothing: the header length against the file size, the JSON, every dtype and shape,
 * that every tensor's bytes lie inside the data section and match its shape, that no two
 * tensors overlap and that the section has no holes (as the format requires). Every
 * failure is a FormatError naming the file, the byte and what was expected; nothing is
 * allocated beyond the file's own size before the whole header has been checked.
 *
 * This file is the codec, bytes in memory only (Node and browser); safetensors.ts adds
 * reading and writing files.
 */
import type { DType, TypedArray } from '../backend/contract.js';
import { ConfigError, FormatError } from '../errors.js';
import { describe, isPlainObject, parseJsonBytes } from './json.js';

/** safetensors dtype names for descent's dtypes. */
const TO_FORMAT: Record<DType, string> = { float32: 'F32', float64: 'F64', int32: 'I32' };
const FROM_FORMAT: Record<string, DType> = { F32: 'float32', F64: 'float64', I32: 'int32', I64: 'int32' };
/** Bytes per element of each format dtype read. */
const FORMAT_BYTES: Record<string, number> = { F32: 4, F64: 8, I32: 4, I64: 8 };
const BYTES: Record<DType, number> = { float32: 4, float64: 8, int32: 4 };
/** Dtypes the format defines that descent does not read (named in the error message). */
const OTHER_FORMAT_DTYPES = [
  'BOOL',
  'U8',
  'I8',
  'I16',
  'U16',
  'F16',
  'BF16',
  'U32',
  'U64',
  'F8_E4M3',
  'F8_E5M2',
];
/** As the reference implementation: a larger header is refused before it is decoded. */
export const MAX_HEADER_BYTES = 100_000_000;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export interface TensorRecord {
  dtype: DType;
  shape: number[];
  data: TypedArray;
}

export interface SafetensorsContents {
  /** Tensors in header order. */
  tensors: Map<string, TensorRecord>;
  /** The `__metadata__` strings (empty when the file has none). */
  metadata: Record<string, string>;
}

function arrayFor(dtype: DType, buffer: ArrayBuffer): TypedArray {
  if (dtype === 'float32') return new Float32Array(buffer);
  if (dtype === 'float64') return new Float64Array(buffer);
  return new Int32Array(buffer);
}

function dtypeOfArray(data: ArrayLike<number>): DType | null {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Int32Array) return 'int32';
  return null;
}

/** Swaps every `width`-byte group in place (only on big-endian machines). */
function swapBytes(bytes: Uint8Array, width: number): void {
  for (let i = 0; i + width <= bytes.length; i += width) {
    for (let a = i, b = i + width - 1; a < b; a++, b--) {
      const t = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = t;
    }
  }
}

/** The safetensors bytes for a set of tensors (data placed 8-byte aligned: widest dtypes first). */
export function encodeSafetensors(
  tensors: Iterable<[string, { dtype?: DType; shape: readonly number[]; data: ArrayLike<number> }]>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const entries: Array<{ name: string; dtype: DType; shape: number[]; bytes: Uint8Array }> = [];
  const names = new Set<string>();
  for (const [name, t] of tensors) {
    if (typeof name !== 'string' || name === '' || name === '__metadata__') {
      throw new ConfigError(
        `encodeSafetensors: invalid tensor name ${describe(name)} ('__metadata__' and '' are reserved).`,
      );
    }
    if (names.has(name)) throw new ConfigError(`encodeSafetensors: tensor name '${name}' appears twice.`);
    names.add(name);
    const dtype = t.dtype ?? dtypeOfArray(t.data) ?? 'float32';
    if (!(dtype in TO_FORMAT))
      throw new ConfigError(
        `encodeSafetensors: tensor '${name}' has dtype ${describe(dtype)}; expected float32, float64 or int32.`,
      );
    const shape = [...t.shape];
    if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new ConfigError(
        `encodeSafetensors: tensor '${name}' has shape ${describe(shape)}; expected non-negative integers.`,
      );
    }
    const count = shape.reduce((p, d) => p * d, 1);
    if (count !== t.data.length) {
      throw new ConfigError(
        `encodeSafetensors: tensor '${name}' has ${t.data.length} values for shape [${shape.join(', ')}] (${count}).`,
      );
    }
    const typed = dtypeOfArray(t.data) === dtype ? (t.data as TypedArray) : toTyped(dtype, t.data);
    const bytes = new Uint8Array(typed.buffer.slice(typed.byteOffset, typed.byteOffset + typed.byteLength));
    if (!LITTLE_ENDIAN) swapBytes(bytes, BYTES[dtype]);
    entries.push({ name, dtype, shape, bytes });
  }
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== 'string')
      throw new ConfigError(`encodeSafetensors: metadata '${k}' must be a string, got ${describe(v)}.`);
  }

  // Widest elements first keeps every tensor aligned to its element size in the data section.
  const placed = [...entries].sort((a, b) => BYTES[b.dtype] - BYTES[a.dtype]);
  const offsets = new Map<string, [number, number]>();
  let dataLength = 0;
  for (const e of placed) {
    offsets.set(e.name, [dataLength, dataLength + e.bytes.length]);
    dataLength += e.bytes.length;
  }
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = { ...metadata };
  for (const e of entries)
    header[e.name] = { dtype: TO_FORMAT[e.dtype], shape: e.shape, data_offsets: offsets.get(e.name) };
  const text = new TextEncoder().encode(JSON.stringify(header));
  const json = new Uint8Array(Math.ceil(text.length / 8) * 8).fill(0x20);
  json.set(text);

  const out = new Uint8Array(8 + json.length + dataLength);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  for (const e of placed) out.set(e.bytes, 8 + json.length + offsets.get(e.name)![0]);
  return out;
}

function toTyped(dtype: DType, values: ArrayLike<number>): TypedArray {
  if (dtype === 'float32') return Float32Array.from(values);
  if (dtype === 'float64') return Float64Array.from(values);
  return Int32Array.from(values);
}

interface Parsed {
  name: string;
  format: string;
  dtype: DType;
  shape: number[];
  begin: number;
  end: number;
}

/** I64 values as int32, refusing any that int32 cannot hold. */
function narrowInt64(bytes: Uint8Array, where: string, fail: (message: string) => never): Int32Array {
  const wide = new BigInt64Array(bytes.buffer, bytes.byteOffset, bytes.length / 8);
  const out = new Int32Array(wide.length);
  for (let i = 0; i < wide.length; i++) {
    const v = wide[i];
    if (v < -2147483648n || v > 2147483647n)
      fail(`${where}: I64 value ${v} at element ${i} does not fit descent's int32.`);
    out[i] = Number(v);
  }
  return out;
}

/** Reads safetensors bytes; `source` names the file in error messages. */
export function decodeSafetensors(bytes: Uint8Array, source = '<safetensors>'): SafetensorsContents {
  const fail = (message: string): never => {
    throw new FormatError(`${source}: ${message}`);
  };
  if (bytes.length < 8) {
    fail(
      `the file is ${bytes.length} bytes long; a safetensors file starts with an 8-byte header length (bytes 0..8).`,
    );
  }
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  const available = bytes.length - 8;
  if (headerLength > BigInt(available)) {
    fail(
      `byte 0: the header length is ${headerLength} bytes, but only ${available} bytes follow the 8-byte length field (file size ${bytes.length}); the file is truncated or not safetensors.`,
    );
  }
  const n = Number(headerLength);
  if (n > MAX_HEADER_BYTES)
    fail(`byte 0: the header length ${n} exceeds the limit of ${MAX_HEADER_BYTES} bytes.`);
  if (n < 2) fail(`byte 0: the header length is ${n}; expected at least 2 bytes for the JSON object '{}'.`);
  const dataStart = 8 + n;
  const dataLength = bytes.length - dataStart;
  const headerBytes = bytes.subarray(8, dataStart);
  if (headerBytes[0] !== 0x7b)
    fail(
      `byte 8: the header must start with '{', found byte 0x${headerBytes[0].toString(16).padStart(2, '0')}.`,
    );
  const header = parseJsonBytes(headerBytes, source, `safetensors header (bytes 8..${dataStart})`, 8);
  if (!isPlainObject(header))
    fail(`the header (bytes 8..${dataStart}) must be a JSON object, got ${describe(header)}.`);
  const where = (name: string) =>
    `header (bytes 8..${dataStart}), tensor '${name.length > 80 ? name.slice(0, 77) + '...' : name}'`;

  const metadata: Record<string, string> = {};
  const parsed: Parsed[] = [];
  for (const [name, info] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (!isPlainObject(info))
        fail(
          `header (bytes 8..${dataStart}): '__metadata__' must be an object of strings, got ${describe(info)}.`,
        );
      for (const [k, v] of Object.entries(info as Record<string, unknown>)) {
        if (typeof v !== 'string')
          fail(
            `header (bytes 8..${dataStart}): '__metadata__' entry '${k}' must be a string, got ${describe(v)}.`,
          );
        // defineProperty: a key '__proto__' is data here, not the prototype.
        Object.defineProperty(metadata, k, {
          value: v,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      continue;
    }
    if (!isPlainObject(info))
      fail(`${where(name)}: expected an object { dtype, shape, data_offsets }, got ${describe(info)}.`);
    const record = info as Record<string, unknown>;
    const formatDtype = record.dtype;
    if (typeof formatDtype !== 'string' || !Object.hasOwn(FROM_FORMAT, formatDtype)) {
      const known = typeof formatDtype === 'string' && OTHER_FORMAT_DTYPES.includes(formatDtype);
      fail(
        `${where(name)}: ${known ? 'unsupported' : 'unknown'} dtype ${describe(formatDtype)}; descent reads F32, F64 and I32, and I64 values that fit int32.`,
      );
    }
    const dtype = FROM_FORMAT[formatDtype as string];
    const shape = record.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      fail(`${where(name)}: shape must be an array of non-negative integers, got ${describe(shape)}.`);
    }
    const offsets = record.data_offsets;
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)
    ) {
      fail(
        `${where(name)}: data_offsets must be [begin, end] with non-negative integers, got ${describe(offsets)}.`,
      );
    }
    const [begin, end] = offsets as [number, number];
    if (begin > end) fail(`${where(name)}: data_offsets [${begin}, ${end}] end before they begin.`);
    if (end > dataLength) {
      fail(
        `${where(name)}: data_offsets [${begin}, ${end}] reach byte ${dataStart + end} of the file, ` +
          `but the data section is bytes ${dataStart}..${bytes.length} (${dataLength} bytes); the file is truncated or corrupt.`,
      );
    }
    // The element count, without overflow: stop multiplying once it exceeds what the data could hold.
    const dims = shape as number[];
    let count = dims.includes(0) ? 0 : 1;
    for (const d of dims) {
      if (count === 0) break;
      count *= d;
      if (count > dataLength) break;
    }
    const expected = count * FORMAT_BYTES[formatDtype as string];
    if (expected !== end - begin) {
      fail(
        `${where(name)}: shape [${dims.join(', ')}] of ${formatDtype} needs ${count > dataLength ? 'more than the file holds' : `${expected} bytes`}, ` +
          `but data_offsets [${begin}, ${end}] (file bytes ${dataStart + begin}..${dataStart + end}) hold ${end - begin}.`,
      );
    }
    parsed.push({ name, format: formatDtype as string, dtype, shape: [...dims], begin, end });
  }

  // The tensors must tile the data section exactly: no overlaps, no holes.
  const order = [...parsed].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let previous = '';
  for (const t of order) {
    if (t.begin < cursor) {
      fail(
        `${where(t.name)}: its data (file bytes ${dataStart + t.begin}..${dataStart + t.end}) overlaps tensor '${previous}' (which ends at file byte ${dataStart + cursor}).`,
      );
    }
    if (t.begin > cursor) {
      fail(
        `file bytes ${dataStart + cursor}..${dataStart + t.begin} belong to no tensor (the data section must have no holes; next is tensor '${t.name}').`,
      );
    }
    cursor = t.end;
    previous = t.name;
  }
  if (cursor !== dataLength) {
    fail(
      `file bytes ${dataStart + cursor}..${bytes.length} (${dataLength - cursor} bytes after the last tensor) belong to no tensor; expected the file to end at byte ${dataStart + cursor}.`,
    );
  }

  const tensors = new Map<string, TensorRecord>();
  for (const t of parsed) {
    // A copy, so that each array is aligned and the file's buffer can be released.
    const copy = bytes.slice(dataStart + t.begin, dataStart + t.end);
    if (!LITTLE_ENDIAN) swapBytes(copy, FORMAT_BYTES[t.format]);
    if (t.format === 'I64') {
      tensors.set(t.name, { dtype: 'int32', shape: t.shape, data: narrowInt64(copy, where(t.name), fail) });
      continue;
    }
    tensors.set(t.name, { dtype: t.dtype, shape: t.shape, data: arrayFor(t.dtype, copy.buffer) });
  }
  return { tensors, metadata };
}

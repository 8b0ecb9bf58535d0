/**
 * The IDX file format of MNIST and Fashion-MNIST (LeCun et al.), read and written.
 *
 * Layout, big-endian: bytes 0–1 are zero, byte 2 is the element type, byte 3 the number
 * of dimensions d ≥ 1, then d unsigned 32-bit sizes, then the elements in row-major order.
 * Element types: 0x08 unsigned byte, 0x09 signed byte, 0x0B 16-bit int, 0x0C 32-bit int,
 * 0x0D float32, 0x0E float64. Files may be gzipped (detected by the bytes 1f 8b).
 *
 * Every size is checked against the bytes actually present before anything is allocated, so
 * a corrupt or hostile header (4 billion × 4 billion images in a 20-byte file) is rejected
 * with a FormatError instead of an attempt to allocate what it declares. Errors name the
 * file, the byte offset and what was expected there.
 */
import { platform } from '#platform';
import { ConfigError, DataError, FormatError, ShapeError, unknownName } from '../errors.js';
import { blobName, fileError } from './csv.js';

export type IdxType = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';
export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxArray {
  /** The sizes, outermost first (e.g. [60000, 28, 28]). */
  dims: number[];
  type: IdxType;
  /** Row-major elements; a fresh array that owns exactly its bytes. */
  data: IdxData;
}

interface TypeInfo {
  code: number;
  type: IdxType;
  size: number;
  /** The IDX documentation's name, for messages. */
  label: string;
}

const TYPES: readonly TypeInfo[] = [
  { code: 0x08, type: 'uint8', size: 1, label: 'unsigned byte' },
  { code: 0x09, type: 'int8', size: 1, label: 'signed byte' },
  { code: 0x0b, type: 'int16', size: 2, label: 'short' },
  { code: 0x0c, type: 'int32', size: 4, label: 'int' },
  { code: 0x0d, type: 'float32', size: 4, label: 'float' },
  { code: 0x0e, type: 'float64', size: 8, label: 'double' },
];

export const idxTypes: readonly IdxType[] = TYPES.map((t) => t.type);

/** Longest possible header: the magic number and 255 sizes. */
const MAX_HEADER_BYTES = 4 + 4 * 255;
/** The most bytes one typed array (and so one decompressed file) can hold here. */
const MAX_DECODED_BYTES = 2 ** 32;

const hex = (value: number, digits: number): string =>
  '0x' + value.toString(16).toUpperCase().padStart(digits, '0');

function typeByCode(code: number): TypeInfo | undefined {
  return TYPES.find((t) => t.code === code);
}

function typeByName(type: IdxType): TypeInfo {
  return TYPES.find((t) => t.type === type) ?? unknownName('IDX element type', type, idxTypes);
}

function typeOfArray(data: ArrayLike<number>): TypeInfo | undefined {
  if (data instanceof Uint8Array) return TYPES[0];
  if (data instanceof Int8Array) return TYPES[1];
  if (data instanceof Int16Array) return TYPES[2];
  if (data instanceof Int32Array) return TYPES[3];
  if (data instanceof Float32Array) return TYPES[4];
  if (data instanceof Float64Array) return TYPES[5];
  return undefined;
}

interface Header {
  info: TypeInfo;
  dims: number[];
  headerBytes: number;
  /** Element count and total file length; exact below 2^53, else only "far too large". */
  count: number;
  totalBytes: number;
}

function describe(header: Header): string {
  const { info, dims, headerBytes, count, totalBytes } = header;
  return (
    `the header declares ${info.label} (${hex(info.code, 2)}) elements of dims ${dims.join('×')} = ${count} elements, ` +
    `so ${totalBytes} bytes are expected (${headerBytes}-byte header + ${count * info.size} data bytes)`
  );
}

/** Reads and checks the header; `where` marks offsets in decompressed data. */
function readHeader(bytes: Uint8Array, source: string, where: string): Header {
  const length = bytes.length;
  if (length === 0) {
    throw new FormatError(
      `${source}: the file is empty${where}; an IDX file starts with a 4-byte magic number.`,
    );
  }
  if (length < 4) {
    throw new FormatError(
      `${source}: truncated at byte ${length}${where}: expected at least 4 bytes (the magic number: two zero bytes, the element type and the number of dimensions).`,
    );
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const magic = ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0;
    throw new FormatError(
      `${source}: bad magic number ${hex(magic, 8)} at byte 0${where}: an IDX file starts with two zero bytes, ` +
        `then the element type and the number of dimensions (e.g. 0x00000803 for MNIST images). Is this an IDX file?`,
    );
  }
  const info = typeByCode(bytes[2]);
  if (!info) {
    const known = TYPES.map((t) => `${hex(t.code, 2)} (${t.label})`).join(', ');
    throw new FormatError(
      `${source}: unknown element type ${hex(bytes[2], 2)} at byte 2${where}; expected one of ${known}.`,
    );
  }
  const rank = bytes[3];
  if (rank === 0) {
    throw new FormatError(`${source}: byte 3${where} declares 0 dimensions; expected at least 1.`);
  }
  const headerBytes = 4 + 4 * rank;
  if (length < headerBytes) {
    throw new FormatError(
      `${source}: truncated at byte ${length}${where}: the header declares ${rank} dimensions and so needs ${headerBytes} bytes.`,
    );
  }
  const dims: number[] = [];
  let count = 1;
  for (let i = 0; i < rank; i++) {
    const at = 4 + 4 * i;
    const size = ((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]) >>> 0;
    dims.push(size);
    count *= size;
  }
  return { info, dims, headerBytes, count, totalBytes: headerBytes + count * info.size };
}

function checkLength(header: Header, length: number, source: string, where: string, cause = ''): void {
  if (length < header.totalBytes) {
    throw new FormatError(
      `${source}: truncated at byte ${length}${where}${cause}: ${describe(header)}; ` +
        `${header.totalBytes - length} bytes are missing.`,
    );
  }
  if (length > header.totalBytes) {
    throw new FormatError(
      `${source}: ${length - header.totalBytes} unexpected bytes after the data, from byte ${header.totalBytes}${where}; ` +
        `${describe(header)}.`,
    );
  }
}

/** The elements of a checked, complete IDX image (header + data, nothing more). */
function decodeElements(bytes: Uint8Array, header: Header): IdxData {
  const { info, headerBytes, count } = header;
  const start = bytes.byteOffset + headerBytes;
  switch (info.type) {
    // Copies (Buffer.slice would give a view into the caller's or zlib's memory).
    case 'uint8': {
      const out = new Uint8Array(count);
      out.set(bytes.subarray(headerBytes, headerBytes + count));
      return out;
    }
    case 'int8': {
      const out = new Int8Array(count);
      out.set(new Int8Array(bytes.buffer, start, count));
      return out;
    }
    default: {
      const view = new DataView(bytes.buffer, start, count * info.size);
      switch (info.type) {
        case 'int16': {
          const out = new Int16Array(count);
          for (let i = 0; i < count; i++) out[i] = view.getInt16(2 * i);
          return out;
        }
        case 'int32': {
          const out = new Int32Array(count);
          for (let i = 0; i < count; i++) out[i] = view.getInt32(4 * i);
          return out;
        }
        case 'float32': {
          const out = new Float32Array(count);
          for (let i = 0; i < count; i++) out[i] = view.getFloat32(4 * i);
          return out;
        }
        default: {
          const out = new Float64Array(count);
          for (let i = 0; i < count; i++) out[i] = view.getFloat64(8 * i);
          return out;
        }
      }
    }
  }
}

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Gunzips an IDX file without trusting it: the header is read from a partial inflate of a
 * small compressed prefix, and the full inflate is capped at the size the header declares
 * (output beyond it is trailing data). A decompression bomb or a header declaring terabytes
 * therefore never allocates more than the data actually present, up to the declared size.
 */
function gunzipIdx(bytes: Uint8Array, source: string): { decoded: Uint8Array; header: Header } {
  const where = ' of the decompressed data';
  const inflate = (input: Uint8Array, cap: number) => {
    try {
      return platform.gunzip(input, cap);
    } catch (error) {
      throw new FormatError(`${source}: corrupt gzip data (${(error as Error).message}).`);
    }
  };

  // Deflate expands at most 1032:1, so a small compressed prefix gives a bounded head that
  // holds the header; longer prefixes only when the first ones decompress to less than it.
  let head: Uint8Array;
  for (let prefix = 1024; ; prefix *= 4) {
    const end = Math.min(bytes.length, prefix);
    const outcome = inflate(bytes.subarray(0, end), 1032 * end + 1024);
    if (outcome.kind === 'too-large')
      throw new FormatError(`${source}: corrupt gzip data (impossible expansion).`);
    head = outcome.bytes;
    if (head.length >= MAX_HEADER_BYTES || end === bytes.length) break;
  }
  const header = readHeader(head, source, where);

  // Capped at the declared size: more output than that means trailing data (or a bomb).
  const cap = Math.min(header.totalBytes, MAX_DECODED_BYTES);
  const outcome = inflate(bytes, cap);
  if (outcome.kind === 'too-large') {
    throw header.totalBytes <= MAX_DECODED_BYTES
      ? new FormatError(
          `${source}: unexpected bytes after the data: it decompresses to more than ${header.totalBytes} bytes, ` +
            `past byte ${header.totalBytes}${where}; ${describe(header)}.`,
        )
      : new FormatError(
          `${source}: ${describe(header)}, more than the ${MAX_DECODED_BYTES} bytes one file can hold here.`,
        );
  }
  if (outcome.kind === 'truncated') {
    checkLength(header, outcome.bytes.length, source, where, ' (the gzip stream is cut short)');
    throw new FormatError(
      `${source}: the gzip stream is cut short after the data (its end and checksum are missing); the file is incomplete.`,
    );
  }
  return { decoded: outcome.bytes, header };
}

/**
 * Parses an IDX file (raw or gzipped) from its bytes. `source` names it in error messages.
 * Throws FormatError for anything that is not a complete, well-formed IDX file.
 */
export function parseIdx(bytes: Uint8Array, source = '<bytes>'): IdxArray {
  let body = bytes;
  let where = '';
  let header: Header;
  if (isGzip(bytes)) {
    const unzipped = gunzipIdx(bytes, source);
    body = unzipped.decoded;
    header = unzipped.header;
    where = ' of the decompressed data';
  } else {
    header = readHeader(bytes, source, where);
  }
  checkLength(header, body.length, source, where);
  return { dims: header.dims, type: header.info.type, data: decodeElements(body, header) };
}

/** Reads and parses an IDX file (gzipped or not, whatever its name). */
export function readIdxFile(path: string): IdxArray {
  let bytes: Uint8Array;
  try {
    bytes = platform.readFile(path, 'IDX file', Number.MAX_SAFE_INTEGER);
  } catch (error) {
    throw fileError(path, error);
  }
  return parseIdx(bytes, path);
}

/** A browser File or Blob (file picker, drag and drop) parsed as readIdxFile parses a file. */
export async function readIdxBlob(blob: Blob, source?: string): Promise<IdxArray> {
  return parseIdx(new Uint8Array(await blob.arrayBuffer()), source ?? blobName(blob));
}

export interface EncodeIdxOptions {
  /** Element type; by default that of the typed array (required for plain number arrays). */
  type?: IdxType;
  /** Gzip the result (default false). */
  gzip?: boolean;
}

const INT_RANGES: Partial<Record<IdxType, [number, number]>> = {
  uint8: [0, 255],
  int8: [-128, 127],
  int16: [-32768, 32767],
  int32: [-2147483648, 2147483647],
};

/**
 * Encodes an array as an IDX file: `dims` (default [data.length]) must multiply to
 * data.length. Values are checked to fit an integer element type.
 */
export function encodeIdx(
  data: IdxData | ArrayLike<number>,
  dims: readonly number[] = [data.length],
  options: EncodeIdxOptions = {},
): Uint8Array {
  const where = 'encodeIdx';
  const natural = typeOfArray(data);
  const info = options.type !== undefined ? typeByName(options.type) : natural;
  if (!info) {
    throw new ConfigError(
      `${where}: pass options.type (one of ${idxTypes.join(', ')}) for a plain array of numbers.`,
    );
  }
  if (dims.length < 1 || dims.length > 255) {
    throw new ShapeError(`${where}: an IDX file has 1 to 255 dimensions, got ${dims.length}.`);
  }
  let count = 1;
  for (const size of dims) {
    if (!Number.isInteger(size) || size < 0 || size > 0xffffffff) {
      throw new ShapeError(
        `${where}: dims [${dims.join(', ')}]: each size must be an integer in 0..4294967295.`,
      );
    }
    count *= size;
  }
  if (count !== data.length) {
    throw new ShapeError(
      `${where}: dims ${dims.join('×')} hold ${count} elements, but the data has ${data.length}.`,
    );
  }
  const range = INT_RANGES[info.type];
  if (range && natural !== info) {
    for (let i = 0; i < data.length; i++) {
      const value = data[i];
      if (!Number.isInteger(value) || value < range[0] || value > range[1]) {
        throw new DataError(
          `${where}: element ${i} is ${value}, which is not a ${info.type} (${range[0]}..${range[1]}).`,
        );
      }
    }
  }

  const headerBytes = 4 + 4 * dims.length;
  const out = new Uint8Array(headerBytes + count * info.size);
  const view = new DataView(out.buffer);
  out[2] = info.code;
  out[3] = dims.length;
  dims.forEach((size, i) => view.setUint32(4 + 4 * i, size));
  switch (info.type) {
    case 'uint8':
    case 'int8':
      for (let i = 0; i < count; i++) view.setUint8(headerBytes + i, Number(data[i]) & 0xff);
      break;
    case 'int16':
      for (let i = 0; i < count; i++) view.setInt16(headerBytes + 2 * i, data[i]);
      break;
    case 'int32':
      for (let i = 0; i < count; i++) view.setInt32(headerBytes + 4 * i, data[i]);
      break;
    case 'float32':
      for (let i = 0; i < count; i++) view.setFloat32(headerBytes + 4 * i, data[i]);
      break;
    case 'float64':
      for (let i = 0; i < count; i++) view.setFloat64(headerBytes + 8 * i, data[i]);
      break;
  }
  if (!options.gzip) return out;
  const zipped = platform.gzip(out);
  return new Uint8Array(zipped.buffer, zipped.byteOffset, zipped.length);
}

/** Writes an IDX file; gzipped when options.gzip says so, or by default when the path ends in .gz. */
export function writeIdxFile(
  path: string,
  data: IdxData | ArrayLike<number>,
  dims: readonly number[] = [data.length],
  options: EncodeIdxOptions = {},
): void {
  platform.writeFileAtomic(
    path,
    encodeIdx(data, dims, { ...options, gzip: options.gzip ?? path.endsWith('.gz') }),
  );
}

/**
 * Numeric CSV reading on plain typed arrays. Every error names the source, the 1-based
 * line and column, and what was expected, so a broken file can be fixed from the message.
 *
 * Reading streams: a file is read in 1 MiB pieces (platform.readFileChunks), gunzipped as
 * it goes when it starts with the gzip magic bytes (whatever its name), split into lines
 * on LF, CRLF or a lone CR, and each line parsed into numbers as soon as it is complete.
 * Memory is the numbers: 8 bytes a cell, collected in blocks and joined once at the end
 * (16 bytes a cell for that moment), plus one line and one piece of input; the text is never
 * held whole. A cell takes at least 2 bytes of text ("0,"), so memory is at most 8× the text
 * read (about 2× for cells of 7 or more characters), and the text read is capped:
 * two documented caps make a hostile file fail early with a named error:
 *
 *   maxBytes      MAX_CSV_BYTES (256 MiB) of CSV text, after decompression
 *   maxLineBytes  MAX_CSV_LINE_BYTES (1 MiB) in one line (a cell-less blob of bytes fails
 *                 after reading one piece past the cap, not at the end of the file)
 *
 * both overridable per call (and by --max-bytes in the CLI). Values must be finite in the
 * dtype they will be stored in (float32 by default: 1e39 is refused at its line and column).
 */
import { platform } from '#platform';
import { ConfigError, DataError, DescentError, FormatError } from '../errors.js';
import type { GunzipStream, InflateOutcome } from '../platform/contract.js';

export interface Table {
  rows: number;
  cols: number;
  /** Row-major, rows × cols. */
  values: Float64Array;
  header?: string[];
  /** The 1-based line of the first data row; row r is on line firstLine + r. */
  firstLine?: number;
}

/** The default cap on a CSV's size in bytes, after decompression (options.maxBytes, --max-bytes). */
export const MAX_CSV_BYTES = 2 ** 28;
/** The default cap on one line's length in bytes (options.maxLineBytes). */
export const MAX_CSV_LINE_BYTES = 2 ** 20;

export interface CsvOptions {
  /** Name used in error messages; defaults to '<string>' (or the path for files). */
  source?: string;
  /** true: the first row is a header; 'auto' (default): it is one when any cell is a non-number. */
  header?: boolean | 'auto';
  delimiter?: string;
  /** Lines to ignore before the header or data (e.g. a metadata line); line numbers still count them. */
  skipLines?: number;
  /** The most bytes of CSV text to read, after decompression (default MAX_CSV_BYTES). */
  maxBytes?: number;
  /** The longest line in bytes (default MAX_CSV_LINE_BYTES). */
  maxLineBytes?: number;
  /** The type the values will be stored in: each must be finite in it (default 'float32'). */
  dtype?: 'float32' | 'float64';
}

export interface LabelledCsvOptions {
  /** The label's column, from 0 (negative: from the end); default the last. */
  labelColumn?: number;
  delimiter?: string;
  source?: string;
  /**
   * The number of classes: labels must be 0..numClasses−1. Without it the labels must be
   * dense (every class from 0 to the largest label occurs), so a stray huge label is an
   * error at its line instead of a model with a million outputs.
   */
  numClasses?: number;
  maxBytes?: number;
  maxLineBytes?: number;
}

export interface LabelledTable {
  /** Row-major, count × numFeatures. */
  features: Float32Array;
  numFeatures: number;
  labels: Int32Array;
  numClasses: number;
  count: number;
}

// Plain decimal notation only: Number() alone would also accept '', '0x1f' and 'Infinity'.
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const NOT_A_NUMBER = /^[+-]?nan$/i;
const INFINITE = /^[+-]?inf(?:inity)?$/i;

/** Missing-value spellings: rejected in data, but they do not make a row look like a header. */
function isMissingToken(cell: string): boolean {
  return cell === '' || NOT_A_NUMBER.test(cell) || INFINITE.test(cell);
}

function quoteForMessage(cell: string): string {
  return `'${cell.length > 40 ? cell.slice(0, 37) + '...' : cell}'`;
}

function unquote(cell: string): string {
  return cell.length >= 2 && cell.startsWith('"') && cell.endsWith('"') ? cell.slice(1, -1) : cell;
}

function splitCells(line: string, delimiter: string): string[] {
  const cells = line.split(delimiter);
  for (let i = 0; i < cells.length; i++) cells[i] = cells[i].trim();
  return cells;
}

/**
 * The scikit-learn bundled-data header, e.g. iris.csv's `150,4,setosa,versicolor,virginica`:
 * sample count, feature count, then the class names. Returns undefined for any other line.
 */
function parseSklearnHeader(line: string, delimiter: string): SklearnHeader | undefined {
  const cells = splitCells(line, delimiter);
  if (cells.length < 3 || !/^\d+$/.test(cells[0]) || !/^\d+$/.test(cells[1])) return undefined;
  const names = cells.slice(2);
  if (names.some((name) => name === '' || DECIMAL.test(name))) return undefined;
  return { count: Number(cells[0]), numFeatures: Number(cells[1]), classNames: names.map(unquote) };
}

type SklearnHeader = { count: number; numFeatures: number; classNames: string[] };

const BLOCK = 1 << 16;
const TEXT_SLICE = 1 << 20;

/** Fed bytes piece by piece, parses complete lines into numbers as they arrive (see the top). */
class CsvReader {
  readonly source: string;
  private readonly delimiter: string;
  private readonly headerMode: boolean | 'auto';
  private skipLines: number;
  private readonly maxBytes: number;
  private readonly maxLineBytes: number;
  private readonly float32: boolean;
  private readonly sklearnMode: boolean;
  private readonly decoder = new TextDecoder();

  private bytes = 0;
  private lineNo = 0;
  private carry: Uint8Array[] = [];
  private carryBytes = 0;
  private pendingCR = false;
  /** A blank line not yet known to be trailing: an error if data follows. */
  private pendingBlank: { line: number; text: string } | null = null;
  private decided = false;
  private header: string[] | undefined;
  private headerLine = 0;
  private shapeLine = 0;
  private cols = 0;
  private rows = 0;
  private firstLine = 0;
  private blocks: Float64Array[] = [];
  private block = new Float64Array(BLOCK);
  private filled = 0;
  sklearn: SklearnHeader | undefined;

  constructor(options: CsvOptions, sklearnMode = false) {
    this.source = options.source ?? '<string>';
    this.delimiter = options.delimiter ?? ',';
    this.headerMode = options.header ?? 'auto';
    this.skipLines = options.skipLines ?? 0;
    this.maxBytes = options.maxBytes ?? MAX_CSV_BYTES;
    this.maxLineBytes = options.maxLineBytes ?? MAX_CSV_LINE_BYTES;
    this.float32 = (options.dtype ?? 'float32') === 'float32';
    this.sklearnMode = sklearnMode;
    const d = this.delimiter;
    if (typeof d !== 'string' || d.length === 0 || d.includes('\n') || d.includes('\r')) {
      throw new ConfigError(
        `parseCsv: delimiter must be a non-empty string without line breaks, got ${JSON.stringify(d)}.`,
      );
    }
    if (!Number.isInteger(this.skipLines) || this.skipLines < 0) {
      throw new ConfigError(`parseCsv: skipLines must be a non-negative integer, got ${this.skipLines}.`);
    }
    for (const [name, v] of [
      ['maxBytes', this.maxBytes],
      ['maxLineBytes', this.maxLineBytes],
    ] as const) {
      if (!Number.isSafeInteger(v) || v <= 0)
        throw new ConfigError(`parseCsv: ${name} must be a positive integer, got ${v}.`);
    }
  }

  tooLarge(decompressed: boolean): FormatError {
    return new FormatError(
      `${this.source}: ${decompressed ? 'decompresses to' : 'is'} more than ${this.maxBytes} bytes, the CSV size limit; ` +
        'pass a larger maxBytes (--max-bytes in the CLI) to read it.',
    );
  }

  pushBytes(chunk: Uint8Array): void {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) throw this.tooLarge(false);
    let start = 0;
    if (this.pendingCR) {
      this.pendingCR = false;
      if (chunk[0] === 10) start = 1;
    }
    let lf = -2;
    let cr = -2;
    for (;;) {
      if (lf !== -1 && lf < start) lf = chunk.indexOf(10, start);
      if (cr !== -1 && cr < start) cr = chunk.indexOf(13, start);
      const end = lf === -1 ? cr : cr === -1 ? lf : Math.min(lf, cr);
      if (end === -1) break;
      this.finishLine(chunk.subarray(start, end));
      start = end + 1;
      if (chunk[end] === 13) {
        if (end + 1 >= chunk.length) this.pendingCR = true;
        else if (chunk[end + 1] === 10) start++;
      }
    }
    if (start < chunk.length) {
      this.carry.push(chunk.slice(start));
      this.carryBytes += chunk.length - start;
      if (this.carryBytes > this.maxLineBytes) throw this.lineTooLong(this.lineNo + 1);
    }
  }

  pushText(text: string): void {
    const encoder = new TextEncoder();
    for (let at = 0; at < text.length;) {
      let end = Math.min(text.length, at + TEXT_SLICE);
      const last = text.charCodeAt(end - 1);
      if (end < text.length && last >= 0xd800 && last <= 0xdbff) end++; // keep a surrogate pair whole
      this.pushBytes(encoder.encode(text.slice(at, end)));
      at = end;
    }
  }

  private lineTooLong(line: number): FormatError {
    return new FormatError(
      `${this.source} line ${line}: longer than ${this.maxLineBytes} bytes, the line length limit ` +
        '(is this a CSV file? pass a larger maxLineBytes for very wide rows).',
    );
  }

  private finishLine(part: Uint8Array): void {
    let bytes = part;
    if (this.carryBytes > 0) {
      bytes = new Uint8Array(this.carryBytes + part.length);
      let at = 0;
      for (const piece of this.carry) {
        bytes.set(piece, at);
        at += piece.length;
      }
      bytes.set(part, at);
      this.carry = [];
      this.carryBytes = 0;
    }
    this.lineNo++;
    if (bytes.length > this.maxLineBytes) throw this.lineTooLong(this.lineNo);
    let text = this.decoder.decode(bytes);
    if (this.lineNo === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    this.line(text, this.lineNo);
  }

  private line(text: string, lineNo: number): void {
    if (this.sklearnMode && lineNo === 1 && this.skipLines === 0) {
      this.sklearn = parseSklearnHeader(text, this.delimiter);
      if (this.sklearn) {
        this.skipLines = 1;
        return;
      }
    }
    if (lineNo <= this.skipLines) return;
    if (text.trim() === '') {
      this.pendingBlank ??= { line: lineNo, text };
      return;
    }
    if (this.pendingBlank) {
      // A blank line with data after it: parsed as a row, which says what is wrong with it.
      const blank = this.pendingBlank;
      this.pendingBlank = null;
      this.content(blank.text, blank.line);
    }
    this.content(text, lineNo);
  }

  private content(text: string, lineNo: number): void {
    const cells = splitCells(text, this.delimiter);
    if (!this.decided) {
      this.decided = true;
      const hasHeader =
        this.sklearn !== undefined
          ? false
          : this.headerMode === 'auto'
            ? cells.some((cell) => !DECIMAL.test(cell) && !isMissingToken(cell))
            : this.headerMode;
      this.cols = cells.length;
      this.shapeLine = lineNo;
      if (hasHeader) {
        this.header = cells.map(unquote);
        this.headerLine = lineNo;
        return;
      }
    }
    this.row(cells, text, lineNo);
  }

  private row(cells: string[], text: string, lineNo: number): void {
    const cols = this.cols;
    if (cells.length !== cols) {
      const got = cols > 1 && text.trim() === '' ? 'an empty line' : String(cells.length);
      throw new FormatError(
        `${this.source} line ${lineNo}: expected ${cols} columns (like line ${this.shapeLine}), got ${got}.`,
      );
    }
    if (this.rows === 0) this.firstLine = lineNo;
    this.rows++;
    for (let col = 0; col < cols; col++) {
      const cell = cells[col];
      let value = NaN;
      if (DECIMAL.test(cell)) value = Number(cell);
      if (!Number.isFinite(value) || (this.float32 && !Number.isFinite(Math.fround(value))))
        throw cellError(this.source, lineNo, this.rows, col + 1, cell, this.float32);
      if (this.filled === BLOCK) {
        this.blocks.push(this.block);
        this.block = new Float64Array(BLOCK);
        this.filled = 0;
      }
      this.block[this.filled++] = value;
    }
  }

  /** After the last piece: the table (the values joined once). */
  end(): Table {
    if (this.pendingCR) this.pendingCR = false;
    if (this.carryBytes > 0) this.finishLine(new Uint8Array(0));
    const source = this.source;
    if (!this.decided) throw new FormatError(`${source}: the input is empty; expected rows of numbers.`);
    if (this.rows === 0) {
      const hint = this.headerMode === 'auto' ? ' (pass header: false if it is data)' : '';
      throw new FormatError(`${source}: only a header row (line ${this.headerLine}), no data rows${hint}.`);
    }
    const values = new Float64Array(this.rows * this.cols);
    let at = 0;
    for (const block of this.blocks) {
      values.set(block, at);
      at += block.length;
    }
    values.set(this.block.subarray(0, this.filled), at);
    this.blocks = [];
    const table: Table = { rows: this.rows, cols: this.cols, values, firstLine: this.firstLine };
    if (this.header) table.header = this.header;
    return table;
  }
}

function cellError(
  source: string,
  line: number,
  row: number,
  col: number,
  cell: string,
  float32: boolean,
): DataError {
  const where = `${source} line ${line}, column ${col}`;
  const place = `(data row ${row}, column ${col})`;
  if (cell === '') return new DataError(`${where}: empty cell; missing values are not allowed ${place}.`);
  if (NOT_A_NUMBER.test(cell)) return new DataError(`${where}: NaN is not allowed ${place}.`);
  if (DECIMAL.test(cell) && float32 && Number.isFinite(Number(cell))) {
    return new DataError(
      `${where}: ${quoteForMessage(cell)} is too large for float32 (at most ±3.4028235e38), the type the values are stored in ${place}; rescale the column.`,
    );
  }
  if (INFINITE.test(cell) || DECIMAL.test(cell)) {
    return new DataError(`${where}: infinite value ${quoteForMessage(cell)} is not allowed ${place}.`);
  }
  return new DataError(`${where}: expected a number, got ${quoteForMessage(cell)}.`);
}

/** Parses CSV text (see the top of this file for the limits). */
export function parseCsv(text: string, options: CsvOptions = {}): Table {
  const reader = new CsvReader(options);
  reader.pushText(text);
  return reader.end();
}

/** Feeds a file's or a blob's bytes to `reader`, gunzipping them when they start with the gzip magic. */
function feedBytes(reader: CsvReader, bytes: Uint8Array, maxBytes: number): void {
  if (!isGzip(bytes)) return reader.pushBytes(bytes);
  let outcome;
  try {
    outcome = platform.inflateGzip(bytes, maxBytes, (chunk) => reader.pushBytes(chunk));
  } catch (error) {
    if (error instanceof DescentError) throw error;
    throw new FormatError(`${reader.source}: not a valid gzip file (${(error as Error).message}).`);
  }
  checkInflated(reader, outcome);
}

function checkInflated(reader: CsvReader, outcome: InflateOutcome): void {
  if (outcome === 'too-large') throw reader.tooLarge(true);
  if (outcome === 'truncated')
    throw new FormatError(
      `${reader.source}: the gzip stream is cut short (its end and checksum are missing); the file is incomplete.`,
    );
}

/** CSV from bytes (gzipped or not, by their magic): a browser File's contents, an embedded asset. */
export function parseCsvBytes(bytes: Uint8Array, options: CsvOptions = {}): Table {
  const reader = new CsvReader(options);
  feedBytes(reader, bytes, options.maxBytes ?? MAX_CSV_BYTES);
  return reader.end();
}

/** Streams a file into `reader`: read in pieces, gunzipped on the way when it starts with the gzip magic. */
function feedFile(reader: CsvReader, path: string, maxBytes: number): void {
  let gzip: GunzipStream | null = null;
  let first = true;
  try {
    platform.readFileChunks(path, 'file', (chunk, final) => {
      if (first) {
        first = false;
        if (isGzip(chunk)) gzip = platform.gunzipStream(maxBytes, (c) => reader.pushBytes(c));
      }
      if (!gzip) return reader.pushBytes(chunk);
      try {
        gzip.push(chunk, final);
      } catch (error) {
        if (error instanceof DescentError) throw error;
        throw new FormatError(`${path}: not a valid gzip file (${(error as Error).message}).`);
      }
      return gzip.open;
    });
  } catch (error) {
    // Opening failed (the platform's error carries the system's code): say so as before.
    if (error instanceof FormatError && (error as { code?: string }).code !== undefined)
      throw fileError(path, error);
    throw error;
  }
  if (gzip) checkInflated(reader, (gzip as GunzipStream).outcome);
}

/** The longest text a JavaScript string can hold (V8). */
export const MAX_CSV_TEXT_BYTES = 0x1fffffe8;

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * A file's bytes as text (UTF-8), gunzipped first when they carry the gzip magic; inflation
 * stops at `maxBytes` (default MAX_CSV_BYTES) with a named error. The CSV readers do not
 * use this (they stream); it is for small text files.
 */
export function decodeText(bytes: Uint8Array, source: string, maxBytes = MAX_CSV_BYTES): string {
  const cap = Math.min(maxBytes, MAX_CSV_TEXT_BYTES);
  if (isGzip(bytes)) {
    let outcome;
    try {
      outcome = platform.gunzip(bytes, cap);
    } catch (error) {
      throw new FormatError(`${source}: not a valid gzip file (${(error as Error).message}).`);
    }
    if (outcome.kind === 'too-large')
      throw new FormatError(`${source}: decompresses to more than ${cap} bytes, the text size limit.`);
    if (outcome.kind === 'truncated')
      throw new FormatError(
        `${source}: the gzip stream is cut short (its end and checksum are missing); the file is incomplete.`,
      );
    bytes = outcome.bytes;
  }
  if (bytes.length > cap)
    throw new FormatError(`${source}: ${bytes.length} bytes, more than the ${cap} of the text size limit.`);
  return new TextDecoder().decode(bytes);
}

/** A file that cannot be opened, as a DataError with the system's reason (ENOENT, EACCES…). */
export function fileError(path: string, error: unknown): DataError {
  const reason = (error as { code?: string }).code ?? (error as Error).message;
  return new DataError(`Cannot read '${path}': ${reason}.`);
}

/** Reads a small text file, gunzipping it when its bytes carry the gzip magic. */
export function readTextFile(path: string, maxBytes = MAX_CSV_BYTES): string {
  let bytes: Uint8Array;
  try {
    bytes = platform.readFile(path, 'file', Math.min(maxBytes, MAX_CSV_TEXT_BYTES));
  } catch (error) {
    throw fileError(path, error);
  }
  return decodeText(bytes, path, maxBytes);
}

/** A File or Blob's text (a browser's file picker or drop), gunzipped like readTextFile. */
export async function readTextBlob(blob: Blob, source = blobName(blob)): Promise<string> {
  return decodeText(new Uint8Array(await blob.arrayBuffer()), source);
}

/** A File's name (a Blob has none), for messages. */
export function blobName(blob: Blob): string {
  const name = (blob as Blob & { name?: unknown }).name;
  return typeof name === 'string' && name !== '' ? name : '<blob>';
}

/** Reads a CSV file (streaming; gzipped or not, by its bytes). */
export function loadCsvFile(path: string, options: CsvOptions = {}): Table {
  const reader = new CsvReader({ ...options, source: options.source ?? path });
  feedFile(reader, path, options.maxBytes ?? MAX_CSV_BYTES);
  return reader.end();
}

export function splitLabelColumn(
  table: Table,
  options: { labelColumn?: number; source?: string; numClasses?: number } = {},
): LabelledTable {
  const { rows, cols, values } = table;
  const source = options.source ?? 'splitLabelColumn';
  if (cols < 2)
    throw new FormatError(`${source}: need at least 2 columns (features and a label), got ${cols}.`);
  const requested = options.labelColumn ?? cols - 1;
  const labelColumn = requested < 0 ? requested + cols : requested;
  if (!Number.isInteger(labelColumn) || labelColumn < 0 || labelColumn >= cols) {
    throw new ConfigError(
      `${source}: labelColumn must be an integer in [-${cols}, ${cols - 1}], got ${requested}.`,
    );
  }
  const stated = options.numClasses;
  if (stated !== undefined && !(Number.isSafeInteger(stated) && stated > 0 && stated <= 0x7fffffff))
    throw new ConfigError(`${source}: numClasses must be a positive integer, got ${stated}.`);
  // Row r's place in the file, for messages.
  const at = (row: number) =>
    table.firstLine !== undefined
      ? `line ${table.firstLine + row} (data row ${row + 1})`
      : `data row ${row + 1}`;

  const numFeatures = cols - 1;
  const features = new Float32Array(rows * numFeatures);
  const labels = new Int32Array(rows);
  let maxLabel = -1;
  let maxRow = 0;
  for (let row = 0; row < rows; row++) {
    const offset = row * cols;
    let out = row * numFeatures;
    for (let col = 0; col < cols; col++) {
      if (col !== labelColumn) features[out++] = values[offset + col];
    }
    const label = values[offset + labelColumn];
    if (!Number.isInteger(label) || label < 0 || label > 0x7fffffff) {
      throw new DataError(
        `${source} ${at(row)}: the label (column ${labelColumn + 1}) must be a non-negative integer, got ${label}.`,
      );
    }
    if (stated !== undefined && label >= stated) {
      throw new DataError(
        `${source} ${at(row)}: label ${label} (column ${labelColumn + 1}) is not one of the ${stated} classes 0..${stated - 1}; ` +
          'fix the label, or state the right number of classes (numClasses, --num-classes in the CLI).',
      );
    }
    labels[row] = label;
    if (label > maxLabel) {
      maxLabel = label;
      maxRow = row;
    }
  }
  if (stated !== undefined) return { features, numFeatures, labels, numClasses: stated, count: rows };
  // Dense 0..K−1: the classes present, counted without allocating anything the size of a label.
  const present = new Set<number>();
  for (let row = 0; row < rows && present.size <= maxLabel; row++) present.add(labels[row]);
  if (present.size !== maxLabel + 1) {
    throw new DataError(
      `${source} ${at(maxRow)}: label ${maxLabel} (column ${labelColumn + 1}) would make ${maxLabel + 1} classes, ` +
        `but only ${present.size} different labels occur; labels must be 0..K−1 with every class present. ` +
        'Renumber the labels, or state the number of classes (numClasses, --num-classes in the CLI) if some are absent from this file.',
    );
  }
  return { features, numFeatures, labels, numClasses: maxLabel + 1, count: rows };
}

/**
 * Loads a CSV of features plus an integer label column (last by default), streaming (see
 * the top). Understands the scikit-learn header convention and then returns its class names.
 */
export function loadLabelledCsv(
  path: string,
  options: LabelledCsvOptions = {},
): LabelledTable & { classNames?: string[] } {
  const reader = new CsvReader({ ...csvOptionsOf(options), source: path }, true);
  feedFile(reader, path, options.maxBytes ?? MAX_CSV_BYTES);
  return labelledFrom(reader, { ...options, source: path });
}

/**
 * A browser File or Blob (file picker, drag and drop) read as loadLabelledCsv reads a file:
 * features plus an integer label column, errors naming the file's name, line and column.
 */
export async function readLabelledCsvBlob(
  blob: Blob,
  options: LabelledCsvOptions = {},
): Promise<LabelledTable & { classNames?: string[] }> {
  const source = options.source ?? blobName(blob);
  const reader = new CsvReader({ ...csvOptionsOf(options), source }, true);
  const maxBytes = options.maxBytes ?? MAX_CSV_BYTES;
  const head = new Uint8Array(await blob.slice(0, 2).arrayBuffer());
  if (!isGzip(head) && blob.size > maxBytes) throw reader.tooLarge(false);
  feedBytes(reader, new Uint8Array(await blob.arrayBuffer()), maxBytes);
  return labelledFrom(reader, { ...options, source });
}

/** Features plus an integer label column from CSV text (see loadLabelledCsv). */
export function parseLabelledCsv(
  text: string,
  options: LabelledCsvOptions = {},
): LabelledTable & { classNames?: string[] } {
  const reader = new CsvReader(csvOptionsOf(options), true);
  reader.pushText(text);
  return labelledFrom(reader, options);
}

function csvOptionsOf(options: LabelledCsvOptions): CsvOptions {
  return {
    source: options.source,
    delimiter: options.delimiter,
    maxBytes: options.maxBytes,
    maxLineBytes: options.maxLineBytes,
  };
}

function labelledFrom(
  reader: CsvReader,
  options: LabelledCsvOptions,
): LabelledTable & { classNames?: string[] } {
  const path = reader.source;
  const table = reader.end();
  const sklearn = reader.sklearn;
  const numClasses = options.numClasses ?? sklearn?.classNames.length;
  const labelled = splitLabelColumn(table, { labelColumn: options.labelColumn, source: path, numClasses });
  if (!sklearn) return labelled;
  if (sklearn.count !== labelled.count || sklearn.numFeatures !== labelled.numFeatures) {
    throw new FormatError(
      `${path} line 1: the header promises ${sklearn.count} rows of ${sklearn.numFeatures} features, ` +
        `but the file has ${labelled.count} rows of ${labelled.numFeatures}.`,
    );
  }
  return { ...labelled, classNames: sklearn.classNames };
}

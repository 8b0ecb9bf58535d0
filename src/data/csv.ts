/**
 * Numeric CSV reading on plain typed arrays. Every error names the source, the 1-based
 * line and column, and what was expected, so a broken file can be fixed from the message.
 */
import { platform } from '#platform';
import { ConfigError, DataError, FormatError } from '../errors.js';

export interface Table {
  rows: number;
  cols: number;
  /** Row-major, rows × cols. */
  values: Float64Array;
  header?: string[];
}

export interface CsvOptions {
  /** Name used in error messages; defaults to '<string>' (or the path for files). */
  source?: string;
  /** true: the first row is a header; 'auto' (default): it is one when any cell is a non-number. */
  header?: boolean | 'auto';
  delimiter?: string;
  /** Lines to ignore before the header or data (e.g. a metadata line); line numbers still count them. */
  skipLines?: number;
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

export function parseCsv(text: string, options: CsvOptions = {}): Table {
  const source = options.source ?? '<string>';
  const delimiter = options.delimiter ?? ',';
  const headerMode = options.header ?? 'auto';
  const skipLines = options.skipLines ?? 0;
  if (delimiter.length === 0 || delimiter.includes('\n') || delimiter.includes('\r')) {
    throw new ConfigError(
      `parseCsv: delimiter must be a non-empty string without line breaks, got ${JSON.stringify(delimiter)}.`,
    );
  }
  if (!Number.isInteger(skipLines) || skipLines < 0) {
    throw new ConfigError(`parseCsv: skipLines must be a non-negative integer, got ${skipLines}.`);
  }

  const lines = (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].endsWith('\r')) lines[i] = lines[i].slice(0, -1);
  }
  // Trailing blank lines are common (editors, exporters); blank lines inside the data are not tolerated.
  let end = lines.length;
  while (end > skipLines && lines[end - 1].trim() === '') end--;
  if (end <= skipLines) throw new FormatError(`${source}: the input is empty; expected rows of numbers.`);

  let next = skipLines;
  const firstCells = splitCells(lines[next], delimiter);
  const hasHeader =
    headerMode === 'auto'
      ? firstCells.some((cell) => !DECIMAL.test(cell) && !isMissingToken(cell))
      : headerMode;
  let header: string[] | undefined;
  if (hasHeader) {
    header = firstCells.map(unquote);
    next++;
    if (next >= end) {
      const hint = headerMode === 'auto' ? ' (pass header: false if it is data)' : '';
      throw new FormatError(`${source}: only a header row (line ${skipLines + 1}), no data rows${hint}.`);
    }
  }

  const shapeLine = skipLines + 1; // the header, or else the first data row, fixes the column count
  const cols = hasHeader ? firstCells.length : splitCells(lines[next], delimiter).length;
  const rows = end - next;
  const values = new Float64Array(rows * cols);
  for (let row = 0; row < rows; row++) {
    const lineIndex = next + row;
    const line = lines[lineIndex];
    const cells = splitCells(line, delimiter);
    if (cells.length !== cols) {
      const got = cols > 1 && line.trim() === '' ? 'an empty line' : String(cells.length);
      throw new FormatError(
        `${source} line ${lineIndex + 1}: expected ${cols} columns (like line ${shapeLine}), got ${got}.`,
      );
    }
    const offset = row * cols;
    for (let col = 0; col < cols; col++) {
      const cell = cells[col];
      if (DECIMAL.test(cell)) {
        const value = Number(cell);
        if (Number.isFinite(value)) {
          values[offset + col] = value;
          continue;
        }
      }
      throw cellError(source, lineIndex + 1, row + 1, col + 1, cell);
    }
  }
  return header ? { rows, cols, values, header } : { rows, cols, values };
}

function cellError(source: string, line: number, row: number, col: number, cell: string): DataError {
  const where = `${source} line ${line}, column ${col}`;
  const place = `(data row ${row}, column ${col})`;
  if (cell === '') return new DataError(`${where}: empty cell; missing values are not allowed ${place}.`);
  if (NOT_A_NUMBER.test(cell)) return new DataError(`${where}: NaN is not allowed ${place}.`);
  if (INFINITE.test(cell) || DECIMAL.test(cell)) {
    return new DataError(`${where}: infinite value ${quoteForMessage(cell)} is not allowed ${place}.`);
  }
  return new DataError(`${where}: expected a number, got ${quoteForMessage(cell)}.`);
}

/** The longest text a JavaScript string can hold (V8): no CSV can be longer. */
export const MAX_CSV_TEXT_BYTES = 0x1fffffe8;

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * A file's bytes as text (UTF-8), gunzipped first when they carry the gzip magic (or
 * `source` ends in .gz); inflation stops at MAX_CSV_TEXT_BYTES instead of exhausting memory.
 */
export function decodeText(bytes: Uint8Array, source: string): string {
  if (source.endsWith('.gz') || isGzip(bytes)) {
    let outcome;
    try {
      outcome = platform.gunzip(bytes, MAX_CSV_TEXT_BYTES);
    } catch (error) {
      throw new FormatError(`${source}: not a valid gzip file (${(error as Error).message}).`);
    }
    if (outcome.kind === 'too-large')
      throw new FormatError(
        `${source}: decompresses to more than ${MAX_CSV_TEXT_BYTES} bytes, the most a text can hold.`,
      );
    if (outcome.kind === 'truncated')
      throw new FormatError(
        `${source}: the gzip stream is cut short (its end and checksum are missing); the file is incomplete.`,
      );
    bytes = outcome.bytes;
  }
  if (bytes.length > MAX_CSV_TEXT_BYTES)
    throw new FormatError(
      `${source}: ${bytes.length} bytes, more than the ${MAX_CSV_TEXT_BYTES} a text can hold.`,
    );
  return new TextDecoder().decode(bytes);
}

/** A file that cannot be opened, as a DataError with the system's reason (ENOENT, EACCES…). */
export function fileError(path: string, error: unknown): DataError {
  const reason = (error as { code?: string }).code ?? (error as Error).message;
  return new DataError(`Cannot read '${path}': ${reason}.`);
}

/** Reads a text file, gunzipping it when the name ends in .gz or the bytes carry the gzip magic. */
export function readTextFile(path: string): string {
  let bytes: Uint8Array;
  try {
    bytes = platform.readFile(path, 'file');
  } catch (error) {
    throw fileError(path, error);
  }
  return decodeText(bytes, path);
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

export function loadCsvFile(path: string, options: CsvOptions = {}): Table {
  return parseCsv(readTextFile(path), { ...options, source: options.source ?? path });
}

export function splitLabelColumn(
  table: Table,
  options: { labelColumn?: number; source?: string } = {},
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

  const numFeatures = cols - 1;
  const features = new Float32Array(rows * numFeatures);
  const labels = new Int32Array(rows);
  let maxLabel = -1;
  for (let row = 0; row < rows; row++) {
    const offset = row * cols;
    let out = row * numFeatures;
    for (let col = 0; col < cols; col++) {
      if (col !== labelColumn) features[out++] = values[offset + col];
    }
    const label = values[offset + labelColumn];
    if (!Number.isInteger(label) || label < 0 || label > 0x7fffffff) {
      throw new DataError(
        `${source} data row ${row + 1}: the label (column ${labelColumn + 1}) must be a non-negative integer, got ${label}.`,
      );
    }
    labels[row] = label;
    if (label > maxLabel) maxLabel = label;
  }
  return { features, numFeatures, labels, numClasses: maxLabel + 1, count: rows };
}

/**
 * The scikit-learn bundled-data header, e.g. iris.csv's `150,4,setosa,versicolor,virginica`:
 * sample count, feature count, then the class names. Returns undefined for any other line.
 */
function parseSklearnHeader(
  line: string,
  delimiter: string,
): { count: number; numFeatures: number; classNames: string[] } | undefined {
  const cells = splitCells(line, delimiter);
  if (cells.length < 3 || !/^\d+$/.test(cells[0]) || !/^\d+$/.test(cells[1])) return undefined;
  const names = cells.slice(2);
  if (names.some((name) => name === '' || DECIMAL.test(name))) return undefined;
  return { count: Number(cells[0]), numFeatures: Number(cells[1]), classNames: names.map(unquote) };
}

/**
 * Loads a CSV of features plus an integer label column (last by default). Understands the
 * scikit-learn header convention and then returns its class names.
 */
export function loadLabelledCsv(
  path: string,
  options: { labelColumn?: number; delimiter?: string } = {},
): LabelledTable & { classNames?: string[] } {
  return parseLabelledCsv(readTextFile(path), { ...options, source: path });
}

/**
 * A browser File or Blob (file picker, drag and drop) read as loadLabelledCsv reads a file:
 * features plus an integer label column, errors naming the file's name, line and column.
 */
export async function readLabelledCsvBlob(
  blob: Blob,
  options: { labelColumn?: number; delimiter?: string; source?: string } = {},
): Promise<LabelledTable & { classNames?: string[] }> {
  const source = options.source ?? blobName(blob);
  return parseLabelledCsv(await readTextBlob(blob, source), { ...options, source });
}

/** Features plus an integer label column from CSV text (see loadLabelledCsv). */
export function parseLabelledCsv(
  text: string,
  options: { labelColumn?: number; delimiter?: string; source?: string } = {},
): LabelledTable & { classNames?: string[] } {
  const path = options.source ?? '<string>';
  const delimiter = options.delimiter ?? ',';
  const newline = text.indexOf('\n');
  const firstLine = (newline < 0 ? text : text.slice(0, newline)).replace(/^\uFEFF/, '');
  const sklearn = parseSklearnHeader(firstLine, delimiter);
  const table = parseCsv(text, {
    source: path,
    delimiter,
    header: sklearn ? false : 'auto',
    skipLines: sklearn ? 1 : 0,
  });
  const labelled = splitLabelColumn(table, { labelColumn: options.labelColumn, source: path });
  if (!sklearn) return labelled;

  if (sklearn.count !== labelled.count || sklearn.numFeatures !== labelled.numFeatures) {
    throw new FormatError(
      `${path} line 1: the header promises ${sklearn.count} rows of ${sklearn.numFeatures} features, ` +
        `but the file has ${labelled.count} rows of ${labelled.numFeatures}.`,
    );
  }
  if (labelled.numClasses > sklearn.classNames.length) {
    throw new DataError(
      `${path}: label ${labelled.numClasses - 1} has no class name; line 1 names ${sklearn.classNames.length} classes.`,
    );
  }
  return { ...labelled, numClasses: sklearn.classNames.length, classNames: sklearn.classNames };
}

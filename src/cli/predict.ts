/**
 * `descent predict MODEL_DIR INPUT [--out FILE] [--json]`: the model's predictions
 * for every row of a CSV of features (no label column; a header row is detected).
 * Features are standardised with the statistics saved at training time.
 *
 * For image models (trained on fashion-mnist or mnist) the input is an IDX file of images
 * (unsigned bytes, count×height×width, raw or gzipped, as t10k-images-idx3-ubyte), or a
 * CSV with one image per row: its height×width pixel values 0–255, row by row. Pixels are
 * scaled to [0, 1] and standardised per channel with the statistics saved at training time.
 *
 * Output (CSV on stdout or --out): for classifiers `label,p0,p1,…` — the predicted class
 * and the class probabilities (softmax of the logits, or the model's own softmax/sigmoid
 * output, depending on the loss it was trained with); for regression `value` (or
 * `value0,value1,…`).
 */
import { platform } from '#platform';
import { loadModelWithInfo, type ModelInfo } from '../io/model-io.js';
import { ConfigError, DataError, FormatError, ShapeError } from '../errors.js';
import * as data from '../data/index.js';
import { fromArray } from '../tensor/creation.js';
import type { Tensor } from '../tensor/tensor.js';
import { Model } from '../train/model.js';
import { prepareImages, resolveModelDir, savedRun, standardizerOf, type SavedRun } from './evaluate.js';
import { isImageSet } from './networks.js';
import { checkWritableFile } from './targets.js';

export interface PredictFlags {
  out?: string;
  json?: boolean;
}

export interface PredictResult {
  rows: number;
  /** Predicted class per row (classification). */
  labels?: number[];
  /** Class probabilities per row (classification). */
  probabilities?: number[][];
  /** Outputs per row (regression). */
  values?: number[][];
}

function softmaxRow(row: number[]): number[] {
  const max = Math.max(...row);
  const e = row.map((v) => Math.exp(v - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

/** Whether a file holds IDX data (by its name, or its first bytes: IDX starts with two zero bytes). */
function isIdxFile(path: string, bytes: Uint8Array): boolean {
  if (/ubyte|\.idx\d?(\.gz)?$/i.test(path)) return true;
  let head = bytes.subarray(0, 4);
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    // Only a 1 KiB prefix (≤ 1 MiB inflated): a bomb is for the reader to refuse, not this peek.
    try {
      const outcome = platform.gunzip(bytes.subarray(0, 1024), 2 ** 20);
      if (outcome.kind === 'too-large') return false;
      head = outcome.bytes.subarray(0, 4);
    } catch {
      return false; // not gzip after all: the CSV reader will say what it is
    }
  }
  return head.length >= 4 && head[0] === 0 && head[1] === 0;
}

/** [channels, height, width] of the model's images: from model.json's input shape, else square. */
function imageShapeOf(info: ModelInfo, run: SavedRun, modelDir: string): [number, number, number] {
  const s = info.inputShape;
  if (s && s.length === 4) return [s[1], s[2], s[3]];
  const side = Math.round(Math.sqrt(run.data.numFeatures));
  if (side * side !== run.data.numFeatures)
    throw new ShapeError(
      `${modelDir}: the image size is not recorded and ${run.data.numFeatures} pixels are not a square.`,
    );
  return [1, side, side];
}

/** The images of an IDX file or of a CSV of pixel rows, as the model's input [N, C, H, W]. */
function readImages(path: string, info: ModelInfo, run: SavedRun, modelDir: string): Tensor {
  const bytes = platform.readFile(path, 'input file', 2 ** 31);
  const [channels, height, width] = imageShapeOf(info, run, modelDir);
  let pixels: Float32Array;
  let count: number;
  if (isIdxFile(path, bytes)) {
    const idx = data.parseIdx(bytes, path);
    if (idx.type !== 'uint8' || (idx.dims.length !== 3 && idx.dims.length !== 2)) {
      throw new FormatError(
        `${path}: expected unsigned-byte images of dims count×height×width (an idx3-ubyte file), got ${idx.type} elements of dims ${idx.dims.join('×')}.`,
      );
    }
    const dims = idx.dims.length === 2 ? [1, ...idx.dims] : idx.dims;
    if (dims[1] !== height || dims[2] !== width || channels !== 1) {
      throw new ShapeError(
        `${path}: images of ${dims[1]}×${dims[2]} pixels; the model in ${modelDir} takes ${height}×${width}${channels !== 1 ? ` with ${channels} channels` : ''}.`,
      );
    }
    count = dims[0];
    pixels = Float32Array.from(idx.data, (v) => v / 255);
  } else {
    const table = data.loadCsvFile(path);
    const size = channels * height * width;
    if (table.cols !== size) {
      throw new ShapeError(
        `${path}: has ${table.cols} columns; the model in ${modelDir} takes images of ${height}×${width} = ${size} pixels per row` +
          `${table.cols === size + 1 ? ' (is a column a label? leave it out)' : ''}.`,
      );
    }
    count = table.rows;
    pixels = new Float32Array(table.values.length);
    table.values.forEach((v, i) => {
      if (!(v >= 0 && v <= 255)) {
        throw new DataError(
          `${path}: row ${Math.floor(i / size) + 1}, column ${(i % size) + 1} is ${v}; expected a pixel value 0–255 (as in the IDX files).`,
        );
      }
      pixels[i] = v / 255;
    });
  }
  if (count === 0) throw new ConfigError(`${path}: has no images to predict.`);
  const shape = [count, channels, height, width];
  return fromArray(prepareImages(pixels, shape, run, path, modelDir), shape);
}

export async function runPredict(
  modelDir: string,
  inputCsv: string,
  flags: PredictFlags = {},
): Promise<PredictResult> {
  if (typeof inputCsv !== 'string' || inputCsv === '')
    throw new ConfigError(
      'predict: give the input file (a CSV with one row of features per sample; for image models also an IDX file of images).',
    );
  checkWritableFile('--out', flags.out);
  modelDir = resolveModelDir(modelDir);
  const { layer, info } = loadModelWithInfo(modelDir);
  const model = new Model(layer);
  try {
    const run = savedRun(info, modelDir);
    let input: Tensor;
    if (isImageSet(run.data.name)) {
      input = readImages(inputCsv, info, run, modelDir);
    } else {
      const table = data.loadCsvFile(inputCsv);
      const features = run.data.numFeatures;
      if (table.cols !== features) {
        const hint = table.cols === features + 1 ? ' (is the last column a label? leave it out)' : '';
        throw new ShapeError(
          `${inputCsv}: has ${table.cols} columns; the model in ${modelDir} takes ${features} features${hint}.`,
        );
      }
      if (table.rows === 0) throw new ConfigError(`${inputCsv}: has no rows to predict.`);
      let x: Float32Array = Float32Array.from(table.values);
      const standardizer = standardizerOf(run);
      if (standardizer) x = data.applyStandardizer(x, features, standardizer);
      input = fromArray(x, [table.rows, features]);
    }
    const count = input.shape[0];
    const output = model.predict(input);
    const width = output.shape[1] ?? 1;
    const flat = Array.from(await output.data());
    input.dispose();
    output.dispose();
    const rows = Array.from({ length: count }, (_, r) => flat.slice(r * width, (r + 1) * width));

    const result: PredictResult = { rows: count };
    let header: string[];
    let lines: number[][];
    if (run.data.task === 'classification') {
      // What the outputs are follows from the loss (see lossForLabels in train.ts).
      const probabilities = rows.map((row) => {
        if (run.loss === 'crossEntropy') return softmaxRow(row);
        if (run.loss === 'binaryCrossEntropyFromLogits') return [1 - sigmoid(row[0]), sigmoid(row[0])];
        if (run.loss === 'binaryCrossEntropy') return [1 - row[0], row[0]];
        return row; // a softmax output layer (mse, sse, klDivergence on one-hot rows)
      });
      result.probabilities = probabilities;
      result.labels = probabilities.map((p) => p.indexOf(Math.max(...p)));
      header = ['label', ...probabilities[0].map((_, i) => `p${i}`)];
      lines = probabilities.map((p, i) => [result.labels![i], ...p]);
    } else {
      result.values = rows;
      header = width === 1 ? ['value'] : rows[0].map((_, i) => `value${i}`);
      lines = rows;
    }
    const text = flags.json
      ? JSON.stringify(result) + '\n'
      : [
          header.join(','),
          ...lines.map((l) =>
            l.map((v, i) => (i === 0 && result.labels ? String(v) : Number(v.toPrecision(7)))).join(','),
          ),
        ].join('\n') + '\n';
    if (flags.out) platform.writeFileAtomic(flags.out, text);
    else process.stdout.write(text);
    return result;
  } finally {
    model.dispose();
  }
}

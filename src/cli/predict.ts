/**
 * `descent predict MODEL_DIR INPUT.csv [--out FILE] [--json]`: the model's predictions
 * for every row of a CSV of features (no label column; a header row is detected).
 * Features are standardised with the statistics saved at training time.
 *
 * Output (CSV on stdout or --out): for classifiers `label,p0,p1,…` — the predicted class
 * and the class probabilities (softmax of the logits, or the model's own softmax/sigmoid
 * output, depending on the loss it was trained with); for regression `value` (or
 * `value0,value1,…`).
 */
import { writeFileAtomic } from '../io/files.js';
import { loadModelWithInfo } from '../io/model-io.js';
import { ConfigError, ShapeError } from '../errors.js';
import * as data from '../data/index.js';
import { fromArray } from '../tensor/creation.js';
import { Model } from '../train/model.js';
import { savedRun, standardizerOf } from './evaluate.js';

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

export async function runPredict(
  modelDir: string,
  inputCsv: string,
  flags: PredictFlags = {},
): Promise<PredictResult> {
  if (typeof inputCsv !== 'string' || inputCsv === '')
    throw new ConfigError('predict: give the input CSV file (one row of features per sample).');
  const { layer, info } = loadModelWithInfo(modelDir);
  const model = new Model(layer);
  try {
    const run = savedRun(info, modelDir);
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
    const input = fromArray(x, [table.rows, features]);
    const output = model.predict(input);
    const width = output.shape[1] ?? 1;
    const flat = Array.from(await output.data());
    input.dispose();
    output.dispose();
    const rows = Array.from({ length: table.rows }, (_, r) => flat.slice(r * width, (r + 1) * width));

    const result: PredictResult = { rows: table.rows };
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
    if (flags.out) writeFileAtomic(flags.out, text);
    else process.stdout.write(text);
    return result;
  } finally {
    model.dispose();
  }
}

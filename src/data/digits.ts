/**
 * The UCI optical handwritten digits (the scikit-learn "digits" set): 1797 images of 8×8
 * pixels with intensities 0..16, labels 0..9. Bundled as assets/digits.csv.gz.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataError, FormatError } from '../errors.js';
import { loadCsvFile, splitLabelColumn, type LabelledTable } from './csv.js';

const DIGITS_ASSET = join('assets', 'digits.csv.gz');

/**
 * Walks up from this module: compiled it sits in dist/src/data, run from source in src/data,
 * and installed as a dependency under node_modules/descent — so no fixed depth works.
 */
function findDigitsAsset(): string {
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, DIGITS_ASSET)))
      return join(dir, DIGITS_ASSET);
    if (dirname(dir) === dir) break;
  }
  throw new DataError(
    `loadDigits: cannot find ${DIGITS_ASSET} in any directory above ${start}; the descent package seems incomplete.`,
  );
}

export function loadDigitsRaw(): LabelledTable {
  const path = findDigitsAsset();
  const digits = splitLabelColumn(loadCsvFile(path, { header: false }), { source: path });
  if (digits.numFeatures !== 64 || digits.numClasses !== 10) {
    throw new FormatError(
      `${path}: expected 64 pixel columns and labels 0..9, got ${digits.numFeatures} columns and ${digits.numClasses} classes.`,
    );
  }
  return digits;
}

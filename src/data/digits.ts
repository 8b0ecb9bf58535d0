/**
 * The UCI optical handwritten digits (the scikit-learn "digits" set): 1797 images of 8×8
 * pixels with intensities 0..16, labels 0..9. Bundled as assets/digits.csv.gz and embedded in
 * the library at build time (scripts/build-assets.mjs), so it loads in a page or a worker too.
 */
import { platform } from '#platform';
import { FormatError } from '../errors.js';
import { parseCsvBytes, splitLabelColumn, type LabelledTable } from './csv.js';
import { digitsCsvGzipBase64 } from './generated/digits.js';

const SOURCE = 'descent/assets/digits.csv.gz';

/** The digits as features (64 pixels, 0..16) and labels, from the copy embedded at build time. */
export function loadDigitsRaw(): LabelledTable {
  const table = parseCsvBytes(platform.fromBase64(digitsCsvGzipBase64), { header: false, source: SOURCE });
  const digits = splitLabelColumn(table, { source: SOURCE });
  if (digits.numFeatures !== 64 || digits.numClasses !== 10) {
    throw new FormatError(
      `${SOURCE}: expected 64 pixel columns and labels 0..9, got ${digits.numFeatures} columns and ${digits.numClasses} classes.`,
    );
  }
  return digits;
}

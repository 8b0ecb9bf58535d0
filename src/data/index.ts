/** data: datasets, loaders, file readers, synthetic sets, preparation. */
export { Dataset, DataLoader, type Batch, type LoaderOptions } from './dataset.js';
export {
  digits,
  csv,
  synthetic,
  splitTable,
  syntheticNames,
  type SplitOptions,
  type SplitSets,
} from './sets.js';
export * from './csv.js';
export * from './prepare.js';
export * as raw from './synthetic.js';
export { loadDigitsRaw } from './digits.js';
export * from './idx.js';
export * from './mnist.js';
export * from './augment.js';

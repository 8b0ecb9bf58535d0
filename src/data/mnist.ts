/**
 * Fashion-MNIST (Xiao, Rasul & Vollgraf 2017) and MNIST (LeCun, Cortes & Burges): 60,000
 * training and 10,000 test greyscale images of 28×28 pixels in 10 classes, as four IDX
 * files. Loaded as NCHW float32 tensors [N, 1, 28, 28] scaled to [0, 1], with int32 labels.
 *
 * The folder with the four files is looked for, in this order:
 *   1. the `dir` argument (`--data-dir`): DIR/<name>, then DIR itself; when given, nothing else is searched;
 *   2. $DESCENT_DATA: $DESCENT_DATA/<name>, then $DESCENT_DATA itself;
 *   3. /usr/share/datasets/<name> (Debian's package `dataset-fashion-mnist` installs there);
 *   4. the user cache, $XDG_CACHE_HOME/descent/<name> or ~/.cache/descent/<name>.
 * Each file may be raw or gzipped (train-images-idx3-ubyte or train-images-idx3-ubyte.gz).
 * With `download: true` (and internet) missing files are fetched from the canonical location
 * into the cache (or into `dir`) and checked against their published SHA-256 sums.
 */
import { platform } from '#platform';
import { ConfigError, DataError, FormatError, checkPositiveInt, unknownName } from '../errors.js';
import { channelStatistics, standardizeChannels } from './augment.js';
import { Dataset } from './dataset.js';
import { readIdxFile, type IdxArray } from './idx.js';
import type { Standardizer } from './prepare.js';
import type { SplitSets } from './sets.js';

export const imageSetNames = ['fashion-mnist', 'mnist'] as const;
export type ImageSetName = (typeof imageSetNames)[number];

export type IdxRole = 'trainImages' | 'trainLabels' | 'testImages' | 'testLabels';
const ROLES: readonly IdxRole[] = ['trainImages', 'trainLabels', 'testImages', 'testLabels'];

/** The four files' names, without the optional .gz. */
export const idxFileNames: Readonly<Record<IdxRole, string>> = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
};

export const fashionMnistClassNames: readonly string[] = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];
export const mnistClassNames: readonly string[] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

interface SetInfo {
  title: string;
  classNames: readonly string[];
  /** Base URLs, canonical first; each serves <file>.gz. */
  mirrors: readonly string[];
  /** SHA-256 of each published .gz file. */
  sha256: Readonly<Record<IdxRole, string>>;
  debianPackage?: string;
}

const SETS: Record<ImageSetName, SetInfo> = {
  'fashion-mnist': {
    title: 'Fashion-MNIST',
    classNames: fashionMnistClassNames,
    mirrors: [
      'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/',
      'https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/',
    ],
    sha256: {
      trainImages: '08dc20ab1689590a0bcd66e874647b6ee8464e2d501b5a3f1f78831db19a3fdc',
      trainLabels: 'b0197879cbda89f3dc7b894f9fd52b858e68ea4182b6947c9d8c2b67e5f18dcc',
      testImages: '78dcbbfb5a27efaf1b6c1d616caca68560be8766c5bffcb2791df9273a534229',
      testLabels: '42bd18137a62d5998cdeae52bf3a0676ac6b706f5cf8439b47bb5b151ae3dccf',
    },
    debianPackage: 'dataset-fashion-mnist',
  },
  mnist: {
    title: 'MNIST',
    classNames: mnistClassNames,
    mirrors: [
      'http://yann.lecun.com/exdb/mnist/',
      'https://ossci-datasets.s3.amazonaws.com/mnist/',
      'https://storage.googleapis.com/cvdf-datasets/mnist/',
    ],
    sha256: {
      trainImages: '440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609',
      trainLabels: '3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c',
      testImages: '8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6',
      testLabels: 'f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6',
    },
  },
};

const NUM_CLASSES = 10;

export interface ImageSetOptions {
  /** The folder with the four files (or a folder holding a <name> subfolder). */
  dir?: string;
  /** Standardise per channel with the training images' mean and std (default false: [0, 1]). */
  standardize?: boolean;
  /** Download missing files (needs internet); makes the loader return a Promise. */
  download?: boolean;
  /** Keep only the first n training / test samples (quick runs). */
  trainLimit?: number;
  testLimit?: number;
  /** Environment to read DESCENT_DATA, XDG_CACHE_HOME from (default process.env). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Replaces /usr/share/datasets/<name>. */
  systemDir?: string;
  /** Replaces the user cache folder (~/.cache/descent/<name>). */
  cacheDir?: string;
  /** The fetch used to download (default the global fetch). */
  fetch?: typeof fetch;
}

export interface ImageSets extends SplitSets {
  /** Class names by label. */
  classNames: readonly string[];
  /** [channels, height, width] of one image. */
  imageShape: [number, number, number];
  /** The folder the files came from. */
  dir: string;
  files: Record<IdxRole, string>;
  /** Per-channel statistics (fitted on the training images) when standardize was set. */
  channelStandardizer?: Standardizer;
}

/** One place searched, for the error message and for tests. */
export interface SearchedPlace {
  dir: string;
  /** Why this place: 'dir argument', '$DESCENT_DATA', … */
  origin: string;
  /** Missing when the folder is complete. */
  problem?: string;
  files?: Record<IdxRole, string>;
}

function setInfo(name: string): SetInfo {
  return (SETS as Record<string, SetInfo>)[name] ?? unknownName('image data set', name, imageSetNames);
}

const isFile = (path: string): boolean => platform.pathKind(path) === 'file';
const isDirectory = (path: string): boolean => platform.pathKind(path) === 'directory';

/** The four files in `dir` (raw preferred over .gz), or what is missing. */
function inspect(dir: string, origin: string): SearchedPlace {
  if (!isDirectory(dir)) return { dir, origin, problem: 'does not exist' };
  const files: Partial<Record<IdxRole, string>> = {};
  const missing: string[] = [];
  for (const role of ROLES) {
    const raw = platform.joinPath(dir, idxFileNames[role]);
    const path = isFile(raw) ? raw : isFile(raw + '.gz') ? raw + '.gz' : undefined;
    if (path) files[role] = path;
    else missing.push(`${idxFileNames[role]}(.gz)`);
  }
  if (missing.length === ROLES.length) return { dir, origin, problem: 'has none of the files' };
  if (missing.length > 0) return { dir, origin, problem: `missing ${missing.join(', ')}` };
  return { dir, origin, files: files as Record<IdxRole, string> };
}

function defaultCacheDir(name: string, env: Readonly<Record<string, string | undefined>>): string {
  const xdg = env.XDG_CACHE_HOME;
  return platform.joinPath(
    xdg && platform.isAbsolutePath(xdg) ? xdg : platform.joinPath(platform.homeDir(), '.cache'),
    'descent',
    name,
  );
}

/**
 * Searches the places in order and returns the first complete folder (`found`), and every
 * place looked at. With an explicit `dir` only that folder (and its <name> subfolder) counts.
 */
export function locateImageSet(
  name: ImageSetName,
  options: Pick<ImageSetOptions, 'dir' | 'env' | 'systemDir' | 'cacheDir'> = {},
): { found?: SearchedPlace; searched: SearchedPlace[] } {
  setInfo(name);
  const env = options.env ?? platform.env();
  const searched: SearchedPlace[] = [];
  // [folder, origin, reason to skip it]
  const candidates: [string, string, string?][] = [];
  if (options.dir !== undefined) {
    candidates.push(
      [platform.joinPath(options.dir, name), 'dir argument / --data-dir'],
      [options.dir, 'dir argument / --data-dir'],
    );
  } else {
    const root = env.DESCENT_DATA;
    if (root) {
      // $DESCENT_DATA pointing at the other set's folder must not pass for this one.
      const other = imageSetNames.find((n) => n !== name && platform.baseName(root) === n);
      candidates.push(
        [platform.joinPath(root, name), '$DESCENT_DATA'],
        [root, '$DESCENT_DATA', other && `skipped: it is named for ${other}`],
      );
    } else {
      candidates.push(['$DESCENT_DATA', '$DESCENT_DATA', 'not set']);
    }
    const debian = SETS[name].debianPackage;
    candidates.push(
      [
        options.systemDir ?? platform.joinPath('/usr/share/datasets', name),
        debian ? `Debian package ${debian}` : 'system data sets',
      ],
      [options.cacheDir ?? defaultCacheDir(name, env), 'user cache'],
    );
  }
  for (const [dir, origin, skip] of candidates) {
    const place = skip ? { dir, origin, problem: skip } : inspect(dir, origin);
    searched.push(place);
    if (place.files) return { found: place, searched };
  }
  return { searched };
}

function notFoundError(name: ImageSetName, searched: readonly SearchedPlace[], explicit: boolean): DataError {
  const info = SETS[name];
  const files = ROLES.map((r) => idxFileNames[r]).join(', ');
  const lines = searched.map((p) => `  - ${p.dir} (${p.origin}): ${p.problem ?? 'ok'}`);
  const ways: string[] = [];
  if (info.debianPackage) ways.push(`install Debian's package: sudo apt-get install ${info.debianPackage}`);
  ways.push(
    `put the four files in a folder and pass it: descent train --data ${name} --data-dir DIR, ` +
      `${name === 'mnist' ? 'mnist' : 'fashionMnist'}({ dir: DIR }), or DESCENT_DATA=DIR`,
  );
  ways.push(
    `with internet, let descent download them: ${name === 'mnist' ? 'mnist' : 'fashionMnist'}({ download: true })`,
  );
  return new DataError(
    `${info.title}: cannot find the data set${explicit ? ' in the given folder' : ''} (files ${files}, each raw or .gz). Looked in:\n` +
      `${lines.join('\n')}\nTo get it: ${ways.join('; or ')}.`,
  );
}

function checkImages(array: IdxArray, path: string): [number, number, number] {
  if (array.type !== 'uint8' || array.dims.length !== 3) {
    throw new FormatError(
      `${path}: expected unsigned-byte images of dims count×height×width (an idx3-ubyte file), ` +
        `got ${array.type} elements of dims ${array.dims.join('×')}.`,
    );
  }
  const [count, height, width] = array.dims;
  if (height === 0 || width === 0)
    throw new FormatError(`${path}: images of ${height}×${width} pixels hold nothing.`);
  return [count, height, width];
}

function checkLabels(array: IdxArray, path: string, imageCount: number, imagesPath: string): Int32Array {
  if (array.type !== 'uint8' || array.dims.length !== 1) {
    throw new FormatError(
      `${path}: expected unsigned-byte labels of dims count (an idx1-ubyte file), got ${array.type} elements of dims ${array.dims.join('×')}.`,
    );
  }
  if (array.dims[0] !== imageCount) {
    throw new FormatError(
      `${path}: holds ${array.dims[0]} labels, but ${imagesPath} holds ${imageCount} images; expected one label per image.`,
    );
  }
  const bytes = array.data as Uint8Array;
  const labels = new Int32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] >= NUM_CLASSES) {
      throw new DataError(
        `${path}: label ${i} (byte ${8 + i}) is ${bytes[i]}; expected a class 0..${NUM_CLASSES - 1}.`,
      );
    }
    labels[i] = bytes[i];
  }
  return labels;
}

function limitOf(where: string, name: string, value: number | undefined, count: number): number {
  if (value === undefined) return count;
  return Math.min(count, checkPositiveInt(where, name, value));
}

function toUnitFloats(bytes: Uint8Array, count: number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = bytes[i] / 255;
  return out;
}

/** Reads and checks the four files of a complete folder. */
function loadFromFiles(
  name: ImageSetName,
  files: Record<IdxRole, string>,
  dir: string,
  options: ImageSetOptions,
): ImageSets {
  const info = SETS[name];
  const where = name === 'mnist' ? 'mnist' : 'fashionMnist';
  const trainImages = readIdxFile(files.trainImages);
  const [trainCount, height, width] = checkImages(trainImages, files.trainImages);
  const trainLabels = checkLabels(
    readIdxFile(files.trainLabels),
    files.trainLabels,
    trainCount,
    files.trainImages,
  );
  const testImages = readIdxFile(files.testImages);
  const [testCount, testHeight, testWidth] = checkImages(testImages, files.testImages);
  if (testHeight !== height || testWidth !== width) {
    throw new FormatError(
      `${files.testImages}: images of ${testHeight}×${testWidth} pixels, but the training images (${files.trainImages}) are ${height}×${width}.`,
    );
  }
  const testLabels = checkLabels(
    readIdxFile(files.testLabels),
    files.testLabels,
    testCount,
    files.testImages,
  );

  const nTrain = limitOf(where, 'trainLimit', options.trainLimit, trainCount);
  const nTest = limitOf(where, 'testLimit', options.testLimit, testCount);
  if (nTrain === 0 || nTest === 0) {
    throw new DataError(
      `${info.title} in ${dir}: ${trainCount} training and ${testCount} test images; both must be non-empty.`,
    );
  }
  const pixels = height * width;
  let trainX = toUnitFloats(trainImages.data as Uint8Array, nTrain * pixels);
  let testX = toUnitFloats(testImages.data as Uint8Array, nTest * pixels);
  let channelStandardizer: Standardizer | undefined;
  if (options.standardize) {
    channelStandardizer = channelStatistics(trainX, [nTrain, 1, height, width]);
    trainX = standardizeChannels(trainX, [nTrain, 1, height, width], channelStandardizer);
    testX = standardizeChannels(testX, [nTest, 1, height, width], channelStandardizer);
  }
  const imageShape: [number, number, number] = [1, height, width];
  const sets: ImageSets = {
    train: Dataset.fromArrays(trainX, imageShape, trainLabels.slice(0, nTrain), {
      numClasses: NUM_CLASSES,
      name: `${name} (train)`,
    }),
    test: Dataset.fromArrays(testX, imageShape, testLabels.slice(0, nTest), {
      numClasses: NUM_CLASSES,
      name: `${name} (test)`,
    }),
    numFeatures: pixels,
    numClasses: NUM_CLASSES,
    task: 'classification',
    name,
    classNames: info.classNames,
    imageShape,
    dir,
    files,
  };
  if (channelStandardizer) sets.channelStandardizer = channelStandardizer;
  return sets;
}

function loadSync(name: ImageSetName, options: ImageSetOptions): ImageSets {
  const { found, searched } = locateImageSet(name, options);
  if (!found?.files) throw notFoundError(name, searched, options.dir !== undefined);
  return loadFromFiles(name, found.files, found.dir, options);
}

async function loadWithDownload(name: ImageSetName, options: ImageSetOptions): Promise<ImageSets> {
  const { found } = locateImageSet(name, options);
  if (found?.files) return loadFromFiles(name, found.files, found.dir, options);
  const target = options.dir ?? options.cacheDir ?? defaultCacheDir(name, options.env ?? platform.env());
  await downloadImageSet(name, target, { fetch: options.fetch });
  return loadSync(name, { ...options, dir: target });
}

/**
 * Loads an image set by name. Synchronous, except with `download: true`, which returns a
 * Promise (it may have to fetch the files).
 */
export function loadImageSet(
  name: ImageSetName,
  options: ImageSetOptions & { download: true },
): Promise<ImageSets>;
export function loadImageSet(name: ImageSetName, options?: ImageSetOptions & { download?: false }): ImageSets;
export function loadImageSet(name: ImageSetName, options?: ImageSetOptions): ImageSets | Promise<ImageSets>;
export function loadImageSet(
  name: ImageSetName,
  options: ImageSetOptions = {},
): ImageSets | Promise<ImageSets> {
  setInfo(name);
  if (options.download) return loadWithDownload(name, options);
  return loadSync(name, options);
}

/** Fashion-MNIST: train [60000, 1, 28, 28] and test [10000, 1, 28, 28] in [0, 1], 10 classes. */
export function fashionMnist(options: ImageSetOptions & { download: true }): Promise<ImageSets>;
export function fashionMnist(options?: ImageSetOptions & { download?: false }): ImageSets;
export function fashionMnist(options?: ImageSetOptions): ImageSets | Promise<ImageSets>;
export function fashionMnist(options: ImageSetOptions = {}): ImageSets | Promise<ImageSets> {
  return loadImageSet('fashion-mnist', options);
}

/** MNIST handwritten digits: train [60000, 1, 28, 28] and test [10000, 1, 28, 28] in [0, 1]. */
export function mnist(options: ImageSetOptions & { download: true }): Promise<ImageSets>;
export function mnist(options?: ImageSetOptions & { download?: false }): ImageSets;
export function mnist(options?: ImageSetOptions): ImageSets | Promise<ImageSets>;
export function mnist(options: ImageSetOptions = {}): ImageSets | Promise<ImageSets> {
  return loadImageSet('mnist', options);
}

// ---------------------------------------------------------------------------------------
// Download.

export interface DownloadOptions {
  fetch?: typeof fetch;
  /** Per-request time limit in milliseconds (default 300000). */
  timeoutMs?: number;
  /** Progress messages (default: none). */
  log?: (message: string) => void;
}

/**
 * Fetches `dest` from the first of `urls` that serves bytes with the given SHA-256, writing
 * it atomically (a temporary file, then a rename). Throws a DataError listing every failure.
 */
export async function downloadFile(
  urls: readonly string[],
  sha256: string,
  dest: string,
  options: DownloadOptions = {},
): Promise<void> {
  const fetchImpl = options.fetch ?? globalThis.fetch;
  if (typeof fetchImpl !== 'function')
    throw new ConfigError('download: this runtime has no fetch (Node ≥ 18 needed).');
  const failures: string[] = [];
  for (const url of urls) {
    try {
      options.log?.(`downloading ${url}`);
      const response = await fetchImpl(url, { signal: AbortSignal.timeout(options.timeoutMs ?? 300_000) });
      if (!response.ok) {
        failures.push(`${url}: HTTP ${response.status} ${response.statusText}`.trim());
        continue;
      }
      const bytes = new Uint8Array(await response.arrayBuffer());
      const digest = platform.sha256Hex(bytes);
      if (digest !== sha256) {
        failures.push(`${url}: SHA-256 ${digest} of ${bytes.length} bytes, expected ${sha256}`);
        continue;
      }
      try {
        platform.writeFileAtomic(dest, bytes);
      } catch (error) {
        throw new DataError(
          `Cannot write '${dest}': ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`,
        );
      }
      return;
    } catch (error) {
      if (error instanceof DataError) throw error;
      failures.push(`${url}: ${(error as Error).message}`);
    }
  }
  throw new DataError(`Cannot download ${platform.baseName(dest)}; tried:\n  ${failures.join('\n  ')}`);
}

/**
 * Downloads whichever of the four .gz files `dir` lacks (creating it), each checked against
 * its published SHA-256. Returns `dir`.
 */
export async function downloadImageSet(
  name: ImageSetName,
  dir: string,
  options: DownloadOptions = {},
): Promise<string> {
  const info = setInfo(name);
  try {
    platform.makeDir(dir);
  } catch (error) {
    throw new DataError(
      `Cannot create '${dir}' for ${info.title}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`,
    );
  }
  for (const role of ROLES) {
    const file = idxFileNames[role];
    if (isFile(platform.joinPath(dir, file)) || isFile(platform.joinPath(dir, file + '.gz'))) continue;
    await downloadFile(
      info.mirrors.map((base) => `${base}${file}.gz`),
      info.sha256[role],
      platform.joinPath(dir, `${file}.gz`),
      options,
    );
  }
  return dir;
}
